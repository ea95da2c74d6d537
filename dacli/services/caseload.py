"""The caseload: every case the index knows, filtered and with its deadlines.

Kept apart from the case file (`services.case_view`) so that `dacli case list` imports neither the intake
schemas nor the record readers: listing 20,000 cases is one decrypt of the index and one pass over its rows.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from pydantic import ValidationError

from dacli import clock
from dacli.errors import IntegrityError, InvalidInput
from dacli.perf import gc_paused
from dacli.rules import schedule
from dacli.rules.deadlines import Deadline, DeadlineState
from dacli.schemas.case import CaseRow, CaseStatus, CaseSummary
from dacli.schemas.store import ReviewPolicy
from dacli.services import rows as _rows  # noqa: F401  (the index builds rows with it)
from dacli.store.store import Session


@cache
def _default_review() -> ReviewPolicy:
    """Built on first use, not at import (a schema is built only by a command that uses it)."""
    return ReviewPolicy()


def index_rows(index: dict) -> list[CaseRow]:
    rows = list(index.get("cases", {}).values())
    try:
        if rows:
            CaseSummary.model_validate(rows[0])  # one row in full: catches a row of another shape
        return [CaseRow.from_index(r) for r in rows]
    except (ValidationError, KeyError, ValueError, TypeError, AttributeError):
        raise IntegrityError(
            "The caseload index was written by another version of dacli or is damaged; "
            "run `dacli reindex` (the records are untouched)."
        ) from None


def people_rows(rows: list[dict]) -> list[CaseRow]:
    """Rows for matching an intake (`Session.match_transaction`: the fields `find_matches` reads)."""
    try:
        return [CaseRow.from_index(r) for r in rows]
    except (KeyError, ValueError, TypeError, AttributeError):
        raise IntegrityError(
            "The caseload's people file was written by another version of dacli or is damaged; "
            "run `dacli reindex` (the records are untouched)."
        ) from None


def deadlines(
    row: CaseRow | CaseSummary,
    now: dt.datetime,
    first_contact_hours: int = 48,
    dash_weeks: int = 8,
    review: ReviewPolicy | None = None,
) -> list[Deadline]:
    """Every deadline of a case (`rules.schedule.deadlines`); the CLI and the dashboard both take them
    from here."""
    return schedule.deadlines(row, now, first_contact_hours, dash_weeks, review or _default_review())


def overdue(
    row: CaseRow | CaseSummary,
    now: dt.datetime,
    first_contact_hours: int = 48,
    dash_weeks: int = 8,
    review: ReviewPolicy | None = None,
) -> list[Deadline]:
    return [
        d
        for d in deadlines(row, now, first_contact_hours, dash_weeks, review)
        if d.state == DeadlineState.overdue
    ]


def _due_at(d: Deadline) -> dt.datetime:
    return d.due_at


def select(
    rows: list[CaseRow],
    *,
    worker: str | None = None,
    risk: str | None = None,
    flag: str | None = None,
    only_overdue: bool = False,
) -> list[CaseRow]:
    """The caseload's filters, for the CLI (`case list --worker/--risk/--flag/--overdue`) and the
    dashboard alike. ``risk`` 'none' means not assessed; ``only_overdue`` needs deadlines filled in."""
    if worker:
        rows = [r for r in rows if r.worker == worker]
    if risk:
        rows = [r for r in rows if (r.risk or "none") == risk]
    if flag:
        rows = [r for r in rows if flag in r.flags]
    if only_overdue:
        rows = [r for r in rows if r.overdue]
    return rows


def _apply_rules(rows: list[CaseRow], now: dt.datetime, hours: int, weeks: int, review: ReviewPolicy) -> None:
    """Deadlines, next deadline, overdue and the closure-candidate flag of each row, from the rules."""
    done, late = DeadlineState.done, DeadlineState.overdue
    for r in rows:
        r.deadlines = due = deadlines(r, now, hours, weeks, review)
        if schedule.closure_candidate(r, now, review):
            r.flags = [*r.flags, "closure-candidate"]  # no client contact for 8 weeks (policy)
        pending = [d for d in due if d.state is not done]
        r.next_due = min(pending, key=_due_at) if pending else None
        r.overdue = any(d.state is late for d in pending)


def _read_schedules(
    rows: list[CaseRow], now: dt.datetime, hours: int, weeks: int, review: ReviewPolicy
) -> None:
    """The same as `_apply_rules`, read from what `rules.schedule.encode` stored in each index row when the
    index was written; the full list of deadlines is worked out only for a row a screen asks about."""
    now_us, next_due = schedule.When(now), schedule.next_due
    later = (now, hours, weeks, review)
    for r in rows:
        if "_due" not in r.raw:  # never written without one; if it were, the rules still answer
            _apply_rules([r], now, hours, weeks, review)
            continue
        r._schedule = later
        r.next_due, r.overdue, quiet = next_due(r.raw["_due"], now_us)
        if quiet:
            r.flags = [*r.flags, "closure-candidate"]  # no client contact for 8 weeks (policy)


class Listed:
    """One case as a caseload lists it (`store.listing`): the listed columns only, and its next deadline as
    `rules.schedule.next_code` gives it. `case list`, the dashboard's caseload and `close --candidates` show
    these; `case list --json` and a case's own screen read the full row (`caseload`)."""

    __slots__ = (
        "ref", "client", "worker", "status", "risk", "referral_date", "contact_at", "referred_at", "flags",
        "next_code", "overdue",
    )  # fmt: skip

    def __init__(self, row: list, next_code: tuple | None, overdue: bool, quiet: bool) -> None:
        self.ref, self.client, self.worker, self.status, self.risk = row[0], row[1], row[2], row[3], row[4]
        self.referral_date, self.contact_at, self.referred_at = row[5], row[6], row[7]
        self.flags = [*row[8], "closure-candidate"] if quiet else row[8]  # no client contact for 8 weeks
        self.next_code, self.overdue = next_code, overdue

    @property
    def next_due(self) -> Deadline | None:
        """The earliest deadline not yet done, as the rules give it (or None)."""
        return None if self.next_code is None else schedule.deadline_of(self.next_code)


