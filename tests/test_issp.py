"""The safety plan (ISSP): versions, seeding, overdue actions, and the client's copy without safe fields."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.errors import InvalidInput, NotFound
from dacli.rules.deadlines import DeadlineState, issp_action
from dacli.rules.issp import next_open_action, overdue_actions, seed_risks
from dacli.schemas.issp import Action
from dacli.services import issp, issp_copy
from dacli.services.admin import audit_entries
from dacli.services.case_facts import current_plans
from dacli.services.caseload import caseload
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import intake, parse_intake
from dacli.services.soag import parse_soag, record_soag

TODAY = dt.date(2026, 11, 23)
SAFE = {"address": "17 Imaginary Testcase Lane", "safe_number": "07700 900999", "code_word": "kingfisher",
        "safe_time_to_call": "Tuesdays 10-11"}  # fmt: skip
PLAN_SAFE = {"code_word": "bluebell", "refuge_location": "Testcase House refuge, Northtown",
             "new_address": "3 Invented Testcase Close"}  # fmt: skip


@pytest.fixture
def case(session):
    form = parse_intake(
        {"client": {"name": "Rhea Testcase", "dob": dt.date(1990, 2, 2), **SAFE},
         "referral": {"date": dt.date(2026, 11, 1)},
         "perpetrators": [{"name": "Orin Testcase", "relationship": "ex-partner"}]},
        TODAY,
    )  # fmt: skip
    ref = intake(session, form).case
    answers = {"q1": "yes", "q2": "no", "q3": "yes", "q5": "dont-know", "q11": "yes"}
    record_dash(session, ref, parse_dash({"answers": answers}, TODAY), TODAY)
    record_soag(session, ref, parse_soag({"physical": {"occurring": "yes", "severity": "high",
        "escalation_severity": "worse", "escalation_frequency": "unchanged"}}, TODAY), TODAY)  # fmt: skip
    return ref


def _plan(**extra) -> dict:
    return {
        "created_on": TODAY,
        "actions": [
            {"risk": "Injury in the current incident", "action": "See GP", "who": "Client",
             "by": TODAY - dt.timedelta(days=1)},
            {"risk": "Threats to kill", "action": "Non-molestation order", "who": "Idva", "by": TODAY},
            {"risk": "Isolation", "action": "Local group", "who": "Client"},
        ],
        "advice": {"general_safety": "Keep it charged. See the sister at 17 imaginary  testcase lane.",
                   "housing": "Sanctuary scheme referral."},
        "take": {"if_leave": ["passport", "medication"], "emergency": ["phone"]},
        "safe": PLAN_SAFE,
        **extra,
    }  # fmt: skip


# --- rules ------------------------------------------------------------------------------------------------


def test_overdue_actions_at_their_boundaries():
    a = Action(risk="r", by=TODAY)
    late = Action(risk="r", by=TODAY - dt.timedelta(days=1))
    done = Action(risk="r", by=TODAY - dt.timedelta(days=9), done=TODAY)
    undated = Action(risk="r")
    assert overdue_actions([a, late, done, undated], TODAY) == [late]
    assert next_open_action([a, late, done, undated]) == late.by
    assert next_open_action([done, undated]) is None
    assert issp_action(TODAY, TODAY).state == DeadlineState.due
    assert issp_action(TODAY, TODAY + dt.timedelta(days=1)).state == DeadlineState.overdue


def test_seed_risks_takes_dash_yes_in_order_then_soag():
    got = seed_risks(
        {"q3": "yes", "q1": "yes", "q2": "no", "q4": "dont-know"},
        {1: "one?", 2: "two?", 3: "three?", 4: "four?"},
        {"physical": ("yes", "high"), "sexual": ("no", None)},
    )
    assert got == [
        ("Dash q1", "one?"),
        ("Dash q3", "three?"),
        ("Soag physical", "physical abuse occurring (high)"),
    ]


# --- service ----------------------------------------------------------------------------------------------


def test_template_is_seeded_from_the_latest_dash_and_soag(session, case):
    doc = issp.template(session, case, TODAY)
    sources = [a["source"] for a in doc["actions"]]
    assert sources == ["Dash q1", "Dash q3", "Dash q11", "Soag physical"]
    assert doc["actions"][0]["risk"].startswith("Has the current incident resulted in injury?")


def test_a_refreshed_plan_is_a_new_version_and_earlier_ones_stay(session, case):
    with pytest.raises(NotFound):
        issp.latest(session, case)
    first, p1 = issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    second, p2 = issp.complete(session, case, 1, TODAY, "seen by GP", TODAY)
    assert (p1.version, p2.version) == (1, 2)
    assert issp.latest(session, case, 1)[1].actions[0].done is None
    assert issp.latest(session, case)[1].actions[0].done == TODAY
    assert issp.latest(session, case)[1].actions[0].comment == "seen by GP"
    assert [n for n, _ in issp.plans(session, case)] == [first, second]
    with pytest.raises(InvalidInput, match="already completed"):
        issp.complete(session, case, 1, TODAY, None, TODAY)
    with pytest.raises(InvalidInput, match="actions 1 to 3"):
        issp.complete(session, case, 4, TODAY, None, TODAY)
    # the template now refreshes the latest plan
    assert issp.template(session, case, TODAY)["actions"][0]["done"] == TODAY


def test_adding_an_action_starts_a_plan_then_makes_the_next_version(session, case):
    """`add_action` (the dashboard's plan form): version 1 for a case without a plan, then a new version that
    keeps every earlier action and safe detail as it was."""
    action = issp.parse_action({"risk": "Threats to kill", "action": "Non-molestation order", "who": "Idva",
                                "by": "2026-12-01"}, TODAY)  # fmt: skip
    assert action.by == dt.date(2026, 12, 1)  # a typed date is read as the plan form reads it
    _, p1 = issp.add_action(session, case, action, TODAY)
    assert p1.version == 1 and p1.created_on == TODAY and [a.risk for a in p1.actions] == ["Threats to kill"]
    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)  # version 2, with safe details
    later = TODAY + dt.timedelta(days=3)
    new = issp.parse_action({"risk": "Isolation: new", "action": "Local group"}, later)
    name, p3 = issp.add_action(session, case, new, later)
    assert p3.version == 3 and issp.latest(session, case) == (name, p3)
    assert [a.risk for a in p3.actions] == [a["risk"] for a in _plan()["actions"]] + ["Isolation: new"]
    assert p3.created_on == TODAY and p3.safe.code_word == PLAN_SAFE["code_word"]
    assert p3.advice.housing == "Sanctuary scheme referral."
    assert len(issp.plans(session, case)) == 3


def test_an_action_is_refused_naming_the_field_and_nothing_is_written(session, case):
    with pytest.raises(InvalidInput, match="Action refused, nothing written: risk"):
        issp.parse_action({"risk": "  ", "action": "See GP"}, TODAY)
    with pytest.raises(InvalidInput, match="by"):
        issp.parse_action({"risk": "Injury", "by": "next week"}, TODAY)
    with pytest.raises(InvalidInput, match="done is in the future"):
        issp.parse_action({"risk": "Injury", "done": TODAY + dt.timedelta(days=1)}, TODAY)
    # a plan the new action would make invalid is refused whole
    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    old = issp.parse_action({"risk": "Old", "action": "x", "done": TODAY - dt.timedelta(days=400)}, TODAY)
    with pytest.raises(InvalidInput, match="more than a year before"):
        issp.add_action(session, case, old, TODAY)
    assert [p.version for _, p in issp.plans(session, case)] == [1]


def test_bad_plans_are_refused_naming_the_field(session, case):
    with pytest.raises(InvalidInput, match="created_on"):
        issp.parse_issp(_plan(created_on=TODAY + dt.timedelta(days=1)), TODAY)
    with pytest.raises(InvalidInput, match="reviewed_by"):
        issp.parse_issp(_plan(reviewed_on=TODAY), TODAY)
    with pytest.raises(InvalidInput, match="risk"):
        issp.parse_issp({"actions": [{"risk": "", "action": "x"}]}, TODAY)
    with pytest.raises(InvalidInput, match="actions"):
        issp.parse_issp({"actions": [{"risk": "x", "done": TODAY + dt.timedelta(days=2)}]}, TODAY)


def test_overdue_actions_reach_the_caseload(session, case):
    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    now = dt.datetime.combine(TODAY, dt.time(12, 0), tzinfo=dt.UTC)
    (row,) = caseload(session, now=now)
    (d,) = [d for d in row.deadlines if d.name == "ISSP action"]
    assert d.state == DeadlineState.overdue and clock.local_date(d.due_at) == TODAY - dt.timedelta(days=1)
    issp.complete(session, case, 1, TODAY, None, TODAY)
    (row,) = caseload(session, now=now)
    (d,) = [d for d in row.deadlines if d.name == "ISSP action"]
    assert d.state == DeadlineState.due and clock.local_date(d.due_at) == TODAY


# --- the client's copy -------------------------------------------------------------------------------------

ALL_SAFE = [*SAFE.values(), *PLAN_SAFE.values()]
SINK: list[bytes] = []


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_client_copy_holds_the_actions_and_no_safe_value(session, case, fmt):
    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    copy = issp_copy.client_copy(session, case, fmt, True, [], None, SINK.append, today=TODAY)
    text = _text(copy.content, fmt)
    for expected in ("See GP", "Non-molestation order", "Local group", "passport", "Sanctuary scheme"):
        assert expected in text
    lowered = " ".join(text.lower().split())
    for value in ALL_SAFE:
        assert " ".join(value.lower().split()) not in lowered, value
    assert copy.redacted == ["client.address"]  # typed into free text, caught by the last check
    entry = [e for e in audit_entries(session) if e["action"] == "export"][-1]
    assert entry["record"] == copy.record and entry["detail"]["redacted"] == ["client.address"]


def test_pdf_opens_and_holds_the_plan(session, case):
    pypdf = pytest.importorskip("pypdf")
    import io

    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    copy = issp_copy.client_copy(session, case, "pdf", True, [], None, SINK.append, today=TODAY)
    assert copy.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(copy.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "My safety plan" in text and "Non-molestation order" in text
    assert "(not done yet)" in text  # action 1 was due yesterday


def test_released_safe_field_needs_a_reason_and_is_audited(session, case):
    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    with pytest.raises(InvalidInput, match="reason"):
        issp_copy.client_copy(session, case, "md", True, ["safe.code_word"], "  ", SINK.append)
    with pytest.raises(InvalidInput, match="not a safe field"):
        issp_copy.client_copy(session, case, "md", True, ["client.name"], "x", SINK.append)
    copy = issp_copy.client_copy(
        session, case, "md", True, ["safe.code_word"], "Client chose to keep it", SINK.append
    )
    text = copy.content.decode()
    assert "bluebell" in text
    for value in ALL_SAFE:
        if value != "bluebell":
            assert value not in text
    release = [e for e in audit_entries(session) if e["action"] == "safe-field-release"][-1]
    assert release["detail"] == {"fields": ["safe.code_word"]} and release["record"] == copy.record


def test_not_safe_to_take_home_is_recorded_and_nothing_is_rendered(session, case):
    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    copy = issp_copy.client_copy(session, case, "pdf", False, [], None, SINK.append)
    assert copy.content is None
    from dacli.schemas.issp import IsspCopyRecord

    stored = IsspCopyRecord.model_validate(session.read_record(case, copy.record))
    assert stored.safe_to_take_home is False and stored.written is False
    assert not any(e["action"] == "export" for e in audit_entries(session))


def _text(content: bytes, fmt: str) -> str:
    if fmt == "html":
        import html

        return html.unescape(content.decode())  # search what a reader sees, not the escapes
    if fmt != "pdf":
        return content.decode()
    import io

    import pypdf

    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


# --- the command ------------------------------------------------------------------------------------------


def test_cli_export_is_written_only_where_the_user_says(cli, session, case, tmp_path, store_path):
    form = tmp_path / "plan.toml"
    import tomli_w

    form.write_text(tomli_w.dumps(_plan(created_on=clock.today())))
    assert cli("issp", "record", case, "--from", str(form)).exit_code == 0
    inside = cli("issp", "export", case, "--format", "pdf", "--out", str(store_path / "copy.pdf"),
                 "--safe-to-take-home", "yes")  # fmt: skip
    assert inside.exit_code == 2 and "inside the case store" in inside.stderr
    assert not (store_path / "copy.pdf").exists()
    no_out = cli("issp", "export", case, "--format", "pdf", "--safe-to-take-home", "yes")
    assert no_out.exit_code == 2 and "--out" in no_out.stderr
    out = tmp_path / "copy.pdf"
    refused = cli("issp", "export", case, "--format", "pdf", "--out", str(out), "--safe-to-take-home", "no")
    assert refused.exit_code == 0 and not out.exists() and "not safe" in refused.stderr
    done = cli("issp", "export", case, "--format", "pdf", "--out", str(out), "--safe-to-take-home", "yes")
    assert done.exit_code == 0 and out.read_bytes().startswith(b"%PDF-")
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    shown = cli("case", "show", case)
    assert "safety plan: version 1" in shown.stdout and "ACTION 1 OVERDUE" in shown.stdout
    template = cli("issp", "template", case)
    assert template.exit_code == 0 and "[safe]" in template.stdout


def test_template_never_prints_safe_values_and_blank_ones_are_kept(cli, session, case):
    import tomllib

    issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    text = cli("issp", "template", case).stdout
    for value in PLAN_SAFE.values():
        assert value not in text
    assert "# code_word" in text and "on file" in text
    doc = tomllib.loads(text)
    assert "safe" not in doc or not any(doc["safe"].values())
    doc["advice"]["legal"] = "Orders explained."  # a refresh saved unedited is refused (test_templates.py)
    _, refreshed = issp.record(session, case, issp.parse_issp(doc, TODAY), TODAY)
    assert refreshed.version == 2 and refreshed.safe.code_word == "bluebell"  # kept from version 1


def _apart(session, ref, office_a, office_b):
    """Office A and office B each save a change to the case while apart (as a sync engine delivers them):
    B's change is made without A's file in the folder, and A's file arrives afterwards."""
    before = set((session.store.root / ref).iterdir())
    office_a()
    made_by_a = [p for p in (session.store.root / ref).iterdir() if p not in before and p.suffix == ".age"]
    aside = session.store.root.parent / "in-transit"
    aside.mkdir(exist_ok=True)
    for path in made_by_a:
        path.rename(aside / path.name)
    session._readable.pop(ref, None)
    office_b()
    for path in made_by_a:
        (aside / path.name).rename(path)


def test_two_offices_changing_the_plan_at_once_lose_nothing_and_are_told(session, case, cli):
    """Store format 3: a plan version names the version it replaces. Two versions made at once from the same
    version (two offices apart) are a fork: `issp show` says so and shows every action of both; the next
    change joins them, keeping the action one office added and the completion the other recorded."""
    first, p1 = issp.record(session, case, issp.parse_issp(_plan(), TODAY), TODAY)
    assert p1.replaces == []
    added = issp.parse_action(
        {"risk": "Stalking at work", "action": "Tell the employer", "who": "Idva"}, TODAY
    )
    _apart(
        session, case,
        lambda: issp.add_action(session, case, added, TODAY),
        lambda: issp.complete(session, case, 1, TODAY, "Seen by the GP", TODAY),
    )  # fmt: skip
    tips = current_plans(issp.plans(session, case))
    assert (
        len(tips) == 2 and {p.version for _, p in tips} == {2} and all(p.replaces == [first] for _, p in tips)
    )
    shown = cli("issp", "show", case)
    assert shown.exit_code == 0, shown.stderr
    assert "versions made at once: version 2 by mgr" in shown.stdout and "Stalking at work" in shown.stdout
    assert "done " + TODAY.isoformat() in shown.stdout  # the completion made in the other office
    later = TODAY + dt.timedelta(days=1)
    name, p3 = issp.add_action(
        session, case, issp.parse_action({"risk": "Money", "action": "Bank"}, later), later
    )
    assert p3.version == 3 and sorted(p3.replaces) == sorted(n for n, _ in tips)
    risks = [a.risk for a in p3.actions]
    assert risks == [*(a["risk"] for a in _plan()["actions"]), "Stalking at work", "Money"]
    assert p3.actions[0].done == TODAY
    assert current_plans(issp.plans(session, case)) == [(name, p3)]
    assert "at once" not in cli("issp", "show", case).stdout


def test_the_client_copy_speaks_to_the_client(session, case):
    """Issue 16: the worker's words, not the question bank or the pack's prompts; the service's name and
    number; the helplines; dates as people write them."""
    from dacli.services.admin import change_setting

    change_setting(session, "service_name", "Testcase Idva Service")
    change_setting(session, "service_phone", "01632 960123")
    seeded = {"risk": "Has [name of abuser(s)] ever threatened to kill you?", "action": "Apply for an order",
              "who": "Idva", "source": "Dash q12"}  # fmt: skip
    unagreed = {"risk": "Isolation from family", "source": "Dash q4"}  # no agreed action yet
    issp.record(session, case, issp.parse_issp(_plan(actions=[seeded, unagreed]), TODAY), TODAY)
    text = issp_copy.client_copy(
        session, case, "md", True, [], None, SINK.append, today=TODAY
    ).content.decode()
    assert "Apply for an order" in text and "threatened to kill" not in text and "Isolation" not in text
    assert "[name of abuser(s)]" not in text and "Advice on:" not in text
    assert "Testcase Idva Service" in text and "01632 960123" in text
    assert "0808 2000 247" in text and "999" in text  # the national helpline, from the store's settings
    assert f"{TODAY.day} {TODAY:%B %Y}" in text and TODAY.isoformat() not in text
    change_setting(session, "helplines", "Testcase Line: 0800 000 0000; Other Testcase Line: 0800 111 1111")
    text = issp_copy.client_copy(
        session, case, "md", True, [], None, SINK.append, today=TODAY
    ).content.decode()
    assert "Testcase Line: 0800 000 0000" in text and "Other Testcase Line" in text and "2000 247" not in text
