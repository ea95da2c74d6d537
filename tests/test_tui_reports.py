"""The manager's report screen (issue 17): `p` on the caseload shows this quarter's caseload report with
its bars, the same lines `dacli report caseload` prints; `[` and `]` step a quarter, `t` the next report;
a caseworker is told the reports are for seniors and managers."""

from __future__ import annotations

import asyncio
import shutil

from dacli.tui.screens.report import step
from tests.test_tui import DEMO, EXAMPLE, NOW, _table, _unlock, _wait


def _app(tmp_path, user: str = "demo"):
    from dacli.tui.app import DacliApp

    store = tmp_path / "store"
    shutil.copytree(EXAMPLE, store)
    return DacliApp(store, user, idle_seconds=600, now=NOW)


def _text(app) -> str:
    from textual.widgets import Static

    return str(app.screen.query_one("#report", Static).render())


def _title(app) -> str:
    from textual.widgets import Static

    return str(app.screen.query_one("#report-title", Static).render())


def test_quarters_step_across_years():
    assert step("2026Q4", 1) == "2027Q1" and step("2027Q1", -1) == "2026Q4"
    assert step("2026Q2", -5) == "2025Q1" and step("2026Q3", 0) == "2026Q3"


def test_the_report_screen_shows_the_caseload_report_and_steps_through_quarters_and_reports(tmp_path):
    from dacli import clock
    from dacli.rules.reports import period, text_lines
    from dacli.services.reports import caseload
    from dacli.store.store import Store

    app = _app(tmp_path)

    async def run() -> None:
        async with app.run_test(size=(100, 40)) as pilot:
            await _unlock(app, pilot, DEMO)
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("p")
            await _wait(pilot, lambda: type(app.screen).__name__ == "ReportScreen" and _text(app))
            assert _title(app).startswith("Caseload report, 2026Q4 so far (2026-10-01 to 2026-11-24)")
            with clock.pinned(NOW):  # the same figures as the command's, line for line
                session = Store(tmp_path / "store").unlock("demo", DEMO)
                lines = text_lines(
                    caseload(session, period(NOW.date(), start=NOW.date().replace(day=1, month=10)))
                )
            assert _text(app).splitlines() == lines[2:]
            assert "first contact within 48 hours" in _text(app) and "#" in _text(app)  # a bar
            await pilot.press("left_square_bracket")
            await _wait(pilot, lambda: _title(app).startswith("Caseload report, 2026Q3 (2026-07-01"))
            await pilot.press("t")
            await _wait(pilot, lambda: _title(app).startswith("Marac report, 2026Q3"))
            assert "Marac referrals made in the period" in _text(app)
            await pilot.press("t", "t")
            await _wait(pilot, lambda: _title(app).startswith("Safe-accommodation report, 2026Q3"))
            await pilot.press("right_square_bracket", "right_square_bracket")
            await _wait(pilot, lambda: "2027Q1 has not begun yet" in _title(app))
            await pilot.press("escape")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen")

    asyncio.run(run())


def test_a_caseworker_is_told_reports_are_for_seniors_and_managers(tmp_path):
    app = _app(tmp_path, "sam.cw")

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _unlock(app, pilot, DEMO)
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("p")
            await _wait(
                pilot, lambda: type(app.screen).__name__ == "ReportScreen" and "this needs" in _title(app)
            )
            assert "sam.cw is a caseworker; this needs a senior or manager." in _title(app)
            assert _text(app) == ""

    asyncio.run(run())
