"""Referrals and hearings: the Marac referral, a court hearing (criminal or civil), a referral to children's
social care and its written confirmation; each read and saved by the CLI's own service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from dacli import clock
from dacli.errors import InvalidInput
from dacli.schemas.children import CscReferralForm
from dacli.schemas.court import CivilHearing, CriminalHearing
from dacli.schemas.fields import FormField
from dacli.schemas.marac import MaracForm
from dacli.tui.screens.form import FormScreen
from dacli.tui.screens.schemaform import SchemaFormScreen

OUT = "out"


class MaracScreen(SchemaFormScreen):
    """`dacli marac refer`: the referrer's part of the Marac referral form. The risk criteria come from the
    latest Dash; safe fields are withheld from the form written out (release them with the CLI, which asks
    for the audited reason)."""

    MODEL = MaracForm
    TITLE_TEXT = "{ref}: Marac referral. ctrl+s saves, escape cancels."
    INTRO = (
        "The criteria come from the latest Dash. Safe fields are withheld from the form written out; to "
        "release one, use `dacli marac refer --release FIELD`."
    )

    def initial(self) -> dict[str, Any]:
        return {"referred_on": self.app.today().isoformat()}

    def fields(self) -> ComposeResult:
        yield from super().fields()
        yield Label("Write the filled referral form (Markdown) to this file, outside the store *")
        yield Input(id=OUT, placeholder="for example ~/marac-referral.md")

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.exports import outside_store, to_file
        from dacli.services.marac import parse_marac, refer

        form = parse_marac(data, self.app.today())
        out = self.value(OUT)
        if not out:  # the form goes to the Marac: it is written out, never only recorded
            raise InvalidInput(f"Referral refused, nothing written: {OUT} is not answered.")
        deliver = to_file(outside_store(out, self.app.store_path, OUT))
        session, ref = self.app.session, self.ref
        return lambda: refer(session, ref, form, [], None, deliver)

    def saved(self, result) -> None:
        out = self.value(OUT)
        self.app.notify(f"Marac referral {result[0]} recorded; the form is in {out}.")


class CourtScreen(SchemaFormScreen):
    """`dacli court record`: a hearing, criminal (charges, special measures) or civil (orders)."""

    SKIP = ("kind",)
    KIND = ""

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.court import parse_hearing, record_hearing

        form = parse_hearing({**data, "kind": self.KIND}, self.app.today())
        session, ref = self.app.session, self.ref
        return lambda: record_hearing(session, ref, form)


class CriminalCourtScreen(CourtScreen):
    MODEL = CriminalHearing
    REPEAT = {"charges": 3, "special_measures": 2}
    KIND = "criminal"
    TITLE_TEXT = "{ref}: criminal court hearing. ctrl+s saves, escape cancels."


class CivilCourtScreen(CourtScreen):
    MODEL = CivilHearing
    REPEAT = {"orders": 3}
    KIND = "civil"
    TITLE_TEXT = "{ref}: civil court hearing (orders). ctrl+s saves, escape cancels."


class ChildrenScreen(SchemaFormScreen):
    """`dacli children refer`: a referral to children's social care; a verbal one is confirmed in writing
    within 24 hours (`dacli children confirm`, or C on the case)."""

    MODEL = CscReferralForm
    TITLE_TEXT = "{ref}: referral to children's social care. ctrl+s saves, escape cancels."

    def initial(self) -> dict[str, Any]:
        return {"referred_at": clock.show(self.app.now())}

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.children import parse_csc, record_csc_referral

        form = parse_csc(data)
        session, ref = self.app.session, self.ref
        return lambda: record_csc_referral(session, ref, form)


class ConfirmChildrenScreen(FormScreen):
    """`dacli children confirm`: a verbal referral confirmed in writing."""

    TITLE_TEXT = "{ref}: written confirmation of a referral to children's social care. ctrl+s saves."

    def __init__(self, ref: str, referrals: list[tuple[str, str]]) -> None:
        super().__init__(ref)
        self.referrals = referrals

    def fields(self) -> ComposeResult:
        if not self.referrals:
            yield Label("No verbal referral on this case waits for its written confirmation.")
            return
        yield Label("The referral *")
        yield Select([(t, n) for n, t in self.referrals], prompt="choose", id="referral")
        yield Label("When the written confirmation was sent (YYYY-MM-DD HH:MM, local time) *")
        yield Input(clock.show(self.app.now()), id="at")

    def prepare(self) -> Callable[[], object]:
        from dacli.schemas.fields import answer_value
        from dacli.services.children import confirm_csc_referral

        if not self.referrals:
            raise InvalidInput("No verbal referral on this case waits for its written confirmation.")
        name = self.query_one("#referral", Select).value
        if name is Select.NULL:
            raise InvalidInput("Confirmation refused, nothing written: referral is not answered.")
        raw = answer_value(FormField("at", "", "datetime", True), self.value("at"))
        try:
            import datetime as dt

            at = dt.datetime.fromisoformat(raw or "")
        except ValueError:
            raise InvalidInput(
                "Confirmation refused, nothing written: at is not a date and time (YYYY-MM-DD HH:MM)."
            ) from None
        session, ref = self.app.session, self.ref
        return lambda: confirm_csc_referral(session, ref, str(name), at)


def unconfirmed(view) -> list[tuple[str, str]]:
    """A case's verbal referrals to children's social care not yet confirmed in writing."""
    return [
        (n, f"{clock.show(r.referred_at)} to {r.to} ({r.how})")
        for n, r in view.csc
        if r.written_confirmation_at is None
    ]
