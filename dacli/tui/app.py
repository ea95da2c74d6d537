"""The caseload dashboard: `dacli tui`.

It reads and writes the same store through the same services as the CLI (`services.admin`,
`services.caseload`, `services.case_view` and one module per domain), so the two can never disagree. Screens:

- unlock: user and passphrase (masked); a wrong passphrase is one sentence, never a traceback; the unlock
  (scrypt) runs in a worker thread with a loading indicator;
- caseload: every case from the caseload index (no case decrypted), drawn by a virtual table that renders
  only the visible rows (Textual's line API), overdue cases first; type to filter; keys to sort, to switch
  between my cases and all, and to filter by risk or flag; counts by risk level in the header;
- case: safe contact advice first, flags, deadlines, the safety plan's overdue actions, consent, disclosures,
  Marac and court dates, the Dash trend as a sparkline, and the timeline; `n` adds a case note, `c` takes a
  Dash checklist, `g` records a Soag, `p` adds a safety-plan action, `a` completes one, `r` records a review.

Every form reads and checks what was typed with the service's own parser (the CLI's rules and messages),
shows a refusal inline and saves in a worker thread. Dates and deadlines come from the app's clock
(``DacliApp(now=...)``), the real one unless a test pins it.

It locks itself after ``idle_seconds`` without a key press or click, dropping the session and every screen
that showed case data. Nothing on screen is ever written to disk: Textual's screenshots (its palette's
'Screenshot', ``action_screenshot``, ``save_screenshot``, ``deliver_*``, ``TEXTUAL_SCREENSHOT``), its log
file (``TEXTUAL_LOG``, which records every key) and its devtools are switched off, and the command palette
offers dacli's own commands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Sparkline,
    Static,
)
from textual.worker import Worker, WorkerState

from dacli import clock
from dacli.errors import DacliError

_clock = (
    clock.boottime
)  # seconds that keep counting while the machine sleeps (a laptop closed overnight is locked)


COLUMNS = (("reference", 15), ("client", 24), ("worker", 10), ("status", 7), ("risk", 9),
           ("last contact", 12), ("next deadline", 34), ("flags", 40))  # fmt: skip
SORTS = ("deadline", "reference", "client", "worker", "risk", "last contact")
RISK_ORDER = {"high": 0, "medium": 1, "standard": 2, None: 3}


class UnlockScreen(Screen):
    """User and passphrase. Nothing about any case is shown until the store is unlocked."""

    BINDINGS = [Binding("escape", "app.quit", "Quit")]

    def __init__(self, user: str | None, message: str = "") -> None:
        super().__init__()
        self.user = user
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock"):
            yield Label("dacli: unlock the case store", id="title")
            yield Input(value=self.user or "", placeholder="user", id="user")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            yield Button("Unlock", variant="primary", id="go")
            yield Label(self.message, id="message")
            yield LoadingIndicator(id="busy")
        yield Footer()

    def on_mount(self) -> None:
        for busy in self.query("#busy"):
            busy.display = False
        for field in self.query("#passphrase" if self.user else "#user"):
            field.focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#go")
    def submit(self) -> None:
        user = self.query_one("#user", Input).value.strip()
        secret = self.query_one("#passphrase", Input).value
        if not user or not secret:
            self.query_one("#message", Label).update("Give your user name and passphrase.")
            return
        self.query_one("#busy").display = True
        self.query_one("#message", Label).update("Unlocking...")
        self.unlock(user, secret)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def unlock(self, user: str, secret: str):
        from dacli.services.admin import open_store, unlock

        return unlock(open_store(self.app.store_path), user, secret)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "unlock" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.query_one("#busy").display = False
        passphrase = self.query_one("#passphrase", Input)
        passphrase.value = ""
        if event.state == WorkerState.SUCCESS:
            self.app.unlocked(event.worker.result)
            return
        error = event.worker.error
        text = (
            error.message if isinstance(error, DacliError) else f"Could not unlock ({type(error).__name__})."
        )
        self.query_one("#message", Label).update(text)
        passphrase.focus()


class CaseTable(ScrollView, can_focus=True):
    """A virtual table: only the visible rows are drawn, so 20,000 cases cost what a screenful costs."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home", "move(-1000000)", "Top", show=False),
        Binding("end", "move(1000000)", "End", show=False),
        Binding("enter", "open", "Open case"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list = []
        self._cells: dict[int, tuple[str, ...]] = {}
        self.cursor = 0
        self.width = sum(w + 1 for _, w in COLUMNS)

    def set_rows(self, rows: list) -> None:
        self.rows = rows
        self._cells: dict[int, tuple[str, ...]] = {}  # only rows that were drawn
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        self.virtual_size = Size(self.width, len(rows))
        self.refresh()

    @property
    def cells(self) -> list[tuple[str, ...]]:
        """Every row's cells (for tests and searches; drawing computes only the visible ones)."""
        return [row_cells(r) for r in self.rows]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        if index >= len(self.rows):
            return Strip.blank(self.size.width, self.rich_style)
        row = self.rows[index]
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = row_cells(row)
        text = " ".join(c[:w].ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True))
        style = Style(color="red", bold=True) if row.overdue else Style()
        if index == self.cursor:
            style += Style(reverse=True)
        strip = Strip([Segment(text, style)], len(text))
        return strip.crop(scroll_x, scroll_x + self.size.width)

    def action_move(self, delta: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        top = self.scroll_offset.y
        height = max(self.size.height, 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        self.refresh()

    def action_open(self) -> None:
        if self.rows:
            self.app.push_screen(CaseScreen(self.rows[self.cursor].ref))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.refresh()
            if event.chain == 2:
                self.action_open()


def row_cells(r) -> tuple[str, ...]:
    nxt = "-"
    if r.next_due is not None:
        d = r.next_due
        nxt = f"{d.name} {'OVERDUE' if d.state == 'overdue' else 'due'} {clock.local_date(d.due_at)}"
    return (
        r.ref,
        r.client,
        r.worker,
        str(r.status),
        r.risk or "-",
        clock.local_date(dt.datetime.fromisoformat(r.raw["last_contact"])).isoformat()
        if r.raw.get("last_contact")
        else "-",
        nxt,
        ",".join(r.flags),
    )


class CaseloadScreen(Screen):
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("m", "mine", "My cases / all"),
        Binding("s", "sort", "Sort"),
        Binding("r", "risk", "Risk filter"),
        Binding("o", "overdue", "Overdue only"),
        Binding("ctrl+l", "app.lock", "Lock"),
        Binding("question_mark", "app.help", "Help"),
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
        yield Static("", id="counts")
        yield Input(placeholder="type to filter (reference, name, worker, flag)", id="filter")
        yield Static(" ".join(name.ljust(w) for name, w in COLUMNS), id="columns")
        yield CaseTable(id="table")
        yield LoadingIndicator(id="busy")
        yield Footer()

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
        from dacli.services.caseload import caseload

        return caseload(session, now=self.app.now())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "caseload":
            return
        if self.app.session is None:  # locked while loading: the rows are not shown
            return
        if event.state == WorkerState.SUCCESS:
            self.query_one("#busy").display = False
            first = not self.all_rows  # after unlock: my cases if I have any; a reload keeps the view chosen
            self.all_rows = event.worker.result
            if first:
                self.mine = any(r.worker == self.app.session.member.username for r in self.all_rows)
            self.apply()
            self.query_one(CaseTable).focus()
        elif event.state == WorkerState.ERROR:
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
            rows = [r for r in rows if all(w in " ".join(row_cells(r)).lower() for w in words)]
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
            rows.sort(key=lambda r: r.raw.get("last_contact") or "", reverse=True)
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


class CaseScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "note", "Note"),
        Binding("c", "checklist", "Dash"),
        Binding("g", "soag", "Soag"),
        Binding("p", "add_action", "Action+"),
        Binding("a", "complete_action", "Done"),
        Binding("r", "review", "Review"),
        Binding("ctrl+l", "app.lock", "Lock"),
        Binding("question_mark", "app.help", "Help", show=False),  # the footer is full at 80 columns
    ]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.view = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="safe")
            yield Static("", id="summary")
            yield Label("Dash yes answers over time:", id="trend-label")
            yield Sparkline([], id="trend")
            yield Static("", id="timeline")
        yield LoadingIndicator(id="busy")
        yield Footer(show_command_palette=False)  # ctrl+p still opens it (see ? for the keys)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="case", exit_on_error=False)
    def load(self):
        from dacli.services.case_view import show_case

        return show_case(self.app.session, self.ref, self.app.today())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "case" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.query_one("#busy").display = False
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#summary", Static).update(
                error.message
                if isinstance(error, DacliError)
                else f"Could not open ({type(error).__name__})."
            )
            return
        self.show(event.worker.result)

    def show(self, view) -> None:
        self.view = view
        from dacli.services.caseload import case_deadlines
        from dacli.services.issp import overdue

        s = view.summary
        people = view.people()  # every intake's safe contact details, newest first
        client = next((i.client for i in reversed(view.intakes) if i.client.address), view.intakes[-1].client)
        write = {True: "yes", False: "NO", None: "not asked"}[client.address_safe_to_write]
        current = people.current
        safe = Text()
        if view.incomplete:
            safe.append(f"INCOMPLETE: {view.incomplete}\n", style="bold")
        for fork in view.forks:  # changed in two places at once (store format 3): told, not settled
            safe.append(f"MADE AT ONCE: {fork}\n", style="bold")
        if view.conflicts:
            safe.append(
                f"{len(view.conflicts)} conflict copies from a sync engine in this case's folder: see "
                "`dacli sync status`.\n",
                style="bold",
            )
        safe.append(
            f"{s.ref}  {s.client}  [{s.status.value}]  risk {s.risk or 'not assessed'}\n", style="bold"
        )
        safe.append(
            f"SAFE CONTACT  number {current('safe_number') or '-'} | "
            f"time {current('safe_time_to_call') or '-'} | code word {current('code_word') or '-'} | "
            f"safe to write? {write}",
            style="bold white on dark_red",
        )
        self.query_one("#safe", Static).update(safe)
        now = self.app.now()
        lines = []
        if s.flags:
            lines.append("FLAGS: " + ", ".join(s.flags))
        last = f"last contact {clock.local_date(s.last_contact)}" if s.last_contact else "no contact yet"
        lines.append(f"worker {s.worker} | referred {s.referral_date} | {last}")
        for d in case_deadlines(self.app.session, s, now):
            if d.done_at:  # when it was done, not when it was due
                lines.append(f"  {d.name}: done {clock.show(d.done_at)}")
            else:
                lines.append(f"  {d.name}: {d.state.value.upper()} {clock.local_date(d.due_at)}")
        if view.plans:
            plan = view.plans[-1][1]
            lines.append(
                f"Safety plan v{plan.version}: {sum(1 for a in plan.actions if a.done is None)} open actions"
            )
            for n, a in overdue(plan, clock.local_date(now)):
                lines.append(f"  ACTION {n} OVERDUE since {a.by}: {a.action or a.risk}")
        else:
            lines.append("Safety plan: none on file")
        if view.agreements:
            a = view.agreements[-1][1]
            lines.append(f"Consent: agreement {a.how}; monitoring {'yes' if a.monitoring else 'NO'}")
        else:
            lines.append("Consent: NO AGREEMENT ON FILE")
        for d in view.ledger()[-4:]:
            lines.append(f"Disclosure {clock.local_date(d['when'])} to {d['to']} ({d['basis']})")
        for _, m in view.marac[-2:]:
            lines.append(f"Marac referral {m.referred_on}")
        for _, h in view.hearings[-2:]:
            lines.append(f"Court {h.hearing_date} {h.kind} {h.type_of_hearing}" + (
                f"; next {h.next_court_date}" if h.next_court_date else ""))  # fmt: skip
        self.query_one("#summary", Static).update("\n".join(lines))
        dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
        self.query_one("#trend", Sparkline).data = [d.result.yes for d in dashes] or [0]
        self.query_one("#trend-label", Label).update(
            "Dash yes answers over time: " + (" -> ".join(str(d.result.yes) for d in dashes) or "none yet")
        )
        timeline = ["Timeline:"] + [f"  {clock.show(e.at)}  {e.kind:<8} {e.summary}" for e in view.timeline()]
        self.query_one("#timeline", Static).update("\n".join(timeline))

    def action_back(self) -> None:
        self.app.pop_screen()
        if isinstance(self.app.screen, CaseloadScreen):
            self.app.screen.refresh_rows()

    def _reload_if_saved(self, saved: bool | None) -> None:
        if saved:
            self.query_one("#busy").display = True
            self.load()

    def action_checklist(self) -> None:
        self.app.push_screen(DashScreen(self.ref), self._reload_if_saved)

    def action_note(self) -> None:
        self.app.push_screen(NoteScreen(self.ref), self._reload_if_saved)

    def action_soag(self) -> None:
        self.app.push_screen(SoagScreen(self.ref), self._reload_if_saved)

    def action_add_action(self) -> None:
        if self.view is None:
            return  # the plan on file is not known yet
        plan = self.view.plans[-1][1] if self.view.plans else None
        self.app.push_screen(ActionScreen(self.ref, plan), self._reload_if_saved)

    def action_review(self) -> None:
        self.app.push_screen(ReviewScreen(self.ref), self._reload_if_saved)

    def action_complete_action(self) -> None:
        plan = self.view.plans[-1][1] if self.view is not None and self.view.plans else None
        actions = (
            [(n, a.action or a.risk) for n, a in enumerate(plan.actions, 1) if a.done is None] if plan else []
        )
        self.app.push_screen(CompleteActionScreen(self.ref, actions), self._reload_if_saved)