def listing(
    session: Session,
    *,
    worker: str | None = None,
    status: str | None = None,
    risk: str | None = None,
    flag: str | None = None,
    only_overdue: bool = False,
    now: dt.datetime | None = None,
) -> list[Listed]:
    """The caseload as `caseload` gives it (the same cases, filters and order), read from the listing alone:
    no row object beyond the listed columns, deadlines from their codes."""
    with gc_paused():
        return _listing(session, worker, status, risk, flag, only_overdue, now)


def _listing(
    session: Session,
    worker: str | None,
    status: str | None,
    risk: str | None,
    flag: str | None,
    only_overdue: bool,
    now: dt.datetime | None,
) -> list[Listed]:
    saved = session.read_listing()  # brought up to date with the case folders first
    rows = saved["rows"]
    if status:
        try:
            wanted = CaseStatus(status).value
        except ValueError:
            raise InvalidInput(f"status must be open or closed, not {status!r}.") from None
        rows = [r for r in rows if r[3] == wanted]
    if worker:
        rows = [r for r in rows if r[2] == worker]
    if risk:
        rows = [r for r in rows if (r[4] or "none") == risk]
    book = session.tombstone_book()  # a believed tombstone line only: a forged one hides nothing
    if book.named:
        from dacli.store.retention import gone_for_good

        root = session.store.root
        named, believed = book.named, book.believed
        gone = {r[0] for r in rows if r[0] in named and gone_for_good(root, r[0]) and believed(r[0])}
        rows = [r for r in rows if r[0] not in gone]  # purged by the sweep; the next write drops them
    when = schedule.When((now or clock.now()).astimezone(dt.UTC))
    out = _answered(rows, when, saved.get("day") == when[1])
    if only_overdue:
        out = [r for r in out if r.overdue]
    if flag:
        out = [r for r in out if flag in r.flags]
    # saved open first, then by referral: open and overdue first, keeping that order within
    out.sort(key=lambda r: (r.status != "open", not r.overdue))
    session.audit("caseload-read", detail={"rows": len(out)})
    return out


def _answered(rows: list[list], when: schedule.When, same_day: bool) -> list[Listed]:
    """Each row listed at ``when``: the answer saved with it (store.listing's `ANSWER`) where it still holds
    (the same local day, within its window), else `rules.schedule.next_code` run on its deadlines."""
    code, now_us, out = schedule.next_code, when[0], []
    add = out.append
    for r in rows:
        if same_day and r[14] <= now_us < r[15]:
            letter, states = r[11], r[13]
            first = (letter, r[12], bool(states & 1)) if letter else None
            add(Listed(r, first, bool(states & 2), states > 3))
        else:
            add(Listed(r, *code(r[9], when)))
    return out


def case_deadlines(session: Session, row: CaseRow | CaseSummary, now: dt.datetime) -> list[Deadline]:
    """A case's deadlines under the store's policy (`case show` and the dashboard's case screen)."""
    policy = session.store.policy
    return deadlines(row, now, policy.review.first_contact_hours, policy.dash.reassess_weeks, policy.review)


def caseload(
    session: Session,
    *,
    worker: str | None = None,
    status: str | None = None,
    risk: str | None = None,
    flag: str | None = None,
    only_overdue: bool = False,
    now: dt.datetime | None = None,
) -> list[CaseRow]:
    """Rows of the caseload index, filtered. Rebuilds the index first if it is missing."""
    with gc_paused():
        return _caseload(session, worker, status, risk, flag, only_overdue, now)


def _caseload(
    session: Session,
    worker: str | None,
    status: str | None,
    risk: str | None,
    flag: str | None,
    only_overdue: bool,
    now: dt.datetime | None,
) -> list[CaseRow]:
    index = session.read_index()  # brought up to date with the case folders first
    rows = index_rows(index)
    from dacli.store.retention import gone_for_good

    root = session.store.root
    book = session.tombstone_book()  # a believed tombstone line only: a forged one hides nothing
    gone = {
        r.ref for r in rows if r.ref in book.named and gone_for_good(root, r.ref) and book.believed(r.ref)
    }
    if gone:  # purged by the retention sweep; the next index write drops them
        rows = [r for r in rows if r.ref not in gone]
    if status:
        try:
            wanted = CaseStatus(status)
        except ValueError:
            raise InvalidInput(f"status must be open or closed, not {status!r}.") from None
        rows = [r for r in rows if r.status == wanted]
    rows = select(rows, worker=worker, risk=risk)
    now = (now or clock.now()).astimezone(dt.UTC)
    hours = session.store.policy.review.first_contact_hours
    weeks = session.store.policy.dash.reassess_weeks
    review = session.store.policy.review
    if index.get("schedule") == schedule.fingerprint(hours, weeks, review):
        _read_schedules(
            rows, now, hours, weeks, review
        )  # resolved when the index was written, under this same policy
    else:
        _apply_rules(rows, now, hours, weeks, review)
    if only_overdue:
        rows = [r for r in rows if r.overdue]
    rows = select(rows, flag=flag)
    # referred_at as the index stores it (ISO text, all UTC): sorts as the moments do, without parsing
    rows.sort(key=lambda r: (r.status is not CaseStatus.open, not r.overdue, r.raw["referred_at"], r.ref))
    session.audit("caseload-read", detail={"rows": len(rows)})
    return rows
