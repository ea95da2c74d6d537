"""Deadlines on a case. Pure: ``now`` is always a parameter."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import NamedTuple

from dacli import clock


class DeadlineState(StrEnum):
    done = "done"
    due = "due"
    overdue = "overdue"


class Deadline(NamedTuple):
    name: str
    due_at: dt.datetime
    state: DeadlineState
    done_at: dt.datetime | None = None


def referral_moment(date: dt.date, time: dt.time | None) -> dt.datetime:
    """When the referral was received (typed in the service's local time), as UTC. Without a time, the
    start of the local day: the deadline then falls early rather than late."""
    return clock.to_utc(dt.datetime.combine(date, time or dt.time(0, 0)))


def first_contact(
    referred_at: dt.datetime, contacted_at: dt.datetime | None, now: dt.datetime, hours: int = 48
) -> Deadline:
    """A new referral is contacted within 48 hours (SafeLives Case Management Pack, sample intake
    procedure). Done by the first successful contact with the client; overdue once the 48 hours have
    passed without one (at exactly 48 hours it is still due)."""
    due_at = referred_at + dt.timedelta(hours=hours)
    if contacted_at is not None:
        return Deadline("first contact", due_at, DeadlineState.done, contacted_at)
    return Deadline("first contact", due_at, DeadlineState.overdue if now > due_at else DeadlineState.due)


def dash_reassessment(
    referred_at: dt.datetime,
    last_dash: dt.date | None,
    last_incident: dt.datetime | None,
    now: dt.datetime,
    weeks: int = 8,
    first_hours: int = 48,
) -> Deadline:
    """When the next Dash checklist is due. Risk is reviewed at least every 6-8 weeks (policy, default 8)
    and after a new incident (SafeLives Case Management Pack). With no checklist yet, the first is due
    with the first contact (48 hours from the referral). A new incident recorded after the last checklist
    makes one due at once."""
    if last_dash is None:
        due = referred_at + dt.timedelta(hours=first_hours)
    else:
        due = clock.start_of(last_dash + dt.timedelta(weeks=weeks))
        # an incident on the checklist's own (local) day is taken to be the one it assessed
        if last_incident is not None and clock.local_date(last_incident) > last_dash:
            due = min(due, last_incident)
    return Deadline("Dash", due, DeadlineState.overdue if now > due else DeadlineState.due)


def written_confirmation(verbal_at: dt.datetime, now: dt.datetime, hours: int = 24) -> Deadline:
    """A verbal referral to children's social care is confirmed in writing within 24 hours (seeds/001)."""
    due = verbal_at + dt.timedelta(hours=hours)
    return Deadline("written confirmation", due, DeadlineState.overdue if now > due else DeadlineState.due)


def share_sign_off(shared_at: dt.datetime, now: dt.datetime, hours: int = 48) -> Deadline:
    """A decision to share without consent made by a caseworker alone is reviewed by a senior within 48
    hours of the sharing itself, not of when the form was typed in (SafeLives Case Management Pack, sample
    information sharing procedure): a form entered late shows its sign-off already due or overdue."""
    due = shared_at + dt.timedelta(hours=hours)
    return Deadline("share sign-off", due, DeadlineState.overdue if now > due else DeadlineState.due)


def expiring_orders(expiries: list[dt.date], today: dt.date, days: int = 28) -> list[dt.date]:
    """Orders that expire within ``days`` (28) from today, today and the 28th day included: a trigger
    to review protection before it lapses."""
    return [e for e in expiries if 0 <= (e - today).days <= days]


def issp_action(by: dt.date, today: dt.date) -> Deadline:
    """A safety-plan action is due by its 'by when?' date and overdue from the day after (the pack's ISSP
    asks 'By when?'; dacli reads the day itself as still due)."""
    at = clock.start_of(by)
    return Deadline("ISSP action", at, DeadlineState.overdue if today > by else DeadlineState.due)
