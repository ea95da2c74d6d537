"""The manager's screen: a report for a quarter, with its bars (`services.reports`, the same figures and the
same lines as `dacli report`). Seniors and managers; opens on the caseload report for this quarter."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from dacli.errors import DacliError

KINDS = ("caseload", "marac", "outcomes", "safe_accommodation")


def quarter_of(day) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def step(quarter: str, by: int) -> str:
    """The quarter ``by`` quarters after ``quarter`` (before, when negative)."""
    year, q = int(quarter[:4]), int(quarter[5])
    n = year * 4 + q - 1 + by
    return f"{n // 4}Q{n % 4 + 1}"


class ReportScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("left_square_bracket", "quarter(-1)", "Previous quarter"),
        Binding("right_square_bracket", "quarter(1)", "Next quarter"),
        Binding(
            "t", "kind", "Report", tooltip="The next report (caseload, Marac, outcomes, safe accommodation)"
        ),
        Binding("ctrl+l", "app.lock", "Lock"),
        Binding("question_mark", "app.help", "Help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind = "caseload"
        self.quarter = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="report-title", classes="form-title", markup=False)
        with VerticalScroll(id="report-scroll"):
            yield Static("", id="report", markup=False)
        yield LoadingIndicator(id="busy")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.quarter = quarter_of(self.app.now().date())
        self.load()

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def load(self):
        from dacli.rules.reports import period
        from dacli.services import reports

        today = self.app.now().date()
        if self.quarter == quarter_of(today):
            chosen = period(today)  # this quarter so far
        else:
            chosen = period(today, quarter=self.quarter)
            if chosen.start > today:
                from dacli.errors import InvalidInput

                raise InvalidInput(f"{self.quarter} has not begun yet: [ goes back a quarter.")
        return getattr(reports, self.kind)(self.app.session, chosen)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "report" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.query_one("#busy").display = False
        title = self.query_one("#report-title", Static)
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            why = type(error).__name__
            title.update(error.message if isinstance(error, DacliError) else f"Could not count ({why}).")
            self.query_one("#report", Static).update("")
            return
        from dacli.rules.reports import text_lines

        lines = text_lines(event.worker.result)
        title.update(f"{lines[0]}  [ ] quarter, t report")
        self.query_one("#report", Static).update("\n".join(lines[1:]).lstrip("\n"))
        self.query_one("#report-scroll").focus()

    def reload(self) -> None:
        self.query_one("#busy").display = True
        self.load()

    def action_quarter(self, by: int) -> None:
        self.quarter = step(self.quarter, by)
        self.reload()

    def action_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
