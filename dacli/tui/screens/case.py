"""The case screen: safe contact advice first, flags, deadlines, the safety plan's overdue actions,
consent, disclosures, Marac and court dates, the Dash trend as a sparkline, and the timeline; and the keys
that open each form."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from dacli import clock
from dacli.errors import DacliError
from dacli.tui.screens.dash import DashScreen
from dacli.tui.screens.note import NoteScreen
from dacli.tui.screens.plan import ActionScreen, CompleteActionScreen
from dacli.tui.screens.review import ReviewScreen
from dacli.tui.screens.soag import SoagScreen


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
            yield Static("", id="safe", markup=False)
            yield Static("", id="people", markup=False)
            yield Static("", id="summary", markup=False)
            yield Static("", id="trend", markup=False)
            yield Static("", id="timeline", markup=False)
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
        self.query_one("#people", Static).update(people_text(view))
        self.query_one("#trend", Static).update(dash_chart(view))
        self.query_one("#timeline", Static).update(timeline_text(view))

    def action_back(self) -> None:
        self.app.pop_screen()
        refresh = getattr(self.app.screen, "refresh_rows", None)  # the caseload screen, under this one
        if refresh is not None:
            refresh()

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


def people_text(view) -> Text:
    """The people on file: the client (date of birth, aka, pregnancy), the significant concerns (a warning
    for whoever visits or calls: shown first, in bold), each alleged perpetrator and each child."""
    s = view.summary
    people = view.people()
    intake = view.intakes[-1]
    out = Text()
    if intake.concerns.flag:
        out.append(
            f"SIGNIFICANT CONCERNS: {intake.concerns.details or '(flagged, no details)'}\n", style="bold"
        )
    client = intake.client
    line = f"Client: {s.client}" + (f" (also known as {s.aka})" if s.aka else "")
    line += f" | born {s.dob}" if s.dob else " | date of birth not known"
    if client.pregnant:
        line += f" | pregnant, due {client.due_date or '-'}"
    out.append(line + "\n")
    for p in people.perpetrators:
        born = f", born {p.dob}" if p.dob else ""
        out.append(f"Alleged perpetrator: {p.name} ({p.relationship or 'relationship not given'}{born})\n")
    for c in people.children:
        born = "unborn" if c.unborn else (f"born {c.dob}" if c.dob else "date of birth not known")
        out.append(f"Child: {c.name} ({born})\n")
    if not people.children:
        out.append("Children: none on file\n")
    out.rstrip()
    return out


def dash_chart(view) -> str:
    """The Dash history as a dated chart: one line per checklist, a bar as long as its yes answers."""
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    if not dashes:
        return "Dash: none yet"
    lines = ["Dash over time (yes answers of 24):"]
    for d in dashes:
        r = d.result
        lines.append(f"  {d.assessed_on}  {'█' * r.yes}{'·' * (24 - r.yes)}  {r.yes:>2} yes  {r.risk_level}")
    return "\n".join(lines)


def timeline_text(view) -> str:
    """Every fact on file, oldest first, each with its text (a note's facts and opinion, a reason)."""
    lines = ["Timeline:"]
    for e in view.timeline():
        lines.append(f"  {clock.show(e.at)}  {e.kind:<9} {e.summary}")
        lines.extend(f"      {line}" for line in e.detail.splitlines())
    return "\n".join(lines)
