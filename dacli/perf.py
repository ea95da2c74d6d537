"""Small speed helpers shared by the store and the services."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause Python's cyclic garbage collector around bulk work.

    Reading the caseload index builds about half a million small objects (20,000 rows of dicts, strings and
    dates). The collector runs every few hundred allocations and rescans them again and again: about 0.2 s
    of a 1 s listing. These objects hold no reference cycles (plain reference counting frees them), so the
    collector is paused for the duration and put back as it was after, also on errors. A pause inside
    another leaves the collector to the outer one.

    Turned back on, the collector would at once scan every object made meanwhile (its count of new objects
    is far past the threshold): about 0.07 s. ``freeze=True`` moves every object of the process out of its
    sight first (`gc.freeze`): still freed by reference counting, but an object in a reference cycle is
    never freed again, nor anything it holds. Only a one-shot process that exits once it has answered
    (`dacli case list`) may ask for that. A long-running one (the dashboard, which reloads the caseload
    from Textual workers that sit in cycles) must not: each frozen caseload would stay in memory for good.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if freeze:
                gc.freeze()
            gc.enable()
