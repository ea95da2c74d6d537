"""The Confidentiality and Information Sharing Agreement (SafeLives Case Management Pack, 2014).

Each agreement is a new record (`agreement-<timestamp>-<rand>.toml.age`); the latest one is in force.
Consent to anonymised monitoring is its own statement: nothing in dacli overrides it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from dacli.schemas.common import Strict

AGREEMENT_SCHEMA = "agreement/1"
STATEMENTS = {
    "explained": "The confidentiality and information agreement has been explained to me.",
    "monitoring": (
        "I give permission for anonymised information about me to be used by other agencies and researchers "
        "for the purpose of monitoring and research."
    ),
    "confidential_unless_permission": (
        "I understand that information about me will be held confidentially unless I give my permission for "
        "it to be shared with others."
    ),
    "high_risk_exception": (
        "I understand that there are exceptions to this and in the event that I or my children are assessed "
        "to be at high risk of harm, information about me can be shared without my permission."
    ),
}
"""The four statements, word for word; each is answered yes or no."""


class AgencyPermission(Strict):
    agency: str = Field(min_length=1, max_length=200)
    """Agency name."""
    contact: str | None = Field(None, max_length=200)
    """Agency contact."""
    permission: bool
    """Permission to share information: Y / N."""
    date: dt.date
    review_date: dt.date | None = None
    """Date of review."""

    @model_validator(mode="after")
    def _review_after(self) -> AgencyPermission:
        if self.review_date is not None and self.review_date < self.date:
            raise ValueError("review_date is before date")
        return self


class AgreementForm(Strict):
    how: Literal["in-writing", "telephone"]
    """Signed by the client, or explained and consented to over the telephone."""
    explained: bool
    monitoring: bool
    """Consent to anonymised monitoring and research: separate, and never overridden."""
    confidential_unless_permission: bool
    high_risk_exception: bool
    client_signed_on: dt.date | None = None
    """Date the client signed (in writing)."""
    caseworker_signed_on: dt.date
    """Date the case worker signed."""
    agencies: list[AgencyPermission] = []

    @model_validator(mode="after")
    def _signed(self) -> AgreementForm:
        if self.how == "in-writing" and self.client_signed_on is None:
            raise ValueError("client_signed_on: a written agreement carries the client's signature date")
        return self


class AgreementRecord(AgreementForm):
    schema_: str = Field(AGREEMENT_SCHEMA, alias="schema")
    case: str
    recorded_by: str
    recorded_at: dt.datetime
