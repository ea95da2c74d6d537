"""Small speed helpers shared by the store and the services."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around bulk work.

    Reading the caseload index builds about half a million small objects (20,000 rows of dicts, strings and
    dates). The collector runs every few hundred allocations and rescans them again and again: about 0.2 s
    of a 1 s listing. These objects hold no reference cycles (plain reference counting frees them), so the
    collector is paused for the duration and put back as it was after, also on errors.

    Turned back on as it was, the collector would at once scan every object made meanwhile (its count of
    new objects is far past the threshold): about 0.07 s. They are moved out of its sight first
    (`gc.freeze`): still freed as usual when no longer used, only never scanned for cycles they do not have.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
