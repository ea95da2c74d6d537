"""Children's social care: each trigger on and off, the referral record and its 24-hour confirmation."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli.errors import InvalidInput
from dacli.rules.children import ChildrenFacts, referral_triggers
from dacli.rules.deadlines import DeadlineState, written_confirmation
from dacli.services.case_view import children_triggers, show_case
from dacli.services.caseload import caseload
from dacli.services.children import confirm_csc_referral, parse_csc, record_csc_referral
from dacli.services.dash import parse_dash, record_dash

ON = dt.date(2026, 11, 23)
SCHOOL_AGE = (dt.date(2015, 1, 1),)


@pytest.mark.parametrize(
    "facts, name",
    [
        (ChildrenFacts(child_made_call=True), "child-made-call"),
        (ChildrenFacts(child_injured=True), "child-injured"),
        (ChildrenFacts(child_used_as_shield=True), "child-used-as-shield"),
        (ChildrenFacts(child_dobs=(dt.date(2025, 11, 24),)), "child-under-12-months"),
        (ChildrenFacts(unborn=True), "pregnancy"),
        (ChildrenFacts(child_dobs=SCHOOL_AGE, high_risk=True), "high-risk-with-children"),
        (ChildrenFacts(unborn=True, high_risk=True), "high-risk-with-children"),  # unborn children count
        (ChildrenFacts(child_dobs=SCHOOL_AGE, marac=True), "marac-with-children"),
        (ChildrenFacts(professional_judgement=True), "professional-judgement"),
    ],
)
def test_each_trigger_on(facts, name):
    assert name in [t.name for t in referral_triggers(facts, ON)]


@pytest.mark.parametrize(
    "facts",
    [
        ChildrenFacts(),
        ChildrenFacts(child_dobs=(dt.date(2025, 11, 23),)),  # 12 months old today: no longer under 12 months
        ChildrenFacts(child_dobs=SCHOOL_AGE),
        ChildrenFacts(high_risk=True),  # high risk, no children
        ChildrenFacts(marac=True),  # Marac, no children
        ChildrenFacts(child_dobs=(None,)),  # a child of unknown age alone
    ],
)
def test_each_trigger_off(facts):
    assert referral_triggers(facts, ON) == []


def test_case_triggers_come_from_intake_and_checklist(session, case_ref):
    view = show_case(session, case_ref)  # the fixture's client has a child born 2019, no Dash yet
    assert children_triggers(view, ON) == []
    form = parse_dash(
        {"answers": {f"q{n}": "yes" for n in range(1, 15)}, "context": {"child_used_as_shield": True}}, ON
    )
    record_dash(session, case_ref, form, ON)
    names = [t.name for t in children_triggers(show_case(session, case_ref), ON)]
    assert names == ["child-used-as-shield", "high-risk-with-children", "marac-with-children"]
    (row,) = caseload(session)
    assert "children-referral-needed" in row.flags


@pytest.mark.parametrize(
    "hours, state", [(23, DeadlineState.due), (24, DeadlineState.due), (25, DeadlineState.overdue)]
)
def test_written_confirmation_within_24_hours(hours, state):
    verbal = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    assert written_confirmation(verbal, verbal + dt.timedelta(hours=hours)).state == state


def test_referral_and_confirmation(session, case_ref):
    at = dt.datetime(2026, 11, 20, 9, 0)
    name = record_csc_referral(
        session, case_ref, parse_csc({"referred_at": at, "to": "MASH", "how": "verbal"})
    )
    now = dt.datetime(2026, 11, 21, 10, tzinfo=dt.UTC)
    (row,) = caseload(session, now=now)
    confirm = next(d for d in row.deadlines if d.name == "written confirmation")
    assert confirm.state == DeadlineState.overdue
    assert "children-referral-needed" not in row.flags
    with pytest.raises(InvalidInput, match="future"):
        confirm_csc_referral(session, case_ref, name, dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(InvalidInput, match="before the referral"):
        confirm_csc_referral(session, case_ref, name, dt.datetime(2026, 11, 19, tzinfo=dt.UTC))
    confirm_csc_referral(session, case_ref, name, dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))
    (row,) = caseload(session, now=now)
    assert [d.name for d in row.deadlines] == ["first contact", "Dash", "review"]


def test_written_referral_needs_no_confirmation(session, case_ref):
    record_csc_referral(
        session,
        case_ref,
        parse_csc({"referred_at": dt.datetime(2026, 11, 20, 9), "to": "MASH", "how": "written"}),
    )
    (row,) = caseload(session)
    assert row.csc_unconfirmed is None


@pytest.mark.parametrize(
    "data, field",
    [({"referred_at": "2026-11-20T09:00", "to": "", "how": "verbal"}, "to"),
     ({"referred_at": "2026-11-20T09:00", "to": "MASH", "how": "carrier pigeon"}, "how"),
     ({"referred_at": "2099-11-20T09:00", "to": "MASH", "how": "verbal"}, "future")],
)  # fmt: skip
def test_bad_referrals_are_refused(data, field):
    with pytest.raises(InvalidInput, match=field):
        parse_csc(data)


def test_cli_children(cli, case_ref):
    assert cli("children", "refer", case_ref, "--to", "MASH").exit_code == 2  # verbal or written: typed
    made = cli("children", "refer", case_ref, "--to", "MASH", "--how", "verbal", "--at", "2026-11-20T09:00")
    assert made.exit_code == 0, made.stderr
    name = made.stdout.strip()
    shown = json.loads(cli("children", "show", case_ref, "--json").stdout)
    assert shown["referrals"][0]["record"] == name
    assert shown["referrals"][0]["written_confirmation_at"] is None
    assert cli("children", "confirm", case_ref, name, "--at", "2026-11-20T15:00").exit_code == 0
    shown = json.loads(cli("children", "show", case_ref, "--json").stdout)
    assert shown["referrals"][0]["written_confirmation_at"].startswith("2026-11-20T15:00")
