"""The caseload: every case the index knows, filtered and with its deadlines.

Kept apart from `services.cases` so that `dacli case list` imports neither the intake schemas nor the
record readers: listing 20,000 cases is one decrypt of the index and one pass over its rows.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from dacli.errors import IntegrityError, InvalidInput
from dacli.perf import gc_paused
from dacli.rules.deadlines import (
    Deadline,
    DeadlineState,
    dash_reassessment,
    expiring_orders,
    first_contact,
    issp_action,
    share_sign_off,
    written_confirmation,
)
from dacli.rules.review import follow_up, no_contact_for, review_due
from dacli.schemas.case import CaseRow, CaseStatus, CaseSummary
from dacli.schemas.store import ReviewPolicy
from dacli.store.store import Session

_DEFAULT_REVIEW = ReviewPolicy()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def index_rows(index: dict) -> list[CaseRow]:
    rows = list(index.get("cases", {}).values())
    try:
        if rows:
            CaseSummary.model_validate(rows[0])  # one row in full: catches a row of another shape
        return [CaseRow.from_index(r) for r in rows]
    except (ValidationError, KeyError, ValueError, TypeError):
        raise IntegrityError(
            "The caseload index was written by another version of dacli or is damaged; "
            "run `dacli reindex` (the records are untouched)."
        ) from None


def deadlines(
    row: CaseRow | CaseSummary,
    now: dt.datetime,
    first_contact_hours: int = 48,
    dash_weeks: int = 8,
    review: ReviewPolicy | None = None,
) -> list[Deadline]:
    """Every deadline of a case: for an open case first contact, the next Dash, the next review, plan
    actions, confirmations, sign-offs, orders and court dates; for a closed one the follow-up call if the
    client consented. The CLI and the dashboard both take them from here."""
    review = review or _DEFAULT_REVIEW
    if row.status != CaseStatus.open:
        if row.closed_on is None:
            return []
        call = follow_up(
            row.closed_on, row.follow_up_consent, row.follow_up_done, now.date(), review.follow_up_months
        )
        return [call] if call else []
    out = [
        first_contact(row.referred_at, row.first_contact, now, first_contact_hours),
        dash_reassessment(
            row.referred_at, row.last_dash, row.last_incident, now, dash_weeks, first_contact_hours
        ),
        review_due(
            row.referral_date,
            row.last_review,
            now.date(),
            review.first_review_weeks_max,
            review.interval_weeks,
        ),
    ]
    if row.csc_unconfirmed is not None:
        out.append(written_confirmation(row.csc_unconfirmed, now))
    if row.share_unsigned_since is not None:
        out.append(share_sign_off(row.share_unsigned_since, now))
    for expiry in expiring_orders(row.order_expiries, now.date()):
        out.append(
            Deadline(
                "order expires", dt.datetime.combine(expiry, dt.time(0, 0), tzinfo=dt.UTC), DeadlineState.due
            )
        )
    if row.issp_next_action is not None:
        out.append(issp_action(row.issp_next_action, now.date()))
    if row.next_court_date is not None and row.next_court_date >= now.date():
        at = dt.datetime.combine(row.next_court_date, dt.time(0, 0), tzinfo=dt.UTC)
        out.append(Deadline("court date", at, DeadlineState.due))
    return out


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
    index = session.read_index()
    if index is None:
        from dacli.services.cases import reindex  # only when the index was lost

        reindex(session)
        index = session.read_index() or {"cases": {}}
    rows = index_rows(index)
    from dacli.store.retention import gone_for_good, tombstones

    root = session.store.root
    gone = {ref for ref in tombstones(session.store.meta) if gone_for_good(root, ref)}
    if gone:  # purged by the retention sweep; the next index write drops them
        rows = [r for r in rows if r.ref not in gone]
    if status:
        try:
            wanted = CaseStatus(status)
        except ValueError:
            raise InvalidInput(f"status must be open or closed, not {status!r}.") from None
        rows = [r for r in rows if r.status == wanted]
    rows = select(rows, worker=worker, risk=risk)
    now = now or _utcnow()
    hours = session.store.policy.review.first_contact_hours
    weeks = session.store.policy.dash.reassess_weeks
    review = session.store.policy.review
    if only_overdue:
        rows = [r for r in rows if overdue(r, now, hours, weeks, review)]
    done, late = DeadlineState.done, DeadlineState.overdue
    today, quiet = now.date(), review.no_contact_close_weeks
    for r in rows:
        r.deadlines = due = deadlines(r, now, hours, weeks, review)
        if r.status is CaseStatus.open and no_contact_for(
            r.last_contact.date() if r.last_contact else None, r.referral_date, today, quiet
        ):
            r.flags = [*r.flags, "closure-candidate"]  # no client contact for 8 weeks (policy)
        pending = [d for d in due if d.state is not done]
        r.next_due = min(pending, key=_due_at) if pending else None
        r.overdue = any(d.state is late for d in pending)
    rows = select(rows, flag=flag)
    rows.sort(key=lambda r: (r.status is not CaseStatus.open, not r.overdue, r.referred_at, r.ref))
    session.audit("caseload-read", detail={"rows": len(rows)})
    return rows
