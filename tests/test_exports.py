"""The last check before anything leaves dacli: every safe value of a case, however it was typed."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.services.exports import WITHHELD, redact

VALUES = {
    "client.safe_number": ["07700 900999"],
    "client.address": ["Flat 2, 14 Testcase Road\nNorthtown"],
    "client.code_word": ["Red"],
    "safe.refuge_location": ["St John’s Testcase House"],
    "children.school": ["Café Testcase Academy"],
}


@pytest.mark.parametrize(
    "typed, field",
    [
        ("call 07700900999 after six", "client.safe_number"),
        ("call 07700-900-999 after six", "client.safe_number"),
        ("call (07700) 900 999", "client.safe_number"),
        ("she lives at 14 testcase road now", "client.address"),
        ("Flat 2,\n14 Testcase Road, Northtown", "client.address"),
        ("the code word is red.", "client.code_word"),
        ("staying at St John's testcase house", "safe.refuge_location"),
        ("goes to Cafe Testcase Academy", "children.school"),
        ("goes to CAFÉ  TESTCASE   ACADEMY", "children.school"),
    ],
)
def test_every_way_of_typing_a_safe_value_is_caught(typed, field):
    text, found = redact(f"Notes: {typed}. End.", VALUES)
    assert found == [field]
    assert WITHHELD in text and text.startswith("Notes: ") and text.endswith(". End.")
    for digits in ("900999", "900-999", "900 999"):
        assert digits not in text


def test_words_inside_other_words_are_left_alone():
    text, found = redact("Risk reduced; credit union referral.", VALUES)
    assert (text, found) == ("Risk reduced; credit union referral.", [])


def test_a_released_field_is_shown_whole_even_where_another_value_is_inside_it():
    values = {
        "client.address": ["Flat 2, 14 Testcase Road"],
        "client.alternative_address": ["14 Testcase Road"],
    }
    text, found = redact("Address: Flat 2, 14 Testcase Road.", values, ["client.address"])
    assert text == "Address: Flat 2, 14 Testcase Road." and found == []
    text, found = redact("Also seen at 14 Testcase Road.", values, ["client.address"])
    assert text == "Also seen at 14 Testcase Road."  # the same value, released under its other name


def test_plan_safe_values_and_earlier_intakes_reach_every_export(session):
    """A refuge location from the plan and a safe number from the first intake, typed into the court
    summary's bail conditions and the Marac research form, are withheld."""
    from dacli.services import issp
    from dacli.services.cases import intake, parse_hearing, parse_intake, record_hearing
    from dacli.services.court import summary
    from dacli.services.marac import parse_research, research

    today = clock.today()
    first = {"client": {"name": "Oda Testcase", "dob": dt.date(1991, 1, 1), "safe_number": "07700 900111"},
             "referral": {"date": today - dt.timedelta(days=30)}}  # fmt: skip
    ref = intake(session, parse_intake(first, today)).case
    again = {"client": {"name": "Oda Testcase", "dob": dt.date(1991, 1, 1)}, "referral": {"date": today}}
    assert intake(session, parse_intake(again, today)).case == ref  # a repeat: a second intake, no number
    plan = {
        "actions": [{"risk": "Fear", "action": "Talk it through"}],
        "safe": {"refuge_location": "Northgate Testcase Refuge"},
    }
    issp.record(session, ref, issp.parse_issp(plan, today), today)
    hearing = {"kind": "criminal", "hearing_date": today, "court": "Example Magistrates",
               "type_of_hearing": "bail", "victim_informed": True,
               "bail_conditions": "Not near Northgate Testcase Refuge; not to call 07700900111."}  # fmt: skip
    record_hearing(session, ref, parse_hearing(hearing, today))
    court = summary(session, ref, [], None)
    form = {"researched_on": today, "name_and_agency": "Idva Testcase", "contact_details": "x@example.org",
            "other_information": "Moved to northgate testcase refuge; safe phone 07700 900 111."}  # fmt: skip
    _, form_text = research(session, ref, parse_research(form, today), [], None)
    for text in (court, form_text):
        assert "northgate" not in text.lower() and "900111" not in text.replace(" ", "")
        assert WITHHELD in text


def test_a_failed_delivery_is_not_audited_as_an_export(session):
    from dacli.schemas.issp import IsspCopyRecord
    from dacli.services import issp
    from dacli.services.admin import audit_entries
    from dacli.services.cases import intake, parse_intake

    today = clock.today()
    ref = intake(
        session, parse_intake({"client": {"name": "Pim Testcase"}, "referral": {"date": today}}, today)
    ).case
    issp.record(
        session,
        ref,
        issp.parse_issp({"actions": [{"risk": "Fear", "action": "Talk it through"}]}, today),
        today,
    )

    def broken(content: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        issp.client_copy(session, ref, "md", True, [], None, broken)
    entries = audit_entries(session)
    assert not any(e["action"] == "export" for e in entries)
    asked = [e for e in entries if e["action"] == "issp-copy-asked"]
    assert asked[-1]["detail"] == {"safe_to_take_home": True, "written": False}
    stored = IsspCopyRecord.model_validate(session.read_record(ref, asked[-1]["record"]))
    assert stored.written is False
