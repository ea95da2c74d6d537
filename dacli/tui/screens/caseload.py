"""The caseload screen: every case from the caseload index (no case decrypted), overdue cases first; type
to filter; keys to sort, to switch between my cases and all, and to filter by risk or flag; counts by risk
level in the header."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Input,
    LoadingIndicator,
    Static,
)
from textual.worker import Worker, WorkerState, get_current_worker

from dacli.errors import DacliError
from dacli.tui.widgets import CaseTable, row_cells

SORTS = ("deadline", "reference", "client", "worker", "risk", "last contact")
RISK_ORDER = {"high": 0, "medium": 1, "standard": 2, None: 3}


class CaseloadScreen(Screen):
    BINDINGS = [  # short words: the footer fits 80 columns (`?` lists them in full)
        Binding("question_mark", "app.help", "Help"),
        Binding("d", "day", "Day", tooltip="My day: overdue, today, this week, sign-offs"),
        Binding("slash", "filter", "Filter"),
        Binding("f", "find", "Find", tooltip="Find in the notes", show=False),
        Binding("m", "mine", "Mine/all", tooltip="My cases, or every case"),
        Binding("i", "intake", "Intake", tooltip="Take a new referral (the urgent details first)"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column", show=False),
        Binding("r", "risk", "Risk", tooltip="Show one risk level, then the next"),
        Binding("o", "overdue", "Overdue", tooltip="Overdue cases only, or all"),
        Binding("p", "reports", "Reports", tooltip="Reports (seniors and managers)", show=False),
        Binding("ctrl+l", "app.lock", "Lock"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_rows: list = []
        self.mine = True
        self.sort = 0
        self.risk: str | None = None
        self.only_overdue = False

    def compose(self) -> ComposeResult:
        yield Static("", id="counts", markup=False)
        yield Input(placeholder="type to filter (reference, name, worker, flag)", id="filter")
        yield CaseTable(id="table")
        yield LoadingIndicator(id="busy")
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p still opens it (see ?)

    def start(self) -> None:
        """Load the caseload for the session just unlocked (the screen itself was built while the
        passphrase was being typed, so only the rows remain to do)."""
        self.query_one("#busy").display = True
        self.query_one("#counts", Static).update("")
        self.query_one(CaseTable).focus()  # now, so the footer settles while the rows load
        self.load(self.app.session)

    def clear(self) -> None:
        """Drop every row (on lock): nothing of a case stays on this screen or in it."""
        self.all_rows = []
        self.query_one(CaseTable).set_rows([])
        self.query_one("#counts", Static).update("")
        self.query_one("#filter", Input).value = ""

    @work(thread=True, exclusive=True, group="caseload", exit_on_error=False)
    def load(self, session):
        from dacli.services.caseload import listing

        counts = self.query_one("#counts", Static)

        def progress(done: int, total: int) -> None:  # a new computer's first caseload: many rows to build
            text = f"Building this computer's caseload: {done:,} of {total:,} cases"
            self.app.call_from_thread(counts.update, text)

        session.on_progress = progress
        try:
            rows = listing(session, now=self.app.now())
        finally:
            session.on_progress = None
        # handed over, not returned: a finished worker sits in reference cycles until the collector runs,
        # and each caseload it held stayed in memory that long (1.6x after ten reloads at 20,000 cases)
        if not get_current_worker().is_cancelled:  # a newer load took its place
            self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: list) -> None:
        if self.app.session is None:  # locked while loading: the rows are not shown
            return
        self.query_one("#busy").display = False
        first = not self.all_rows  # after unlock: my cases if I have any; a reload keeps the view chosen
        self.all_rows = rows
        if first:
            self.mine = any(r.worker == self.app.session.member.username for r in self.all_rows)
        self.apply()
        self.query_one(CaseTable).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "caseload":
            return
        if self.app.session is None:  # locked while loading: the rows are not shown
            return
        if event.state == WorkerState.ERROR:
            self.query_one("#busy").display = False
            error = event.worker.error
            self.query_one("#counts", Static).update(
                error.message
                if isinstance(error, DacliError)
                else f"Could not load ({type(error).__name__})."
            )

    def apply(self) -> None:
        me = self.app.session.member.username
        words = self.query_one("#filter", Input).value.strip().lower().split()
        from dacli.services.caseload import select

        rows = select(
            self.all_rows, worker=me if self.mine else None, risk=self.risk, only_overdue=self.only_overdue
        )
        if words:
            today = self.app.today()
            rows = [r for r in rows if all(w in " ".join(row_cells(r, today)).lower() for w in words)]
        key = SORTS[self.sort]
        if key == "reference":
            rows.sort(key=lambda r: r.ref)
        elif key == "client":
            rows.sort(key=lambda r: r.client.lower())
        elif key == "worker":
            rows.sort(key=lambda r: (r.worker, r.ref))
        elif key == "risk":
            rows.sort(key=lambda r: (RISK_ORDER.get(r.risk, 3), r.ref))
        elif key == "last contact":
            rows.sort(key=lambda r: r.contact_at or "", reverse=True)
        self.query_one(CaseTable).set_rows(rows)
        counts = {k: sum(1 for r in rows if r.risk == k) for k in ("high", "medium", "standard")}
        unassessed = sum(1 for r in rows if not r.risk)
        scope = "my cases" if self.mine else "all cases"
        extra = "".join(
            [f" | risk {self.risk}" if self.risk else "", " | overdue only" if self.only_overdue else ""]
        )
        self.query_one("#counts", Static).update(
            f"{len(rows)} {scope} | high {counts['high']} | medium {counts['medium']} | standard "
            f"{counts['standard']} | not assessed {unassessed} | overdue {sum(1 for r in rows if r.overdue)} "
            f"| sort: {key}{extra}"
        )

    @on(Input.Changed, "#filter")
    def filtered(self) -> None:
        self.apply()

    @on(Input.Submitted, "#filter")
    def to_table(self) -> None:
        self.query_one(CaseTable).focus()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_day(self) -> None:
        from dacli.tui.screens.day import DayScreen

        self.app.push_screen(DayScreen())

    def action_reports(self) -> None:
        from dacli.tui.screens.report import ReportScreen

        self.app.push_screen(ReportScreen())

    def action_find(self) -> None:
        from dacli.tui.screens.find import FindScreen

        def chosen(ref: str | None) -> None:
            if ref:
                self.app.call_later(self.app.open_case, ref)

        if self.app.session is not None:
            self.app.push_screen(FindScreen(), chosen)

    def action_intake(self) -> None:
        from dacli.tui.screens.intake import UrgentIntakeScreen

        if self.app.session is not None:
            self.app.push_screen(UrgentIntakeScreen())

    def action_mine(self) -> None:
        self.mine = not self.mine
        self.apply()

    def action_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)
        self.apply()

    def action_risk(self) -> None:
        order = [None, "high", "medium", "standard", "none"]
        self.risk = order[(order.index(self.risk) + 1) % len(order)]
        self.apply()

    def action_overdue(self) -> None:
        self.only_overdue = not self.only_overdue
        self.apply()

    def refresh_rows(self) -> None:
        self.query_one("#busy").display = True
        self.load(self.app.session)
