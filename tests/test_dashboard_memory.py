"""The dashboard reloads its caseload many times in one process; memory must not grow with each reload.

`perf.gc_paused` once froze the collector's view of every object (`gc.freeze`) on the way out. In a
one-shot `dacli case list` that is harmless, but in the dashboard each reload's rows are reachable from
Textual's worker objects, which sit in reference cycles: once frozen, the cycles were never collected and
every caseload ever loaded stayed in memory (about 43 MB per reload at 20,000 cases).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tracemalloc
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
CASES = 3000
REAL = 20  # real cases the generator writes; the rest repeat their rows


def _store(path: Path) -> tuple[str, str]:
    """A store whose caseload index holds CASES synthetic rows (the loader reads the index only).

    A few real cases are written by `benchmarks/synthetic.py` through the store API; their index rows are
    then repeated under fresh references, which is enough for a caseload read and takes a second instead
    of the minute the same number of full cases would.
    """
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from synthetic import MANAGER, PASSPHRASE, make_store
    finally:
        sys.path.remove(str(BENCHMARKS))
    from dacli.store.layout import new_case_ref
    from dacli.store.store import Store

    make_store(path, REAL, users=1, jobs=1, passphrase_log_n=10, progress=False)
    session = Store(path).unlock(MANAGER, PASSPHRASE)
    real = list(session.read_index()["cases"].values())
    rows = {}
    for n in range(CASES - REAL):
        ref = new_case_ref()
        rows[ref] = {**real[n % len(real)], "ref": ref}
        # an empty folder an hour old: the index, which trusts a row while its folder is unchanged, keeps it
        (path / ref).mkdir()
        os.utime(path / ref, (1_700_000_000, 1_700_000_000))
    session.seed_index(rows)
    return MANAGER, PASSPHRASE


async def _wait(pilot, condition) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + 30
    while not condition():
        assert loop.time() < end, "timed out waiting for the dashboard"
        await pilot.pause(0.02)


async def _caseload(app, pilot, passphrase: str):
    """Unlock the dashboard with ``passphrase`` and wait for the whole caseload: its screen and its busy
    indicator."""
    from textual.widgets import Input

    from dacli.tui.screens.caseload import CaseloadScreen

    await _wait(pilot, lambda: app.screen.__class__.__name__ == "UnlockScreen" and app.screen.is_mounted)
    app.screen.query_one("#passphrase", Input).value = passphrase
    await pilot.press("enter")
    await _wait(pilot, lambda: isinstance(app.screen, CaseloadScreen) and len(app.screen.all_rows) == CASES)
    screen = app.screen
    busy = screen.query_one("#busy")
    await _wait(pilot, lambda: not busy.display)
    return screen, busy


def test_reloading_the_caseload_does_not_keep_old_caseloads(tmp_path):
    from dacli.tui.app import DacliApp

    user, passphrase = _store(tmp_path / "store")

    async def run() -> list[int]:
        app = DacliApp(tmp_path / "store", user, idle_seconds=600)
        sizes: list[int] = []
        async with app.run_test(size=(120, 40)) as pilot:
            screen, busy = await _caseload(app, pilot, passphrase)
            for _ in range(10):
                screen.refresh_rows()  # what going back from a case does
                await _wait(pilot, lambda: not busy.display)
                await pilot.pause()
                gc.collect()
                sizes.append(tracemalloc.get_traced_memory()[0])
        return sizes

    tracemalloc.start()
    try:
        sizes = asyncio.run(run())
    finally:
        tracemalloc.stop()
    first, last = sizes[0], sizes[-1]
    assert last <= first * 1.2, f"memory after 10 reloads {last:,} B, after one {first:,} B ({sizes})"


def test_a_replaced_caseload_is_freed_at_once_not_at_the_next_collection(tmp_path):
    """The dashboard's RSS grew 1.6x over ten reloads at 20,000 cases: each caseload was the result of a
    finished worker, freed only when the collector reached the worker's reference cycles, by which time
    the next one was in between. Handed over instead of returned, a replaced caseload goes by reference
    counting alone: with the collector off, no more than the shown caseload and the one loading."""
    from dacli.services.caseload import Listed
    from dacli.tui.app import DacliApp

    user, passphrase = _store(tmp_path / "store")

    async def run() -> int:
        app = DacliApp(tmp_path / "store", user, idle_seconds=600)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, busy = await _caseload(app, pilot, passphrase)
            gc.collect()
            gc.disable()
            try:
                for _ in range(5):
                    before = screen.all_rows
                    screen.refresh_rows()
                    await _wait(pilot, lambda old=before: screen.all_rows is not old and not busy.display)
                    await pilot.pause()
                return sum(1 for o in gc.get_objects() if type(o) is Listed)
            finally:
                gc.enable()

    alive = asyncio.run(run())
    assert alive <= 2 * CASES, f"{alive:,} listed rows alive after 5 reloads of {CASES:,}"


def test_gc_paused_freezes_only_when_asked_and_leaves_the_collector_as_it_was():
    from dacli.perf import gc_paused

    assert gc.isenabled()
    gc.unfreeze()
    try:
        with gc_paused():
            assert not gc.isenabled()
            kept = [[n] for n in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() == 0  # the services' pause: nothing pinned
        with gc_paused(freeze=True), gc_paused(freeze=True):
            pass
        assert gc.isenabled() and gc.get_freeze_count() >= len(kept)  # a one-shot command's pause
        gc.disable()
        try:
            with gc_paused(freeze=True):
                pass
            assert not gc.isenabled()  # left off, as it was found
        finally:
            gc.enable()
    finally:
        gc.unfreeze()
