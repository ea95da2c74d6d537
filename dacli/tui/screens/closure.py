"""The end of a case: the exit form (`dacli close`), the follow-up call, reopening, and a retention hold;
each read and saved by the CLI's own service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, TextArea

from dacli.errors import InvalidInput
from dacli.schemas.fields import FormField, form_fields
from dacli.schemas.review import ExitForm, compared_fields
from dacli.tui.screens.form import FormScreen
from dacli.tui.screens.schemaform import YES_NO, SchemaFormScreen


class CloseScreen(SchemaFormScreen):
    """`dacli close`: the exit form, with the client's answers to 'Compared to your situation at intake...'
    (the questions about children only when the case has children on file). Risk at intake and at closure
    are filled in from the case when it is saved."""

    MODEL = ExitForm
    TITLE_TEXT = "{ref}: close the case (exit form). ctrl+s saves, escape cancels."
    INTRO = "Risk at intake and at closure are filled in from the case. Closed on: blank is today."

    def __init__(self, ref: str, children: bool = True) -> None:
        self.with_children = children
        super().__init__(ref)

    def form_fields(self) -> list[FormField]:
        base = form_fields(ExitForm)
        at = next(n for n, f in enumerate(base) if f.key == "reason_detail") + 1
        return base[:at] + compared_fields(self.with_children) + base[at:]

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.review import close_case, parse_exit

        today = self.app.today()
        form = parse_exit(data, today)
        session, ref = self.app.session, self.ref
        return lambda: close_case(session, ref, form, today)

    def saved(self, result) -> None:
        _, record = result
        follow = "a follow-up call falls due in 6 months" if record.follow_up_consent else "no follow-up call"
        self.app.notify(f"Case closed ({record.reason}); {follow}.")


class FollowUpScreen(FormScreen):
    """`dacli follow-up`: the call made after closure (only when the client consented to it)."""

    TITLE_TEXT = "{ref}: the follow-up call. ctrl+s saves, escape cancels."
    FIRST = "reached"

    def fields(self) -> ComposeResult:
        yield Label("Date of the call (YYYY-MM-DD) *")
        yield Input(self.app.today().isoformat(), id="called_on")
        yield Label("Was the client reached? *")
        yield Select(YES_NO, prompt="yes or no", id="reached")
        yield Label("How is the client getting on? Any new needs? (optional)")
        yield TextArea(id="outcome", classes="text")

    def prepare(self) -> Callable[[], object]:
        from dacli.services.review import record_follow_up

        missing = []
        try:
            called_on = dt.date.fromisoformat(self.value("called_on"))
        except ValueError:
            if self.value("called_on"):
                raise InvalidInput(
                    "Follow-up refused, nothing written: called_on is not a date (YYYY-MM-DD)."
                ) from None
            missing.append("called_on")
        reached = self.query_one("#reached", Select).value
        if reached is Select.NULL:
            missing.append("reached")
        if missing:
            raise InvalidInput(f"Follow-up refused, nothing written: {' and '.join(missing)} not answered.")
        outcome, today = self.text("outcome"), self.app.today()
        session, ref = self.app.session, self.ref
        return lambda: record_follow_up(session, ref, called_on, bool(reached), outcome, today)


class ReasonScreen(FormScreen):
    """A decision that needs only its reason (audited): reopen a case, place a retention hold."""

    FIRST = "reason"
    QUESTION = ""
    WHAT = ""

    def fields(self) -> ComposeResult:
        yield Label(f"{self.QUESTION} *")
        yield TextArea(id="reason", classes="text")

    def prepare(self) -> Callable[[], object]:
        reason = self.text("reason")
        if not reason:
            raise InvalidInput(f"{self.WHAT} refused, nothing written: reason is not answered.")
        session, ref = self.app.session, self.ref
        return lambda: self.decide(session, ref, reason)

    def decide(self, session, ref: str, reason: str) -> object:
        raise NotImplementedError


class ReopenScreen(ReasonScreen):
    """`dacli reopen`."""

    TITLE_TEXT = "{ref}: reopen the case. ctrl+s saves, escape cancels."
    QUESTION = "Why is the case reopened? (audited)"
    WHAT = "Reopening"

    def decide(self, session, ref: str, reason: str) -> object:
        from dacli.services.review import reopen

        return reopen(session, ref, reason)


class HoldScreen(ReasonScreen):
    """`dacli hold add`: stop destruction until the hold is removed (seniors and managers)."""

    TITLE_TEXT = "{ref}: place a retention hold. ctrl+s saves, escape cancels."
    QUESTION = "Why is the case held? For example a domestic homicide review (audited)"
    WHAT = "Hold"

    def decide(self, session, ref: str, reason: str) -> object:
        from dacli.services.retention import add_hold

        return add_hold(session, ref, reason)
