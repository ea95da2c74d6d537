"""Information Sharing Without Consent (SafeLives Case Management Pack, 2014) and its senior sign-off.

A decision is one record (`share-<timestamp>-<rand>.toml.age`); a sign-off is another that names it
(`signoff-...`). Nothing is edited, so the decision as made and its review both stay on file.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from dacli.schemas.common import Strict

SHARE_SCHEMA = "share-without-consent/1"
SIGNOFF_SCHEMA = "share-sign-off/1"
LEGAL_BASES = (
    "Child Protection Act",
    "Data Protection Act",
    "Human Rights Act",
    "Crime and Disorder Act",
    "Common Law",
)
"""'I am sharing information based on the legal authority of (tick one or more)', as the form prints it."""

Basis = Literal[
    "Child Protection Act", "Data Protection Act", "Human Rights Act", "Crime and Disorder Act", "Common Law"
]


class ShareForm(Strict):
    sent_to: str = Field(min_length=1, max_length=500)
    """Sent to: the agency and person the information went to."""
    shared_at: dt.datetime
    """Date/time of the decision to share."""
    information_shared: str = Field(min_length=1, max_length=20000)
    """What information is shared (it goes in the disclosure ledger)."""
    concerned_about: list[Literal["children", "client", "perpetrator", "other"]] = Field(min_length=1)
    """Who are you concerned about? Child[ren], Perpetrator, Client/victim, Other."""
    concerned_about_other: str | None = Field(None, max_length=500)
    at_risk_from: list[Literal["client", "self-harm", "perpetrator", "family-member", "other"]] = Field(
        min_length=1
    )
    """Who are they at risk from? Client/victim, Self-harm, Perpetrator, Family member, Other."""
    at_risk_from_other: str | None = Field(None, max_length=500)
    concerns_fact: str = Field(min_length=1, max_length=20000)
    """What are your concerns? The facts."""
    concerns_opinion: str | None = Field(None, max_length=20000)
    """Professional opinion, kept apart from the facts."""
    immediate_risk: bool
    """Flag immediate risk: answered yes or no (never assumed)."""
    legal_basis: list[Basis] = Field(min_length=1)
    """I am sharing information based on the legal authority of (one or more)."""
    considerations: str = Field(min_length=1, max_length=20000)
    """I have balanced the following considerations."""
    discussed_with: str = Field(min_length=1, max_length=500)
    """I have discussed this internally with."""
    action: str = Field(min_length=1, max_length=20000)
    """The action we have taken is."""
    client_notified: bool
    """Has the client been notified?"""
    not_notified_reason: str | None = Field(None, max_length=20000)
    """If client not notified, why not?"""

    @model_validator(mode="after")
    def _why_not(self) -> ShareForm:
        if not self.client_notified and not (self.not_notified_reason or "").strip():
            raise ValueError("not_notified_reason: say why the client was not notified")
        if "other" in self.concerned_about and not self.concerned_about_other:
            raise ValueError("concerned_about_other: say who")
        if "other" in self.at_risk_from and not self.at_risk_from_other:
            raise ValueError("at_risk_from_other: say who")
        for name in ("considerations", "action", "concerns_fact", "discussed_with", "information_shared"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} cannot be blank")
        return self


class DashOnFile(Strict):
    """'Have you completed a RIC?' and its classification, filled from the case's latest checklist."""

    completed: bool
    assessed_on: dt.date | None = None
    yes: int | None = None
    risk_level: str | None = None


class ShareRecord(ShareForm):
    schema_: str = Field(SHARE_SCHEMA, alias="schema")
    case: str
    decided_by: str
    """Staff id of the person who made the decision."""
    decided_by_role: str
    recorded_at: dt.datetime
    dash: DashOnFile
    needs_sign_off: bool
    """True for a caseworker's decision: a senior or manager reviews it within 48 hours."""


class SignOffRecord(Strict):
    schema_: str = Field(SIGNOFF_SCHEMA, alias="schema")
    case: str
    decision: str
    """The record name of the decision signed off."""
    signed_by: str
    signed_by_role: str
    signed_at: dt.datetime
    comment: str | None = Field(None, max_length=20000)


DISCLOSURE_SCHEMA = "disclosure/1"


class DisclosureForm(Strict):
    """A share made with the client's consent (the agreement in force names the agency)."""

    sent_to: str = Field(min_length=1, max_length=500)
    """The agency (as named in the agreement) and person."""
    agency: str = Field(min_length=1, max_length=200)
    """The agency as named in the agreement's permissions."""
    information_shared: str = Field(min_length=1, max_length=20000)
    shared_at: dt.datetime


class DisclosureRecord(DisclosureForm):
    schema_: str = Field(DISCLOSURE_SCHEMA, alias="schema")
    case: str
    shared_by: str
    recorded_at: dt.datetime
    agreement: str
    """The agreement record the consent comes from."""
