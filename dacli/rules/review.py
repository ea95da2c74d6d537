"""Case reviews, closure and follow-up: due dates and tests, as pure functions.

Sources: SafeLives Case Management Pack (seeds/002) section 4 ('no less than six to eight weeks from
intake', then at intervals; outcomes continue, scale down, close), section 5 (consider closing after six to
eight weeks without contact despite attempts; a follow-up call in six months only if the client consents).
"""

from __future__ import annotations

import calendar
import datetime as dt

from dacli import clock
from dacli.rules.deadlines import Deadline, DeadlineState

OUTCOMES = ("continue", "scale-down", "close")
CLOSURE_REASONS = ("risk-reduced", "no-contact", "client-request")


def _start(day: dt.date) -> dt.datetime:
    return clock.start_of(day)


def review_due(
    intake: dt.date,
    last_review: dt.date | None,
    today: dt.date,
    first_weeks_max: int = 8,
    interval_weeks: int = 8,
) -> Deadline:
    """The next case review. The first is due 6-8 weeks after intake: dacli shows it as due by the end of
    week 8 and overdue from the day after; later ones at the policy interval after the last review."""
    from dacli.rules.reports import review_due_on

    due = review_due_on(intake, last_review, first_weeks_max, interval_weeks)
    return Deadline("review", _start(due), DeadlineState.overdue if today > due else DeadlineState.due)


def intensity(contacts: int) -> str:
    """The review form's 'Intensity of contact' box."""
    if contacts < 5:
        return "less than 5 contacts"
    if contacts <= 10:
        return "5 to 10 contacts"
    return "more than 10 contacts"


def no_contact_for(last_contact: dt.date | None, referred: dt.date, today: dt.date, weeks: int = 8) -> bool:
    """A candidate for closure: no client contact for ``weeks`` since the latest referral (counted from the
    referral when there was no contact since). Exactly ``weeks`` weeks counts."""
    since = max(last_contact, referred) if last_contact else referred
    return (today - since).days >= weeks * 7


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (31 August + 6 months = 28/29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up(
    closed_on: dt.date, consented: bool, done: bool, today: dt.date, months: int = 6
) -> Deadline | None:
    """The follow-up call six months after closure, only if the client consented; None otherwise or once
    made. Due on the day, overdue after it."""
    if not consented or done:
        return None
    due = add_months(closed_on, months)
    return Deadline(
        "follow-up call", _start(due), DeadlineState.overdue if today > due else DeadlineState.due
    )


def risk_change(at_intake: str | None, now: str | None) -> str:
    """'Is there reduction/increase in Ric/Soag?' for the risk levels at intake and now."""
    order = {"standard": 0, "medium": 1, "high": 2}
    if at_intake not in order or now not in order:
        return "not comparable (a checklist is missing)"
    if order[now] < order[at_intake]:
        return "reduction"
    if order[now] > order[at_intake]:
        return "increase"
    return "no change"


def closure_allowed(
    reason: str,
    open_actions: int,
    last_contact: dt.date | None,
    referred: dt.date,
    today: dt.date,
    weeks: int,
) -> str | None:
    """Why a closure reason does not hold, or None. Risk reduced needs the plan's actions complete; no
    contact needs ``weeks`` without contact; the client's request needs nothing more."""
    if reason == "risk-reduced" and open_actions:
        return f"risk-reduced needs the safety plan's actions complete ({open_actions} still open)"
    if reason == "no-contact" and not no_contact_for(last_contact, referred, today, weeks):
        return f"no-contact needs {weeks} weeks without client contact"
    return None
