"""No service writes a record its own reader refuses: every record kind, written through its service on the
emptiest valid case (an intake with a name and a referral date, nothing else), reads back, and the case
still loads. A kind added to `schemas.records` without a writer here fails the coverage check."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.schemas.common import Role
from dacli.schemas.records import schemas
from dacli.services import issp, issp_copy, marac, retention, review
from dacli.services.case_view import show_case
from dacli.services.children import confirm_csc_referral, parse_csc, record_csc_referral
from dacli.services.consent import parse_agreement, parse_disclosure, record_agreement, share_with_consent
from dacli.services.court import parse_hearing, record_hearing
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import finish_intake, intake, parse_intake
from dacli.services.notes import add_contact, add_note, parse_contact, parse_note
from dacli.services.sharing import parse_share, share_without_consent, sign_off_share
from dacli.services.soag import parse_soag, record_soag
from tests.conftest import MANAGER, PASSPHRASE, TEST_SCHEMAS

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 11, 0)


def _empty_case(session) -> str:
    form = parse_intake(
        {"client": {"name": "Quorra Testperson-Empty"}, "referral": {"date": TODAY}, "complete": False}, TODAY
    )
    return intake(session, form).case


def _share(session, ref):
    form = {"sent_to": "Police", "shared_at": NOW, "information_shared": "Threats.",
            "concerned_about": ["client"], "at_risk_from": ["perpetrator"], "concerns_fact": "Threats.",
            "legal_basis": ["Common Law"], "considerations": "Risk.", "discussed_with": "Senior",
            "action": "Phoned.", "client_notified": True, "immediate_risk": False}  # fmt: skip
    return share_without_consent(session, ref, parse_share(form, clock.now()))[0]


def _agreement(session, ref):
    form = {"how": "telephone", "explained": True, "monitoring": False,
            "confidential_unless_permission": True,
            "high_risk_exception": True, "caseworker_signed_on": TODAY,
            "agencies": [{"agency": "Police", "permission": True, "date": TODAY}]}  # fmt: skip
    record_agreement(session, ref, parse_agreement(form, TODAY))


def _high_dash(session, ref):
    answers = {f"q{n}": "yes" for n in range(1, 15)}
    record_dash(session, ref, parse_dash({"answers": answers}, TODAY), TODAY)


EXIT = {"reason": "client-request", "follow_up_consent": True}
REVIEW = {"engaged": False, "professional_judgement": "-", "worker_perception": "-",
          "client_perception": "-", "outcome": "continue", "reasons": ["No contact yet."],
          "new_concerns": False}  # fmt: skip
MARAC = {"referred_on": TODAY, "referring_agency": "Idva", "contact_name": "I",
         "contact_details": "i@x.invalid", "victim_aware": True, "consent_given": True,
         "afraid_of": "Him."}  # fmt: skip
RESEARCH = {"researched_on": TODAY, "name_and_agency": "I", "contact_details": "i@x.invalid"}
NOTE = {"at": NOW, "initials": "QT", "contact_type": "telephone", "contact_with": "client", "facts": "-"}
SHARED = {"sent_to": "PC", "agency": "Police", "information_shared": "Bail.", "shared_at": NOW}


ONE_ANSWER = {"answers": {"q1": "no"}}  # the emptiest checklist that records anything
ONE_TYPE = {"physical": {"occurring": "no"}}  # the emptiest grid that records anything
ONE_ACTION = {"actions": [{"risk": "Fear", "action": "Keep the phone charged"}]}  # the emptiest plan


def _hearing(kind: str) -> dict:
    return {
        "kind": kind,
        "hearing_date": TODAY,
        "court": "C",
        "type_of_hearing": "t",
        "victim_informed": False,
    }


def _signoff(session, ref, store):
    session.add_user("cw", Role.caseworker, PASSPHRASE)  # a caseworker's share awaits a sign-off
    sign_off_share(session, ref, _share(store.unlock("cw", PASSPHRASE), ref))


def _close(session, ref, store=None):
    review.close_case(session, ref, review.parse_exit(EXIT, TODAY), TODAY)


def _finish(s, ref, store):
    form = {"client": {"name": "Quorra Testperson-Empty"}, "referral": {"date": TODAY}}
    finish_intake(s, ref, parse_intake(form, TODAY))


def _copy(s, ref, store):
    issp.record(s, ref, issp.parse_issp(ONE_ACTION, TODAY), TODAY)
    issp_copy.client_copy(s, ref, "md", False, [], None, lambda data: None, today=TODAY)


def _disclosure(s, ref, store):
    _agreement(s, ref)
    share_with_consent(s, ref, parse_disclosure(SHARED, clock.now()))


def _decline(s, ref, store):
    _high_dash(s, ref)
    marac.decline(s, ref, "Already heard at the Marac last week.", TODAY)


def _csc(s, ref, store):
    name = record_csc_referral(s, ref, parse_csc({"referred_at": NOW, "to": "MASH", "how": "verbal"}))
    confirm_csc_referral(s, ref, name, clock.now())


def _follow_up(s, ref, store):
    _close(s, ref)
    review.record_follow_up(s, ref, TODAY, False, "", TODAY)


def _reopen(s, ref, store):
    _close(s, ref)
    review.reopen(s, ref, "New incident.")


def _hold_end(s, ref, store):
    retention.remove_hold(s, ref, retention.add_hold(s, ref, "Review."), "Done.")


WRITERS = {
    # schema: what writes it, on a case that has only its intake
    "intake/1": _finish,
    "case/1": lambda s, ref, w: None,  # written by the intake itself
    "note/1": lambda s, ref, w: add_note(s, ref, parse_note(NOTE, clock.now())),
    "contact/1": lambda s, ref, w: add_contact(s, ref, parse_contact({"agency": "Police"})),
    "dash/1": lambda s, ref, w: record_dash(s, ref, parse_dash(ONE_ANSWER, TODAY), TODAY),
    "soag/1": lambda s, ref, w: record_soag(s, ref, parse_soag(ONE_TYPE, TODAY), TODAY),
    "issp/1": lambda s, ref, w: issp.record(s, ref, issp.parse_issp(ONE_ACTION, TODAY), TODAY),
    "issp-copy/1": _copy,
    "agreement/1": lambda s, ref, w: _agreement(s, ref),
    "share-without-consent/1": lambda s, ref, w: _share(s, ref),
    "share-sign-off/1": _signoff,
    "disclosure/1": _disclosure,
    "marac-referral/1": lambda s, ref, w: marac.refer(s, ref, marac.parse_marac(MARAC, TODAY), [], None),
    "marac-research/1": lambda s, ref, w: marac.research(
        s, ref, marac.parse_research(RESEARCH, TODAY), [], None
    ),
    "marac-decline/1": _decline,
    "court-criminal/1": lambda s, ref, w: record_hearing(s, ref, parse_hearing(_hearing("criminal"), TODAY)),
    "court-civil/1": lambda s, ref, w: record_hearing(s, ref, parse_hearing(_hearing("civil"), TODAY)),
    "csc-referral/1": _csc,
    "csc-confirm/1": _csc,
    "case-review/1": lambda s, ref, w: review.record_review(
        s, ref, review.parse_review(REVIEW, TODAY), TODAY
    ),
    "case-exit/1": _close,
    "boil-down/1": _close,
    "follow-up/1": _follow_up,
    "case-reopen/1": _reopen,
    "retention-hold/1": lambda s, ref, w: retention.add_hold(s, ref, "Review."),
    "retention-hold-end/1": _hold_end,
}


def test_every_record_kind_has_a_writer_here():
    assert sorted(WRITERS) == [s for s in schemas() if s not in TEST_SCHEMAS]


@pytest.mark.parametrize("schema", sorted(WRITERS))
def test_every_record_kind_written_on_the_emptiest_case_reads_back(store, session, schema):
    ref = _empty_case(session)
    WRITERS[schema](session, ref, store)
    fresh = store.unlock(MANAGER, PASSPHRASE)  # nothing cached: every record is read from disk
    view = show_case(fresh, ref)
    assert view.unreadable == [] and view.incomplete is None
    assert fresh.unreadable(ref) == []
    written = {fresh.read_record(ref, n)["schema"] for n in fresh.record_names(ref)}
    assert schema in written


def test_the_store_refuses_to_write_a_record_its_reader_would_refuse(session):
    """The guard is in the write path itself: a record that would not read back is never written."""
    from dacli.errors import IntegrityError

    ref = _empty_case(session)
    before = session.record_names(ref)
    bad = {"schema": "case-review/1", "case": ref, "outcome": "continue"}  # most fields missing
    with pytest.raises(IntegrityError, match="would not read back.*nothing was written"):
        session.write_record(ref, "review-20261123T110000-abcdef.toml.age", bad)
    with pytest.raises(IntegrityError, match="not one this dacli reads"):
        session.update_record(ref, "note-x.toml.age", lambda _: {"schema": "nonsense/9", "case": ref})
    assert session.record_names(ref) == before


def test_a_review_before_any_contact_or_dash_is_recorded_and_the_case_still_opens(cli, session):
    """The reported bug: `review --from` on a case with no contact (and no Dash) wrote a record that did not
    match its own schema, and every command loading the case failed with exit 6 from then on."""
    import tomli_w

    ref = _empty_case(session)
    made = cli("review", ref, "--from", "-", input=tomli_w.dumps(REVIEW))
    assert made.exit_code == 0, made.stderr
    shown = cli("case", "show", ref, "--json")
    assert shown.exit_code == 0, shown.stderr
    (name,) = [n for n in session.record_names(ref) if n.startswith("review-")]
    filled = session.read_record(ref, name)["filled"]
    assert "last_contact" not in filled and "risk_now" not in filled  # 'none yet': left out, read as None
    assert cli("note", "list", ref).exit_code == 0


def test_each_record_kind_is_found_where_the_table_says():
    """`records.WHERE` names each kind's model without importing it: each name must hold the model whose own
    schema line is the key, and a case's models are imported only for the kinds it holds."""
    import subprocess
    import sys

    from dacli.schemas import records

    for schema in records.WHERE:
        assert records.model_for(schema).model_fields["schema_"].default == schema
    code = (
        "import sys\n"
        "from dacli.schemas.records import model_for\n"
        "assert model_for('note/1').__name__ == 'NoteRecord'\n"
        "print(' '.join(m for m in ('dacli.schemas.court', 'dacli.schemas.review', 'dacli.schemas.sharing')"
        " if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == ""
