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


class PersonRow(BaseModel):
    name: str
    aka: str | None = None
    dob: date | None = None


class CaseSummary(BaseModel):
    """One row of the caseload index: enough to list and find a case, and to spot repeat referrals and
    conflicts of interest, without decrypting it. Derived from the records by `summarise`."""

    ref: str
    client: str
    aka: str | None = None
    dob: date | None = None
    perpetrators: list[PersonRow] = []
    worker: str
    status: CaseStatus
    risk: str | None = None
    referral_date: date
    referred_at: datetime
    """When the latest referral was received (the first-contact clock)."""
    opened: datetime
    intakes: int = 1
    first_contact: datetime | None = None
    """First successful contact with the client since the latest referral."""
    last_contact: datetime | None = None
    """Last successful contact with the client (retention and review clocks)."""
    records: int = 0
    flags: list[str] = []
    """repeat, conflict, significant-concerns, incomplete-intake."""

    @classmethod
    def from_index(cls, row: dict) -> CaseSummary:
        """A row the store has just decrypted and authenticated, without full validation.

        Listing 20,000 cases must stay well under a second; validating every row costs more than
        decrypting the whole index. The index carries its format version (checked by the store) and the
        caller validates one row in full, so a row of another shape still fails loudly.
        """

        def day(v):
            return date.fromisoformat(v) if v else None

        def moment(v):
            return datetime.fromisoformat(v) if v else None

        return cls.model_construct(
            **{
                **row,
                "dob": day(row.get("dob")),
                "perpetrators": [
                    PersonRow.model_construct(name=p["name"], aka=p.get("aka"), dob=day(p.get("dob")))
                    for p in row.get("perpetrators", [])
                ],
                "status": CaseStatus(row["status"]),
                "referral_date": day(row["referral_date"]),
                "referred_at": moment(row["referred_at"]),
                "opened": moment(row["opened"]),
                "first_contact": moment(row.get("first_contact")),
                "last_contact": moment(row.get("last_contact")),
            }
        )
