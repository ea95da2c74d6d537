"""Intake: the whole form, urgent-first prompts, template, repeats and conflicts."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from dacli.errors import InvalidInput
from dacli.rules.matching import Person, normalise_name, same_person
from dacli.schemas.intake import IntakeForm
from dacli.services.case_view import show_case
from dacli.services.caseload import caseload
from dacli.services.intake import intake, parse_intake

TODAY = dt.date(2026, 11, 23)


def _form(name="Zed Testcase", dob=dt.date(1990, 1, 1), perps=(), **extra) -> IntakeForm:
    data = {
        "client": {"name": name, "dob": dob},
        "referral": {"date": dt.date(2026, 11, 1), "referred_by": "police"},
        "perpetrators": [{"name": n, "dob": d} for n, d in perps],
        **extra,
    }
    return parse_intake(data, TODAY)


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Zoë O'Brien-Testcase", "zoe obrien testcase", True),
        ("Zoë O'Brien Testcase", "ZOE  OBRIEN   testcase", True),
        ("Ann-Marie Testcase", "Annmarie Testcase", True),
        ("Anna Testcase", "Anna Testcases", False),
    ],
)
def test_normalised_names(a, b, same):
    assert (normalise_name(a) == normalise_name(b)) is same


def test_same_person_needs_a_date_of_birth():
    d = dt.date(1990, 1, 1)
    assert same_person(Person(("Ann Testcase",), d), Person(("ann testcase",), d))
    assert same_person(Person(("Ann Testcase", "Nan Q"), d), Person(("Nan Q",), d))
    assert not same_person(Person(("Ann Testcase",), d), Person(("Ann Testcase",), dt.date(1990, 1, 2)))
    assert not same_person(Person(("Ann Testcase",), None), Person(("Ann Testcase",), None))


def test_template_covers_every_field_and_parses_once_filled(cli):
    result = cli("intake", "--template")
    assert result.exit_code == 0
    text = result.stdout
    for key in ("safe_number", "code_word", "safe_time_to_call", "address_safe_to_write", "ethnicity",
                "immigration", "sexual_orientation", "perpetrator_has_pr", "school", "cyps_involvement",
                "agreement_consented_how", "monitoring_consented", "conflict_of_interest", "due_date",
                "[[perpetrators]]", "[[children]]", "[checklist]", "[concerns]", "SafeLives"):  # fmt: skip
        assert key in text, key
    filled = text.replace('name = ""', 'name = "Filled Testcase"', 3).replace(
        "# date = 2026-01-31", "date = 2026-11-01", 1
    )
    data = tomllib.loads(filled)
    parse_intake(data, TODAY)


def test_whole_form_round_trips(session, tmp_path):
    full = {
        "client": {
            "name": "Wren Testcase", "aka": "Wrenny", "dob": dt.date(1992, 2, 2), "gender_identity": "woman",
            "address": "1 Example Row", "address_safe_to_write": False, "safe_number": "07000 000000",
            "code_word": "bluebell", "safe_time_to_call": "weekdays 10-12", "ethnicity": "not stated",
            "languages": "English, Welsh", "translator_required": False, "pregnant": True,
            "due_date": dt.date(2027, 5, 1),
        },
        "referral": {"date": dt.date(2026, 11, 20), "time": dt.time(9, 30), "referred_by": "midwife"},
        "concerns": {"flag": True, "details": "staff safety issues"},
        "perpetrators": [{"name": "Rook Testcase", "relationship": "partner", "translator_required": True}],
        "children": [
            {"name": "Fen Testcase", "gender": "F", "dob": dt.date(2020, 3, 3), "perpetrator_is_parent": True,
             "perpetrator_has_pr": True, "school": "Example Primary"},
            {"name": "unborn", "unborn": True},
        ],
        "children_info": {"cyps_involvement": True, "cyps_description": "child in need plan"},
        "checklist": {"dash_completed": True, "agreement_consented": True,
                      "agreement_consented_how": "telephone", "monitoring_consented": False},
        "conflict_of_interest": False,
    }  # fmt: skip
    ref = intake(session, parse_intake(full, TODAY)).case
    stored = show_case(session, ref).intakes[0]
    assert stored.client.code_word == "bluebell"
    assert stored.children[1].unborn is True
    assert stored.checklist.agreement_consented_how.value == "telephone"
    assert stored.referral.time == dt.time(9, 30)
    assert "significant-concerns" in show_case(session, ref).summary.flags


@pytest.mark.parametrize(
    "change, field",
    [
        ({"checklist": {"agreement_consented_how": "fax"}}, "checklist.agreement_consented_how"),
        ({"children": [{"name": "Kid", "gender": "X"}]}, "children[1].gender"),
        ({"children": [{"name": "unborn", "unborn": True}]}, "children[1] is unborn"),
        ({"checklist": {"service_explained_how": "written"}}, "checklist.service_explained_how"),
        ({"conflict_details": "knows the worker"}, "conflict_details"),
        (
            {
                "client": {"name": "Zed", "pregnant": True, "due_date": dt.date(2027, 1, 1)},
                "children": [{"name": "unborn", "unborn": True, "dob": dt.date(2026, 1, 1)}],
            },
            "unborn child",
        ),
        ({"perpetrators": [{"name": "P Testcase", "dob": dt.date(2030, 1, 1)}]}, "perpetrators[1].dob"),
        ({"client": {"name": "Zed", "dob": "1990-13-01"}}, "client.dob"),
        ({"referral": {"date": dt.date(2026, 11, 1), "time": "25:00"}}, "referral.time"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_impossible_input_names_the_field(change, field):
    data = {"client": {"name": "Zed Testcase"}, "referral": {"date": dt.date(2026, 11, 1)}}
    data.update(change)
    with pytest.raises(InvalidInput, match=field.replace("[", r"\[").replace(".", r"\.")):
        parse_intake(data, TODAY)


def test_child_born_before_named_parent_is_refused():
    data = {
        "client": {"name": "Zed Testcase"},
        "referral": {"date": dt.date(2026, 11, 1)},
        "perpetrators": [{"name": "P Testcase", "dob": dt.date(2000, 1, 1)}],
        "children": [{"name": "Kid", "dob": dt.date(1999, 1, 1), "perpetrator_is_parent": True}],
    }
    with pytest.raises(InvalidInput, match=r"children\[1\]\.dob is before perpetrators\[1\]\.dob"):
        parse_intake(data, TODAY)


def test_repeat_referral_joins_the_earlier_case_even_when_closed(session):
    first = intake(session, _form("Mara Testcase", perps=[("Olf Testcase", None)])).case

    def close(doc):
        return {**doc, "status": "closed"}

    session.update_record(first, "case.toml.age", close)
    from dacli.services.case_view import reindex

    reindex(session)
    again = intake(session, _form("MARA  testcase"))
    assert again.case == first
    assert again.intake == 2
    assert again.repeat
    view = show_case(session, first)
    assert view.case.status.value == "open"
    assert len(view.intakes) == 2
    assert "repeat" in view.summary.flags
    assert session.store.case_refs() == [first]


def test_repeat_matches_on_aka_and_new_case_keeps_a_link(session):
    first = intake(
        session,
        parse_intake(
            {"client": {"name": "Ines Testcase", "aka": "Nessa Q", "dob": dt.date(1980, 5, 5)},
             "referral": {"date": dt.date(2026, 10, 1)}}, TODAY),
    ).case  # fmt: skip
    second = intake(session, _form("nessa q", dob=dt.date(1980, 5, 5)), new_case=True)
    assert second.case != first
    assert [(m.kind, m.case) for m in second.matches] == [("repeat", first)]
    different_dob = intake(session, _form("nessa q", dob=dt.date(1980, 5, 6)))
    assert different_dob.matches == []


def test_conflicts_of_interest_are_flagged_and_audited(session):
    from dacli.services.admin import audit_entries

    a = intake(session, _form("Cleo Testcase", perps=[("Dax Testcase", dt.date(1985, 1, 1))])).case
    # The alleged perpetrator in case a now comes to the service as a client.
    b = intake(session, _form("Dax Testcase", dob=dt.date(1985, 1, 1)))
    assert [(m.kind, m.case) for m in b.conflicts] == [("client-is-perpetrator", a)]
    # A client of case a is named as a perpetrator here; and Dax again (serial perpetrator).
    c = intake(
        session,
        _form(
            "Eve Testcase",
            perps=[("Cleo Testcase", dt.date(1990, 1, 1)), ("Dax Testcase", dt.date(1985, 1, 1))],
        ),
    )
    kinds = sorted((m.kind, m.case) for m in c.conflicts)
    assert ("perpetrator-is-client", a) in kinds
    assert ("serial-perpetrator", a) in kinds
    assert ("perpetrator-is-client", b.case) in kinds
    flagged = {r.ref for r in caseload(session, flag="conflict")}
    assert {b.case, c.case} <= flagged
    audited = [e for e in audit_entries(session) if e["action"] == "conflict-flag"]
    assert {e["case"] for e in audited} == {b.case, c.case}


def test_cli_reports_repeats_and_conflicts(cli):
    form = '[client]\nname = "Gil Testcase"\ndob = 1970-07-07\n[referral]\ndate = 2026-11-01\n'
    first = json.loads(cli("intake", "--from", "-", "--json", input=form).stdout)
    again = cli("intake", "--from", "-", "--json", input=form)
    assert json.loads(again.stdout)["case"] == first["case"]
    assert json.loads(again.stdout)["repeat"] is True
    assert "Repeat referral" in again.stderr


def test_urgent_fields_first_then_finish_later(cli, store_path):
    answers = "\n".join(
        [
            "Hollis Testcase",  # name
            "07000 111111",  # safe number
            "after 6pm",  # safe time to call
            "heron",  # code word
            "y",  # significant concerns
            "staff safety issues",
            ".",  # the end of a text that may run over lines (Ctrl-D on a terminal)
            "2026-11-22",  # referral date
            "14:30",  # referral time
            "police",  # referred by
            "n",  # finish the rest now? no
        ]
    )
    made = cli("intake", "--json", input=answers + "\n")
    assert made.exit_code == 0, made.stderr
    # CliRunner echoes typed answers into stdout, as a terminal would; the JSON document follows them (it is
    # printed as soon as the urgent part is saved, before the question about the rest)
    ref = json.JSONDecoder().raw_decode(made.stdout[made.stdout.index("{\n") :])[0]["case"]
    assert f"dacli intake finish {ref}" in made.stderr
    shown = json.loads(cli("case", "show", ref, "--json").stdout)
    assert shown["intakes"][0]["client"]["code_word"] == "heron"
    assert shown["intakes"][0]["referral"]["time"] == "14:30:00"
    assert shown["intakes"][0]["complete"] is False
    assert "incomplete-intake" in shown["summary"]["flags"]
    finished = cli(
        "intake", "finish", ref, "--from", "-",
        input='[client]\nname = "Hollis Testcase"\ncode_word = "heron"\ndob = 1988-08-08\n'
              '[referral]\ndate = 2026-11-22\nreferred_by = "police"\n',
    )  # fmt: skip
    assert finished.exit_code == 0, finished.stderr
    shown = json.loads(cli("case", "show", ref, "--json").stdout)
    assert shown["intakes"][0]["complete"] is True
    assert shown["intakes"][0]["client"]["dob"] == "1988-08-08"
    assert "incomplete-intake" not in shown["summary"]["flags"]


@pytest.mark.parametrize(
    "name", ["O'Brien-Testcase 3rd", "  ANN\tmarie  ", "x_y-z.1", "", "Zoë Testcase", "ß Straße", "İlker"]
)
def test_the_quick_path_for_plain_names_normalises_as_the_full_one(name):
    """Most names are ASCII: they skip the Unicode decomposition (matching 20,000 cases at intake took
    0.78 s, 0.06 s with it and with rows of other dates of birth not looked at), with the same result."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name.casefold())
    full = "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))
    assert normalise_name(name) == full
