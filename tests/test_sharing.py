"""Sharing without consent: the form's required parts, sign-off rules, the 48-hour flag, the ledger."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli.errors import InvalidInput, PermissionDenied
from dacli.rules.deadlines import DeadlineState, share_sign_off
from dacli.services.admin import add_user, audit_entries
from dacli.services.case_view import show_case
from dacli.services.caseload import caseload
from dacli.services.sharing import parse_share, share_without_consent, sign_off_share
from dacli.store.store import Store

from .conftest import MANAGER, PASSPHRASE

NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
PW = "another long passphrase"
FORM = {
    "sent_to": "Police public protection unit",
    "shared_at": dt.datetime(2026, 11, 20, 10, 0),
    "information_shared": "Threats to kill disclosed on 19 November; children in the household.",
    "concerned_about": ["client", "children"],
    "at_risk_from": ["perpetrator"],
    "concerns_fact": "Client reports threats to kill made on 19 November.",
    "concerns_opinion": "Risk appears to be escalating.",
    "immediate_risk": False,
    "legal_basis": ["Crime and Disorder Act", "Common Law"],
    "considerations": "Risk of serious harm outweighs the duty of confidence.",
    "discussed_with": "Senior Idva",
    "action": "Shared with the police public protection unit by phone.",
    "client_notified": False,
    "not_notified_reason": "Telling her would increase the risk.",
}


@pytest.mark.parametrize(
    "missing", ["legal_basis", "considerations", "action", "sent_to", "discussed_with", "concerns_fact"]
)
def test_cannot_save_without_the_required_parts(missing):
    data = {k: v for k, v in FORM.items() if k != missing}
    with pytest.raises(InvalidInput, match=missing):
        parse_share(data, NOW)


@pytest.mark.parametrize(
    "change, word",
    [({"legal_basis": []}, "legal_basis"), ({"legal_basis": ["Because I said so"]}, "legal_basis"),
     ({"considerations": "   "}, "considerations"), ({"not_notified_reason": None}, "not_notified_reason"),
     ({"concerned_about": ["other"]}, "concerned_about_other"),
     ({"shared_at": dt.datetime(2027, 1, 1)}, "future")],
)  # fmt: skip
def test_bad_decisions_are_refused(change, word):
    with pytest.raises(InvalidInput, match=word):
        parse_share({**FORM, **change}, NOW)


@pytest.mark.parametrize(
    "hours, state", [(47, DeadlineState.due), (48, DeadlineState.due), (49, DeadlineState.overdue)]
)
def test_sign_off_due_within_48_hours(hours, state):
    decided = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert share_sign_off(decided, decided + dt.timedelta(hours=hours)).state == state


def _staff(session):
    add_user(session, "cw1", "caseworker", PW)
    add_user(session, "sen1", "senior", PW)
    root = session.store.root
    return Store(root).unlock("cw1", PW), Store(root).unlock("sen1", PW)


def test_caseworker_decision_awaits_sign_off_and_is_flagged_after_48_hours(session, case_ref):
    cw, senior = _staff(session)
    name, record = share_without_consent(cw, case_ref, parse_share(FORM, NOW))
    assert record.needs_sign_off and record.dash.completed is False
    later = record.recorded_at + dt.timedelta(hours=49)
    (row,) = caseload(session, now=later)
    assert "share-awaiting-sign-off" in row.flags
    assert next(d for d in row.deadlines if d.name == "share sign-off").state == DeadlineState.overdue
    with pytest.raises(PermissionDenied):
        sign_off_share(cw, case_ref, name)  # a caseworker cannot sign off
    sign_off_share(senior, case_ref, name, "Agreed: proportionate and necessary.")
    (row,) = caseload(session, now=later)
    assert "share-awaiting-sign-off" not in row.flags
    assert [d.name for d in row.deadlines if d.name == "share sign-off"] == []
    with pytest.raises(InvalidInput, match="already signed off"):
        sign_off_share(Store(session.store.root).unlock(MANAGER, PASSPHRASE), case_ref, name)


def test_nobody_signs_their_own_decision(session, case_ref):
    _, senior = _staff(session)
    name, record = share_without_consent(senior, case_ref, parse_share(FORM, NOW))
    assert record.needs_sign_off is False  # a senior's decision needs no sign-off
    with pytest.raises(PermissionDenied, match="own decision"):
        sign_off_share(senior, case_ref, name)


def test_ledger_and_audit(session, case_ref):
    name, _ = share_without_consent(session, case_ref, parse_share(FORM, NOW))
    (entry,) = show_case(session, case_ref).ledger()
    assert entry["to"] == "Police public protection unit" and entry["consent"] is False
    assert entry["basis"] == "Crime and Disorder Act, Common Law"
    audited = next(e for e in audit_entries(session) if e["action"] == "disclosure")
    assert audited["record"] == name and audited["detail"]["consent"] is False
    assert "Police public protection unit" in audited["reason"]  # decrypted for staff
    raw = b"".join(p.read_bytes() for p in (session.store.root / ".dacli" / "audit").glob("*.jsonl"))
    assert b"Police public protection" not in raw  # stored encrypted


def test_cli_share_and_sign_off(cli, case_ref, tmp_path):
    import tomli_w

    form = tmp_path / "share.toml"
    form.write_text(tomli_w.dumps(FORM))
    assert "legal_basis" in cli("share-without-consent", "record", case_ref, "--template").stdout
    new = {"DACLI_NEW_PASSPHRASE": PW}
    assert cli("user", "add", "cw1", "--role", "caseworker", extra_env=new).exit_code == 0
    as_cw = {"DACLI_USER": "cw1", "DACLI_PASSPHRASE": PW}
    made = cli("share-without-consent", case_ref, "--from", str(form), "--json", extra_env=as_cw)
    assert made.exit_code == 0, made.stderr
    out = json.loads(made.stdout)
    assert out["needs_sign_off"] is True
    denied = cli("share-without-consent", "sign-off", case_ref, out["record"], extra_env=as_cw)
    assert denied.exit_code == 4
    signed = cli("share-without-consent", "sign-off", case_ref, out["record"], "--comment", "Agreed.")
    assert signed.exit_code == 0, signed.stderr
    assert "disclosures" in cli("case", "show", case_ref).stdout
    bad = cli("share-without-consent", case_ref, "--from", "-", input='sent_to = "x"')
    assert bad.exit_code == 2
