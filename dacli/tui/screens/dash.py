"""The Dash risk checklist screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Label,
    Static,
)

from dacli.tui.screens.form import save_or_refuse


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
            yield Static("", id="question", markup=False)
            yield Static("", id="score", markup=False)
            yield Label("", id="error", markup=False)
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

        def save() -> None:
            form = parse_dash({"answers": {f"q{n}": a for n, a in self.answers.items()}}, today)
            record_dash(self.app.session, self.ref, form, today)

        save_or_refuse(self, save)

    def action_cancel(self) -> None:
        self.dismiss(False)
