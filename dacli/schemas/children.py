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
