"""A case's deadlines: every rule together (`deadlines`), and resolved once for a fast caseload (`encode`).

`deadlines()` gathers, for one case row, each deadline rule (rules.deadlines, rules.review) under the
store's policy at a given now: the reference the CLI and the dashboard both show.

Listing 20,000 cases cannot run every rule on every row each time. But each rule turns a case's dates into
a due moment that does not depend on now, and a state that depends on now only through a threshold: a
deadline is overdue from one instant on (just after 48 hours from the referral; the day after a review's
due date), an order nearing expiry is shown from 28 days before it until its day ends, a court date until
its day ends, a case becomes a closure candidate 8 weeks after the last contact. `encode()` resolves those
due moments once, when the index is written, into a short string per row; `next_due()` reads the next
deadline and whether any is overdue from it at a given now with integer comparisons. A property test
checks that both routes agree for any case, policy and moment, and on each side of every threshold.

Pure: no I/O, no clock. The index records `fingerprint()` of the policy it was resolved under; a reader
whose policy differs uses the rules.
"""

from __future__ import annotations

import datetime as dt

from dacli import clock
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
from dacli.rules.review import add_months, follow_up, no_contact_for, review_due

VERSION = 3
"""Bump when a rule changes: every index resolved before then is read through the rules again."""


def deadlines(row, now: dt.datetime, first_contact_hours: int, dash_weeks: int, review) -> list[Deadline]:
    """Every deadline of a case: for an open case first contact, the next Dash, the next review, plan
    actions, confirmations, sign-offs, orders and court dates; for a closed one the follow-up call if the
    client consented, and a share without consent still awaiting its senior's sign-off (closing a case does
    not sign it off). ``row`` is a CaseRow or CaseSummary; ``review`` the policy's review section."""
    if row.status != "open":
        out = []
        if row.share_unsigned_since is not None:
            out.append(share_sign_off(row.share_unsigned_since, now))
        if row.closed_on is None:
            return out
        call = follow_up(
            row.closed_on,
            row.follow_up_consent,
            row.follow_up_done,
            clock.local_date(now),
            review.follow_up_months,
        )
        return out + [call] if call else out
    today = clock.local_date(now)
    out = [
        first_contact(row.referred_at, row.first_contact, now, first_contact_hours),
        dash_reassessment(
            row.referred_at, row.last_dash, row.last_incident, now, dash_weeks, first_contact_hours
        ),
        review_due(
            row.referral_date,
            row.last_review,
            today,
            review.first_review_weeks_max,
            review.interval_weeks,
        ),
    ]
    if row.csc_unconfirmed is not None:
        out.append(written_confirmation(row.csc_unconfirmed, now))
    if row.share_unsigned_since is not None:
        out.append(share_sign_off(row.share_unsigned_since, now))
    for expiry in expiring_orders(row.order_expiries, today):
        out.append(Deadline("order expires", clock.start_of(expiry), DeadlineState.due))
    if row.issp_next_action is not None:
        out.append(issp_action(row.issp_next_action, today))
    if row.next_court_date is not None and row.next_court_date >= today:
        out.append(Deadline("court date", clock.start_of(row.next_court_date), DeadlineState.due))
    return out


def closure_candidate(row, now: dt.datetime, review) -> bool:
    """An open case with no client contact for the policy's weeks (8) since the latest referral."""
    return row.status == "open" and no_contact_for(
        clock.local_date(row.last_contact) if row.last_contact else None,
        row.referral_date,
        clock.local_date(now),
        review.no_contact_close_weeks,
    )


# -- resolved once --------------------------------------------------------------------------------------

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_DAY = 86_400_000_000
_HOUR = 3_600_000_000

# One letter per deadline: its name, and how now turns its due moment into a state. Date-only deadlines
# are stored as the first moment of their local day (days are the service's local days, 23 or 25 hours
# long when the clocks change), and compared with the first moment of today, so no day length is assumed.
#   AFTER: overdue once now is past the due moment;  NEXT_DAY: overdue from the day after the due date;
#   ORDER: shown from 28 days before the expiry until its day ends, never overdue;
#   COURT: shown until its day ends, never overdue.
AFTER, NEXT_DAY, ORDER, COURT = 0, 1, 2, 3
CODES = {
    "F": ("first contact", AFTER),
    "D": ("Dash", AFTER),
    "R": ("review", NEXT_DAY),
    "W": ("written confirmation", AFTER),
    "S": ("share sign-off", AFTER),
    "O": ("order expires", ORDER),
    "I": ("ISSP action", NEXT_DAY),
    "C": ("court date", COURT),
    "U": ("follow-up call", NEXT_DAY),
}


def fingerprint(first_contact_hours: int, dash_weeks: int, review) -> str:
    """The policy values the deadlines depend on, and the rules' version, as one string."""
    return (
        f"schedule/{VERSION}:{first_contact_hours}:{dash_weeks}:{review.first_review_weeks_max}:"
        f"{review.interval_weeks}:{review.follow_up_months}:{review.no_contact_close_weeks}:"
        f"{clock.zone_name()}"
    )


