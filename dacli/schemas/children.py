"""A referral to children's social care (`csc-<timestamp>-<rand>.toml.age`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from dacli.schemas.common import Strict

CSC_SCHEMA = "csc-referral/1"


class CscReferralForm(Strict):
    referred_at: dt.datetime
    """When the referral was made (UTC)."""
    to: str = Field(min_length=1, max_length=200)
    """To whom: the team or person at children's social care."""
    how: Literal["verbal", "written"]
    """A verbal referral is confirmed in writing within 24 hours."""
    written_confirmation_at: dt.datetime | None = None
    """When the written confirmation was sent (a written referral is its own confirmation)."""
    triggers: list[str] = []
    """The triggers that applied when it was made."""
    notes: str | None = Field(None, max_length=20000)


class CscReferralRecord(CscReferralForm):
    schema_: str = Field(CSC_SCHEMA, alias="schema")
    case: str
    recorded_by: str
    recorded_at: dt.datetime


CSC_CONFIRM_SCHEMA = "csc-confirm/1"


class CscConfirmRecord(Strict):
    """`cscconfirm-<when>-<rand>.toml.age`: that a verbal referral to children's social care was confirmed in
    writing. Store format 3: the referral record is written once and never changed; where two offices
    record a confirmation of one referral, the earliest moment stands."""

    schema_: str = Field(CSC_CONFIRM_SCHEMA, alias="schema")
    case: str
    referral: str = Field(min_length=1, max_length=80)
    """The csc referral record confirmed."""
    confirmed_at: dt.datetime
    recorded_by: str
    recorded_at: dt.datetime
