"""Dash checklists kept per case: recorded, never overwritten, audited, with history, trend and due dates."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli import clock
from dacli.errors import InvalidInput
from dacli.rules.deadlines import DeadlineState, dash_reassessment
from dacli.services.admin import audit_entries
from dacli.services.caseload import caseload
from dacli.services.dash import dash_history, parse_dash, record_dash, trend
from dacli.services.notes import add_note, parse_note

TODAY = dt.date(2026, 11, 23)
UTC = dt.UTC
REFERRED = dt.datetime(2026, 11, 2, tzinfo=UTC)


def _form(yes: int, assessed=TODAY, **extra):
    answers = {f"q{n}": "yes" if n <= yes else "no" for n in range(1, 25)}
    return parse_dash({"answers": answers, "assessed_on": assessed, **extra}, TODAY)


@pytest.mark.parametrize(
    "days, state", [(55, DeadlineState.due), (56, DeadlineState.due), (57, DeadlineState.overdue)]
)
def test_reassessment_due_8_weeks_after_the_last(days, state):
    last = dt.date(2026, 9, 1)
    now = dt.datetime.combine(last, dt.time(0, 0), tzinfo=UTC) + dt.timedelta(days=days)
    deadline = dash_reassessment(REFERRED, last, None, now)
    assert clock.local_date(deadline.due_at) == last + dt.timedelta(weeks=8)
    assert deadline.state == (DeadlineState.overdue if days > 56 else DeadlineState.due)


def test_new_incident_brings_reassessment_forward():
    last = dt.date(2026, 11, 1)
    incident = dt.datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
    deadline = dash_reassessment(REFERRED, last, incident, incident + dt.timedelta(hours=1))
    assert deadline.due_at == incident
    assert deadline.state == DeadlineState.overdue
    older = dash_reassessment(REFERRED, last, dt.datetime(2026, 10, 1, tzinfo=UTC), incident)
    assert clock.local_date(older.due_at) == last + dt.timedelta(weeks=8)


def test_first_dash_is_due_with_first_contact():
    deadline = dash_reassessment(REFERRED, None, None, REFERRED + dt.timedelta(hours=49))
    assert deadline.due_at == REFERRED + dt.timedelta(hours=48)
    assert deadline.state == DeadlineState.overdue


def test_checklists_are_kept_and_never_overwritten(session, case_ref):
    first, _ = record_dash(session, case_ref, _form(10, dt.date(2026, 11, 3)), TODAY)
    second, rec = record_dash(session, case_ref, _form(15), TODAY)
    assert first != second
    history = dash_history(session, case_ref)
    assert [n for n, _ in history] == [first, second]
    assert [r.result.yes for _, r in history] == [10, 15]
    assert trend([r for _, r in history]) == "rising"
    assert rec.result.risk_level == "high" and rec.result.marac_criteria == ["visible_high_risk"]
    (row,) = caseload(session, now=dt.datetime(2026, 11, 23, tzinfo=UTC))
    assert row.risk == "high" and row.last_dash == TODAY
    assert "no-dash" not in row.flags


def test_risk_level_decision_is_audited_with_its_reasons(session, case_ref):
    record_dash(
        session,
        case_ref,
        _form(5, professional={"marac_grounds": True, "reasons": "Threats to kill made last night."}),
        TODAY,
    )
    entry = next(e for e in audit_entries(session) if e["action"] == "risk-level")
    assert entry["case"] == case_ref
    assert entry["detail"]["level"] == "high"
    assert entry["detail"]["criteria"] == ["professional_judgement"]
    assert entry["reason"] == "Threats to kill made last night."


def test_store_policy_medium_band_applies_to_case_checklists(session, case_ref):
    policy = session.store.meta / "policy.toml"
    policy.write_text(policy.read_text().replace("medium_band_enabled = false", "medium_band_enabled = true"))
    from dacli.store.store import Store

    from .conftest import MANAGER, PASSPHRASE

    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    fresh.accept_policy()  # a manager accepts the edit
    _, rec = record_dash(fresh, case_ref, _form(11), TODAY)
    assert rec.result.risk_level == "medium"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"answers": {"q1": {"answer": "yes", "ticks": ["Children"]}}}, "q1"),  # q1 has no ticks
        ({"answers": {"q14": {"answer": "yes", "ticks": ["Neighbours"]}}}, "q14"),
        ({"answers": {"q30": "yes"}}, "q30"),
        ({"assessed_on": dt.date(2027, 1, 1)}, "future"),
        ({"checklist": "dash-2009"}, "checklist"),
    ],
)
def test_bad_checklists_are_refused(data, message):
    with pytest.raises(InvalidInput, match=message):
        parse_dash(data, TODAY)


def test_sub_ticks_comments_and_sources_are_kept(session, case_ref):
    form = parse_dash(
        {
            "answers": {
                "q14": {
                    "answer": "yes",
                    "ticks": ["Children"],
                    "comment": "Said he would",
                    "source": "police",
                }
            }
        },
        TODAY,
    )
    name, _ = record_dash(session, case_ref, form, TODAY)
    doc = session.read_record(case_ref, name)
    assert doc["answers"]["q14"] == {
        "answer": "yes", "comment": "Said he would", "source": "police", "ticks": ["Children"]
    }  # fmt: skip
    assert doc["schema"] == "dash/1" and doc["checklist"] == "safelives-dash-2014"


def test_incident_note_makes_dash_due(session, case_ref):
    record_dash(session, case_ref, _form(3, dt.date(2026, 11, 20)), TODAY)
    now = dt.datetime(2026, 11, 23, 12, tzinfo=UTC)
    (row,) = caseload(session, now=now)
    assert next(d for d in row.deadlines if d.name == "Dash").state == DeadlineState.due
    note = parse_note(
        {"at": dt.datetime(2026, 11, 22, 9), "initials": "MG", "contact_type": "telephone",
         "contact_with": "client", "facts": "Client reports a new assault on Saturday.", "incident": True},
        now,
    )  # fmt: skip
    add_note(session, case_ref, note)
    (row,) = caseload(session, now=now)
    dash = next(d for d in row.deadlines if d.name == "Dash")
    assert dash.state == DeadlineState.overdue
    assert dash.due_at == dt.datetime(2026, 11, 22, 9, tzinfo=UTC)


def test_cli_record_history_and_score_case(cli, case_ref):
    checklist = "[answers]\n" + "\n".join(f'q{n} = "yes"' for n in range(1, 15))
    made = cli("dash", "record", case_ref, "--from", "-", "--json", input=checklist)
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["risk_level"] == "high"
    history = json.loads(cli("dash", "history", case_ref, "--json").stdout)
    assert [c["yes"] for c in history["checklists"]] == [14]
    assert history["trend"] == "first"
    scored = json.loads(cli("dash", "score", "--case", case_ref, "--json").stdout)
    assert scored["case"] == case_ref and scored["refer_to_marac"] is True
    bad = cli("dash", "record", case_ref, "--from", "-", input='[answers]\nq1 = "maybe"')
    assert bad.exit_code == 2 and "q1" in bad.stderr


def test_cli_record_question_by_question(cli, case_ref, store_path):
    answers = []
    for n in range(1, 25):
        answers.append("y" if n <= 14 else "n")
        if n <= 14 and n in (14, 18, 21, 23, 24):
            answers.append("1")  # first sub-tick
        if n <= 14:
            answers += ["", ""]  # after a yes: no comment, the victim is the source; after a no: nothing
        if n == 16:
            answers += ["b", "d", "not sure of the dates"]  # back to 16 from 17: don't know, with a comment
    # professional section: four texts left empty (each ends at a '.' line off a terminal), no, no; notes
    # over two lines with a blank line kept; 2 incidents
    answers += [".", ".", ".", ".", "n", "n", "Seen at the refuge.", "", "Second paragraph.", ".", "2"]
    made = cli("dash", "record", case_ref, "--json", input="\n".join(answers) + "\n")
    assert made.exit_code == 0, made.stderr
    out = json.loads(made.stdout[made.stdout.index("{\n") :])
    assert out["yes"] == 14 and out["risk_level"] == "high"
    from dacli.store.store import Store

    from .conftest import MANAGER, PASSPHRASE

    doc = Store(store_path).unlock(MANAGER, PASSPHRASE).read_record(case_ref, out["record"])
    assert doc["answers"]["q14"] == {"answer": "yes", "ticks": ["You"]}
    assert doc["answers"]["q16"]["answer"] == "dont-know"
    assert doc["answers"]["q16"]["comment"] == "not sure of the dates"
    assert doc["answers"]["q17"]["answer"] == "no" and not doc["answers"]["q17"].get("comment")
    assert doc["context"]["police_incidents_past_12_months"] == 2
    assert doc["professional"]["practitioners_notes"] == "Seen at the refuge.\n\nSecond paragraph."


def test_the_questions_name_the_people_who_abuse_on_the_case(cli, case_ref, session):
    from dacli.rules.dash import ABUSER, name_abusers
    from dacli.services.dash import questions_for

    assert name_abusers(f"Is {ABUSER} jealous?", ["Corin"]) == "Is Corin jealous?"
    assert name_abusers(f"Is {ABUSER} jealous?", ["A", "B", "C"]) == "Is A, B or C jealous?"
    assert name_abusers(f"Is {ABUSER} jealous?", []) == f"Is {ABUSER} jealous?"
    asked = questions_for(session, case_ref)
    names = [p.name for p in __import__("dacli.services.case_view", fromlist=["x"]).load_case(
        session, case_ref).people().perpetrators]  # fmt: skip
    assert names and not any(ABUSER in text + guidance for text, guidance in asked.values())
    assert any(names[0] in text for text, _ in asked.values())
    shown = cli("dash", "record", case_ref, input="\n")  # the first answer blank, then the input ends
    assert ABUSER not in shown.stderr


def test_police_incidents_and_marac_referral_come_from_the_case(session, case_ref):
    context = {"police_incidents_past_12_months": 3, "last_marac_referral": dt.date(2026, 3, 1)}
    record_dash(session, case_ref, _form(15, dt.date(2026, 3, 10), context=context), TODAY)
    _, later = record_dash(session, case_ref, _form(2, dt.date(2026, 11, 20)), TODAY)
    assert later.context.police_incidents_past_12_months == 3
    assert later.context.last_marac_referral == dt.date(2026, 3, 1)
    assert later.result.marac_criteria == ["potential_escalation", "marac_repeat"]
    _, given = record_dash(session, case_ref, _form(2, context={"police_incidents_past_12_months": 0}), TODAY)
    assert given.context.police_incidents_past_12_months == 0  # what the practitioner gives wins


def test_a_recommendation_is_not_a_referral_and_old_counts_expire(session, case_ref):
    old = {"police_incidents_past_12_months": 5}
    record_dash(session, case_ref, _form(16, dt.date(2025, 6, 1), context=old), TODAY)
    _, later = record_dash(session, case_ref, _form(2, dt.date(2026, 11, 20)), TODAY)
    assert later.context.police_incidents_past_12_months is None  # the count is over a year old
    assert later.context.last_marac_referral is None  # 16 yes recommended a referral; none was recorded
    assert later.result.risk_level == "standard"


def test_a_score_file_records_as_it_is(session, case_ref):
    """The file `dash score` reads is the file `dash record --from` takes."""
    text = (
        '[answers]\nq1 = "yes"\n[answers.q14]\nanswer = "yes"\nticks = ["Children"]\n'
        "[context]\nassessed_on = 2026-11-20\nchild_made_call = true\n"
    )
    from dacli.dashscore import parse, score_text
    from dacli.rules.dash import DashRules

    result, _ = score_text(text, "f", TODAY, DashRules())
    _, rec = record_dash(session, case_ref, parse_dash(parse(text, "f"), TODAY), TODAY)
    assert rec.result.yes == result.yes == 2
    assert rec.assessed_on == dt.date(2026, 11, 20) and rec.context.child_made_call


def test_a_marac_referral_made_is_a_recorded_referral(session, case_ref):
    prof = {"marac_grounds": True, "reasons": "Escalating threats.", "marac_referral_made": True}
    record_dash(session, case_ref, _form(6, dt.date(2026, 6, 1), professional=prof), TODAY)
    _, later = record_dash(session, case_ref, _form(2, dt.date(2026, 11, 20)), TODAY)
    assert later.context.last_marac_referral == dt.date(2026, 6, 1)
    assert later.result.marac_criteria == ["marac_repeat"]


def test_score_case_without_a_checklist(cli, case_ref):
    result = cli("dash", "score", "--case", case_ref)
    assert result.exit_code == 5 and "no Dash checklist" in result.stderr