def micros(moment: dt.datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, unlike a float timestamp)."""
    return (moment - EPOCH) // _US


def _day(day: dt.date) -> int:
    """The first moment of a local day, in microseconds since the epoch."""
    return micros(clock.start_of(day))


class When(tuple):
    """A moment as `next_due` reads it: now, the first moment of today and of the day 28 days on (local
    days), in microseconds since the epoch. Worked out once per listing, not per row."""

    __slots__ = ()

    def __new__(cls, now: dt.datetime):
        today = clock.local_date(now)
        return super().__new__(cls, (micros(now), _day(today), _day(today + dt.timedelta(days=28))))


def moment(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def _at(us: int) -> str:
    """A moment as whole seconds, with the microseconds only when there are some (index rows stay short)."""
    secs, rest = divmod(us, 1_000_000)
    return f"{secs}.{rest:06d}" if rest else str(secs)


def _us(text: str) -> int:
    if "." in text:
        secs, rest = text.split(".")
        return int(secs) * 1_000_000 + int(rest)
    return int(text) * 1_000_000


def encode(row, first_contact_hours: int, dash_weeks: int, review) -> str:
    """The deadlines of a case row not yet done, as ``"D1777852800 R1782518400 Q1782518400"``: a letter of
    `CODES` and the due moment in seconds since the epoch (``.ffffff`` added when not a whole second), and
    ``Q`` the moment an open case becomes a closure candidate. Done deadlines are left out: a listing shows
    only what is still to do."""
    out: list[str] = []

    def add(code: str, us: int) -> None:
        out.append(f"{code}{_at(us)}")

    if row.status != "open":
        if row.share_unsigned_since is not None:  # closing a case does not sign a share off
            add("S", micros(row.share_unsigned_since) + 48 * _HOUR)
        if row.closed_on is not None and row.follow_up_consent and not row.follow_up_done:
            add("U", _day(add_months(row.closed_on, review.follow_up_months)))
        return " ".join(out)
    due = micros(row.referred_at) + first_contact_hours * _HOUR
    if row.first_contact is None:
        add("F", due)
    if row.last_dash is None:
        dash = due
    else:  # an incident after the last checklist brings the next one forward (rules.deadlines)
        dash = _day(row.last_dash + dt.timedelta(weeks=dash_weeks))
        if row.last_incident is not None and clock.local_date(row.last_incident) > row.last_dash:
            dash = min(dash, micros(row.last_incident))
    add("D", dash)
    if row.last_review is None or row.last_review < row.referral_date:
        add("R", _day(row.referral_date + dt.timedelta(weeks=review.first_review_weeks_max)))
    else:
        add("R", _day(row.last_review + dt.timedelta(weeks=review.interval_weeks)))
    if row.csc_unconfirmed is not None:
        add("W", micros(row.csc_unconfirmed) + 24 * _HOUR)
    if row.share_unsigned_since is not None:
        add("S", micros(row.share_unsigned_since) + 48 * _HOUR)
    for expiry in row.order_expiries:
        add("O", _day(expiry))
    if row.issp_next_action is not None:
        add("I", _day(row.issp_next_action))
    if row.next_court_date is not None:
        add("C", _day(row.next_court_date))
    since = row.referral_date
    if row.last_contact is not None and clock.local_date(row.last_contact) > since:
        since = clock.local_date(row.last_contact)
    add("Q", _day(since + dt.timedelta(weeks=review.no_contact_close_weeks)))
    return " ".join(out)


_STATE = (DeadlineState.due, DeadlineState.overdue)


def next_code(encoded: str, when: When) -> tuple[tuple[str, int, bool] | None, bool, bool]:
    """From `encode`'s string at ``when``: the earliest deadline not yet done (and shown then) as (its letter
    of `CODES`, its due moment in microseconds, whether it is overdue), whether any is overdue, and whether
    the case is a closure candidate. No objects built: a listing of 100,000 cases calls this per row."""
    now_us, today_us, horizon_us = when
    first, first_due, first_late, late_any, quiet = None, 0, False, False, False
    for item in encoded.split():
        code, at = item[0], item[1:]
        due = _us(at) if "." in at else int(at) * 1_000_000
        if code == "Q":
            quiet = today_us >= due
            continue
        kind = CODES[code][1]
        if kind == AFTER:
            late = now_us > due
        elif kind == NEXT_DAY:
            late = today_us > due
        elif kind == ORDER:
            if not today_us <= due <= horizon_us:
                continue
            late = False
        else:  # COURT
            if today_us > due:
                continue
            late = False
        late_any = late_any or late
        if first is None or due < first_due:
            first, first_due, first_late = code, due, late
    if first is None:
        return None, late_any, quiet
    return (first, first_due, first_late), late_any, quiet


NEVER = 1 << 62
"""A moment after any `after_window` bound (microseconds since the epoch: about the year 148,000)."""


def after_window(encoded: str, now_us: int) -> tuple[int, int]:
    """The moments [lo, hi) around ``now_us`` between which `next_code` gives for ``encoded`` what it gives
    at ``now_us``, as far as the deadlines that turn overdue at an instant (first contact, Dash, written
    confirmation, share sign-off) decide: one turns overdue just after its due moment. Every other state
    (a day's deadline, an order's or a court date's window, a closure candidate) changes only when a local
    day starts, so within the same local day (`When`'s today) the answer is the same anywhere in the window.
    A listing saved with its answers (store.listing) is read without `next_code` while both hold."""
    lo, hi = -NEVER, NEVER
    for item in encoded.split():
        code = item[0]
        if code == "Q" or CODES[code][1] != AFTER:
            continue
        at = item[1:]
        flip = (_us(at) if "." in at else int(at) * 1_000_000) + 1  # `now_us > due` from here on
        if flip <= now_us:
            lo = max(lo, flip)
        else:
            hi = min(hi, flip)
    return lo, hi


def deadline_of(code: tuple[str, int, bool]) -> Deadline:
    """The deadline `next_code` names, as the rules give it."""
    letter, due, late = code
    return Deadline(CODES[letter][0], moment(due), _STATE[late])


def next_due(encoded: str, when: When) -> tuple[Deadline | None, bool, bool]:
    """`next_code`, with the deadline as a `Deadline`."""
    first, late_any, quiet = next_code(encoded, when)
    return (None if first is None else deadline_of(first)), late_any, quiet
