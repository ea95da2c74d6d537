"""The dashboard at any size (issue 16): the caseload's columns chosen by width, the header in the table,
a cursor unlike an overdue row; the keys of every screen in one table, on screen and in the README; forms
that ask before throwing typed words away."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from dacli.tui.widgets import COLUMNS, GUTTER, layout
from tests.test_tui import DEMO, EXAMPLE, NOW, _table, _unlock, _wait

README = Path(__file__).resolve().parent.parent / "README.md"


def _names(width: int) -> list[str]:
    return [COLUMNS[i].name for i, _ in layout(width)]


def _used(width: int) -> int:
    shown = layout(width)
    return GUTTER + sum(w for _, w in shown) + len(shown) - 1


@pytest.mark.parametrize("width", [60, 79, 80, 100, 120, 160, 200])
def test_the_columns_fill_the_width_and_never_pass_it(width):
    names = _names(width)
    for always in ("reference", "client", "risk", "next deadline", "flags"):
        assert always in names
    assert _used(width) == width or (_used(width) > width and names == _names(60))


def test_columns_go_in_their_order_as_the_table_narrows():
    assert _names(200) == [c.name for c in COLUMNS]
    assert "last contact" not in _names(100)
    assert _names(80) == ["reference", "client", "risk", "next deadline", "flags"]
    widths = dict((COLUMNS[i].name, w) for i, w in layout(160))
    assert widths["flags"] >= 30  # at 160 columns a flag like 'closure-candidate' is whole
    assert widths["next deadline"] >= 34


def _app(tmp_path):
    from dacli.tui.app import DacliApp

    store = tmp_path / "store"
    shutil.copytree(EXAMPLE, store)
    return DacliApp(store, "demo", idle_seconds=600, now=NOW)


def test_at_80_columns_every_column_header_and_row_line_up(tmp_path):
    app = _app(tmp_path)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _unlock(app, pilot, DEMO)
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            await _wait(pilot, lambda: not app.screen.query_one("#busy").display)
            await pilot.pause()  # laid out without the loading indicator (which would bring a scrollbar)
            table = _table(app)
            assert table.columns == ["reference", "client", "risk", "next deadline", "flags"]
            header = table.render_line(0).text
            first = table.render_line(1).text
            assert len(header) == len(first) == 80
            assert header.index("next deadline") > header.index("risk") > header.index("client")
            assert first.startswith(">")  # the cursor's row
            second = table.render_line(2).text
            assert second[0] == " "
            overdue = [r for r in table.rows if r.overdue]
            assert overdue  # the example store has overdue cases: marked '!', not like the cursor
            at = table.rows.index(overdue[-1])
            if at:
                assert table.render_line(at + 1).text[:2] == " !"
            footer = " ".join(str(w.render()) for w in app.screen.query("FooterKey"))
            for word in ("Help", "Lock", "Quit", "Open"):
                assert word in footer
            widths = [w.region.right for w in app.screen.query("FooterKey")]
            assert max(widths) <= 80

    asyncio.run(run())


def test_the_help_fits_80_columns_and_lists_every_screens_keys(tmp_path):
    from dacli.tui.screens.help import KEYS, help_text

    assert max(map(len, help_text().splitlines())) <= 76
    app = _app(tmp_path)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _unlock(app, pilot, DEMO)
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("question_mark")
            await _wait(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            box = app.screen.query_one("#help")
            assert box.region.width <= 80 and box.region.height <= 24
            await pilot.press("escape")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen")

    asyncio.run(run())
    assert KEYS


def _shown(key: str) -> str:
    return {"question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]"}.get(
        key, key
    )


@pytest.mark.parametrize(
    ("section", "screen"),
    [
        ("Caseload", "dacli.tui.screens.caseload:CaseloadScreen"),
        ("Case", "dacli.tui.screens.case:CaseScreen"),
        ("Dash", "dacli.tui.screens.dash:DashScreen"),
        ("Forms", "dacli.tui.screens.form:FormScreen"),
        ("Reports", "dacli.tui.screens.report:ReportScreen"),
    ],
)
def test_every_key_of_a_screen_is_in_the_help(section, screen):
    import importlib

    from dacli.tui.screens.help import KEYS

    module, name = screen.split(":")
    cls = getattr(importlib.import_module(module), name)
    listed = " ".join(k for k, _ in KEYS[section] + KEYS["Anywhere"] + KEYS["Caseload"][:2])
    for binding in cls.BINDINGS:
        key = _shown(binding.key)
        assert re.search(rf"(?<!\S){re.escape(key)}(?![^\s,])", listed), f"{section}: {key} not in the help"


def test_the_readme_lists_every_key():
    from dacli.tui.screens.help import KEYS

    text = README.read_text()
    for screen, rows in KEYS.items():
        for keys, what in rows:
            assert f"| {screen} | `{keys}` | {what} |" in text, (screen, keys)


async def _note_form(app, pilot) -> None:
    """Unlock, open Ailsa's case and its note form."""
    from tests.test_tui import _open_case

    await _open_case(app, pilot, "ailsa")
    await pilot.press("n")
    await _wait(pilot, lambda: type(app.screen).__name__ == "NoteScreen")


