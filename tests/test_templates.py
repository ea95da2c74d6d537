"""No fact is recorded that nobody typed: a form printed by `--template` and saved unedited is refused,
naming the unanswered fields, and writes nothing; filling the required fields makes it record.

Every person here is invented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REF = "{ref}"


@pytest.fixture
def case(session, case_ref):
    """The conftest client (one child), with a checklist whose 'yes' answers seed plan actions."""
    from dacli.services.dash import parse_dash, record_dash

    answers = {f"q{n}": "yes" for n in range(1, 12)}
    record_dash(session, case_ref, parse_dash({"answers": answers}, _today()), _today())
    return case_ref


@pytest.fixture
def childless(session):
    """A client with no children on file."""
    from dacli.services.intake import intake, parse_intake

    form = parse_intake(
        {"client": {"name": "Ilse Testperson-Delta"}, "referral": {"date": "2026-11-02"}}, _today()
    )
    return intake(session, form).case


def _today():
    import datetime as dt

    return dt.date(2026, 11, 23)


def _snapshot(store: Path) -> dict[str, bytes]:
    """Every file of the store (records, key rings, index, audit logs), lock files aside."""
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


# (id, the command printing the template, the command recording it, fields the refusal must name)
CASES = [
    ("intake", ["intake", "--template"], ["intake", "--from"], ["client.name", "referral.date"]),
    ("dash", ["dash", "template"], ["dash", "record", REF, "--from"], ["answers"]),
    ("issp", ["issp", "template", REF], ["issp", "record", REF, "--from"], ["agreed action"]),
    (
        "consent",
        ["consent", "record", REF, "--template"],
        ["consent", "record", REF, "--from"],
        [
            "how",
            "explained",
            "monitoring",
            "confidential_unless_permission",
            "high_risk_exception",
            "caseworker_signed_on",
        ],
    ),  # fmt: skip
    (
        "share-without-consent",
        ["share-without-consent", "record", REF, "--template"],
        ["share-without-consent", REF, "--from"],
        [
            "sent_to",
            "shared_at",
            "concerned_about",
            "at_risk_from",
            "immediate_risk",
            "legal_basis",
            "client_notified",
        ],
    ),  # fmt: skip
    (
        "marac-refer",
        ["marac", "refer", REF, "--template"],
        ["marac", "refer", REF, "--from"],
        ["referred_on", "victim_aware", "consent_given", "referring_agency", "afraid_of"],
    ),
    (
        "marac-research",
        ["marac", "research", REF, "--template"],
        ["marac", "research", REF, "--from"],
        ["researched_on", "name_and_agency", "contact_details"],
    ),
    (
        "court-criminal",
        ["court", "record", REF, "--template", "criminal"],
        ["court", "record", REF, "--from"],
        ["hearing_date", "court", "type_of_hearing", "victim_informed"],
    ),
    (
        "court-civil",
        ["court", "record", REF, "--template", "civil"],
        ["court", "record", REF, "--from"],
        ["hearing_date", "court", "type_of_hearing", "victim_informed"],
    ),
    (
        "review",
        ["review", REF, "--template"],
        ["review", REF, "--from"],
        ["engaged", "new_concerns", "professional_judgement", "outcome", "reasons"],
    ),
    ("close", ["close", REF, "--template"], ["close", REF, "--from"], ["reason", "follow_up_consent"]),
    ("close-no-case", ["close", "--template"], ["close", REF, "--from"], ["reason", "follow_up_consent"]),
]

# What a person types into each template to make it record: key (as `table.key` inside a table; the
# first block of a [[...]] list) = TOML value. Everything else stays as the template printed it.
FILLED = {
    "intake": {"client.name": '"Nell Testperson-Epsilon"', "referral.date": "2026-11-20",
               "perpetrators.name": '"Odo Testperson-Zeta"', "children.name": '"Pim Testperson-Eta"'},
    "dash": {"answers.q1": '"yes"'},
    "issp": {"actions.action": '"Ask the GP about a safe appointment"'},
    "consent": {"how": '"telephone"', "explained": "true", "monitoring": "false",
                "confidential_unless_permission": "true", "high_risk_exception": "true",
                "caseworker_signed_on": "2026-11-20"},
    "share-without-consent": {
        "sent_to": '"Police, DC Example"', "shared_at": "2026-11-20T10:00:00",
        "information_shared": '"Threats to the children"', "concerned_about": '["children"]',
        "at_risk_from": '["perpetrator"]', "concerns_fact": '"Threats made on 19 November"',
        "immediate_risk": "true", "legal_basis": '["Crime and Disorder Act"]',
        "considerations": '"Risk to the children outweighs confidentiality"',
        "discussed_with": '"Senior Idva"', "action": '"Told the police"', "client_notified": "true"},
    "marac-refer": {"referred_on": "2026-11-20", "referring_agency": '"Example Idva service"',
                    "contact_name": '"Idva Testcase"', "contact_details": '"idva@example.invalid"',
                    "victim_aware": "true", "consent_given": "false", "afraid_of": '"Ex-partner"'},
    "marac-research": {"researched_on": "2026-11-20", "name_and_agency": '"Idva Testcase, Example"',
                       "contact_details": '"idva@example.invalid"'},
    "court-criminal": {"hearing_date": "2026-11-20", "court": '"Example Magistrates"',
                       "type_of_hearing": '"first appearance"', "victim_informed": "true"},
    "court-civil": {"hearing_date": "2026-11-20", "court": '"Example Family Court"',
                    "type_of_hearing": '"application"', "victim_informed": "false"},
    "review": {"engaged": "true", "new_concerns": "false", "professional_judgement": '"Risk lower"',
               "worker_perception": '"Safer"', "client_perception": '"Safer"', "outcome": '"continue"',
               "reasons": '["Court date ahead"]'},
    "close": {"reason": '"client-request"', "follow_up_consent": "false"},
    "close-no-case": {"reason": '"client-request"', "follow_up_consent": "false"},
}  # fmt: skip


def _fill(text: str, values: dict[str, str]) -> str:
    """Set (and uncomment) each key's first line in its table, as a person editing the file would."""
    todo = dict(values)
    table = ""
    out = []
    for line in text.splitlines():
        header = re.match(r"^\s*\[\[?([A-Za-z0-9_.]+)\]\]?", line)
        if header:
            table = header.group(1)
        found = re.match(r"^\s*#?\s*([A-Za-z0-9_]+)\s*=", line)
        if found:
            key = f"{table}.{found.group(1)}" if table else found.group(1)
            if key in todo:
                line = f"{found.group(1)} = {todo.pop(key)}"
        out.append(line)
    assert not todo, f"the template has no line for {sorted(todo)}"
    return "\n".join(out) + "\n"


