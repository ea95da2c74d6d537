"""The case record (status and worker) and the caseload index row."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dacli.schemas.common import Strict


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class CaseRecord(Strict):
    """`case.toml.age`: the one record updated in place (under the case lock)."""

    schema_: str = Field("case/1", alias="schema")
    case: str
    status: CaseStatus = CaseStatus.open
    worker: str
    """Username of the allocated caseworker."""
    opened: datetime
    opened_by: str
    """Staff id of whoever opened the case."""


class CaseSummary(BaseModel):
    """One row of the caseload index: enough to list and find a case without decrypting it."""

    ref: str
    client: str
    aka: str | None = None
    dob: date | None = None
    worker: str
    status: CaseStatus
    risk: str | None = None
    referral_date: date
    opened: datetime
    last_contact: date | None = None
    records: int = 0
    repeat_of: str | None = None
    flags: list[str] = []
