"""Marac referral: filled from the case, safe fields withheld unless released with an audited reason."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli.errors import InvalidInput
from dacli.services.admin import audit_entries
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import intake, parse_intake
from dacli.services.marac import WITHHELD, parse_marac, refer

TODAY = dt.date(2026, 11, 23)
SAFE = {"address": "17 Imaginary Testcase Lane", "safe_number": "07700 900999", "code_word": "kingfisher",
        "safe_time_to_call": "Tuesdays 10-11"}  # fmt: skip
FORM = {
    "referred_on": TODAY,
    "referring_agency": "Example Idva service",
    "contact_name": "Idva Testcase",
    "contact_details": "idva@example.invalid",
    "victim_aware": True,
    "consent_given": False,
    "afraid_of": "Ex-partner and his brother.",
}


@pytest.fixture
def high_risk_case(session):
    form = parse_intake(
        {"client": {"name": "Rhea Testcase", "dob": dt.date(1990, 2, 2), **SAFE},
         "referral": {"date": dt.date(2026, 11, 1)},
         "children": [{"name": "Kit Testcase", "dob": dt.date(2018, 1, 1), "school": "Example Primary"}],
         "perpetrators": [{"name": "Orin Testcase", "relationship": "ex-partner"}]},
        TODAY,
    )  # fmt: skip
    ref = intake(session, form).case
    answers = {f"q{n}": "yes" for n in range(1, 15)} | {"q20": "dont-know"}
    record_dash(session, ref, parse_dash({"answers": answers}, TODAY), TODAY)
    return ref


def test_form_is_filled_from_the_case_and_withholds_safe_fields(session, high_risk_case):
    name, text = refer(session, high_risk_case, parse_marac(FORM, TODAY), [], None)
    assert "Rhea Testcase" in text and "Orin Testcase" in text and "Kit Testcase" in text
    assert "Visible high risk (14 ticks or more on SafeLives Dash risk checklist): Y" in text
    assert "q20" in text  # the checklist's gaps
    for value in [*SAFE.values(), "Example Primary"]:
        assert value not in text
    assert WITHHELD in text
    assert any(e["action"] == "export" and e["record"] == name for e in audit_entries(session))
    # an answer left blank is shown blank, never as a 'no' nobody gave
    assert "referred to any other MARAC previously? -" in text


def test_a_released_field_needs_a_reason_and_is_audited(session, high_risk_case):
    with pytest.raises(InvalidInput, match="reason"):
        refer(session, high_risk_case, parse_marac(FORM, TODAY), ["client.address"], None)
    with pytest.raises(InvalidInput, match="not a safe field"):
        refer(session, high_risk_case, parse_marac(FORM, TODAY), ["client.name"], "x")
    _, text = refer(
        session, high_risk_case, parse_marac(FORM, TODAY), ["client.address"], "Police need it today"
    )
    assert SAFE["address"] in text and SAFE["safe_number"] not in text
    release = next(e for e in audit_entries(session) if e["action"] == "safe-field-release")
    assert release["detail"]["fields"] == ["client.address"] and release["reason"] == "Police need it today"


def test_referral_date_feeds_the_marac_repeat_rule(session, high_risk_case):
    refer(session, high_risk_case, parse_marac({**FORM, "referred_on": dt.date(2026, 6, 1)}, TODAY), [], None)
    _, later = record_dash(session, high_risk_case, parse_dash({"answers": {"q1": "yes"}}, TODAY), TODAY)
    assert later.context.last_marac_referral == dt.date(2026, 6, 1)
    assert "marac_repeat" in later.result.marac_criteria


def test_victim_not_aware_needs_a_reason():
    with pytest.raises(InvalidInput, match="not_aware_why"):
        parse_marac({**FORM, "victim_aware": False}, TODAY)


def test_cli_marac_refer_to_a_file(cli, high_risk_case, tmp_path):
    import tomli_w

    out = tmp_path / "marac.md"
    made = cli("marac", "refer", high_risk_case, "--from", "-", "--out", str(out), input=tomli_w.dumps(FORM))
    assert made.exit_code == 0, made.stderr
    text = out.read_text()
    assert "# Marac referral form" in text and SAFE["code_word"] not in text
    assert "referred_on" in cli("marac", "refer", high_risk_case, "--template").stdout


def test_the_form_is_never_written_inside_the_store(cli, high_risk_case, store_path):
    import tomli_w

    inside = store_path / "marac.md"
    made = cli(
        "marac", "refer", high_risk_case, "--from", "-", "--out", str(inside), input=tomli_w.dumps(FORM)
    )
    assert made.exit_code == 2 and not inside.exists()


def test_free_text_holding_a_safe_value_is_withheld_too(session, high_risk_case):
    told = {
        **FORM,
        "additional_information": "She is staying at 17 imaginary testcase lane; code KINGFISHER.",
    }
    _, text = refer(session, high_risk_case, parse_marac(told, TODAY), [], None)
    assert "imaginary testcase lane" not in text.lower() and "kingfisher" not in text.lower()
    assert text.count(WITHHELD) >= 4
    entry = [e for e in audit_entries(session) if e["action"] == "export"][-1]
    # the child's school, 'Example Primary', is known by its name alone, so 'Example' is withheld too
    assert set(entry["detail"]["redacted"]) == {"client.address", "client.code_word", "children.school"}


RESEARCH = {
    "researched_on": TODAY,
    "name_and_agency": "Idva Testcase, Example Idva service",
    "contact_details": "idva@example.invalid",
    "victim_details_accurate": False,
    "corrections": "Also known as Rhee. Phone her on 07700 900999 only.",
    "attitude": "More anxious since the hearing.",
    "afraid_of": "Ex-partner and his brother.",
    "not_shared": "Her health history: not relevant to the risk.",
}


def test_research_form_is_filled_from_the_case_and_withholds_safe_values(session, high_risk_case):
    from dacli.services.marac import parse_research, research

    name, text = research(session, high_risk_case, parse_research(RESEARCH, TODAY), [], None)
    assert name.startswith("research-")
    assert "# Marac research form" in text and "Rhea Testcase" in text
    assert "Are the victim details on the Marac list accurate? N" in text
    assert "SafeLives Dash of 2026-11-23: 14 yes" in text and "Gaps in the checklist: q20" in text
    assert "More anxious since the hearing." in text
    assert "not relevant to the risk" not in text  # kept on file, not on the form
    for value in SAFE.values():
        assert value not in text  # the safe number typed into corrections is caught too
    with pytest.raises(InvalidInput, match="researched_on"):
        parse_research({**RESEARCH, "researched_on": TODAY + dt.timedelta(days=1)}, TODAY)
    with pytest.raises(InvalidInput, match="name_and_agency"):
        parse_research({**RESEARCH, "name_and_agency": ""}, TODAY)


def test_cli_marac_research(cli, high_risk_case, tmp_path):
    import tomli_w

    assert "researched_on" in cli("marac", "research", high_risk_case, "--template").stdout
    made = cli("marac", "research", high_risk_case, "--from", "-", input=tomli_w.dumps(RESEARCH))
    assert made.exit_code == 0, made.stderr
    assert "# Marac research form" in made.stdout and SAFE["safe_number"] not in made.stdout