class DashScreen(Screen[bool]):
    """The Dash risk checklist, question by question with the pack's guidance and the live score.

    The score is the same rule `dacli dash score` uses (`rules.dash.score` under the store's policy);
    saving goes through `services.dash.record_dash`, like `dacli dash record`, which also adds what the
    case's earlier checklists know (police incidents, the last Marac referral).
    """

    BINDINGS = [
        Binding("y", "answer('yes')", "Yes"),
        Binding("n", "answer('no')", "No"),
        Binding("d", "answer('dont-know')", "Don't know"),
        Binding("right", "step(1)", "Next"),
        Binding("left", "step(-1)", "Back"),
        Binding("s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.answers: dict[int, str] = {}
        self.current = 1

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="question")
            yield Static("", id="score")
            yield Label("", id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def result(self):
        from dacli.services.dash import score_answers

        return score_answers(self.app.session, self.answers, self.app.today())

    def show(self) -> None:
        from dacli.schemas.dash_bank import QUESTIONS

        q = QUESTIONS[self.current - 1]
        given = self.answers.get(self.current, "not answered")
        text = Text()
        text.append(f"{self.ref}: SafeLives Dash, question {q.number} of {len(QUESTIONS)}\n\n", style="bold")
        text.append(f"{q.text}\n\n")
        text.append(f"{q.guidance}\n\n", style="italic")
        text.append(f"Answer: {given}   (y yes, n no, d don't know, arrows to move, s to save)")
        self.query_one("#question", Static).update(text)
        r = self.result()
        marac = "REFER TO MARAC" if r.refer_to_marac else "Marac criteria not met"
        reasons = "; ".join(c.reason for c in r.marac_criteria)
        self.query_one("#score", Static).update(
            f"yes {r.yes} | don't know {len(r.dont_know)} | unanswered {len(r.unanswered)} | "
            f"risk {r.risk_level} | {marac}" + (f": {reasons}" if reasons else "") + f"\n{r.recommendation}"
        )

    def action_answer(self, answer: str) -> None:
        self.answers[self.current] = answer
        self.action_step(1)

    def action_step(self, delta: int) -> None:
        self.current = max(1, min(24, self.current + delta))
        self.show()

    def action_save(self) -> None:
        from dacli.services.dash import parse_dash, record_dash

        today = self.app.today()
        try:
            form = parse_dash({"answers": {f"q{n}": a for n, a in self.answers.items()}}, today)
            record_dash(self.app.session, self.ref, form, today)
        except DacliError as exc:
            self.query_one("#error", Label).update(exc.message)
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class CompleteActionScreen(ModalScreen[bool]):
    """Mark a safety-plan action complete: a new version of the plan, as `dacli issp complete`."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ref: str, actions: list[tuple[int, str]]) -> None:
        super().__init__()
        self.ref = ref
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Label(f"Complete a safety-plan action for {self.ref}")
            yield Static("\n".join(f"{n}. {text}" for n, text in self.actions) or "No open actions.")
            yield Input(placeholder="action number", id="number")
            yield Input(placeholder="comment (optional)", id="comment")
            yield Label("", id="error")

    def on_mount(self) -> None:
        self.query_one("#number", Input).focus()

    @on(Input.Submitted)
    def save(self) -> None:
        from dacli.services.issp import complete

        text = self.query_one("#number", Input).value.strip()
        if not text.isdigit():
            self.query_one("#error", Label).update("Give the action's number.")
            return
        today = self.app.today()
        comment = self.query_one("#comment", Input).value.strip() or None
        try:
            complete(self.app.session, self.ref, int(text), today, comment, today)
        except DacliError as exc:
            self.query_one("#error", Label).update(exc.message)
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


CONTACT_TYPES = ("telephone", "email", "letter", "face-to-face", "meeting", "text")


class NoteScreen(ModalScreen[bool]):
    """Add a case note: the same reader and rules as `dacli note add` (services.notes.parse_note)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Label(f"New case note for {self.ref}")
            yield Select([(t, t) for t in CONTACT_TYPES], value="telephone", allow_blank=False, id="type")
            yield Input(value="client", placeholder="contact with (client or agency)", id="with")
            yield Input(placeholder="facts: what happened, what was said", id="facts")
            yield Input(placeholder="professional opinion (optional)", id="opinion")
            yield Input(placeholder="activity codes, e.g. G,P (optional)", id="codes")
            yield Input(placeholder="your initials", id="initials")
            yield Label("", id="error")
            yield Button("Save", variant="primary", id="save")

    def on_mount(self) -> None:
        self.query_one("#facts", Input).focus()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def save(self) -> None:
        from dacli.errors import InvalidInput
        from dacli.services.notes import add_note, parse_note

        now = self.app.now()
        codes = [c.strip().upper() for c in self.query_one("#codes", Input).value.split(",") if c.strip()]
        data = {
            "at": now,
            "contact_type": self.query_one("#type", Select).value,
            "contact_with": self.query_one("#with", Input).value.strip(),
            "facts": self.query_one("#facts", Input).value.strip(),
            "initials": self.query_one("#initials", Input).value.strip(),
            "activities": codes,
        }
        opinion = self.query_one("#opinion", Input).value.strip()
        if opinion:
            data["opinion"] = opinion
        try:
            note = parse_note(data, now)
            add_note(self.app.session, self.ref, note)
        except InvalidInput as exc:
            self.query_one("#error", Label).update(exc.message)
            return
        except DacliError as exc:
            self.query_one("#error", Label).update(exc.message)
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class FormScreen(Screen[bool]):
    """A form on a screen of its own: it scrolls (so it fits 80x24), enter moves to the next field, ctrl+s
    (or the Save button) saves, escape cancels.

    ``prepare`` reads the entries with the service's own parser, so the rules and messages are the CLI's; a
    refusal is shown inline, below the form, and the field it names is focused. The write runs in a worker
    thread; on success the screen is dismissed with True (the case screen then reloads).
    """

    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]
    TITLE_TEXT = ""

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Static(self.TITLE_TEXT.format(ref=self.ref), classes="form-title")
        with VerticalScroll(classes="form"):
            yield from self.fields()
            yield Button("Save (ctrl+s)", variant="primary", id="save")
        yield Label("", id="error")
        yield Footer()

    def fields(self) -> ComposeResult:
        yield from ()

    def prepare(self) -> Callable[[], object]:
        """Check the entries (raising DacliError with the service's message) and return the save to run."""
        raise NotImplementedError

    def field_for(self, message: str) -> str | None:
        """The id of the widget a refusal names (the first schema field it mentions), if any."""
        import re

        found = []
        for widget in self.query("Input, Select, Checkbox"):
            key = (widget.id or "").replace("-", ".")
            if key and (m := re.search(rf"(?<![\w.]){re.escape(key)}(?![\w])", message)):
                found.append((m.start(), widget.id))
        return min(found)[1] if found else None

    def refuse(self, message: str) -> None:
        self.query_one("#error", Label).update(message)
        target = self.field_for(message)
        if target:
            widget = self.query_one(f"#{target}")
            widget.focus()
            widget.scroll_visible(animate=False)

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        try:
            job = self.prepare()
        except DacliError as exc:
            self.refuse(exc.message)
            return
        self.saving = True
        self.query_one("#error", Label).update("Saving...")
        self.run_save(job)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def run_save(self, job: Callable[[], object]):
        return job()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "form-save" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.saving = False
        if event.state == WorkerState.SUCCESS:
            self.saved(event.worker.result)
            self.dismiss(True)
            return
        error = event.worker.error
        self.refuse(
            error.message if isinstance(error, DacliError) else f"Not saved ({type(error).__name__})."
        )

    def saved(self, result) -> None:
        """Called with what the save returned, just before the screen closes."""

    def action_cancel(self) -> None:
        self.dismiss(False)

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()


OCCURRING = ("yes", "no", "dont-know", "not-answered")
SEVERITY = ("high", "moderate", "standard")
ESCALATION = ("worse", "unchanged", "reduced")


class SoagScreen(FormScreen):
    """The Severity of Abuse Grid, type by type with the pack's options and guidance; read by
    `services.soag.parse_soag` and saved by `record_soag`, as `dacli soag record` does."""

    TITLE_TEXT = "{ref}: Severity of Abuse Grid (Soag). ctrl+s saves, escape cancels."

    def fields(self) -> ComposeResult:
        from dacli.schemas.soag_bank import (
            ABUSE_TYPES,
            ATTRIBUTION,
            COLUMNS,
            ESCALATION_OPTIONS,
            INSTRUCTIONS,
            OCCURRING_OPTIONS,
            PERMISSION,
            SEVERITY_OPTIONS,
        )

        yield Label("Assessed on (YYYY-MM-DD, blank = today):")
        yield Input(placeholder="today", id="assessed_on")
        yield Static(INSTRUCTIONS[-1], classes="hint")
        with Horizontal(classes="grid-head"):
            for column in COLUMNS[1:]:
                yield Label(column, classes="grid-cell")
        for kind in ABUSE_TYPES:
            yield Label(kind.name, classes="grid-type")
            with Horizontal(classes="grid-row"):
                yield Select(
                    list(zip(OCCURRING_OPTIONS, OCCURRING, strict=True)),
                    value="not-answered",
                    allow_blank=False,
                    compact=True,
                    id=f"{kind.key}-occurring",
                    classes="grid-cell",
                )
                for field, labels, values in (
                    ("severity", SEVERITY_OPTIONS, SEVERITY),
                    ("escalation_severity", ESCALATION_OPTIONS, ESCALATION),
                    ("escalation_frequency", ESCALATION_OPTIONS, ESCALATION),
                ):
                    yield Select(
                        list(zip(labels, values, strict=True)),
                        prompt="-",
                        compact=True,
                        disabled=True,
                        id=f"{kind.key}-{field}",
                        classes="grid-cell",
                    )
            yield Static("", id=f"{kind.key}-guidance", classes="hint guidance")
        yield Static(f"{ATTRIBUTION}. {PERMISSION}", classes="hint")

    def on_mount(self) -> None:
        self.query_one(".grid-row Select").focus()

    @on(Select.Changed)
    def occurring_changed(self, event: Select.Changed) -> None:
        from dacli.schemas.soag_bank import ABUSE_TYPES

        key, _, field = (event.select.id or "").partition("-")
        if field != "occurring":
            return
        kind = next(k for k in ABUSE_TYPES if k.key == key)
        occurring = event.value == "yes"
        for name in ("severity", "escalation_severity", "escalation_frequency"):
            select = self.query_one(f"#{key}-{name}", Select)
            select.disabled = not occurring
            if not occurring:
                select.clear()  # given only when abuse is occurring, as the schema says
        guidance = self.query_one(f"#{key}-guidance", Static)
        guidance.update("\n".join(f"{level.title()}: {kind.guidance(level)}" for level in SEVERITY))
        guidance.display = occurring

    def prepare(self) -> Callable[[], object]:
        from dacli.schemas.soag import TYPES
        from dacli.services.soag import parse_soag, record_soag

        data: dict = {"assessed_on": self.value("assessed_on") or None}
        for key in TYPES:
            row = {}
            for name in ("occurring", "severity", "escalation_severity", "escalation_frequency"):
                select = self.query_one(f"#{key}-{name}", Select)
                if not select.is_blank():
                    row[name] = select.value
            data[key] = row
        today = self.app.today()
        form = parse_soag(data, today)
        session = self.app.session
        return lambda: record_soag(session, self.ref, form, today)

    def field_for(self, message: str) -> str | None:
        from dacli.schemas.soag import TYPES

        named = sorted((message.find(f"{k}:"), k) for k in TYPES if f"{k}:" in message)
        if not named:
            return super().field_for(message)
        key = named[0][1]
        for name in ("severity", "escalation_severity", "escalation_frequency"):
            select = self.query_one(f"#{key}-{name}", Select)
            if not select.disabled and select.is_blank():
                return select.id  # the first answer the row still needs
        return f"{key}-occurring"


class ActionScreen(FormScreen):
    """Add an action to the safety plan: the plan schema's action (risk, agreed action, who, by when,
    comment), read by `services.issp.parse_action` and saved by `add_action` as the plan's next version
    (version 1 for a case without a plan), the same versions as `dacli issp record` makes."""

    TITLE_TEXT = "{ref}: add a safety-plan action. ctrl+s saves, escape cancels."

    def __init__(self, ref: str, plan=None) -> None:
        super().__init__(ref)
        self.plan = plan

    def fields(self) -> ComposeResult:
        plan = self.plan
        if plan is None:
            yield Static("No safety plan on file: this action starts version 1.", classes="hint")
        else:
            lines = [f"Safety plan v{plan.version}; this action makes version {plan.version + 1}."]
            lines += [
                f"  {n}. {a.action or a.risk}" + (f" (done {a.done})" if a.done else "")
                for n, a in enumerate(plan.actions, 1)
            ]
            yield Static("\n".join(lines), classes="hint")
        for key, label, hint in (
            ("risk", "List the risk factors or issues you would like to address", ""),
            ("action", "Agreed action", ""),
            ("who", "Who will do this?", ""),
            ("by", "By when? (YYYY-MM-DD)", "blank = no date"),
            ("comment", "Comment", ""),
        ):
            yield Label(f"{label} ({key}):")
            yield Input(placeholder=hint, id=key)

    def on_mount(self) -> None:
        self.query_one("#risk", Input).focus()

    def prepare(self) -> Callable[[], object]:
        from dacli.services.issp import add_action, parse_action

        data = {k: self.value(k) for k in ("risk", "action", "who", "by", "comment")}
        data["by"] = data["by"] or None
        today = self.app.today()
        action = parse_action(data, today)
        session = self.app.session
        return lambda: add_action(session, self.ref, action, today)

    def saved(self, result) -> None:
        _, plan = result
        self.app.notify(f"Safety plan version {plan.version} saved ({len(plan.actions)} actions).")


REVIEW_FIELDS = (
    ("case_type", "Case type, eg MARAC / civil / criminal"),
    ("change_comment", "Is there reduction/increase in Ric/Soag? Comment"),
    ("new_concerns_comment", "New or altering significant concerns: comment"),
    ("professional_judgement", "What is your professional judgement in this case?"),
    ("issp_why_not", "ISSP in place? If not, why not?"),
    ("worker_perception", "DA practitioner's perception of safety"),
    ("client_perception", "Client perception of safety"),
    ("new_actions", "New action plan: new or incomplete actions still relevant (separate with ;)"),
)
OUTCOMES = (("continue (ongoing case)", "continue"), ("scale-down (scale down contact)", "scale-down"),
            ("close (close case)", "close"))  # fmt: skip
YES_NO = (("yes", True), ("no", False))


class ReviewScreen(FormScreen):
    """The case review form: what the case already says (contacts, risk, Soag, the plan's incomplete
    actions) is shown as `record_review` will fill it in; the worker's answers start blank, as in
    `dacli review --template` (nothing is answered for them); read by `services.review.parse_review`, saved
    by `record_review`."""

    TITLE_TEXT = "{ref}: case review. ctrl+s saves, escape cancels."

    def fields(self) -> ComposeResult:
        yield Static("Reading the case...", id="filled", classes="hint")
        yield Label("Reviewed on (YYYY-MM-DD, blank = today):")
        yield Input(placeholder="today", id="reviewed_on")
        yield Label("Client engaged? (engaged):")
        yield Select(YES_NO, prompt="yes or no", id="engaged")
        for key, label in REVIEW_FIELDS:
            if key == "new_concerns_comment":
                yield Label("Any new or altering significant concerns? (new_concerns):")
                yield Select(YES_NO, prompt="yes or no", id="new_concerns")
            yield Label(f"{label} ({key}):")
            yield Input(id=key)
        yield Label("Case progression (outcome):")
        yield Select(OUTCOMES, prompt="choose", id="outcome")
        yield Label("What are your reasons for this? (reasons; separate with ;)")
        yield Input(id="reasons")

    def on_mount(self) -> None:
        self.query_one("#reviewed_on", Input).focus()
        self.fill()

    @work(thread=True, exclusive=True, group="review-filled", exit_on_error=False)
    def fill(self):
        from dacli.services.review import filled

        return filled(self.app.session, self.ref, self.app.today())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "review-filled":
            return  # Textual calls FormScreen's handler too (handlers run down the class hierarchy)
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = (
                error.message
                if isinstance(error, DacliError)
                else f"Could not read ({type(error).__name__})."
            )
            self.query_one("#filled", Static).update(text)
        elif event.state == WorkerState.SUCCESS:
            f = event.worker.result
            soag = ", ".join(f"{t} {v}" for t, v in f.soag_now.items()) or "none"
            lines = [
                "Filled in from the case when saved:",
                f"  intake {f.intake_date}; {f.contacts} contacts ({f.intensity}); last contact "
                f"{f.last_contact or '-'}",
                f"  risk at intake {f.risk_at_intake or '-'}, now {f.risk_now or '-'}: {f.change}",
                f"  Soag now: {soag}",
                f"  ISSP in place: {'yes' if f.issp_in_place else 'NO'}; incomplete actions: "
                + ("; ".join(f.incomplete_actions) or "none"),
            ]
            if f.dash_out_of_date:
                lines.append("  The last Dash is older than the review interval: record a new one (c).")
            self.query_one("#filled", Static).update("\n".join(lines))

    def prepare(self) -> Callable[[], object]:
        from dacli.services.review import parse_review, record_review

        def items(key: str) -> list[str]:
            return [part.strip() for part in self.value(key).split(";") if part.strip()]

        data: dict = {k: self.value(k) for k, _ in REVIEW_FIELDS if k != "new_actions"}
        data.update(
            reviewed_on=self.value("reviewed_on") or None,
            new_actions=items("new_actions"),
            reasons=items("reasons") or [""],
        )
        for key in ("engaged", "new_concerns", "outcome"):  # left unchosen: not answered, and refused
            choice = self.query_one(f"#{key}", Select).value
            if choice is not Select.NULL:
                data[key] = choice
        today = self.app.today()
        form = parse_review(data, today)
        session = self.app.session
        return lambda: record_review(session, self.ref, form, today)

    def saved(self, result) -> None:
        _, record = result
        hint = (
            f" To close the case: dacli close {self.ref} --template, then --from."
            if record.outcome == "close"
            else ""
        )
        self.app.notify(f"Review saved: outcome {record.outcome}.{hint}")


HELP = """\
dacli dashboard

Caseload:  up/down, page up/down, home/end move; enter (or double click) opens a case
           /  filter by typing     m  my cases / all     s  next sort column
           r  risk filter          o  overdue only       ctrl+l  lock now     q  quit
Case:      n  add a case note      c  Dash checklist (y/n/d, arrows, s to save)
           g  record a Soag        p  add a safety-plan action (a new plan version)
           a  complete a safety-plan action                r  record a case review
           escape  back to the caseload
Forms:     tab / enter  next field   enter or space opens a choice   ctrl+s  save
           escape  cancel; a refusal is shown below the form and its field is focused
Anywhere:  ctrl+p  command palette ?  this help

It locks itself after a spell without a key press or click; the passphrase is asked again.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help")


class DacliApp(App):
    TITLE = "dacli"
    CSS = """
    #unlock { width: 60; height: auto; margin: 2 4; }
    #title { text-style: bold; }
    #message { color: $error; }
    #counts { height: 1; background: $boost; }
    #columns { height: 1; text-style: bold; }
    #table { height: 1fr; }
    #note { width: 70; height: auto; background: $panel; padding: 1 2; }
    #error { color: $error; }
    #help { width: 90; height: auto; background: $panel; padding: 1 2; }
    NoteScreen, HelpScreen, CompleteActionScreen { align: center middle; }
    #trend { height: 3; }
    .form-title { height: auto; text-style: bold; background: $boost; }
    .form { height: 1fr; padding: 0 1; }
    .form Select { margin-bottom: 1; }
    .hint { color: $text-muted; margin-bottom: 1; }
    .grid-head { height: auto; text-style: bold; }
    .grid-row { height: 1; }
    .grid-row Select, .grid-head Label { margin: 0 1 0 0; }
    .guidance { display: none; }
    .grid-row Select:focus > SelectCurrent { background: $primary 60%; text-style: bold; }
    .grid-cell { width: 1fr; }
    .grid-type { text-style: bold; margin-top: 1; }
    FormScreen #error { width: 100%; height: auto; max-height: 4; padding: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+l", "lock", "Lock", show=False),
        Binding("question_mark", "help", "Help", show=False),
    ]

    def __init__(
        self,
        store_path: Path,
        user: str | None = None,
        idle_seconds: float = 300.0,
        now: Callable[[], dt.datetime] | dt.datetime | None = None,
    ) -> None:
        """``now`` is the clock for dates and deadlines (a callable or a fixed moment; a naive one is read
        as the service's local time); dacli's clock when not given. The idle lock always counts real time."""
        super().__init__()
        self._no_screen_to_disk()
        self.store_path = Path(store_path)
        self.user = user
        self.idle_seconds = idle_seconds
        self.session = None
        self._now = now
        self._last_activity = _clock()

    def now(self) -> dt.datetime:
        """The moment deadlines are worked out for and forms are dated with (aware, UTC)."""
        if self._now is None:
            return clock.now()
        at = self._now() if callable(self._now) else self._now
        return clock.to_utc(at)

    def today(self) -> dt.date:
        """The local day of ``now``: the same 'today' as `case show` and the caseload."""
        return clock.local_date(self.now())

    def on_mount(self) -> None:
        # the caseload screen is built under the unlock screen while the passphrase is typed; it holds no
        # case data until `unlocked`, and is emptied again on lock
        self.caseload_screen = CaseloadScreen()
        self.push_screen(self.caseload_screen)
        self.push_screen(UnlockScreen(self.user))
        self.set_interval(min(5.0, max(self.idle_seconds / 4, 0.1)), self._lock_when_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_activity = _clock()
        await super().on_event(event)

    def unlocked(self, session) -> None:
        self.session = session
        self.user = session.member.username
        self._last_activity = _clock()
        self.pop_screen()  # the unlock screen, down to the caseload screen
        self.caseload_screen.start()

    async def _lock_when_idle(self) -> None:
        if self.session is not None and _clock() - self._last_activity >= self.idle_seconds:
            await self.action_lock("Locked after a spell without use. Unlock to go on.")

    async def action_lock(self, message: str = "Locked.") -> None:
        self.session = None  # the keys go with it
        while len(self.screen_stack) > 2:  # the default screen, then the caseload screen
            await self.pop_screen()
        self.caseload_screen.clear()
        await self.push_screen(UnlockScreen(self.user, message))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # --- nothing on screen is written to disk ------------------------------------------------------------

    def _no_screen_to_disk(self) -> None:
        """Textual writes the screen or every key typed to disk when asked by its environment variables:
        ``TEXTUAL_LOG`` (a log of every event, passphrase keys included), ``TEXTUAL_SCREENSHOT`` (an SVG
        after a delay, case data on it); ``TEXTUAL=devtools`` sends them to another process. Off, here."""
        from textual import constants

        constants.LOG_FILE = None  # read on every log call
        constants.SCREENSHOT_DELAY = -1  # read when the app is ready
        self.devtools = None
        self._devtools_redirector = None
        self.features = self.features - {"devtools"}

    def _refuse_to_save_the_screen(self) -> None:
        self.notify("dacli never saves the screen: it may hold case data.", severity="warning")

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self._refuse_to_save_the_screen()

    def save_screenshot(self, filename=None, path=None, time_format=None):  # type: ignore[override]
        self._refuse_to_save_the_screen()

    def deliver_screenshot(self, filename=None, path=None, time_format=None) -> None:
        self._refuse_to_save_the_screen()

    def deliver_text(self, *args, **kwargs) -> None:
        self._refuse_to_save_the_screen()

    def deliver_binary(self, *args, **kwargs) -> None:
        self._refuse_to_save_the_screen()

    def get_system_commands(self, screen: Screen):
        """The command palette's commands: dacli's own, the keys of the screen it was opened from (open a
        case, add a note, take a Dash...) and lock, help and quit; never Textual's (its 'Screenshot' writes
        the screen, case data and all, to ~/Downloads)."""
        from functools import partial

        from textual.app import SystemCommand

        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.system or not binding.show or not binding.description or not active.enabled:
                continue
            if binding.action == "command_palette" or binding.description in seen:
                continue
            seen.add(binding.description)
            keys = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{keys} on this screen",
                partial(self.run_action, binding.action, active.node),
            )
        own = [("Help", "The keys of every screen", "help"), ("Quit", "Leave the dashboard", "quit")]
        if self.session is not None:
            own.insert(0, ("Lock", "Lock now: the case data goes until you unlock", "lock"))
        for title, help_text, action in own:
            if title not in seen:
                yield SystemCommand(title, help_text, partial(self.run_action, action))

    def _handle_exception(self, error: Exception) -> None:
        """Every unexpected error goes to the type-only message below (Textual would otherwise render an
        exception that has a __rich__ method as it likes)."""
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._fatal_error()

    def _fatal_error(self) -> None:
        """Textual prints a traceback with local variables on a crash: they could hold a passphrase or
        case data. Print the exception's type only, as the CLI does (DACLI_DEBUG=1 shows it all)."""
        import os

        if os.environ.get("DACLI_DEBUG") == "1":
            super()._fatal_error()
            return
        kind = type(self._exception).__name__ if self._exception else "error"
        self.panic(
            Text(
                f"dacli: the dashboard stopped on an unexpected {kind}; nothing more was written. Please "
                "report it (the message is withheld because it may hold case data)."
            )
        )
