"""Safeguarding rules see the whole case (issue 13, section 5): what every intake said, the Marac referral
a Dash recommends, the sign-off clock from the sharing itself, and no personal data left after a boil-down."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace as NS

import pytest

from dacli import clock
from dacli.errors import InvalidInput, PermissionDenied
from dacli.rules.marac import referral_due
from dacli.rules.people import accumulate
from dacli.schemas.common import Role
from dacli.services import marac, review
from dacli.services.case_view import children_triggers, show_case
from dacli.services.caseload import case_deadlines, caseload
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import intake, parse_intake
from dacli.services.notes import add_note, parse_note
from dacli.services.sharing import parse_share, share_without_consent, sign_off_share
from tests.conftest import PASSPHRASE

TODAY = dt.date(2026, 11, 23)
CLIENT = {"name": "Quorra Testperson-Alpha", "dob": dt.date(1987, 4, 12)}
FIRST = {
    "client": {**CLIENT, "safe_number": "07700 900123", "code_word": "heron", "address": "1 Test Lane"},
    "referral": {"date": dt.date(2026, 10, 1), "referred_by": "self"},
    "children": [{"name": "Yoric Testperson-Beta", "dob": dt.date(2026, 3, 1)}],  # under 12 months
    "perpetrators": [{"name": "Vexley Testperson-Gamma", "dob": dt.date(1985, 1, 21)}],
}
# a police referral naming only the incident and the new partner
POLICE = {
    "client": CLIENT,
    "referral": {"date": dt.date(2026, 11, 20), "referred_by": "police"},
    "perpetrators": [{"name": "Zarek Testperson-Delta", "relationship": "partner"}],
}
MARAC_FORM = {"referring_agency": "Idva", "contact_name": "I", "contact_details": "i@x.invalid",
              "victim_aware": True, "consent_given": True, "afraid_of": "Both."}  # fmt: skip


def _intake(session, form):
    return intake(session, parse_intake(form, TODAY))


# --- 5.1 the accumulated view -----------------------------------------------------------------------------


def _person(name, dob=None, unborn=False):
    return NS(name=name, dob=dob, unborn=unborn)


def _in(children=(), perps=(), **safe):
    client = NS(**{k: None for k in ("safe_number", "safe_time_to_call", "code_word", "address",
                                     "alternative_address", "telephone", "mobile")} | safe)  # fmt: skip
    return NS(children=list(children), perpetrators=list(perps), client=client)


def test_accumulate_keeps_everyone_newest_first_and_merges_only_the_clearly_same():
    a1 = _person("Yoric Testperson", dt.date(2020, 1, 1))
    first = _in([a1, _person("unborn", unborn=True)], [_person("Vex Testperson")], safe_number="111")
    second = _in(
        [_person("YORIC  testperson", dt.date(2020, 1, 1)), _person("Yoric Testperson", dt.date(2021, 1, 1))],
        [_person("Zed Testperson", dt.date(1980, 1, 1))],
        code_word="heron",
    )
    third = _in([], [_person("vex testperson")], safe_number="222")
    got = accumulate([first, second, third])
    assert [(c.name, c.dob) for c in got.children] == [
        ("YORIC  testperson", dt.date(2020, 1, 1)),  # the newest telling of the same child
        ("Yoric Testperson", dt.date(2021, 1, 1)),  # same name, another date of birth: another child
        ("unborn", None),
    ]
    assert [p.name for p in got.perpetrators] == ["vex testperson", "Zed Testperson"]
    assert got.safe == {"safe_number": ["222", "111"], "code_word": ["heron"]}
    assert got.current("safe_number") == "222" and got.current("address") is None


def test_a_repeat_referral_that_leaves_the_children_out_forgets_nothing(cli, session):
    import json

    first = _intake(session, FIRST)
    again = _intake(session, POLICE)
    assert again.case == first.case and again.intake == 2
    ref = first.case
    view = show_case(session, ref)
    triggers = {t.name for t in children_triggers(view, TODAY)}
    assert "child-under-12-months" in triggers
    assert "children-referral-needed" in view.summary.flags
    (row,) = caseload(session)
    assert "children-referral-needed" in row.flags
    assert {p.name for p in row.perpetrators} == {"Vexley Testperson-Gamma", "Zarek Testperson-Delta"}
    # the Marac referral form: the child and both perpetrators, newest first; safe values withheld
    _, text = marac.refer(
        session, ref, marac.parse_marac({**MARAC_FORM, "referred_on": TODAY}, TODAY), [], None
    )
    assert "Yoric Testperson-Beta" in text
    assert text.index("Zarek Testperson-Delta") < text.index("Vexley Testperson-Gamma")
    assert "07700 900123" not in text and "- Telephone number: [withheld" in text
    research = {"researched_on": TODAY, "name_and_agency": "I", "contact_details": "i@x.invalid"}
    _, text = marac.research(session, ref, marac.parse_research(research, TODAY), [], None)
    assert "- Victim address: [withheld" in text
    # case show: the first intake's safe contact details and child are still there
    shown = cli("case", "show", ref)
    assert "number 07700 900123" in shown.stdout and "code word heron" in shown.stdout
    assert "child: Yoric Testperson-Beta" in shown.stdout
    assert "alleged perpetrator: Vexley Testperson-Gamma" in shown.stdout
    data = json.loads(cli("case", "show", ref, "--json").stdout)
    assert [c["name"] for c in data["children"]] == ["Yoric Testperson-Beta"]
    assert data["safe_contact"]["safe_number"] == ["07700 900123"]


def test_a_perpetrator_of_the_first_intake_still_raises_a_conflict(session):
    ref = _intake(session, FIRST).case
    _intake(session, POLICE)
    other = _intake(session, {"client": {"name": "Vexley Testperson-Gamma", "dob": dt.date(1985, 1, 21)},
                              "referral": {"date": TODAY}})  # fmt: skip
    assert any(m.kind == "client-is-perpetrator" and m.case == ref for m in other.matches)


# --- 5.2 a Marac referral the latest Dash recommends ------------------------------------------------------


@pytest.mark.parametrize(
    "referred, declined, due",
    [((), False, True), ((dt.date(2026, 11, 1),), False, False), ((dt.date(2026, 10, 31),), False, True),
     ((), True, False)],
)  # fmt: skip
def test_referral_due_rule_at_its_boundaries(referred, declined, due):
    assert referral_due(True, dt.date(2026, 11, 1), referred, declined) is due
    assert referral_due(False, dt.date(2026, 11, 1), referred, declined) is False
    assert referral_due(True, None, referred, declined) is False


def _dash(session, ref, on, yes=14):
    answers = {f"q{n}": "yes" for n in range(1, yes + 1)}
    record_dash(session, ref, parse_dash({"answers": answers, "assessed_on": on}, TODAY), TODAY)


def _flags(session, ref):
    (row,) = [r for r in caseload(session) if r.ref == ref]
    shown = show_case(session, ref).summary.flags
    assert ("marac-referral-due" in row.flags) == ("marac-referral-due" in shown)
    return row.flags


def test_marac_referral_due_until_referred_then_again_for_a_later_dash(session):
    ref = _intake(session, FIRST).case
    _dash(session, ref, dt.date(2026, 11, 2), yes=3)
    assert "marac-referral-due" not in _flags(session, ref)  # no criterion met
    _dash(session, ref, dt.date(2026, 11, 3))
    assert "marac-referral-due" in _flags(session, ref)  # visible high risk
    assert [r.ref for r in caseload(session, flag="marac-referral-due")] == [ref]
    marac.refer(session, ref, marac.parse_marac({**MARAC_FORM, "referred_on": dt.date(2026, 11, 3)}, TODAY),
                [], None)  # fmt: skip
    assert "marac-referral-due" not in _flags(session, ref)
    _dash(session, ref, TODAY, yes=2)  # a Marac repeat: within 12 months of the referral
    assert "marac-referral-due" in _flags(session, ref)


def test_a_decision_not_to_refer_needs_a_senior_and_reasons(store, session, cli):
    from dacli.services.admin import audit_entries

    ref = _intake(session, FIRST).case
    session.add_user("cw", Role.caseworker, PASSPHRASE)
    worker = store.unlock("cw", PASSPHRASE)
    with pytest.raises(InvalidInput, match="no Marac referral due"):
        marac.decline(session, ref, "Not needed.", TODAY)
    _dash(session, ref, TODAY)
    with pytest.raises(PermissionDenied):
        marac.decline(worker, ref, "I think not.", TODAY)
    with pytest.raises(InvalidInput, match="reasons"):
        marac.decline(session, ref, "  ", TODAY)
    assert (
        cli("marac", "decline", ref, "--reason", "Heard at last week's Marac; plan in place.").exit_code == 0
    )
    assert "marac-referral-due" not in _flags(session, ref)
    assert any(
        e["action"] == "decision" and e["detail"].get("decision") == "marac-not-referred"
        and e["reason"] == "Heard at last week's Marac; plan in place."
        for e in audit_entries(session, ref)
    )  # fmt: skip
    # the decision answers that checklist only: a later one recommending a referral is due again
    cli_refused = cli("marac", "decline", ref, "--reason", "again")
    assert cli_refused.exit_code == 2


# --- 5.3 the sign-off clock runs from the sharing -------------------------------------------------------


SHARE = {"sent_to": "Police", "information_shared": "Threats.", "concerned_about": ["client"],
         "at_risk_from": ["perpetrator"], "concerns_fact": "Threats.", "legal_basis": ["Common Law"],
         "considerations": "Risk.", "discussed_with": "Senior", "action": "Phoned.",
         "client_notified": True, "immediate_risk": False}  # fmt: skip


def _sign_off_state(session, ref):
    (row,) = [r for r in caseload(session) if r.ref == ref]
    by_index = [d for d in row.deadlines if d.name == "share sign-off"]
    by_rules = [d for d in case_deadlines(session, show_case(session, ref).summary, clock.now())
                if d.name == "share sign-off"]  # fmt: skip
    assert [(d.due_at, d.state) for d in by_index] == [(d.due_at, d.state) for d in by_rules]
    return by_index[0].state.value if by_index else None


@pytest.mark.parametrize("ago, state", [(dt.timedelta(hours=47, minutes=59), "due"),
                                        (dt.timedelta(hours=48, minutes=1), "overdue"),
                                        (dt.timedelta(days=3), "overdue")])  # fmt: skip
def test_the_sign_off_clock_runs_from_when_it_was_shared_not_typed_in(store, session, ago, state):
    ref = _intake(session, FIRST).case
    session.add_user("cw", Role.caseworker, PASSPHRASE)
    worker = store.unlock("cw", PASSPHRASE)
    shared = (clock.now() - ago).astimezone(clock.zone()).replace(tzinfo=None)  # local time, as typed
    share_without_consent(worker, ref, parse_share({**SHARE, "shared_at": shared}, clock.now()))
    assert _sign_off_state(session, ref) == state


def test_closing_a_case_keeps_an_unsigned_share_s_sign_off(store, session):
    ref = _intake(session, FIRST).case
    session.add_user("cw", Role.caseworker, PASSPHRASE)
    worker = store.unlock("cw", PASSPHRASE)
    shared = (clock.now() - dt.timedelta(hours=1)).astimezone(clock.zone()).replace(tzinfo=None)
    name, _ = share_without_consent(worker, ref, parse_share({**SHARE, "shared_at": shared}, clock.now()))
    review.close_case(session, ref, review.parse_exit({"reason": "client-request", "follow_up_consent": True},
                                                      TODAY), TODAY)  # fmt: skip
    assert _sign_off_state(session, ref) == "due"
    with clock.pinned(clock.now() + dt.timedelta(hours=48)):
        assert _sign_off_state(session, ref) == "overdue"
        (row,) = caseload(session)
        assert row.overdue
    sign_off_share(session, ref, name)
    assert _sign_off_state(session, ref) is None


def test_an_index_an_earlier_dacli_wrote_is_rebuilt_with_the_new_flags(session):
    """Flags are derived when the index is written: one written before these rules knew them (an older
    index format) is rebuilt from the records the first time it is met, by a listing or a write."""
    import json

    from dacli.store import crypto
    from dacli.store.fsio import atomic_write
    from dacli.store.layout import INDEX

    ref = _intake(session, FIRST).case
    _dash(session, ref, TODAY)
    old = session.read_index()
    old["schema"] = "caseload-index/2"
    old["cases"][ref]["flags"].remove("marac-referral-due")
    data = json.dumps(old).encode()
    sealed = crypto.encrypt(session._signed("index", data), [session.store_ring().current.public])
    atomic_write(session.store.meta / INDEX, sealed)
    (row,) = caseload(session)
    assert "marac-referral-due" in row.flags
    atomic_write(session.store.meta / INDEX, sealed)
    add_note(session, ref, parse_note(
        {"at": clock.now(), "initials": "QT", "contact_type": "telephone", "contact_with": "client",
         "facts": "-"}, clock.now()))  # fmt: skip
    assert session.read_index()["schema"] != "caseload-index/2"
