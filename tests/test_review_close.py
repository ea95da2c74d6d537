"""Reviews, closure, reopening and the follow-up call: rules at their boundaries, and the records."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.errors import InvalidInput
from dacli.rules.deadlines import DeadlineState
from dacli.rules.review import (
    add_months,
    closure_allowed,
    follow_up,
    intensity,
    no_contact_for,
    review_due,
    risk_change,
)
from dacli.services.caseload import caseload
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import intake, parse_intake
from dacli.services.notes import add_note, parse_note
from dacli.services.review import (
    close_case,
    parse_exit,
    parse_review,
    record_follow_up,
    record_review,
    reopen,
)

D = dt.date
INTAKE = D(2026, 1, 5)

# --- rules ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("days, state", [(55, "due"), (56, "due"), (57, "overdue")])
def test_first_review_is_due_by_the_end_of_week_eight(days, state):
    d = review_due(INTAKE, None, INTAKE + dt.timedelta(days=days))
    assert clock.local_date(d.due_at) == INTAKE + dt.timedelta(weeks=8) and d.state == DeadlineState(state)


def test_later_reviews_follow_the_interval_from_the_last():
    last = D(2026, 3, 1)
    later = review_due(INTAKE, last, D(2026, 3, 2), interval_weeks=6)
    # 12 April 2026 is in summer time: due from local midnight, 23:00 UTC the day before
    assert clock.local_date(later.due_at) == D(2026, 4, 12)
    assert later.due_at == dt.datetime(2026, 4, 11, 23, 0, tzinfo=dt.UTC)
    assert clock.local_date(review_due(INTAKE, D(2025, 1, 1), INTAKE).due_at) == INTAKE + dt.timedelta(
        weeks=8
    )


@pytest.mark.parametrize("days, candidate", [(55, False), (56, True), (57, True)])
def test_no_contact_for_eight_weeks(days, candidate):
    today = D(2026, 6, 1)
    assert no_contact_for(today - dt.timedelta(days=days), D(2026, 1, 1), today) is candidate
    # a contact before the latest referral does not count: the clock starts at the referral
    assert no_contact_for(D(2025, 1, 1), today - dt.timedelta(days=days), today) is candidate


def test_follow_up_six_months_after_closure_only_with_consent():
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert add_months(D(2027, 8, 31), 6) == D(2028, 2, 29)
    assert add_months(D(2026, 11, 23), 6) == D(2027, 5, 23)
    closed = D(2026, 5, 10)
    assert follow_up(closed, False, False, D(2027, 1, 1)) is None
    assert follow_up(closed, True, True, D(2027, 1, 1)) is None
    assert follow_up(closed, True, False, D(2026, 11, 10)).state == DeadlineState.due
    assert follow_up(closed, True, False, D(2026, 11, 11)).state == DeadlineState.overdue


def test_intensity_and_risk_change_and_closure_reasons():
    assert [intensity(n) for n in (0, 4, 5, 10, 11)] == [
        "less than 5 contacts", "less than 5 contacts", "5 to 10 contacts", "5 to 10 contacts",
        "more than 10 contacts"]  # fmt: skip
    assert risk_change("high", "medium") == "reduction" and risk_change("standard", "high") == "increase"
    assert risk_change("high", "high") == "no change" and "not comparable" in risk_change(None, "high")
    today = D(2026, 6, 1)
    assert "actions complete" in closure_allowed("risk-reduced", 2, today, D(2026, 1, 1), today, 8)
    assert closure_allowed("risk-reduced", 0, today, D(2026, 1, 1), today, 8) is None
    assert "8 weeks" in closure_allowed(
        "no-contact", 0, today - dt.timedelta(days=55), D(2026, 1, 1), today, 8
    )
    assert closure_allowed("no-contact", 0, today - dt.timedelta(days=56), D(2026, 1, 1), today, 8) is None
    assert closure_allowed("client-request", 5, today, D(2026, 1, 1), today, 8) is None


# --- records ----------------------------------------------------------------------------------------------

SAFE = {"address": "5 Imaginary Testcase Row", "safe_number": "07700 900555", "code_word": "heron"}
REVIEW = {"engaged": True, "new_concerns": False, "professional_judgement": "Risk reducing.",
          "worker_perception": "Safer.", "client_perception": "Feels safer.", "outcome": "close",
          "reasons": ["risk reduced"]}  # fmt: skip
EXIT = {"reason": "client-request", "follow_up_consent": True, "knows_what_to_do": True,
        "compared": {"frightened": {"answer": "improved", "comment": "Sleeping again."}}}  # fmt: skip


@pytest.fixture
def case(session):
    today = clock.today()
    form = {"client": {"name": "Uma Testcase", "dob": D(1980, 3, 3), **SAFE},
            "referral": {"date": today - dt.timedelta(days=70)},
            "children": [{"name": "Vin Testcase", "dob": D(2016, 6, 6)}]}  # fmt: skip
    ref = intake(session, parse_intake(form, today)).case
    now = clock.now()
    note = {"at": now - dt.timedelta(days=69), "initials": "QT", "contact_type": "telephone",
            "contact_with": "client", "facts": "Talked at the safe time; staying with a friend."}  # fmt: skip
    add_note(session, ref, parse_note(note, now))
    record_dash(session, ref, parse_dash({"answers": {f"q{n}": "yes" for n in range(1, 15)}}, today), today)
    return ref


def test_review_is_filled_from_the_case_and_sets_the_next_due_date(session, case):
    today = clock.today()
    (row,) = caseload(session)
    (due,) = [d for d in row.deadlines if d.name == "review"]
    assert due.state == DeadlineState.overdue  # 70 days since intake, none yet
    name, record = record_review(session, case, parse_review(REVIEW, today), today)
    assert record.filled.contacts == 1 and record.filled.intensity == "less than 5 contacts"
    assert record.filled.risk_now == "high" and record.filled.issp_in_place is False
    (row,) = caseload(session)
    (due,) = [d for d in row.deadlines if d.name == "review"]
    assert due.state == DeadlineState.due and clock.local_date(due.due_at) == today + dt.timedelta(weeks=8)
    with pytest.raises(InvalidInput, match="reasons"):
        parse_review({**REVIEW, "reasons": [" "]}, today)
    with pytest.raises(InvalidInput, match="outcome"):
        parse_review({**REVIEW, "outcome": "archive"}, today)


def test_close_needs_a_reason_that_holds_and_writes_a_boil_down_without_personal_data(session, case):
    from dacli.schemas.review import BoilDown, latest_summary
    from dacli.services.admin import audit_entries

    today = clock.today()
    early = today - dt.timedelta(days=20)  # 49 days after the last contact: not yet 8 weeks
    with pytest.raises(InvalidInput, match="8 weeks"):
        close_case(
            session, case, parse_exit({**EXIT, "reason": "no-contact", "closed_on": early}, today), today
        )
    name, record = close_case(session, case, parse_exit(EXIT, today), today)
    assert record.risk_at_intake == record.risk_at_closure == "high"
    (row,) = caseload(session)
    assert row.status == "closed" and [d.name for d in row.deadlines] == ["follow-up call"]
    summary = session.read_record(case, latest_summary(session.record_names(case)))
    BoilDown.model_validate(summary)
    text = repr(summary).lower()
    for value in [*SAFE.values(), "uma testcase", "vin testcase", "safe time", "friend", "sleeping"]:
        assert value.lower() not in text
    assert any(
        e["action"] == "decision" and e["detail"]["decision"] == "closure" for e in audit_entries(session)
    )
    with pytest.raises(InvalidInput, match="already closed"):
        close_case(session, case, parse_exit(EXIT, today), today)
    record_follow_up(session, case, today, True, "Doing well.", today)
    (row,) = caseload(session)
    assert row.deadlines == []  # the call was made
    reopen(session, case, "New incident reported by police.")
    (row,) = caseload(session)
    assert row.status == "open"
    with pytest.raises(InvalidInput, match="not closed"):
        record_follow_up(session, case, today, True, "", today)


def test_follow_up_is_refused_without_consent(session, case):
    today = clock.today()
    close_case(session, case, parse_exit({**EXIT, "follow_up_consent": False}, today), today)
    (row,) = caseload(session)
    assert row.deadlines == []
    with pytest.raises(InvalidInput, match="did not consent"):
        record_follow_up(session, case, today, True, "", today)


def test_closure_candidates_are_flagged(session, case):
    (row,) = caseload(session)
    assert "closure-candidate" in row.flags  # last contact 69 days ago
    assert [r.ref for r in caseload(session, flag="closure-candidate")] == [case]


def test_cli_review_and_close(cli, case):
    import tomli_w

    assert "professional_judgement" in cli("review", "--template").stdout
    assert "[compared.frightened]" in cli("close", "--template").stdout
    made = cli("review", case, "--from", "-", input=tomli_w.dumps(REVIEW))
    assert made.exit_code == 0 and "outcome close" in made.stdout
    assert case in cli("close", "--candidates").stdout
    closed = cli("close", case, "--from", "-", input=tomli_w.dumps(EXIT))
    assert closed.exit_code == 0 and "case closed (client-request)" in closed.stdout
    again = cli("close", case, "--from", "-", input=tomli_w.dumps(EXIT))
    assert again.exit_code == 2 and "already closed" in again.stderr
    assert cli("reopen", case, "--reason", "new incident").exit_code == 0


def test_a_follow_up_before_the_closure_is_refused(session, case):
    today = clock.today()
    close_case(session, case, parse_exit(EXIT, today), today)
    with pytest.raises(InvalidInput, match="before the case was closed"):
        record_follow_up(session, case, today - dt.timedelta(days=1), True, "", today)


def test_a_review_and_a_closure_of_a_case_never_contacted_read_back(session, case_ref):
    """No contact and no Dash on file: the review's last contact and risk now, and the summary's last
    contact, are empty, and the records written still read back (they were unreadable once)."""
    from dacli.schemas.review import BoilDown, latest_summary
    from dacli.services.case_view import show_case

    today = clock.today()
    _, record = record_review(session, case_ref, parse_review(REVIEW, today), today)
    assert record.filled.last_contact is None and record.filled.risk_now is None
    assert len(show_case(session, case_ref).reviews) == 1
    close_case(session, case_ref, parse_exit(EXIT, today), today)
    summary = BoilDown.model_validate(
        session.read_record(case_ref, latest_summary(session.record_names(case_ref)))
    )
    assert summary.last_contact is None


def test_a_follow_up_call_says_whether_the_client_was_reached(cli, session, case):
    """'Reached' was the default: a call recorded with nothing said was a call that reached the client."""
    today = clock.today()
    close_case(session, case, parse_exit(EXIT, today), today)
    silent = cli("follow-up", case, "--outcome", "-", input="")
    assert silent.exit_code == 2 and "--reached or --not-reached" in silent.stderr
    assert not [n for n in session.record_names(case) if n.startswith("followup")]
    assert cli("follow-up", case, "--not-reached").exit_code == 0
