"""A form's fields read from its schema (`dacli.schemas.fields`): what the dashboard's forms and the CLI's
questions are drawn from, and the answers assembled back into the form the service's parser reads."""

from __future__ import annotations

import pytest

from dacli.schemas.fields import assemble, flatten, form_fields, named
from dacli.schemas.issp import IsspForm
from dacli.schemas.review import ExitForm
from dacli.schemas.sharing import ShareForm


def _by_key(fields):
    return {f.key: f for f in fields}


def test_fields_carry_the_packs_wording_kind_and_whether_required():
    share = _by_key(form_fields(ShareForm))
    assert share["sent_to"].required and share["sent_to"].kind == "text"
    assert share["sent_to"].label.startswith("Sent to")
    assert share["immediate_risk"].kind == "yesno" and share["immediate_risk"].required
    assert share["concerned_about"].kind == "choices" and "children" in share["concerned_about"].choices
    assert share["information_shared"].kind == "lines"
    assert share["shared_at"].kind == "datetime"
    exit_ = _by_key(form_fields(ExitForm))
    assert exit_["reason"].kind == "choice" and exit_["reason"].choices == (
        "risk-reduced", "no-contact", "client-request")  # fmt: skip
    assert "compared" not in exit_  # a mapping: drawn by the form that shows it


def test_sections_flatten_and_lists_of_sections_are_slots_only_when_asked():
    plain = _by_key(form_fields(IsspForm))
    assert "advice.legal" in plain and plain["advice.legal"].section == "Advice"
    assert plain["safe.code_word"].safe and not plain["advice.legal"].safe
    assert plain["take.if_leave"].kind == "list"
    assert not any(k.startswith("actions") for k in plain)
    slots = _by_key(form_fields(IsspForm, repeat={"actions": 2}))
    assert slots["actions[2].risk"].section == "Actions 2" and slots["actions[2].risk"].required


def test_assemble_leaves_blanks_out_and_closes_up_blank_slots():
    fields = form_fields(IsspForm, repeat={"actions": 3})
    data = assemble(
        fields,
        {
            "created_on": " ",
            "actions[1].risk": "Knows the address",
            "actions[2].risk": "",  # a wholly blank slot is no entry
            "actions[3].risk": "Phone monitored",
            "actions[3].who": "Worker",
            "take.if_leave": "Passport\n\n Medication \n",
            "advice.legal": "",
        },
    )
    assert data == {
        "actions": [{"risk": "Knows the address"}, {"risk": "Phone monitored", "who": "Worker"}],
        "take": {"if_leave": ["Passport", "Medication"]},
    }
    assert assemble(fields, {}) == {}  # a form saved unedited records no fact


@pytest.mark.parametrize(("raw", "out"), [(None, None), (True, True), (False, False), ("yes", None)])
def test_yes_no_is_only_ever_a_choice_made(raw, out):
    fields = form_fields(ShareForm, only=["immediate_risk"])
    assert assemble(fields, {"immediate_risk": raw}).get("immediate_risk") == out


def test_a_local_time_as_typed_is_read_as_the_parser_reads_it():
    fields = form_fields(ShareForm, only=["shared_at"])
    assert assemble(fields, {"shared_at": "2026-11-23 14:30"}) == {"shared_at": "2026-11-23T14:30"}


def test_flatten_is_assembles_inverse_for_a_plan_on_file():
    import datetime as dt

    fields = form_fields(IsspForm, repeat={"actions": 2})
    doc = {"actions": [{"risk": "R", "by": dt.date(2026, 12, 1)}], "take": {"emergency": ["Keys", "Phone"]}}
    answers = flatten(doc, fields)
    assert answers == {"actions[1].risk": "R", "actions[1].by": "2026-12-01", "take.emergency": "Keys\nPhone"}
    assert assemble(fields, answers) == {
        "actions": [{"risk": "R", "by": "2026-12-01"}],
        "take": {"emergency": ["Keys", "Phone"]},
    }


def test_named_finds_the_first_field_a_refusal_names_not_a_longer_one():
    fields = form_fields(ShareForm)
    assert (
        named("Decision refused: concerned_about_other is not answered", fields).key
        == "concerned_about_other"
    )
    assert named("x: not_notified_reason and sent_to are not answered", fields).key == "not_notified_reason"
    assert named("nothing here", fields) is None
    slots = form_fields(IsspForm, repeat={"actions": 12})
    assert named("actions[1].risk is not answered", slots).key == "actions[1].risk"


def test_a_refusal_is_said_with_the_labels_on_the_form():
    from dacli.schemas.fields import in_words

    said = in_words(
        "Exit form refused: reason and follow_up_consent are not answered.", form_fields(ExitForm)
    )
    assert said == (
        "Exit form refused: 'Reason for closure' and 'It's our policy to call you in six months' time' "
        "are not answered."
    )
    slots = form_fields(IsspForm, repeat={"actions": 2})
    said = in_words("actions[2].by: is not a date; created_on is in the future", slots)
    assert said == "'Actions 2: By when?': is not a date; 'Created on' is in the future"
