"""The case record (status and worker) and the caseload index row."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

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
    model_config = ConfigDict(defer_build=True)

    name: str
    aka: str | None = None
    dob: date | None = None


class CaseSummary(BaseModel):
    """One row of the caseload index: enough to list and find a case, and to spot repeat referrals and
    conflicts of interest, without decrypting it. Derived from the records by `summarise`."""

    model_config = ConfigDict(defer_build=True)

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
    """repeat, conflict, significant-concerns, incomplete-intake, no-dash, children-referral-needed,
    share-awaiting-sign-off, marac-referral-due, incomplete (a record cannot be read)."""
    last_dash: date | None = None
    """Date of the latest Dash checklist (its risk level is ``risk``)."""
    last_incident: datetime | None = None
    """The latest new incident recorded in a case note."""
    csc_unconfirmed: datetime | None = None
    """The earliest verbal referral to children's social care not yet confirmed in writing."""
    share_unsigned_since: datetime | None = None
    """When the earliest share without consent still awaiting a senior's sign-off was made (``shared_at``:
    the 48 hours run from the sharing itself); kept after closure."""
    order_expiries: list[date] = []
    """Expiry dates of the civil orders on file."""
    next_court_date: date | None = None
    issp_next_action: date | None = None
    """The earliest 'by when?' of a safety-plan action not yet complete (latest plan)."""
    last_review: date | None = None
    closed_on: date | None = None
    follow_up_consent: bool = False
    follow_up_done: bool = False
    youngest_child_dob: date | None = None
    """For the retention rule on records involving children (an unborn child counts from its due date)."""
    held: bool = False
    """A retention hold applies (destruction is stopped)."""
    report: dict = {}
    """What reports count of the case: codes, dates and levels, never a name (`services.report_facts`)."""

    def index_row(self) -> dict:
        """The row as the index stores it: JSON types, empty and default values left out (a smaller
        index decrypts and parses faster; readers use ``.get`` with the same defaults)."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


_ROW_DEFAULTS = {
    name: (field_.default if field_.default_factory is None else field_.default_factory())
    for name, field_ in CaseSummary.model_fields.items()
    if not field_.is_required()
}


class PersonKey(NamedTuple):
    name: str
    aka: str | None
    dob: date | None


_STATUS = {s.value: s for s in CaseStatus}


_DAYS = frozenset(
    ("dob", "referral_date", "last_dash", "next_court_date", "issp_next_action", "last_review", "closed_on")
)
_MOMENTS = frozenset(
    (
        "referred_at",
        "first_contact",
        "last_contact",
        "last_incident",
        "csc_unconfirmed",
        "share_unsigned_since",
    )
)
_PLAIN = {"aka": None, "follow_up_consent": False, "follow_up_done": False}


class CaseRow:
    """A caseload index row as the caseload reads it: straight from the decrypted JSON.

    Listing 20,000 cases must stay well under a second, and building a pydantic model per row costs more
    than decrypting the whole index. The index carries its format version (checked by the store) and the
    caseload validates one row in full against `CaseSummary`, so a row of another shape fails loudly.
    ``raw`` is the row as stored, for JSON output. The fields every screen shows are set at once; dates
    (``dob``, ``referred_at``, ``last_contact`` ... as in `CaseSummary`) are parsed from ``raw`` the first
    time they are asked for, since a listing whose deadlines were resolved in the index needs none of them.
    Keyword arguments set any of them directly (tests).
    """

    __slots__ = (
        "raw", "ref", "client", "worker", "status", "risk", "flags",
        "_given", "_deadlines", "_schedule", "next_due", "overdue",
    )  # fmt: skip

    def __init__(
        self,
        raw: dict,
        ref: str,
        client: str,
        worker: str,
        status: CaseStatus,
        risk: str | None,
        flags: list[str],
        **given: Any,
    ) -> None:
        self.raw, self.ref, self.client, self.worker = raw, ref, client, worker
        self.status, self.risk, self.flags = status, risk, flags
        self._given = given
        self._deadlines: list | None = None
        # (now, first-contact hours, Dash weeks, review policy): the deadlines are worked out when asked
        self._schedule: tuple | None = None
        self.next_due: Any = None  # the earliest deadline not yet done (rules.deadlines.Deadline) or None
        self.overdue = False  # whether any deadline is overdue

    def __getattr__(self, name: str) -> Any:
        # only called for names that are not slots: the dates and the rarer fields, parsed once
        given = self._given
        if name in given:
            return given[name]
        if name in _DAYS:
            value = self.raw.get(name)
            given[name] = value = date.fromisoformat(value) if value else None
            return value
        if name in _MOMENTS:
            value = self.raw.get(name)
            given[name] = value = datetime.fromisoformat(value) if value else None
            return value
        if name == "order_expiries":
            given[name] = value = [date.fromisoformat(d) for d in self.raw.get(name, ())]
            return value
        if name in _PLAIN:
            return self.raw.get(name, _PLAIN[name])
        raise AttributeError(name)

    @property
    def deadlines(self) -> list:
        """Filled in by the caseload service (rules.deadlines), so every screen shows the same ones."""
        if self._deadlines is None:
            if self._schedule is None:
                return []
            from dacli.rules.schedule import deadlines

            self._deadlines = deadlines(self, *self._schedule)
        return self._deadlines

    @deadlines.setter
    def deadlines(self, value: list) -> None:
        self._deadlines = value

    @property
    def contact_at(self) -> str | None:
        """The last client contact as the index stores it (ISO text, UTC), or None."""
        return self.raw.get("last_contact")

    def as_json(self) -> dict:
        """The full row, every key present (the index leaves defaults out), as JSON types."""
        defaults = {k: list(v) if isinstance(v, list) else v for k, v in _ROW_DEFAULTS.items()}
        return {**defaults, **{k: v for k, v in self.raw.items() if k[0] != "_"}}  # not the cached "_due"

    @property
    def perpetrators(self) -> list[PersonKey]:
        day = date.fromisoformat
        return [
            PersonKey(p["name"], p.get("aka"), day(p["dob"]) if p.get("dob") else None)
            for p in self.raw.get("perpetrators", ())
        ]

    @classmethod
    def from_index(cls, row: dict) -> CaseRow:
        return cls(
            row,
            row["ref"],
            row["client"],
            row["worker"],
            _STATUS[row["status"]],
            row.get("risk"),
            row.get("flags", []),
        )
