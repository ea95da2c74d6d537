"""Case notes (append-only), contacts, the 48-hour first contact, and the caseload filters."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli.errors import InvalidInput, StoreError
from dacli.rules.deadlines import DeadlineState, first_contact, referral_moment
from dacli.services.case_view import show_case
from dacli.services.caseload import caseload
from dacli.services.intake import intake, parse_intake
from dacli.services.notes import add_contact, add_note, parse_contact, parse_note

UTC = dt.UTC
REFERRED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "now, state",
    [
        (REFERRED + dt.timedelta(hours=47, minutes=59), DeadlineState.due),
        (REFERRED + dt.timedelta(hours=48), DeadlineState.due),
        (REFERRED + dt.timedelta(hours=48, seconds=1), DeadlineState.overdue),
    ],
)
def test_first_contact_boundary(now, state):
    deadline = first_contact(REFERRED, None, now)
    assert deadline.due_at == REFERRED + dt.timedelta(hours=48)
    assert deadline.state == state


def test_first_contact_done_whenever_contact_happened():
    late = REFERRED + dt.timedelta(days=5)
    assert first_contact(REFERRED, late, late).state == DeadlineState.done


def test_referral_without_a_time_starts_the_clock_at_midnight():
    assert referral_moment(dt.date(2026, 11, 2), None) == dt.datetime(2026, 11, 2, tzinfo=UTC)


def _note(**over):
    data = {
        "at": dt.datetime(2026, 11, 3, 10, 0),
        "initials": "MG",
        "contact_type": "telephone",
        "contact_with": "client",
        "facts": "Spoke with client; agreed safety call on Friday (worker).",
        **over,
    }
    return parse_note(data, dt.datetime(2026, 11, 23, tzinfo=UTC))


def _first_contact_state(session, now):
    (row,) = caseload(session, now=now)
    return next(d.state for d in row.deadlines if d.name == "first contact")


def test_overdue_filter_and_first_contact(session, case_ref):
    now = dt.datetime(2026, 11, 5, tzinfo=UTC)  # referral 2026-11-02: 48 h passed
    assert [r.ref for r in caseload(session, only_overdue=True, now=now)] == [case_ref]
    assert _first_contact_state(session, now) == DeadlineState.overdue
    add_note(session, case_ref, _note(successful=False, facts="No answer."))
    add_note(session, case_ref, _note(contact_with="police", facts="Police confirmed bail conditions."))
    assert _first_contact_state(session, now) == DeadlineState.overdue  # attempts and agencies don't count
    add_note(session, case_ref, _note(at=dt.datetime(2026, 11, 4, 16, 30)))
    assert _first_contact_state(session, now) == DeadlineState.done
    (row,) = caseload(session, now=now)
    assert row.first_contact == dt.datetime(2026, 11, 4, 16, 30, tzinfo=UTC)
    assert row.last_contact == dt.datetime(2026, 11, 4, 16, 30, tzinfo=UTC)
    # still overdue overall: no Dash checklist yet (due with the first contact)
    assert [d.name for d in row.deadlines if d.state == DeadlineState.overdue] == ["Dash"]


def test_notes_are_append_only_and_corrections_supersede(session, case_ref):
    first = add_note(session, case_ref, _note(facts="Client said the order expires in May."))
    with pytest.raises(StoreError, match="already has"):
        session.write_record(case_ref, first, session.read_record(case_ref, first), new=True)
    fix = add_note(
        session, case_ref, _note(facts="Correction: the order expires in March.", supersedes=first)
    )
    view = show_case(session, case_ref)
    assert {n for n, _ in view.notes} == {first, fix}
    assert view.superseded() == {first}
    assert session.read_record(case_ref, first)["facts"] == "Client said the order expires in May."
    assert any("(superseded)" in e.summary for e in view.timeline())
    with pytest.raises(InvalidInput, match="supersedes"):
        add_note(session, case_ref, _note(supersedes="note-19990101T000000-abcdef.toml.age"))


@pytest.mark.parametrize(
    "over, field",
    [
        ({"contact_type": "carrier pigeon"}, "contact_type"),
        ({"activities": ["XX"]}, r"activities\[1\]"),
        ({"initials": ""}, "initials"),
        ({"facts": ""}, "facts"),
        ({"at": dt.datetime(2027, 1, 1)}, "future"),
        ({"at": "2026-02-30T10:00"}, "at"),
    ],
)
def test_bad_notes_are_refused(over, field):
    with pytest.raises(InvalidInput, match=field):
        _note(**over)


def test_fact_and_opinion_are_kept_apart(session, case_ref):
    name = add_note(session, case_ref, _note(opinion="Risk appears to be escalating.", activities=["P", "M"]))
    doc = session.read_record(case_ref, name)
    assert doc["opinion"] == "Risk appears to be escalating."
    assert doc["activities"] == ["P", "M"]
    assert doc["schema"] == "note/1"


def test_contacts(session, case_ref):
    add_contact(
        session, case_ref, parse_contact({"agency": "Police", "role": "DV officer", "name": "PC Testcase"})
    )
    view = show_case(session, case_ref)
    assert [(c.agency, c.name) for _, c in view.contacts] == [("Police", "PC Testcase")]
    with pytest.raises(InvalidInput, match="agency"):
        parse_contact({"role": "x"})


def test_caseload_filters(session, case_ref):
    from dacli.services.admin import add_user

    add_user(session, "cw1", "caseworker", "another long passphrase")
    other = intake(
        session,
        parse_intake(
            {"client": {"name": "Other Testcase"}, "referral": {"date": dt.date(2026, 11, 20)},
             "caseworker": "cw1", "concerns": {"flag": True}},
            dt.date(2026, 11, 23),
        ),
    ).case  # fmt: skip
    assert [r.ref for r in caseload(session, worker="cw1")] == [other]
    assert [r.ref for r in caseload(session, flag="significant-concerns")] == [other]
    assert [r.ref for r in caseload(session, risk="none")] != []
    assert caseload(session, status="closed") == []
    with pytest.raises(InvalidInput):
        caseload(session, status="archived")


def test_cli_note_and_contact(cli, case_ref):
    added = cli(
        "note", "add", case_ref, "--at", "2026-11-03T10:00", "--type", "face-to-face", "--with", "client",
        "--text", "Met at the children's centre.", "--code", "ch", "--code", "G",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    listed = json.loads(cli("note", "list", case_ref, "--json").stdout)
    assert listed[0]["activities"] == ["CH", "G"]
    assert listed[0]["initials"] == "M"  # from the username 'mgr'
    bad = cli("note", "add", case_ref, "--type", "fax", "--with", "client", "--text", "x")
    assert bad.exit_code == 2 and "contact_type" in bad.stderr
    assert cli("contact", "add", case_ref, "--agency", "Housing", "--name", "Sam Testcase").exit_code == 0
    assert "Housing" in cli("contact", "list", case_ref).stdout
    shown = json.loads(cli("case", "show", case_ref, "--json").stdout)
    assert [(d["name"], d["state"]) for d in shown["deadlines"]][0] == ("first contact", "done")
    assert [e["kind"] for e in shown["timeline"]] == ["intake", "note", "contact"]
    text = cli("case", "show", case_ref).stdout
    assert "SAFE CONTACT" in text and "timeline" in text
