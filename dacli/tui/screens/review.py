"""The case review form."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.widgets import (
    Input,
    Label,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState

from dacli.errors import DacliError
from dacli.tui.screens.form import FormScreen

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
        yield Static("Reading the case...", id="filled", classes="hint", markup=False)
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
        hint = " To close the case: x on the case (or dacli close)." if record.outcome == "close" else ""
        self.app.notify(f"Review saved: outcome {record.outcome}.{hint}")
