"""Role rules hold where facts are read, not only where commands are typed: a caseworker holding her own keys
cannot write, through dacli's Python API, a sign-off, a hold or its end, or a decision not to refer in a
senior's name; a record planted so anyway is refused when read (the case shows it as unreadable, and its
flag stays); nobody signs off their own decision."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.errors import IntegrityError
from dacli.schemas.common import Role
from dacli.schemas.marac import MaracDeclineRecord
from dacli.schemas.review import HoldEndRecord, HoldRecord
from dacli.schemas.sharing import ShareRecord, SignOffRecord
from dacli.services import retention
from dacli.services.case_view import append_record, show_case
from dacli.services.sharing import parse_share, share_without_consent, sign_off_share
from dacli.store import records as store_module
from tests.conftest import MANAGER, PASSPHRASE

SHARE = {"sent_to": "Police", "shared_at": dt.datetime(2026, 11, 23, 9, 0), "information_shared": "Threats.",
         "concerned_about": ["client"], "at_risk_from": ["perpetrator"], "concerns_fact": "Threats.",
         "legal_basis": ["Common Law"], "considerations": "Risk.", "discussed_with": "Senior",
         "action": "Phoned.", "client_notified": True, "immediate_risk": False}  # fmt: skip


@pytest.fixture
def people(session, store):
    session.add_user("cw", Role.caseworker, PASSPHRASE)
    session.add_user("sen", Role.senior, PASSPHRASE)
    return store.unlock("cw", PASSPHRASE), store.unlock("sen", PASSPHRASE)


def _share(worker, ref) -> str:
    return share_without_consent(worker, ref, parse_share(SHARE, clock.now()))[0]


def _signoff_fields(ref, decision, by, role):
    return {"schema": "share-sign-off/1", "case": ref, "decision": decision, "signed_by": by,
            "signed_by_role": role, "signed_at": clock.now()}  # fmt: skip


def _write(session, ref, kind, model, fields):
    return append_record(session, ref, kind=kind, at=clock.now(), model=model, fields=fields, action="test")


def test_a_caseworker_cannot_sign_off_in_a_seniors_name(people, case_ref):
    cw, sen = people
    share = _share(cw, case_ref)
    for fields in (
        _signoff_fields(case_ref, share, sen.member.id, "senior"),  # in the senior's name
        _signoff_fields(case_ref, share, cw.member.id, "senior"),  # her own name, a role she has not
        _signoff_fields(case_ref, share, cw.member.id, "caseworker"),  # her own name and role
    ):
        with pytest.raises(IntegrityError, match="nothing was written"):
            _write(cw, case_ref, "signoff", SignOffRecord, fields)
    assert "share-awaiting-sign-off" in show_case(sen, case_ref).summary.flags
    sign_off_share(sen, case_ref, share)  # the senior herself: stands
    assert "share-awaiting-sign-off" not in show_case(sen, case_ref).summary.flags


def test_a_caseworker_cannot_end_a_hold_decline_a_referral_or_skip_the_sign_off(people, case_ref):
    cw, sen = people
    hold = retention.add_hold(sen, case_ref, "Domestic homicide review.")
    now = clock.now()
    forged = [
        ("holdend", HoldEndRecord, {"schema": "retention-hold-end/1", "case": case_ref, "hold": hold,
                                    "reason": "Done.", "removed_by": cw.member.id, "recorded_at": now}),
        ("hold", HoldRecord, {"schema": "retention-hold/1", "case": case_ref, "reason": "Mine.",
                              "placed_by": sen.member.id, "recorded_at": now}),
        ("maracdecline", MaracDeclineRecord, {"schema": "marac-decline/1", "case": case_ref, "dash": "x",
                                              "decided_on": now.date(), "reasons": "No.",
                                              "decided_by": cw.member.id, "decided_by_role": "senior",
                                              "recorded_at": now}),
    ]  # fmt: skip
    for kind, model, fields in forged:
        with pytest.raises(IntegrityError, match="nothing was written"):
            _write(cw, case_ref, kind, model, fields)
    share = {**SHARE, "schema": "share-without-consent/1", "case": case_ref, "decided_by": cw.member.id,
             "decided_by_role": "caseworker", "recorded_at": now, "dash": {"completed": False},
             "needs_sign_off": False}  # fmt: skip
    with pytest.raises(IntegrityError, match="needs a senior's sign-off"):
        _write(cw, case_ref, "share", ShareRecord, share)
    assert show_case(sen, case_ref).summary.held


def test_a_decision_planted_past_the_write_check_is_refused_when_read(people, case_ref, monkeypatch, store):
    """The write check is a convenience: a record signed by a caseworker in a senior's name (written by a
    changed copy of dacli) is refused by every reader, so the case shows it by name and the sign-off does
    not count."""
    cw, sen = people
    share = _share(cw, case_ref)
    monkeypatch.setattr(store_module, "decision_problem", lambda *a: None)  # a changed dacli, writing
    _write(cw, case_ref, "signoff", SignOffRecord, _signoff_fields(case_ref, share, sen.member.id, "senior"))
    monkeypatch.undo()
    view = show_case(store.unlock(MANAGER, PASSPHRASE), case_ref)
    assert [name for name, _ in view.unreadable][0].startswith("signoff-")
    assert "signed by" in view.unreadable[0][1]
    assert "share-awaiting-sign-off" in view.summary.flags and "incomplete" in view.summary.flags


def test_nobody_signs_off_their_own_decision(people, case_ref):
    cw, sen = people
    share = share_without_consent(sen, case_ref, parse_share(SHARE, clock.now()))[0]
    # a senior's own decision needs no sign-off; a sign-off by them, written through the API, counts for
    # nothing in the ledger (it would be their own)
    _write(sen, case_ref, "signoff", SignOffRecord, _signoff_fields(case_ref, share, sen.member.id, "senior"))
    [entry] = show_case(sen, case_ref).ledger()
    assert entry["sign_off"] == "not needed"


def test_a_caseworker_cannot_close_or_reopen_a_case_in_someone_elses_name(people, case_ref):
    """A closure starts the retention clock and a reopening stops the sweep: each counts only as signed by
    the person it names."""
    from dacli.schemas.review import ClosureRecord, ReopenRecord
    from dacli.services.review import close_case, parse_exit

    cw, sen = people
    now = clock.now()
    exit_form = parse_exit({"reason": "client-request", "follow_up_consent": False}, clock.today())
    closure = {**exit_form.model_dump(mode="python"), "schema": "case-exit/1", "case": case_ref,
               "closed_by": sen.member.id, "recorded_at": now}  # fmt: skip
    with pytest.raises(IntegrityError, match="nothing was written"):
        _write(cw, case_ref, "closure", ClosureRecord, closure)
    close_case(cw, case_ref, exit_form, clock.today())  # in her own name: stands
    reopen = {"schema": "case-reopen/1", "case": case_ref, "reason": "She rang.",
              "reopened_by": sen.member.id, "recorded_at": now}  # fmt: skip
    with pytest.raises(IntegrityError, match="nothing was written"):
        _write(cw, case_ref, "reopen", ReopenRecord, reopen)
    assert show_case(sen, case_ref).case.status.value == "closed"


def test_a_caseworker_cannot_sign_the_policy_or_the_store_settings(people, store, store_path, tmp_path):
    """policy.toml (the retention years) and store.toml (the retention keys) count only as signed by a current
    manager: signed by a caseworker with her own key, staff stop on them and the sweep destroys nothing."""
    from dacli.services.retention import init_retention, retention_identity
    from dacli.services.sweep import plan
    from dacli.store.retention import checked_settings
    from dacli.store.store import Store

    cw, _ = people
    manager = store.unlock(MANAGER, PASSPHRASE)
    init_retention(manager, tmp_path / "retention.key", None)
    meta = store_path / ".dacli"
    policy = (meta / "policy.toml").read_bytes().split(b"# dacli-signed: ")[0]
    (meta / "policy.toml").write_bytes(cw._signed("policy", policy.replace(b"= 14", b"= 20")))
    key = retention_identity(Store(store_path), tmp_path / "retention.key", None)
    with pytest.raises(IntegrityError, match="dacli policy accept"):
        plan(Store(store_path), key, clock.today())
    settings = (meta / "store.toml").read_bytes().split(b"# dacli-signed: ")[0]
    (meta / "store.toml").write_bytes(cw._signed("settings", settings))
    with pytest.raises(IntegrityError, match="store settings"):
        checked_settings(meta, key)
    with pytest.raises(IntegrityError, match="store settings"):
        Store(store_path).unlock(MANAGER, PASSPHRASE)
