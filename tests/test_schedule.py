"""The caseload's resolved deadlines (rules.schedule) agree with the rules for any case at any moment.

`case list` reads deadlines from instants stored in the index; `case show` and the reference
`services.caseload.deadlines()` run the rules. A property test over random cases and moments, and the
boundaries by hand, show both give the same deadlines, states, next deadline, overdue and closure flag.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dacli import clock
from dacli.rules import schedule
from dacli.rules.review import no_contact_for
from dacli.schemas.case import CaseRow, CaseStatus
from dacli.schemas.store import ReviewPolicy
from dacli.services.caseload import deadlines

UTC = dt.UTC
DAY0 = dt.date(2025, 1, 1)

days = st.integers(0, 900).map(lambda n: DAY0 + dt.timedelta(days=n))
moments = st.builds(
    lambda d, s, us: (
        dt.datetime.combine(d, dt.time(0, 0), tzinfo=UTC) + dt.timedelta(seconds=s, microseconds=us)
    ),
    days,
    st.integers(0, 86_399),
    st.sampled_from([0, 0, 1, 999_999]),
)
maybe = st.one_of(st.none(), moments)
maybe_day = st.one_of(st.none(), days)


@st.composite
def rows(draw) -> CaseRow:
    referred_at = draw(moments)
    return CaseRow(
        raw={},
        ref="DA-AAAAA-BBBBB",
        client="Synthetic Testperson",
        aka=None,
        dob=None,
        worker="w",
        status=draw(st.sampled_from([CaseStatus.open, CaseStatus.open, CaseStatus.closed])),
        risk=None,
        referral_date=referred_at.date(),
        referred_at=referred_at,
        first_contact=draw(maybe),
        last_contact=draw(maybe),
        flags=[],
        last_dash=draw(maybe_day),
        last_incident=draw(maybe),
        csc_unconfirmed=draw(maybe),
        share_unsigned_since=draw(maybe),
        order_expiries=draw(st.lists(days, max_size=3)),
        next_court_date=draw(maybe_day),
        issp_next_action=draw(maybe_day),
        last_review=draw(maybe_day),
        closed_on=draw(maybe_day),
        follow_up_consent=draw(st.booleans()),
        follow_up_done=draw(st.booleans()),
    )


policies = st.builds(
    lambda h, w, first, interval, months, quiet: (
        h,
        w,
        ReviewPolicy(
            first_review_weeks_max=first,
            interval_weeks=interval,
            follow_up_months=months,
            no_contact_close_weeks=quiet,
            first_contact_hours=h,
        ),
    ),
    st.sampled_from([24, 48, 72]),
    st.integers(1, 12),
    st.integers(6, 10),
    st.integers(4, 12),
    st.integers(1, 12),
    st.integers(4, 12),
)


def _by_rules(row: CaseRow, now: dt.datetime, hours: int, weeks: int, review: ReviewPolicy):
    due = deadlines(row, now, hours, weeks, review)
    pending = [d for d in due if d.state != "done"]
    nxt = min(pending, key=lambda d: d.due_at) if pending else None
    late = any(d.state == "overdue" for d in pending)
    quiet = row.status is CaseStatus.open and no_contact_for(
        clock.local_date(row.last_contact) if row.last_contact else None,
        row.referral_date,
        clock.local_date(now),
        review.no_contact_close_weeks,
    )
    return nxt, late, quiet


def _by_schedule(row: CaseRow, now: dt.datetime, hours: int, weeks: int, review: ReviewPolicy):
    return schedule.next_due(schedule.encode(row, hours, weeks, review), schedule.When(now))


# the service's zone: London (23- and 25-hour days), UTC, and Lord Howe (clocks move by half an hour)
zones = st.sampled_from(["Europe/London", "UTC", "Australia/Lord_Howe"])


@settings(max_examples=400, deadline=None)
@given(rows(), moments, policies, zones)
def test_the_schedule_agrees_with_the_rules_for_any_case_and_moment(row, now, policy, zone):
    clock.set_zone(zone)
    hours, weeks, review = policy
    assert _by_schedule(row, now, hours, weeks, review) == _by_rules(row, now, hours, weeks, review)


def _thresholds(encoded: str) -> list[int]:
    """Each due moment, and the first moments of the local day after it and of 28 days before it."""
    out = []
    for item in encoded.split():
        due = schedule._us(item[1:])
        day = clock.local_date(schedule.moment(due))
        out += [due, schedule.micros(clock.start_of(day + dt.timedelta(days=1)))]
        out += [schedule.micros(clock.start_of(day - dt.timedelta(days=28)))]
    return out


@settings(max_examples=300, deadline=None)
@given(rows(), policies, zones, st.data())
def test_the_schedule_agrees_on_each_side_of_every_threshold(row, policy, zone, data):
    """Random moments seldom land on a boundary: try each deadline's own thresholds, and one microsecond
    either side of them."""
    clock.set_zone(zone)
    hours, weeks, review = policy
    instants = _thresholds(schedule.encode(row, hours, weeks, review))
    if not instants:
        return
    at = data.draw(st.sampled_from(instants)) + data.draw(st.sampled_from([-1, 0, 1]))
    now = schedule.moment(at)
    assert _by_schedule(row, now, hours, weeks, review) == _by_rules(row, now, hours, weeks, review)


@settings(max_examples=300, deadline=None)
@given(rows(), policies, zones, st.data())
def test_the_answer_is_the_same_anywhere_in_its_window_on_the_same_day(row, policy, zone, data):
    """`after_window`: a listing saved with `next_code`'s answers reuses one while now stays within the
    row's window and the same local day. Tried at the window's ends, one microsecond inside them, at the
    thresholds between them, and at random moments, all on the day of the answer; and the window is as
    wide as can be when an end is another day's (a deadline's state is exact there)."""
    clock.set_zone(zone)
    hours, weeks, review = policy
    encoded = schedule.encode(row, hours, weeks, review)
    at = data.draw(st.sampled_from([*_thresholds(encoded), schedule.micros(data.draw(moments))]))
    at += data.draw(st.sampled_from([-1, 0, 1]))
    when = schedule.When(schedule.moment(at))
    lo, hi = schedule.after_window(encoded, at)
    assert lo <= at < hi
    day = clock.local_date(schedule.moment(at))
    first = max(lo, when[1])
    last = min(hi, schedule.micros(clock.start_of(day + dt.timedelta(days=1)))) - 1
    inside = [first, last, first + 1, last - 1, *_thresholds(encoded), data.draw(st.integers(first, last))]
    answer = schedule.next_code(encoded, when)
    for other in (m for m in inside if first <= m <= last):
        assert schedule.next_code(encoded, schedule.When(schedule.moment(other))) == answer, other


def test_an_after_window_ends_where_a_deadline_turns_overdue():
    row = _row()  # referred 2026-11-02 09:00 UTC: first contact and Dash due 48 hours on
    encoded = schedule.encode(row, 48, 8, ReviewPolicy())
    due = schedule.micros(dt.datetime(2026, 11, 4, 9, 0, tzinfo=UTC))
    assert schedule.after_window(encoded, due - 5) == (-schedule.NEVER, due + 1)
    assert schedule.after_window(encoded, due) == (-schedule.NEVER, due + 1)
    assert schedule.after_window(encoded, due + 1) == (due + 1, schedule.NEVER)
    when = schedule.When(schedule.moment(due))
    assert schedule.next_code(encoded, when)[1] is False
    assert schedule.next_code(encoded, schedule.When(schedule.moment(due + 1)))[1] is True


def _row(**kw) -> CaseRow:
    base = dict(
        raw={},
        ref="DA-AAAAA-BBBBB",
        client="Synthetic Testperson",
        aka=None,
        dob=None,
        worker="w",
        status=CaseStatus.open,
        risk=None,
        referral_date=dt.date(2026, 11, 2),
        referred_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        first_contact=None,
        last_contact=None,
        flags=[],
    )
    return CaseRow(**{**base, **kw})


def _state(row: CaseRow, name: str, now: dt.datetime) -> str | None:
    encoded = schedule.encode(row, 48, 8, ReviewPolicy())
    # one deadline at a time: the next one of a row holding only it
    item = next((i for i in encoded.split() if i[0] != "Q" and schedule.CODES[i[0]][0] == name), None)
    if item is None:
        return None
    nxt, _, _ = schedule.next_due(item, schedule.When(now))
    return nxt.state.value if nxt else None


def test_boundaries_by_hand():
    row = _row()
    at = dt.datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # exactly 48 hours: still due
    assert _state(row, "first contact", at) == "due"
    assert _state(row, "first contact", at + dt.timedelta(microseconds=1)) == "overdue"
    # the first review is due on the last day of week 8 and overdue from the next day
    last_day = dt.datetime(2026, 12, 28, 23, 59, 59, tzinfo=UTC)
    assert _state(row, "review", last_day) == "due"
    assert _state(row, "review", last_day + dt.timedelta(seconds=1)) == "overdue"
    # an order shows from 28 days before its expiry until its day ends
    order = _row(order_expiries=[dt.date(2026, 12, 31)])
    assert _state(order, "order expires", dt.datetime(2026, 12, 2, 23, 59, tzinfo=UTC)) is None
    assert _state(order, "order expires", dt.datetime(2026, 12, 3, 0, 0, tzinfo=UTC)) == "due"
    assert _state(order, "order expires", dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "due"
    assert _state(order, "order expires", dt.datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) is None


def test_the_index_carries_schedules_and_a_policy_change_falls_back_to_the_rules(session, case_ref):
    import tomllib

    import tomli_w

    from dacli.services.caseload import caseload

    index = session.read_index()
    assert index["schedule"].startswith("schedule/")
    assert index["cases"][case_ref]["_due"]
    now = dt.datetime(2026, 11, 3, tzinfo=UTC)
    fast = caseload(session, now=now)[0]
    assert "_due" not in fast.as_json()
    # a manager shortens the first-contact window: the stored schedule no longer applies
    path = session.store.meta / "policy.toml"
    policy = tomllib.loads(path.read_text())
    policy.setdefault("review", {})["first_contact_hours"] = 12
    path.write_text(tomli_w.dumps(policy))
    from dacli.store.store import Store

    from .conftest import MANAGER, PASSPHRASE

    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    fresh.accept_policy()
    row = caseload(fresh, now=now)[0]
    first = next(d for d in row.deadlines if d.name == "first contact")
    assert first.due_at == row.referred_at + dt.timedelta(hours=12)
    assert next(
        d for d in fast.deadlines if d.name == "first contact"
    ).due_at == fast.referred_at + dt.timedelta(hours=48)
