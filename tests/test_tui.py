"""The dashboard, driven headless with Textual's Pilot against a copy of the example store."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "store"
DEMO = "demo-passphrase"


@pytest.fixture
def example(tmp_path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(EXAMPLE, target)
    return target


async def _wait(pilot, condition, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the dashboard")
        await pilot.pause(0.05)


async def _unlock(app, pilot, passphrase: str = DEMO) -> None:
    from textual.widgets import Input

    await _wait(pilot, lambda: app.screen.__class__.__name__ == "UnlockScreen" and app.screen.is_mounted)
    field = app.screen.query_one("#passphrase", Input)
    field.value = passphrase
    await pilot.press("enter")


def _table(app, screen=None):
    from dacli.tui.widgets import CaseTable

    return (screen or app.screen).query_one(CaseTable)


def test_unlock_wrong_then_right_and_the_caseload_shows_flags(example):
    from textual.widgets import Label, Static

    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600)
        async with app.run_test(size=(120, 40)) as pilot:
            await _unlock(app, pilot, "not the passphrase")
            message = app.screen.query_one("#message", Label)
            await _wait(
                pilot,
                lambda: (
                    "passphrase" in str(message.render()).lower() and "Unlocking" not in str(message.render())
                ),
            )
            assert app.session is None and app.screen.__class__.__name__ == "UnlockScreen"
            await _unlock(app, pilot)
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
            table = _table(app)
            mine = [r for r in table.rows]
            assert mine and all(r.worker == "demo" for r in mine)  # my cases by default
            assert "my cases" in str(app.screen.query_one("#counts", Static).render())
            await pilot.press("m")
            assert len(table.rows) == 13
            assert any("ISSP action" in " ".join(c) for c in table.cells)  # a flag-worthy deadline
            assert any("significant-concerns" in c[-1] for c in table.cells)
            counts = str(app.screen.query_one("#counts", Static).render())
            assert "13 all cases" in counts and "high 2" in counts
            # overdue cases sort first
            flags = [r.overdue for r in table.rows]
            assert flags == sorted(flags, reverse=True)
            await pilot.press("r")  # risk filter: high (the same select() as `case list --risk`)
            assert table.rows and all(r.risk == "high" for r in table.rows)
            await pilot.press("o")  # and overdue only
            assert all(r.overdue and r.risk == "high" for r in table.rows)

    asyncio.run(run())


def test_filter_sort_open_a_case_and_add_a_note_on_disk(example):
    from textual.widgets import Input, Static

    from dacli.services.case_view import show_case
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600)
        async with app.run_test(size=(80, 24)) as pilot:
            await _unlock(app, pilot)
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("m")  # all cases
            await pilot.press("slash")
            for ch in "ailsa":
                await pilot.press(ch)
            await _wait(pilot, lambda: len(_table(app).rows) == 1)
            ref = _table(app).rows[0].ref
            await pilot.press("enter")  # back to the table
            app.screen.query_one("#filter", Input).value = ""
            await _wait(pilot, lambda: len(_table(app).rows) == 13)
            await pilot.press("s")  # sort by reference
            refs = [r.ref for r in _table(app).rows]
            assert refs == sorted(refs)
            while _table(app).rows[_table(app).cursor].ref != ref:
                await pilot.press("down")
            await pilot.press("enter")

            def case_shown() -> bool:
                screen = app.screen
                return type(screen).__name__ == "CaseScreen" and "SAFE" in str(
                    screen.query_one("#safe").render()
                )

            await _wait(pilot, case_shown)
            assert "lantern" in str(
                app.screen.query_one("#safe", Static).render()
            )  # the code word, prominent
            await pilot.press("n")
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "NoteScreen")
            from textual.widgets import TextArea

            assert app.screen.query_one("#initials", Input).value == "D"  # the worker's own, as the CLI's
            app.screen.query_one("#initials", Input).value = "QT"
            await pilot.press("ctrl+s")  # nothing typed in the facts: refused, that field focused
            await _wait(pilot, lambda: "facts" in str(app.screen.query_one("#error").render()).lower())
            assert app.screen.focused is app.screen.query_one("#facts", TextArea)
            await pilot.press(*"Pilot test call:")
            await pilot.press("enter")  # a new line in the text box: never a save of a half-written note
            assert type(app.screen).__name__ == "NoteScreen"
            await pilot.press(*"client safe at the agreed time.")
            assert app.screen.query_one("#facts", TextArea).text == (
                "Pilot test call:\nclient safe at the agreed time."
            )
            await pilot.press("ctrl+s")

            def note_shown() -> bool:
                if type(app.screen).__name__ != "CaseScreen":
                    return False
                timeline = str(app.screen.query_one("#timeline", Static).render())
                return timeline.count(" note ") >= 3

            await _wait(pilot, note_shown)
            # back to the caseload: it loads its rows again, the note counted (no error in the header)
            await pilot.press("escape")
            table = app.caseload_screen.query_one("#table")

            def reloaded() -> bool:
                busy = app.caseload_screen.query_one("#busy")
                return type(app.screen).__name__ == "CaseloadScreen" and not busy.display and table.rows

            await _wait(pilot, reloaded)
            header = str(app.screen.query_one("#counts", Static).render())
            assert "Could not load" not in header and "13 all cases" in header, header
        return ref

    ref = asyncio.run(run())
    session = Store(example).unlock("demo", DEMO)
    notes = [n for _, n in show_case(session, ref).notes]
    assert any(
        n.facts == "Pilot test call:\nclient safe at the agreed time." and n.initials == "QT" for n in notes
    )  # decrypted from disk


def test_idle_lock_hides_case_data(example):
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=3)
        async with app.run_test(size=(80, 24)) as pilot:
            await _unlock(app, pilot)
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("enter")  # a case screen with names and safe contact details is open
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseScreen")

            def locked() -> bool:
                screen = app.screen
                return type(screen).__name__ == "UnlockScreen" and bool(screen.query("#message"))

            await _wait(pilot, locked, timeout=20)
            await pilot.pause()
            assert app.session is None
            names = [s.__class__.__name__ for s in app.screen_stack]
            # the case screen is gone; the caseload screen stays under the lock, emptied of every row
            assert names[-1] == "UnlockScreen" and "CaseScreen" not in names
            assert "Locked" in str(app.screen.query_one("#message").render())
            assert app.caseload_screen.all_rows == [] and _table(app, app.caseload_screen).rows == []
            for screen in app.screen_stack:
                shown = "".join(str(w.render()) for w in screen.query("Static, Label"))
                assert "Testcase" not in shown

    asyncio.run(run())


def test_a_dash_taken_to_14_yes_recommends_marac_and_is_saved(example):
    from textual.widgets import Static

    from dacli.services.dash import dash_history
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600)
        async with app.run_test(size=(120, 40)) as pilot:
            await _unlock(app, pilot)
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
            ref = _table(app).rows[0].ref
            await pilot.press("enter")
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseScreen")
            await pilot.press("c")
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "DashScreen")
            score = app.screen.query_one("#score", Static)
            for _ in range(13):
                await pilot.press("y")
            assert "yes 13" in str(score.render()) and "REFER TO MARAC" not in str(score.render())
            await pilot.press("y")
            text = str(score.render())
            assert "yes 14" in text and "risk high" in text and "REFER TO MARAC" in text
            for _ in range(10):
                await pilot.press("n")
            await pilot.press("s")  # every question answered: on to the professional section
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "ProfessionalScreen")
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseScreen")
        return ref

    ref = asyncio.run(run())
    history = dash_history(Store(example).unlock("demo", DEMO), ref)
    assert history[-1][1].result.yes == 14 and history[-1][1].result.refer_to_marac


def test_complete_a_plan_action_from_the_case_screen(example):
    from textual.widgets import Input, Static

    from dacli.services.issp import latest
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600)
        async with app.run_test(size=(120, 40)) as pilot:
            await _unlock(app, pilot)
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("m")
            app.screen.query_one("#filter", Input).value = "ailsa"
            await _wait(pilot, lambda: len(_table(app).rows) == 1)
            ref = _table(app).rows[0].ref
            _table(app).focus()
            await pilot.press("enter")

            def summary() -> str:
                if type(app.screen).__name__ != "CaseScreen":
                    return ""
                return str(app.screen.query_one("#summary", Static).render())

            await _wait(pilot, lambda: "ACTION 1 OVERDUE" in summary())
            await pilot.press("a")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CompleteActionScreen")
            from textual.widgets import Select

            choice = app.screen.query_one("#number", Select)
            assert [value for _, value in choice._options if isinstance(value, int)] == [1, 2, 3]
            await pilot.press("ctrl+s")  # nothing chosen: refused, the choice focused
            await _wait(pilot, lambda: "choose the action" in str(app.screen.query_one("#error").render()))
            assert app.screen.focused is choice
            choice.value = 1
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "Safety plan v2" in summary() and "ACTION 1 OVERDUE" not in summary())
        return ref

    ref = asyncio.run(run())
    _, plan = latest(Store(example).unlock("demo", DEMO), ref)
    assert plan.version == 2 and plan.actions[0].done is not None


NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)  # the dashboard's clock in the form tests


async def _open_case(app, pilot, name: str) -> str:
    """Unlock, show all cases, filter to the one client and open their case screen; its reference."""
    from textual.widgets import Input

    await _unlock(app, pilot)
    await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
    await pilot.press("m")
    app.screen.query_one("#filter", Input).value = name
    await _wait(pilot, lambda: len(_table(app).rows) == 1)
    ref = _table(app).rows[0].ref
    _table(app).focus()
    await pilot.press("enter")
    await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen" and app.screen.view is not None)
    return ref


def _error(app) -> str:
    return str(app.screen.query_one("#error").render())


def test_record_a_soag_from_the_case_screen(example):
    from textual.widgets import Select

    from dacli.services.soag import soag_history
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600, now=NOW)
        async with app.run_test(size=(80, 24)) as pilot:
            ref = await _open_case(app, pilot, "quilla")
            await pilot.press("g")
            await _wait(pilot, lambda: type(app.screen).__name__ == "SoagScreen")
            severity = app.screen.query_one("#physical-severity", Select)
            assert severity.disabled  # asked only when abuse is occurring
            # by keyboard: physical abuse is occurring (the first choice of the focused select)
            await pilot.press("enter", "up", "up", "up", "enter")
            await _wait(pilot, lambda: app.screen.query_one("#physical-occurring", Select).value == "yes")
            assert not severity.disabled
            assert "Noticeable bruising" in str(app.screen.query_one("#physical-guidance").render())
            await pilot.press("ctrl+s")  # the schema's rule, as `soag record` gives it
            await _wait(pilot, lambda: "must be given" in _error(app))
            assert "Grid refused, nothing written: physical" in _error(app)
            assert app.focused is severity  # the field the refusal names
            severity.value = "high"
            app.screen.query_one("#physical-escalation_severity", Select).value = "worse"
            app.screen.query_one("#physical-escalation_frequency", Select).value = "unchanged"
            app.screen.query_one("#sexual-occurring", Select).value = "no"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")
        return ref

    ref = asyncio.run(run())
    grids = soag_history(Store(example).unlock("demo", DEMO), ref)  # decrypted from disk
    assert len(grids) == 1
    grid = grids[-1][1]
    assert grid.assessed_on == NOW.date()
    assert (grid.physical.occurring, grid.physical.severity, grid.physical.escalation_severity,
            grid.physical.escalation_frequency) == ("yes", "high", "worse", "unchanged")  # fmt: skip
    assert grid.sexual.occurring == "no" and grid.stalking_harassment.occurring == "not-answered"


def test_add_plan_actions_starts_a_plan_and_makes_new_versions(example):
    from textual.widgets import Input, Static

    from dacli.services.issp import plans
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600, now=NOW)
        async with app.run_test(size=(80, 24)) as pilot:
            ref = await _open_case(app, pilot, "quilla")

            def summary() -> str:
                if type(app.screen).__name__ != "CaseScreen":
                    return ""
                return str(app.screen.query_one("#summary", Static).render())

            assert "Safety plan: none on file" in summary()
            await pilot.press("p")
            await _wait(pilot, lambda: type(app.screen).__name__ == "ActionScreen")
            assert "starts version 1" in " ".join(str(s.render()) for s in app.screen.query(".hint"))
            await pilot.press("ctrl+s")  # no risk: refused by the plan schema, nothing written
            await _wait(pilot, lambda: "Action refused, nothing written: risk" in _error(app))
            assert app.focused is app.screen.query_one("#risk", Input)
            for ch in "Threats":
                await pilot.press(ch)
            await pilot.press("enter")  # enter moves to the next field
            assert app.focused is app.screen.query_one("#action", Input)
            app.screen.query_one("#action", Input).value = "Non-molestation order"
            app.screen.query_one("#who", Input).value = "Idva"
            app.screen.query_one("#by", Input).value = "2026-11-20"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "Safety plan v1: 1 open actions" in summary())
            assert "ACTION 1 OVERDUE since 2026-11-20: Non-molestation order" in summary()  # the app's clock
            await pilot.press("p")
            await _wait(pilot, lambda: type(app.screen).__name__ == "ActionScreen")
            assert "makes version 2" in " ".join(str(s.render()) for s in app.screen.query(".hint"))
            app.screen.query_one("#risk", Input).value = "Isolation"
            app.screen.query_one("#by", Input).value = "next week"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "by:" in _error(app))
            assert app.focused is app.screen.query_one("#by", Input)
            app.screen.query_one("#by", Input).value = "2026-12-15"
            await pilot.press("ctrl+s")  # a risk with no agreed action is not an action
            await _wait(pilot, lambda: "action (the agreed action) is not answered" in _error(app))
            assert app.focused is app.screen.query_one("#action", Input)
            app.screen.query_one("#action", Input).value = "Local group"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "Safety plan v2: 2 open actions" in summary())
        return ref

    ref = asyncio.run(run())
    versions = plans(Store(example).unlock("demo", DEMO), ref)  # decrypted from disk
    assert [p.version for _, p in versions] == [1, 2]
    plan = versions[-1][1]
    assert [(a.risk, a.action, a.who, a.by) for a in plan.actions] == [
        ("Threats", "Non-molestation order", "Idva", dt.date(2026, 11, 20)),
        ("Isolation", "Local group", "", dt.date(2026, 12, 15)),
    ]
    assert plan.created_on == NOW.date()


def test_record_a_review_filled_from_the_case(example):
    from textual.widgets import Input, Select

    from dacli.services.case_view import show_case
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600, now=NOW)
        async with app.run_test(size=(80, 24)) as pilot:
            ref = await _open_case(app, pilot, "ailsa")
            await pilot.press("r")
            await _wait(pilot, lambda: type(app.screen).__name__ == "ReviewScreen")
            await _wait(pilot, lambda: "ISSP in place: yes" in str(app.screen.query_one("#filled").render()))
            filled = str(app.screen.query_one("#filled").render())
            assert "risk at intake standard, now high" in filled and "See GP about the injury" in filled
            # nothing is answered for the worker: the yes/no questions and the outcome start unchosen
            for key in ("engaged", "new_concerns", "outcome"):
                assert app.screen.query_one(f"#{key}", Select).value is Select.NULL
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "professional_judgement" in _error(app))
            assert _error(app).startswith("Review refused, nothing written: engaged, new_concerns,")
            assert "outcome are not answered" in _error(app)
            assert app.focused is app.screen.query_one("#engaged", Select)
            app.screen.query_one("#engaged", Select).value = True
            app.screen.query_one("#new_concerns", Select).value = False
            app.screen.query_one("#outcome", Select).value = "continue"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: _error(app).endswith("client_perception are not answered."))
            assert app.focused is app.screen.query_one("#professional_judgement", Input)
            for key, text in (
                ("professional_judgement", "Risk remains high; bail conditions holding."),
                ("worker_perception", "Safer since the exclusion zone."),
                ("client_perception", "Feels safer at home."),
                ("new_actions", "Chase the non-molestation order; refer to Marac"),
                ("reasons", "Engaging well; order not yet in place"),
            ):
                app.screen.query_one(f"#{key}", Input).value = text
            app.screen.query_one("#new_concerns", Select).value = True
            await pilot.press("ctrl+s")  # new concerns need a comment (the schema's rule)
            await _wait(pilot, lambda: "new_concerns_comment" in _error(app))
            assert app.focused is app.screen.query_one("#new_concerns_comment", Input)
            app.screen.query_one("#new_concerns_comment", Input).value = "Perpetrator seen near the office."
            app.screen.query_one("#outcome", Select).value = "scale-down"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")
            await _wait(pilot, lambda: not app.screen.query_one("#busy").display)  # reloaded
        return ref

    ref = asyncio.run(run())
    view = show_case(Store(example).unlock("demo", DEMO), ref)  # decrypted from disk
    _, review = view.reviews[-1]
    assert review.outcome == "scale-down" and review.reviewed_on == NOW.date() and review.engaged
    assert review.reasons == ["Engaging well", "order not yet in place"]
    assert review.new_actions == ["Chase the non-molestation order", "refer to Marac"]
    assert review.new_concerns and review.filled.issp_in_place and review.filled.risk_now == "high"


def test_the_palette_offers_dacli_commands_and_nothing_saves_the_screen(example, tmp_path, monkeypatch):
    """Textual's palette offers 'Screenshot', which writes the open case (safe number, code word) as an SVG
    to ~/Downloads; TEXTUAL_LOG writes every key typed. The palette here lists dacli's own commands, and no
    way of saving the screen (the action, save_screenshot, deliver_*, the environment) writes a file."""
    import io

    from textual import constants
    from textual.command import CommandList, CommandPalette
    from textual.widgets import Input

    from dacli.tui.app import DacliApp

    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(home / "Downloads"))
    monkeypatch.chdir(home)
    log = tmp_path / "textual.log"
    monkeypatch.setattr(constants, "LOG_FILE", str(log))
    monkeypatch.setattr(constants, "SCREENSHOT_DELAY", 60)

    async def palette(app, pilot) -> list[str]:
        await pilot.press("ctrl+p")
        await _wait(pilot, lambda: isinstance(app.screen, CommandPalette))
        commands = app.screen.query_one(CommandList)
        await _wait(pilot, lambda: commands.option_count > 0)
        await pilot.pause(0.3)
        return [
            str(commands.get_option_at_index(i).prompt).split("\n")[0] for i in range(commands.option_count)
        ]

    async def run():
        app = DacliApp(example, "demo", idle_seconds=600)
        async with app.run_test(size=(120, 40)) as pilot:
            await _unlock(app, pilot)
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "CaseloadScreen" and _table(app).rows)
            titles = await palette(app, pilot)
            assert {"Open the case", "Filter", "My cases, or every case", "Lock", "Help", "Quit"} <= set(
                titles
            ), titles
            for textual_own in ("Screenshot", "Theme", "Keys", "Maximize", "Minimize"):
                assert not any(textual_own in t for t in titles), titles
            search = app.screen.query_one(Input)
            search.value = "screensh"
            await pilot.pause(0.5)
            assert app.screen.query_one(CommandList).option_count == 0
            search.value = "open case"
            await _wait(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
            await pilot.press("enter")  # the palette runs dacli's own action
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")
            case_titles = await palette(app, pilot)
            assert {"Note", "Dash", "Soag", "Review", "Back", "Lock"} <= set(case_titles), case_titles
            await pilot.press("escape")
            # every way Textual has of saving the screen, with the case on it
            await app.run_action("screenshot")
            app.action_screenshot("case.svg", str(home))
            app.save_screenshot("case.svg", str(home))
            app.deliver_screenshot("case.svg", str(home))
            app.deliver_text(io.StringIO("x"), save_directory=str(home), save_filename="case.txt")
            app.deliver_binary(io.BytesIO(b"x"), save_directory=str(home), save_filename="case.bin")
            await pilot.pause(0.5)

    asyncio.run(run())
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written == [] and not log.exists()
