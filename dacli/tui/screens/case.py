"""The case screen: safe contact advice first, flags, deadlines, the safety plan's overdue actions,
consent, disclosures, Marac and court dates, the Dash trend as a sparkline, and the timeline; and the keys
that open each form."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dacli import clock
from dacli.errors import DacliError
from dacli.tui.screens.dash import DashScreen
from dacli.tui.screens.note import NoteScreen
from dacli.tui.screens.plan import ActionScreen, CompleteActionScreen
from dacli.tui.screens.review import ReviewScreen
from dacli.tui.screens.soag import SoagScreen

ACTS = (
    ("n", "note", "Add a case note"),
    ("c", "checklist", "Take a Dash checklist"),
    ("g", "soag", "Record a Severity of Abuse Grid"),
    ("i", "finish_intake", "Finish the intake form"),
    ("l", "plan", "The whole safety plan (a new version)"),
    ("p", "add_action", "Add a safety-plan action"),
    ("a", "complete_action", "Mark a safety-plan action done"),
    ("k", "client_copy", "The client's copy of the safety plan"),
    ("o", "consent", "Record the consent agreement"),
    ("w", "disclose", "Record a share made with consent"),
    ("s", "share", "Record a decision to share without consent"),
    ("v", "sign_off", "Sign off a decision to share without consent"),
    ("m", "marac", "Refer to the Marac"),
    ("t", "criminal_court", "Record a criminal court hearing"),
    ("u", "civil_court", "Record a civil court hearing (orders)"),
    ("h", "children", "Refer to children's social care"),
    ("j", "confirm_children", "Confirm a referral to children's social care in writing"),
    ("r", "review", "Record a case review"),
    ("x", "close", "Close the case (exit form)"),
    ("f", "follow_up", "Record the follow-up call"),
    ("z", "reopen", "Reopen the case"),
    ("b", "hold", "Place a retention hold"),
)
"""Every act of the pack on a case: its key, its action, and what it does (the `e` menu and the help)."""


class CaseScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "note", "Note"),
        Binding("c", "checklist", "Dash"),
        Binding("g", "soag", "Soag"),
        Binding("p", "add_action", "Action+", tooltip="Add a safety-plan action"),
        Binding("a", "complete_action", "Done", tooltip="Mark a safety-plan action done"),
        Binding("r", "review", "Review"),
        Binding("e", "acts", "More", tooltip="Every form of the pack for this case"),
        Binding("slash", "search", "Search", tooltip="Search this case's notes and timeline", show=False),
        Binding("ctrl+l", "app.lock", "Lock"),
        Binding("question_mark", "app.help", "Help", show=False),  # the footer is full at 80 columns
        *(Binding(key, action, title, show=False) for key, action, title in ACTS if key not in "ncgpar"),
    ]

    def __init__(self, ref: str, finish_intake: bool = False) -> None:
        super().__init__()
        self.ref = ref
        self.view = None
        self.finish_first = finish_intake
        """Open the whole intake form once the case is read (after a referral taken on the dashboard)."""
        self._opening = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="safe", markup=False)
            yield Static("", id="people", markup=False)
            yield Static("", id="summary", markup=False)
            yield Static("", id="trend", markup=False)
            yield Input(placeholder="search the notes and timeline (escape clears)", id="search")
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
        if event.worker.group == "open-form" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.opened(event)
            return
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
        lines.extend(soag_lines(view))
        if view.reviews:
            r = view.reviews[-1][1]
            on = r.reviewed_on or clock.local_date(r.recorded_at)
            lines.append(f"Reviews: {len(view.reviews)}; the last on {on}, outcome {r.outcome}")
        closure = view.current_closure()
        if closure is not None:
            lines.append(f"CLOSED on {closure.closed_on}: {closure.reason}; follow-up call "
                         f"{'agreed' if closure.follow_up_consent else 'not agreed'}")  # fmt: skip
        for _, h in view.hearings[-2:]:
            lines.append(f"Court {h.hearing_date} {h.kind} {h.type_of_hearing}" + (
                f"; next {h.next_court_date}" if h.next_court_date else ""))  # fmt: skip
        self.query_one("#summary", Static).update("\n".join(lines))
        self.query_one("#people", Static).update(people_text(view))
        self.query_one("#trend", Static).update(dash_chart(view))
        self.query_one("#timeline", Static).update(
            timeline_text(view, self.query_one("#search", Input).value)
        )
        if self.finish_first:
            self.finish_first = False
            self.action_finish_intake()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#search")
    def searched(self, event: Input.Changed) -> None:
        if self.view is not None:
            self.query_one("#timeline", Static).update(timeline_text(self.view, event.value))

    def on_key(self, event) -> None:
        search = self.query_one("#search", Input)
        if event.key == "escape" and search.has_focus:  # escape leaves the search, then the case
            event.stop()
            search.value = ""
            search.display = False
            self.query_one(VerticalScroll).focus()

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

    # --- the forms that need the case read first -------------------------------------------------------

    def open_after(self, read, make) -> None:
        """Read what a form starts from (in a worker thread), then open it: ``make(read(session, ref))``."""
        if self._opening is not None:
            return  # one form at a time: a second key while the first form's case is read does nothing
        self._opening = make
        session, ref = self.app.session, self.ref
        self.run_worker(
            lambda: (make, read(session, ref)), thread=True, group="open-form", exit_on_error=False
        )

    def opened(self, event: Worker.StateChanged) -> None:
        self._opening = None
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = (
                error.message
                if isinstance(error, DacliError)
                else f"Could not open ({type(error).__name__})."
            )
            self.app.notify(text, severity="error")
            return
        make, read = event.worker.result  # the form this read was for, whatever was pressed since
        self.app.push_screen(make(read), self._reload_if_saved)

    def action_acts(self) -> None:
        def chosen(action: str | None) -> None:
            if action:
                getattr(self, f"action_{action}")()

        self.app.push_screen(ActsScreen(self.ref), chosen)

    def action_finish_intake(self) -> None:
        from dacli.tui.screens.intake import FinishIntakeScreen, intake_on_file

        self.open_after(intake_on_file, lambda current: FinishIntakeScreen(self.ref, current))

    def action_plan(self) -> None:
        from dacli.services.issp import template
        from dacli.tui.screens.plan import PlanScreen

        today = self.app.today()
        self.open_after(lambda s, r: template(s, r, today), lambda doc: PlanScreen(self.ref, doc))

    def _form(self, screen) -> None:
        self.app.push_screen(screen, self._reload_if_saved)

    def open_form(self, where: str) -> None:
        """Open the form ``module:Class`` (in `dacli.tui.screens`) for this case."""
        import importlib

        module, name = where.split(":")
        self._form(getattr(importlib.import_module(f"dacli.tui.screens.{module}"), name)(self.ref))

    def action_sign_off(self) -> None:
        from dacli.tui.screens.sharing import SignOffScreen, waiting_sign_off

        if self.view is not None:
            self._form(SignOffScreen(self.ref, waiting_sign_off(self.view)))

    def action_confirm_children(self) -> None:
        from dacli.tui.screens.referrals import ConfirmChildrenScreen, unconfirmed

        if self.view is not None:
            self._form(ConfirmChildrenScreen(self.ref, unconfirmed(self.view)))

    def action_close(self) -> None:
        from dacli.tui.screens.closure import CloseScreen

        if self.view is not None:
            self._form(CloseScreen(self.ref, children=bool(self.view.people().children)))


FORMS = {
    "client_copy": "plan:ClientCopyScreen",
    "consent": "sharing:ConsentScreen",
    "disclose": "sharing:DisclosureScreen",
    "share": "sharing:ShareScreen",
    "marac": "referrals:MaracScreen",
    "criminal_court": "referrals:CriminalCourtScreen",
    "civil_court": "referrals:CivilCourtScreen",
    "children": "referrals:ChildrenScreen",
    "follow_up": "closure:FollowUpScreen",
    "reopen": "closure:ReopenScreen",
    "hold": "closure:HoldScreen",
}
"""The acts whose form needs only the case's reference: action name to `module:Class`."""


