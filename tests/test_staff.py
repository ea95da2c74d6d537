"""Staff and keys: adding someone lets them read; removing someone rotates every key."""

from __future__ import annotations

import pytest

from dacli.errors import AuthError, IntegrityError, InvalidInput, PermissionDenied
from dacli.schemas.common import Role
from dacli.services.admin import add_user, change_passphrase, list_users, remove_user
from dacli.services.case_view import show_case
from dacli.services.caseload import caseload
from dacli.services.intake import intake
from dacli.store import crypto
from dacli.store.keys import KeyRing
from dacli.store.store import Store
from tests.conftest import first_intake

from .conftest import MANAGER, PASSPHRASE

NEW_PW = "another long passphrase"


def test_first_user_is_a_manager(store):
    (member,) = list_users(store)
    assert member.username == MANAGER
    assert member.role == Role.manager
    assert member.recipient.startswith("age1")


def test_added_user_reads_existing_cases(session, case_ref):
    member, rings = add_user(session, "cw1", "caseworker", NEW_PW)
    assert rings == 2  # the store ring and one case ring
    assert member.role == Role.caseworker
    cw = Store(session.store.root).unlock("cw1", NEW_PW)
    assert show_case(cw, case_ref).summary.client == "Quorra Testperson-Alpha"
    assert [r.ref for r in caseload(cw)] == [case_ref]


def test_only_a_manager_changes_staff(session):
    add_user(session, "cw1", "caseworker", NEW_PW)
    cw = Store(session.store.root).unlock("cw1", NEW_PW)
    with pytest.raises(PermissionDenied, match="needs a manager"):
        add_user(cw, "cw2", "caseworker", NEW_PW)
    with pytest.raises(PermissionDenied):
        remove_user(cw, MANAGER, None)


@pytest.mark.parametrize(
    "username, role, pw, message",
    [
        ("Bad Name", "caseworker", NEW_PW, "username"),
        ("cw1", "boss", NEW_PW, "role"),
        ("cw1", "caseworker", "short", "at least 8"),
        (MANAGER, "caseworker", NEW_PW, "already"),
    ],
)
def test_bad_user_add_is_refused(session, username, role, pw, message):
    with pytest.raises(InvalidInput, match=message):
        add_user(session, username, role, pw)
    assert [m.username for m in list_users(session.store)] == [MANAGER]


def test_removed_user_cannot_unlock_or_read_new_records(session, case_ref, form):
    add_user(session, "cw1", "caseworker", NEW_PW)
    leaver = Store(session.store.root).unlock("cw1", NEW_PW)
    # Everything the leaver could have copied before leaving: their identity and the old key ring.
    old_identity = leaver.identity
    old_ring = leaver.case_ring(case_ref)
    folder = session.store.root / case_ref
    before = set(folder.glob("keys*.age"))
    old_ring_file = next(p for p in before if _opens(p, old_identity)).read_bytes()  # their grant

    remove_user(session, "cw1", "left the service")
    with pytest.raises(AuthError, match="removed"):
        Store(session.store.root).unlock("cw1", NEW_PW)

    # New records in an old case and in a new case do not open with anything the leaver held.
    manager = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    manager.write_record(case_ref, "test-1.toml.age", {"schema": "t/1", "case": case_ref})
    new_case = intake(manager, form, new_case=True).case
    new_record = (session.store.root / case_ref / "test-1.toml.age").read_bytes()
    with pytest.raises(IntegrityError):
        crypto.decrypt(new_record, [old_identity, *old_ring.identities], "new record")
    # Every key file made since the removal (the re-key's, the new case's) is closed to the leaver.
    made_since = (set(folder.glob("keys*.age")) - before) | set(
        (session.store.root / new_case).glob("keys*.age")
    )
    assert made_since
    for path in made_since:
        assert not _opens(path, old_identity), path
    # Honest about the limit: what they copied before still opens what was written before.
    old_plain = crypto.decrypt(old_ring_file, [old_identity], "old ring")
    assert (
        KeyRing.load(old_plain, f"case {case_ref}", "old").keys[0].identity.public == old_ring.current.public
    )
    # The manager still reads old and new records.
    assert manager.read_record(case_ref, first_intake(manager.store.root / case_ref))["case"] == case_ref
    assert manager.read_record(case_ref, "test-1.toml.age")["case"] == case_ref


