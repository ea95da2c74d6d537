"""Snapshots of the dashboard's main screens (pytest-textual-snapshot), at 80x24 and 160x45.

The example store is copied to a temporary folder (its people, references and records are fixed on disk),
the app's clock is pinned, and the colours, theme and animations are set here rather than taken from the
machine, so a picture depends neither on the day nor on the terminal the tests run in. After a deliberate
change to a screen: `python -m pytest tests/test_tui_snapshots.py --snapshot-update`, then look at the
SVGs in tests/__snapshots__/test_tui_snapshots/ before committing them.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from tests.test_tui import DEMO, EXAMPLE, _table, _unlock, _wait

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]


@pytest.fixture
def app(tmp_path, monkeypatch):
    import textual.constants

    from dacli.tui.app import DacliApp

    for key in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "truecolor")
    monkeypatch.setattr(textual.constants, "FILTERS", "")
    monkeypatch.setattr(textual.constants, "DEFAULT_THEME", "textual-dark")
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    store = tmp_path / "store"
    shutil.copytree(EXAMPLE, store)
    app = DacliApp(store, "demo", idle_seconds=600, now=NOW)
    app.theme = "textual-dark"
    return app


async def _settle(pilot) -> None:
    """No blinking cursor and nothing still loading when the picture is taken."""
    from textual.widgets import Input

    app = pilot.app
    await _wait(pilot, lambda: all(not w.display for w in app.screen.query("LoadingIndicator")))
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def _caseload(pilot) -> None:
    app = pilot.app
    await _unlock(app, pilot, DEMO)
    await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)


async def _case(pilot, name: str = "ailsa") -> None:
    from textual.widgets import Input

    app = pilot.app
    await _caseload(pilot)
    await pilot.press("m")
    app.screen.query_one("#filter", Input).value = name
    await _wait(pilot, lambda: len(_table(app).rows) == 1)
    _table(app).focus()
    await pilot.press("enter")
    await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen" and app.screen.view is not None)


@pytest.mark.parametrize("size", SIZES)
def test_unlock_screen(app, snap_compare, size):
    async def before(pilot):
        await _wait(pilot, lambda: type(app.screen).__name__ == "UnlockScreen" and app.screen.is_mounted)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_caseload_all_cases(app, snap_compare, size):
    async def before(pilot):
        await _caseload(pilot)
        await pilot.press("m")
        await _wait(pilot, lambda: len(_table(app).rows) == 13)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_case_screen(app, snap_compare, size):
    async def before(pilot):
        await _case(pilot)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_soag_form_with_abuse_occurring(app, snap_compare, size):
    async def before(pilot):
        from textual.widgets import Select

        await _case(pilot, "quilla")
        await pilot.press("g")
        await _wait(pilot, lambda: type(app.screen).__name__ == "SoagScreen")
        app.screen.query_one("#physical-occurring", Select).value = "yes"
        app.screen.query_one("#physical-severity", Select).value = "moderate"
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_review_form_filled_from_the_case(app, snap_compare, size):
    async def before(pilot):
        await _case(pilot)
        await pilot.press("r")
        await _wait(pilot, lambda: type(app.screen).__name__ == "ReviewScreen")
        await _wait(pilot, lambda: "ISSP in place" in str(app.screen.query_one("#filled").render()))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_note_form_half_typed(app, snap_compare, size):
    async def before(pilot):
        await _case(pilot)
        await pilot.press("n")
        await _wait(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        await pilot.press(*"Called the client at the agreed time.")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_my_day(app, snap_compare, size):
    async def before(pilot):
        await _caseload(pilot)
        await pilot.press("d")
        await _wait(pilot, lambda: type(app.screen).__name__ == "DayScreen" and app.screen.day is not None)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_help(app, snap_compare, size):
    async def before(pilot):
        await _caseload(pilot)
        await pilot.press("question_mark")
        await _wait(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_close_form_refused_with_its_field_focused(app, snap_compare, size):
    async def before(pilot):
        await _case(pilot)
        await pilot.press("x")
        await _wait(pilot, lambda: type(app.screen).__name__ == "CloseScreen")
        await pilot.press("ctrl+s")
        await _wait(pilot, lambda: "not answered" in str(app.screen.query_one("#error").render()))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_every_form_of_a_case_in_one_menu(app, snap_compare, size):
    async def before(pilot):
        await _case(pilot)
        await pilot.press("e")
        await _wait(pilot, lambda: type(app.screen).__name__ == "ActsScreen")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)