def _opener(where: str):
    def action(self: CaseScreen) -> None:
        self.open_form(where)

    action.__doc__ = f"Open {where.split(':')[1]}."
    return action


for _name, _where in FORMS.items():
    setattr(CaseScreen, f"action_{_name}", _opener(_where))


class ActsScreen(ModalScreen[str | None]):
    """Every form of the pack for this case, with its key: enter (or a click) opens it, escape closes."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        with Vertical(id="acts"):
            yield Static(f"{self.ref}: choose a form (enter), or press its key on the case", markup=False)
            yield OptionList(*[Option(f"{key}  {title}", id=action) for key, action, title in ACTS])

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


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


def soag_lines(view) -> list[str]:
    """The Severity of Abuse Grid: the latest, each type occurring with its severity, and the first grid's
    beside it when there are two or more (the movement since)."""
    grids = [g for _, g in view.soags]
    if not grids:
        return ["Soag: none yet"]

    def said(grid) -> str:
        found = [
            f"{t.replace('_', ' ')} {row.severity or '-'}" for t, row in grid.rows() if row.occurring == "yes"
        ]
        return ", ".join(found) or "no abuse occurring"

    def when(grid):
        return grid.assessed_on or clock.local_date(grid.recorded_at)

    out = [f"Soag {when(grids[-1])}: {said(grids[-1])}"]
    if len(grids) > 1:
        out.append(f"  first {when(grids[0])}: {said(grids[0])}")
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


def timeline_text(view, query: str = "") -> str:
    """Every fact on file, oldest first, each with its text (a note's facts and opinion, a reason); with a
    query, only those holding every word of it (`services.search.in_case`)."""
    from dacli.services.search import in_case

    query = query.strip()
    entries = in_case(view, query) if query else view.timeline()
    lines = [f"Timeline: {len(entries)} entries holding '{query}'" if query else "Timeline:"]
    for e in entries:
        lines.append(f"  {clock.show(e.at)}  {e.kind:<9} {e.summary}")
        lines.extend(f"      {line}" for line in e.detail.splitlines())
    return "\n".join(lines)
