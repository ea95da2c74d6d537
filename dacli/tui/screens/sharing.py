"""The consent and sharing forms: the client's agreement, a share made with consent, a decision to share
without consent, and a senior's sign-off of one; each read and saved by the CLI's own service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Label, Select, TextArea

from dacli import clock
from dacli.errors import InvalidInput
from dacli.schemas.consent import AgreementForm
from dacli.schemas.sharing import DisclosureForm, ShareForm
from dacli.tui.screens.form import FormScreen
from dacli.tui.screens.schemaform import SchemaFormScreen


class ConsentScreen(SchemaFormScreen):
    """`dacli consent record`: the confidentiality and information-sharing agreement (the latest is in
    force), with up to three agencies' permissions."""

    MODEL = AgreementForm
    REPEAT = {"agencies": 3}
    TITLE_TEXT = "{ref}: consent agreement. ctrl+s saves, escape cancels."
    INTRO = "The agreement on file is replaced by this one. An agency left blank is not recorded."

    def initial(self) -> dict[str, Any]:
        return {"caseworker_signed_on": self.app.today().isoformat()}

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.consent import parse_agreement, record_agreement

        form = parse_agreement(data, self.app.today())
        session, ref = self.app.session, self.ref
        return lambda: record_agreement(session, ref, form)


class DisclosureScreen(SchemaFormScreen):
    """`dacli share`: a share made with the client's consent (refused unless the agreement in force permits
    that agency on that day)."""

    MODEL = DisclosureForm
    TITLE_TEXT = "{ref}: share with the client's consent. ctrl+s saves, escape cancels."
    INTRO = "Refused unless the agreement in force permits the agency on that day."

    def initial(self) -> dict[str, Any]:
        return {"shared_at": clock.show(self.app.now())}

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.consent import parse_disclosure, share_with_consent

        form = parse_disclosure(data, self.app.now())
        session, ref = self.app.session, self.ref
        return lambda: share_with_consent(session, ref, form)


class ShareScreen(SchemaFormScreen):
    """`dacli share-without-consent record`: the pack's form for sharing without consent; a caseworker's
    decision waits for a senior's sign-off (due within 48 hours)."""

    MODEL = ShareForm
    TITLE_TEXT = "{ref}: share WITHOUT consent. ctrl+s saves, escape cancels."
    INTRO = "A caseworker's decision needs a senior's or manager's sign-off within 48 hours."

    def initial(self) -> dict[str, Any]:
        return {"shared_at": clock.show(self.app.now())}

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.sharing import parse_share, share_without_consent

        form = parse_share(data, self.app.now())
        session, ref = self.app.session, self.ref
        return lambda: share_without_consent(session, ref, form)

    def saved(self, result) -> None:
        name, record = result
        wait = " It waits for a senior's sign-off." if record.needs_sign_off else ""
        self.app.notify(f"Decision {name} recorded.{wait}")


class SignOffScreen(FormScreen):
    """`dacli share-without-consent sign-off`: a senior or manager signs off a decision awaiting it (never
    their own: the service refuses)."""

    TITLE_TEXT = "{ref}: sign off a decision to share without consent. ctrl+s saves."

    def __init__(self, ref: str, waiting: list[tuple[str, str]]) -> None:
        super().__init__(ref)
        self.waiting = waiting

    def fields(self) -> ComposeResult:
        if not self.waiting:
            yield Label("No decision on this case waits for a sign-off.")
            return
        yield Label("The decision *")
        yield Select([(text, name) for name, text in self.waiting], prompt="choose", id="decision")
        yield Label("Your review of the decision (kept encrypted with the record; optional)")
        yield TextArea(id="comment", classes="text")

    def prepare(self) -> Callable[[], object]:
        from dacli.services.sharing import sign_off_share

        if not self.waiting:
            raise InvalidInput("No decision on this case waits for a sign-off.")
        decision = self.query_one("#decision", Select).value
        if decision is Select.NULL:
            raise InvalidInput("Sign-off refused, nothing written: decision is not answered.")
        comment = self.text("comment") or None
        session, ref = self.app.session, self.ref
        return lambda: sign_off_share(session, ref, str(decision), comment)


def waiting_sign_off(view) -> list[tuple[str, str]]:
    """The decisions on a case that wait for a sign-off: (record name, what a person reads)."""
    return [
        (e["record"], f"{clock.show(e['when'])} to {e['to']} by {e['by']}")
        for e in view.ledger()
        if e["sign_off"] == "awaiting"
    ]