def _opens(path, identity) -> bool:
    try:
        crypto.decrypt(path.read_bytes(), [identity], "ring")
    except IntegrityError:
        return False
    return True


def test_removal_rotates_every_key_ring(session, case_ref):
    before = session.case_ring(case_ref).current.public
    store_before = session.store_ring().current.public
    add_user(session, "cw1", "caseworker", NEW_PW)
    remove_user(session, "cw1", None)
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    ring = fresh.case_ring(case_ref)
    assert len(ring.keys) == 2
    assert ring.current.public != before
    assert len(fresh.store_ring().keys) == 2
    assert fresh.store_ring().current.public != store_before
    assert fresh.rekey_due() == []


def test_you_cannot_remove_yourself(session):
    with pytest.raises(InvalidInput, match="yourself"):
        remove_user(session, MANAGER, None)


def test_change_passphrase(session):
    change_passphrase(session, NEW_PW)
    with pytest.raises(AuthError):
        Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    assert Store(session.store.root).unlock(MANAGER, NEW_PW).member.username == MANAGER


def test_identity_file_swapped_for_another_is_refused(session):
    add_user(session, "cw1", "caseworker", NEW_PW)
    staff = session.store.staff()
    mgr, cw = staff.by_username(MANAGER), staff.by_username("cw1")
    ident = session.store.identity_path
    ident(mgr.id).write_bytes(ident(cw.id).read_bytes())
    with pytest.raises(IntegrityError, match="another member of staff"):
        Store(session.store.root).unlock(MANAGER, NEW_PW)


def test_interrupted_rewrap_is_finished_by_rekey(session, case_ref, monkeypatch):
    from dacli.store.store import Session

    calls = {"n": 0}
    real = Session._save_ring

    def dies_after_first(self, path, ring, staff, *rest):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process is killed half way through
        return real(self, path, ring, staff, *rest)

    monkeypatch.setattr(Session, "_save_ring", dies_after_first)
    with pytest.raises(KeyboardInterrupt):
        add_user(session, "cw1", "caseworker", NEW_PW)
    monkeypatch.undo()
    manager = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    assert manager.rekey_due() == [f"case {case_ref}"]  # derived from the key files, not a flag
    cw = Store(session.store.root).unlock("cw1", NEW_PW)
    with pytest.raises(AuthError, match="rekey"):
        show_case(cw, case_ref)
    manager.rewrap_all()
    assert manager.rekey_due() == []
    cw = Store(session.store.root).unlock("cw1", NEW_PW)
    assert show_case(cw, case_ref).summary.ref == case_ref


def test_removing_the_manager_who_signed_the_settings_and_policy_leaves_the_store_working(session, case_ref):
    """Settings and policy are believed only as signed by a current manager: the one who removes their signer
    (the founding manager, here) signs them again as they stand first (from a security review)."""
    from dacli.services.admin import add_user, remove_user
    from dacli.store import signing

    add_user(session, "mgr.two", "manager", "another pass phrase")
    second = Store(session.store.root).unlock("mgr.two", "another pass phrase")
    meta = session.store.meta
    before = {n: signing.split((meta / n).read_bytes(), n)[0] for n in ("store.toml", "policy.toml")}
    remove_user(second, MANAGER, "left the service (test)")
    again = Store(session.store.root).unlock("mgr.two", "another pass phrase")
    assert again.checked_settings().store_id == session.store.settings.store_id
    assert again.store.policy.retention is not None  # accepted still, not 'changed since a manager accepted'
    for name, body in before.items():
        now_body, author, _ = signing.split((meta / name).read_bytes(), name)
        assert now_body == body and author == second.member.id