def _args(args: list[str], ref: str) -> list[str]:
    return [ref if a == REF else a for a in args]


@pytest.mark.parametrize(("name", "show", "save", "fields"), CASES, ids=[c[0] for c in CASES])
def test_a_template_saved_unedited_is_refused_naming_the_fields_and_writes_nothing(
    cli, case, store_path, tmp_path, name, show, save, fields
):
    printed = cli(*_args(show, case))
    assert printed.exit_code == 0, printed.output
    form = tmp_path / "form.toml"
    form.write_text(printed.stdout, encoding="utf-8")
    before = _snapshot(store_path)
    result = cli(*_args(save, case), str(form))
    assert result.exit_code == 2, f"{name}: the untouched template was recorded: {result.output}"
    message = result.stderr
    for field in fields:
        assert re.search(rf"(?<![\w.]){re.escape(field)}(?![\w])", message), f"{name}: {field!r} not named"
    assert "nothing written" in message or "Nothing" in message
    assert _snapshot(store_path) == before, f"{name}: the refused template changed the store"


@pytest.mark.parametrize(("name", "show", "save", "fields"), CASES, ids=[c[0] for c in CASES])
def test_a_template_with_its_required_fields_filled_records(cli, case, tmp_path, name, show, save, fields):
    printed = cli(*_args(show, case))
    form = tmp_path / "form.toml"
    form.write_text(_fill(printed.stdout, FILLED[name]), encoding="utf-8")
    result = cli(*_args(save, case), str(form))
    assert result.exit_code == 0, f"{name}: {result.output}"