def test_escape_on_a_form_with_typed_words_asks_first(tmp_path):
    from textual.widgets import TextArea

    app = _app(tmp_path)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _note_form(app, pilot)
            await pilot.press("escape")  # nothing typed: closes at once
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")
            await pilot.press("n")
            await _wait(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
            await pilot.press(*"Half a note")
            assert app.screen.query_one("#facts", TextArea).text == "Half a note"
            await pilot.press("escape")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DiscardScreen")
            await pilot.press("n")  # keep typing: the words are still there
            await _wait(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
            assert app.screen.query_one("#facts", TextArea).text == "Half a note"
            await pilot.press("escape")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DiscardScreen")
            await pilot.press("y")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")

    asyncio.run(run())


def test_the_dashboard_uses_a_running_unlock_agent_but_a_lock_asks_for_the_passphrase(tmp_path):
    import os
    import subprocess
    import sys

    app = _app(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")}
    env.update(
        DACLI_STORE=str(app.store_path),
        DACLI_USER="demo",
        DACLI_AGENT_DIR=os.environ["DACLI_AGENT_DIR"],
        DACLI_PASSPHRASE=DEMO,
    )
    started = subprocess.run(
        [sys.executable, "-m", "dacli", "unlock", "--idle", "5"], env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            assert app.session is not None  # no passphrase typed
            await pilot.press("ctrl+l")
            await _wait(pilot, lambda: type(app.screen).__name__ == "UnlockScreen")
            await pilot.pause(0.5)
            assert type(app.screen).__name__ == "UnlockScreen" and app.session is None

    try:
        asyncio.run(run())
    finally:
        subprocess.run([sys.executable, "-m", "dacli", "lock"], env=env, capture_output=True)


def test_a_notes_brackets_are_shown_as_typed_never_as_markup(tmp_path):
    from textual.widgets import Static

    from dacli import clock
    from dacli.services.notes import add_note, parse_note
    from dacli.store.store import Store

    app = _app(tmp_path)
    session = Store(app.store_path).unlock("demo", DEMO)
    text = "She said he [sic] would come back. Police ref [/] pending. [@click=app.quit]x[/]"
    note = {"at": NOW, "initials": "D", "contact_type": "telephone", "contact_with": "client", "facts": text}

    async def run() -> None:
        async with app.run_test(size=(160, 45)) as pilot:
            from tests.test_tui import _open_case

            shown = await _open_case(app, pilot, "ailsa")
            add_note(session, shown, parse_note(note, clock.to_utc(NOW)))
            app.screen.load()
            await _wait(pilot, lambda: "[sic]" in str(app.screen.query_one("#timeline", Static).render()))
            assert text in str(app.screen.query_one("#timeline", Static).render())
            assert type(app.screen).__name__ == "CaseScreen"  # nothing clicked, nothing quit

    asyncio.run(run())


def test_quitting_with_words_typed_in_a_form_asks_first(tmp_path):
    app = _app(tmp_path)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _note_form(app, pilot)
            await pilot.press(*"she told me")
            await pilot.press("ctrl+q")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DiscardScreen")
            await pilot.press("n")
            await _wait(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
            assert app.return_code is None  # still running, the words still there
            await pilot.press("ctrl+q")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DiscardScreen")
            await pilot.press("y")
            await _wait(pilot, lambda: app.return_code == 0)

    asyncio.run(run())


def test_every_screen_opens_at_200x60(tmp_path):
    """The large end of the sizes the issue names: every screen opens and lays out inside 200x60."""
    from tests.test_tui import _open_case

    app = _app(tmp_path)

    async def run() -> None:
        async with app.run_test(size=(200, 60)) as pilot:
            await _open_case(app, pilot, "ailsa")
            for key, name in (
                ("x", "CloseScreen"),
                ("l", "PlanScreen"),
                ("e", "ActsScreen"),
                ("c", "DashScreen"),
            ):
                await pilot.press(key)
                await _wait(pilot, lambda name=name: type(app.screen).__name__ == name)
                await pilot.pause()
                parts = [w for w in app.screen.children if w.display]  # a form scrolls inside its own part
                assert parts and all(w.region.right <= 200 and w.region.bottom <= 60 for w in parts), name
                await pilot.press("escape")
                await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")
            await pilot.press("escape", "d")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DayScreen")

    asyncio.run(run())
