"""The audit trail: every action is logged, and changes, deletions and cut tails are detected."""

from __future__ import annotations

import json

from dacli.services.admin import add_user, audit_entries, verify_audit
from dacli.services.case_view import show_case
from dacli.services.caseload import caseload
from dacli.store.store import Store

from .conftest import MANAGER, PASSPHRASE


def _log(session):
    (path,) = sorted((session.store.root / ".dacli" / "audit").glob("*.jsonl"))
    return path


def test_actions_are_logged_with_who_when_what(session, case_ref):
    show_case(session, case_ref)
    caseload(session)
    entries = audit_entries(session)
    actions = [e["action"] for e in entries]
    for wanted in ("store-init", "case-create", "intake", "case-read", "caseload-read"):
        assert wanted in actions
    read = next(e for e in entries if e["action"] == "case-read")
    assert read["case"] == case_ref
    assert read["user"] == MANAGER
    assert read["at"].startswith("20")
    assert [e["action"] for e in audit_entries(session, case_ref)][-1] == "case-read"


def test_chain_verifies(session, case_ref):
    assert verify_audit(session.store, session).ok


def test_edited_entry_is_detected(session, case_ref):
    path = _log(session)
    lines = path.read_text().splitlines()
    entry = json.loads(lines[2])
    entry["action"] = "nothing-to-see"
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    check = verify_audit(session.store)
    assert not check.ok
    assert any("changed" in p for p in check.logs[0].problems)


def test_deleted_entry_is_detected(session, case_ref):
    path = _log(session)
    lines = path.read_text().splitlines()
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    assert not verify_audit(session.store).ok


def test_cut_tail_is_detected_by_the_audit_anchor(session, case_ref):
    path = _log(session)
    lines = path.read_text().splitlines()
    # Without the anchor a shorter chain is still a valid chain; with it, the cut shows.
    path.write_text("\n".join(lines[:2]) + "\n")
    assert verify_audit(session.store).ok
    check = verify_audit(session.store, Store(session.store.root).unlock(MANAGER, PASSPHRASE))
    assert not check.ok
    assert any("cut from its end" in p for p in check.logs[0].problems)


def test_deleted_log_is_detected_by_the_audit_anchor(session, case_ref):
    _log(session).unlink()
    check = verify_audit(session.store, Store(session.store.root).unlock(MANAGER, PASSPHRASE))
    assert not check.ok


def test_torn_last_line_is_reported_and_the_chain_goes_on(session, case_ref):
    path = _log(session)
    with open(path, "ab") as f:
        f.write(b'{"seq": 99, "half an ent')
    check = verify_audit(session.store)
    assert check.ok  # a torn line is a crash, not tampering: reported as a warning
    assert any("cut off" in w for w in check.logs[0].warnings)
    show_case(session, case_ref)  # appending still works, chained to the last whole entry
    assert audit_entries(session)[-1]["action"] == "case-read"
    check = verify_audit(session.store, session)
    assert check.ok, check.logs[0].problems
    assert any("not a whole entry" in w for w in check.logs[0].warnings)


def test_a_torn_first_entry_does_not_lock_the_log(session, case_ref, monkeypatch):
    monkeypatch.setenv("DACLI_MACHINE_ID", "fresh")
    log = session.store.root / ".dacli" / "audit" / f"{session.member.id}-fresh.jsonl"
    log.write_bytes(b'{"seq": 1, "half')
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    show_case(fresh, case_ref)
    check = verify_audit(session.store)
    assert check.ok, [r.problems for r in check.logs]


def test_reasons_are_encrypted_and_readable_to_staff(session, case_ref):
    add_user(session, "cw1", "caseworker", "another long passphrase")
    session.remove_user("cw1", "Quorra Testperson-Alpha asked for a new worker")
    raw = b"".join(p.read_bytes() for p in (session.store.root / ".dacli" / "audit").glob("*.jsonl"))
    assert b"Quorra" not in raw
    removal = next(e for e in audit_entries(session) if e["action"] == "user-remove")
    assert removal["reason"] == "Quorra Testperson-Alpha asked for a new worker"


def test_one_log_per_person_and_machine(session, case_ref, monkeypatch):
    add_user(session, "cw1", "caseworker", "another long passphrase")
    cw = Store(session.store.root).unlock("cw1", "another long passphrase")
    show_case(cw, case_ref)
    monkeypatch.setenv("DACLI_MACHINE_ID", "laptop2")
    show_case(Store(session.store.root).unlock("cw1", "another long passphrase"), case_ref)
    names = sorted(p.name for p in (session.store.root / ".dacli" / "audit").glob("*.jsonl"))
    assert len(names) == 3
    assert sum(n.endswith("-laptop2.jsonl") for n in names) == 1
    assert verify_audit(session.store, session).ok


def test_long_entries_and_many_entries_chain_correctly(session, case_ref):
    for n in range(30):
        session.audit("note-add", case=case_ref, reason="x" * (n * 1500))  # some longer than the read window
    check = verify_audit(session.store, session)
    assert check.ok, [log.problems for log in check.logs]