def test_issp_records_no_action_without_an_agreed_action(cli, case, tmp_path):
    printed = cli("issp", "template", case).stdout
    assert printed.count("[[actions]]") >= 2  # seeded from the checklist's 'yes' answers
    form = tmp_path / "plan.toml"
    form.write_text(_fill(printed, FILLED["issp"]), encoding="utf-8")
    assert cli("issp", "record", case, "--from", str(form)).exit_code == 0
    plan = json.loads(cli("issp", "show", case, "--json").stdout)
    assert [a["action"] for a in plan["actions"]] == ["Ask the GP about a safe appointment"]
    # refreshing from that plan and saving it unedited is refused: nothing changed
    again = tmp_path / "again.toml"
    again.write_text(cli("issp", "template", case).stdout, encoding="utf-8")
    result = cli("issp", "record", case, "--from", str(again))
    assert result.exit_code == 2 and "version 1" in result.stderr


def test_exit_template_answers_nothing_and_marks_children_questions_not_applicable(cli, case, childless):
    from dacli.schemas.review import CHILDREN_QUESTIONS, COMPARED

    with_children = cli("close", case, "--template").stdout
    without = cli("close", childless, "--template").stdout
    for text in (with_children, without, cli("close", "--template").stdout):
        assert not re.search(r'^answer = "(worse|no-change|improved)"', text, re.M)
        assert not re.search(r"^(follow_up_consent|knows_what_to_do) =", text, re.M)
    for key, _ in COMPARED:
        assert f"[compared.{key}]" in with_children
        if key in CHILDREN_QUESTIONS:
            assert f"[compared.{key}]" not in without
            assert re.search(rf"^# {key}: not applicable", without, re.M)
        else:
            assert f"[compared.{key}]" in without


def test_exit_form_blank_questions_record_no_answer_and_a_half_answered_one_is_refused(
    cli, session, case, tmp_path
):
    from dacli.services.case_view import show_case

    text = _fill(cli("close", case, "--template").stdout, FILLED["close"])
    half = tmp_path / "half.toml"
    half.write_text(text.replace('comment = ""', 'comment = "Sleeping again"', 1), encoding="utf-8")
    result = cli("close", case, "--from", str(half))
    assert result.exit_code == 2 and "compared.overall_situation.answer" in result.stderr
    whole = tmp_path / "exit.toml"
    whole.write_text(text, encoding="utf-8")
    assert cli("close", case, "--from", str(whole)).exit_code == 0
    closure = show_case(session, case).current_closure()
    assert closure is not None and closure.compared == {}


def test_every_problem_is_named_at_once(cli, case, tmp_path):
    form = tmp_path / "marac.toml"
    form.write_text(cli("marac", "refer", case, "--template").stdout, encoding="utf-8")
    message = cli("marac", "refer", case, "--from", str(form)).stderr
    assert message.count("\n") <= 1  # one sentence
    for field in ("referred_on", "referring_agency", "contact_name", "contact_details", "victim_aware",
                  "consent_given", "afraid_of"):  # fmt: skip
        assert field in message


def test_a_plan_row_with_something_typed_but_no_agreed_action_is_refused(cli, case, tmp_path):
    text = _fill(cli("issp", "template", case).stdout, {"actions.who": '"Idva"'})
    form = tmp_path / "plan.toml"
    form.write_text(text, encoding="utf-8")
    result = cli("issp", "record", case, "--from", str(form))
    assert result.exit_code == 2 and "actions[1].action is not answered" in result.stderr


def test_an_intake_from_the_template_records_no_answer_left_out(cli, session, tmp_path):
    """Left out, 'Is the client pregnant?' is not asked: it is not recorded as a no."""
    from dacli.services.intake import latest_intake

    form = tmp_path / "intake.toml"
    form.write_text(_fill(cli("intake", "--template").stdout, FILLED["intake"]), encoding="utf-8")
    made = cli("intake", "--from", str(form), "--json")
    assert made.exit_code == 0, made.output
    taken = latest_intake(session, json.loads(made.stdout)["case"])
    assert taken.client.pregnant is None and taken.client.translator_required is None
    assert taken.referral.date.isoformat() == "2026-11-20"
