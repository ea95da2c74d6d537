"""My day (issue 16): `rules.day` at its boundaries, and `dacli day` over a store."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from dacli import clock
from dacli.rules.day import SECTIONS, plan_day, section_of, when
from dacli.rules.deadlines import Deadline, DeadlineState

TODAY = dt.date(2026, 11, 24)


def _due(day: dt.date, state=DeadlineState.due, name="review") -> Deadline:
    return Deadline(name, clock.start_of(day), state)


@pytest.mark.parametrize(
    ("deadline", "section"),
    [
        (_due(TODAY - dt.timedelta(days=1), DeadlineState.overdue), "overdue"),
        (_due(TODAY - dt.timedelta(days=30), DeadlineState.done), None),
        (_due(TODAY), "today"),
        (_due(TODAY + dt.timedelta(days=1)), "this week"),
        (_due(TODAY + dt.timedelta(days=7)), "this week"),
        (_due(TODAY + dt.timedelta(days=8)), None),
    ],
)
def test_a_deadline_falls_in_one_section(deadline, section):
    assert section_of(deadline, TODAY) == section


def test_today_is_the_services_local_day():
    """23:30 UTC on a summer evening is already the next day in London."""
    clock.set_zone("Europe/London")
    summer = dt.date(2026, 7, 14)
    late = Deadline("first contact", dt.datetime(2026, 7, 14, 23, 30, tzinfo=dt.UTC), DeadlineState.due)
    assert section_of(late, summer) == "this week"
    assert section_of(late, summer + dt.timedelta(days=1)) == "today"
    assert when(late.due_at) == "2026-07-15 00:30"
    assert when(clock.start_of(summer)) == "2026-07-14"
    assert when(None) == "-"


def _row(ref, worker, deadlines=(), flags=()):
    return SimpleNamespace(
        ref=ref, client=f"Client {ref}", worker=worker, deadlines=list(deadlines), flags=list(flags)
    )


ROWS = [
    _row("DA-AAAAA-AAAAA", "amara", [_due(TODAY, DeadlineState.overdue, "Dash"), _due(TODAY)]),
    _row("DA-BBBBB-BBBBB", "sam.cw", [_due(TODAY + dt.timedelta(days=2), name="ISSP action")]),
    _row("DA-CCCCC-CCCCC", "sam.cw", [_due(TODAY, name="share sign-off")], ["marac-referral-due"]),
    _row(
        "DA-DDDDD-DDDDD",
        "amara",
        [_due(TODAY, name="share sign-off")],
        ["children-referral-needed", "repeat"],
    ),
]


def test_a_caseworkers_day_is_their_own_cases_and_no_sign_off():
    day = plan_day(ROWS, TODAY, "sam.cw", team=False, signs_off=False)
    assert list(day) == list(SECTIONS)
    assert [(i.ref, i.what) for i in day["this week"]] == [("DA-BBBBB-BBBBB", "ISSP action")]
    assert [i.ref for i in day["to do"]] == ["DA-CCCCC-CCCCC"]
    assert day["sign-offs"] == [] and day["overdue"] == [] and day["today"] == []


def test_a_seniors_sign_offs_are_every_caseworkers_decision_awaiting_one():
    day = plan_day(ROWS, TODAY, "amara", team=False, signs_off=True)
    # DA-DDDDD is amara's own case, but the decision awaiting sign-off is a caseworker's (a senior's own
    # never awaits one), so it is hers to sign off as the service allows
    assert [i.ref for i in day["sign-offs"]] == ["DA-CCCCC-CCCCC", "DA-DDDDD-DDDDD"]
    assert [(i.ref, i.what, i.overdue) for i in day["overdue"]] == [("DA-AAAAA-AAAAA", "Dash", True)]
    assert [i.ref for i in day["today"]] == ["DA-AAAAA-AAAAA"]
    assert [i.what for i in day["to do"]] == ["children's social care referral"]


def test_the_teams_day_holds_every_workers_cases():
    day = plan_day(ROWS, TODAY, "amara", team=True, signs_off=True)
    assert {i.ref for i in day["this week"]} == {"DA-BBBBB-BBBBB"}
    assert {i.ref for i in day["to do"]} == {"DA-CCCCC-CCCCC", "DA-DDDDD-DDDDD"}


def test_dacli_day_over_a_store(cli, case_ref):
    out = cli("day", "--json")
    assert out.exit_code == 0, out.stderr
    day = json.loads(out.stdout)
    assert set(day["sections"]) == set(SECTIONS)
    whats = {(i["case"], i["what"]) for items in day["sections"].values() for i in items}
    assert (case_ref, "first contact") in whats  # the fixture's referral of 2026-11-02: long overdue
    text = cli("day")
    assert text.exit_code == 0
    assert "OVERDUE" in text.stdout and case_ref in text.stdout
    assert cli("day", "--team").exit_code == 0  # the fixture's user is a manager


def test_a_caseworker_asking_for_the_teams_day_is_refused(cli, session, case_ref):
    from dacli.services.admin import add_user

    add_user(session, "cw.day", "caseworker", "another synthetic passphrase")
    as_cw = {"DACLI_USER": "cw.day", "DACLI_PASSPHRASE": "another synthetic passphrase"}
    refused = cli("day", "--team", extra_env=as_cw)
    assert refused.exit_code == 4
    assert "needs a senior or manager" in refused.stderr
    mine = json.loads(cli("day", "--json", extra_env=as_cw).stdout)
    assert all(items == [] for items in mine["sections"].values())  # cw.day has no case
