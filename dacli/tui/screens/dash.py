"""The Dash risk checklist screen: question by question with the pack's guidance (the people who abuse
named), sub-ticks, a comment and a source, the live score; then the professional section on a form of its
own, which saves the checklist."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from dacli.schemas.dash import DashForm, Professional
from dacli.schemas.fields import FormField, form_fields
from dacli.tui.screens.schemaform import SchemaFormScreen


class DashScreen(Screen[bool]):
    """The Dash risk checklist, question by question with the pack's guidance and the live score.

    The score is the same rule `dacli dash score` uses (`rules.dash.score` under the store's policy);
    saving goes through `services.dash.record_dash`, like `dacli dash record`, which also adds what the
    case's earlier checklists know (police incidents, the last Marac referral). `s` asks first when
    questions are unanswered, then opens the professional section, whose ctrl+s saves the checklist.
    """

    BINDINGS = [
        Binding("y", "answer('yes')", "Yes"),
        Binding("n", "answer('no')", "No"),
        Binding("d", "answer('dont-know')", "Don't know"),
        Binding("right", "step(1)", "Next"),
        Binding("left", "step(-1)", "Back"),
        Binding("c", "comment", "Comment", tooltip="A comment, and the source if not the victim"),
        Binding("s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
        *(Binding(str(n), f"tick({n})", f"Tick {n}", show=False) for n in range(1, 10)),
    ]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.answers: dict[int, str] = {}
        self.ticks: dict[int, list[str]] = {}
        self.notes: dict[int, tuple[str, str]] = {}
        """(comment, source) by question."""
        self.texts: dict[int, tuple[str, str]] = {}
        """The questions as asked on this case (the people who abuse named), once read."""
        self.current = 1

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="question", markup=False)
            yield Static("", id="score", markup=False)
            yield Label("", id="error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.read_names()

    @work(thread=True, exclusive=True, group="dash-names", exit_on_error=False)
    def read_names(self):
        from dacli.services.dash import questions_for

        return questions_for(self.app.session, self.ref)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "dash-names" and event.state == WorkerState.SUCCESS:
            self.texts = event.worker.result
            self.show()

    def result(self):
        from dacli.services.dash import score_answers

        return score_answers(self.app.session, self.answers, self.app.today())

    def show(self) -> None:
        from dacli.schemas.dash_bank import QUESTIONS

        q = QUESTIONS[self.current - 1]
        question, guidance = self.texts.get(q.number, (q.text, q.guidance))
        given = self.answers.get(self.current, "not answered")
        text = Text()
        text.append(f"{self.ref}: SafeLives Dash, question {q.number} of {len(QUESTIONS)}\n\n", style="bold")
        text.append(f"{question}\n\n")
        text.append(f"{guidance}\n\n", style="italic")
        if q.subticks:
            ticked = self.ticks.get(q.number, [])
            text.append(f"{q.subtick_label or 'Which apply?'} (press the number)\n")
            for n, tick in enumerate(q.subticks, 1):
                text.append(f"  {n} [{'x' if tick in ticked else ' '}] {tick}\n")
            text.append("\n")
        comment, source = self.notes.get(q.number, ("", ""))
        if comment or source:
            text.append(f"Comment: {comment or '-'} | source: {source or 'the victim'}\n\n")
        text.append(f"Answer: {given}   (y yes, n no, d don't know, arrows to move, c comment, s save)")
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

    def action_tick(self, n: int) -> None:
        from dacli.schemas.dash_bank import QUESTIONS

        q = QUESTIONS[self.current - 1]
        if not 1 <= n <= len(q.subticks):
            return
        ticked = self.ticks.setdefault(q.number, [])
        tick = q.subticks[n - 1]
        if tick in ticked:
            ticked.remove(tick)
        else:
            ticked.append(tick)
        self.show()

    def action_comment(self) -> None:
        number = self.current

        def given(notes: tuple[str, str] | None) -> None:
            if notes is not None:
                self.notes[number] = notes
                self.show()

        self.app.push_screen(CommentScreen(number, *self.notes.get(number, ("", ""))), given)

    def form(self) -> dict[str, Any]:
        """The answers as `dacli dash record --from` reads them: a comment, a source and ticks only with an
        answer."""
        from dacli.schemas.dash_bank import QUESTIONS

        out: dict[str, Any] = {}
        for n, answer in sorted(self.answers.items()):
            entry: dict[str, Any] = {"answer": answer}
            comment, source = self.notes.get(n, ("", ""))
            if comment:
                entry["comment"] = comment
            if source:
                entry["source"] = source
            ticks = [t for t in QUESTIONS[n - 1].subticks if t in self.ticks.get(n, [])]
            if ticks and answer == "yes":
                entry["ticks"] = ticks
            out[f"q{n}"] = entry
        return out

    def action_save(self) -> None:
        unanswered = [n for n in range(1, 25) if n not in self.answers]

        def go_on(yes: bool | None = True) -> None:
            if yes:
                self.app.push_screen(ProfessionalScreen(self.ref, self.form()), self.saved)

        if unanswered:
            shown = ", ".join(map(str, unanswered[:12])) + (" ..." if len(unanswered) > 12 else "")
            self.app.push_screen(
                AskScreen(
                    f"{len(unanswered)} questions are not answered ({shown}). They are recorded as not "
                    "answered, and the score counts only the answers given. Go on to the professional "
                    "section?"
                ),
                go_on,
            )
        else:
            go_on()

    def saved(self, done: bool | None) -> None:
        if done:
            self.dismiss(True)

    def typed(self) -> bool:
        """Whether anything was answered, ticked or commented since the checklist opened."""
        return bool(self.answers or self.notes or self.ticks)

    def action_cancel(self) -> None:
        """Back to the case; if anything was answered, ask first (as every form does)."""
        from dacli.tui.screens.form import leave_asking

        leave_asking(self, self.typed())


class CommentScreen(ModalScreen[tuple[str, str] | None]):
    """A question's comment and, when it is not the victim, the source of the answer."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "keep", "Keep")]

    def __init__(self, number: int, comment: str, source: str) -> None:
        super().__init__()
        self.number, self.comment, self.source = number, comment, source

    def compose(self) -> ComposeResult:
        with Vertical(id="discard"):
            yield Label(f"Question {self.number}: comment (enter or ctrl+s keeps it, escape cancels)")
            yield Input(self.comment, id="comment")
            yield Label("Source, if not the victim")
            yield Input(self.source, id="source")

    @on(Input.Submitted, "#comment")
    def to_source(self) -> None:
        self.query_one("#source", Input).focus()

    @on(Input.Submitted, "#source")
    def action_keep(self) -> None:
        self.dismiss(
            (self.query_one("#comment", Input).value.strip(), self.query_one("#source", Input).value.strip())
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class AskScreen(ModalScreen[bool]):
    """A yes-or-no question before going on: y or enter goes on, n or escape stays."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="discard"):
            yield Label(self.question)
            with Horizontal():
                yield Button("Go on (y)", variant="primary", id="yes")
                yield Button("Back to the questions (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


PROFESSIONAL_ONLY = (
    *(f"professional.{k}" for k in Professional.model_fields),
    "context.police_incidents_past_12_months",
    "context.new_incident",
    "context.child_made_call",
    "context.child_injured",
    "context.child_used_as_shield",
)


class ProfessionalScreen(SchemaFormScreen):
    """The pack's 'For consideration by professional' section, in its words, and what the incident adds
    (police incidents, a new incident, the children's triggers); ctrl+s saves the whole checklist."""

    MODEL = DashForm
    ONLY = PROFESSIONAL_ONLY
    TITLE_TEXT = "{ref}: Dash, for consideration by professional. ctrl+s saves the checklist."

    def __init__(self, ref: str, answers: dict[str, Any]) -> None:
        super().__init__(ref)
        self.dash_answers = answers

    def form_fields(self) -> list[FormField]:
        from dacli.schemas.dash_bank import PROFESSIONAL_ITEMS

        words = {f"professional.{i.key}": i.text for i in PROFESSIONAL_ITEMS}
        words["professional.reasons"] = "Your reasons (needed for a referral on professional judgement)"
        words["professional.level"] = "Your professional judgement of the risk level, if it differs"
        return [
            dataclasses.replace(f, label=words.get(f.key, f.label))
            for f in form_fields(DashForm, only=self.ONLY)
        ]

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.dash import parse_dash, record_dash

        today = self.app.today()
        form = parse_dash({**data, "answers": self.dash_answers}, today)
        session, ref = self.app.session, self.ref
        return lambda: record_dash(session, ref, form, today)

    def saved(self, result) -> None:
        _, record = result
        r = record.result
        self.app.notify(f"Dash saved: {r.yes} yes, risk {r.risk_level}.")
