"""Issue 14, keys that merge: staff changes are signed write-once events folded on read, and a ring's keys
are the union of write-once key files, so two offices sharing one store through a file-sync engine lose
neither a staff change nor a key. Each office here is a copy of the store with its own computer (data,
cache and machine id); `_merge` is what a sync engine does with files written once: copy what the other
side lacks (and fail the test if a file both sides hold differs: nothing shared may be rewritten)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dacli import clock
from dacli.errors import AuthError, IntegrityError, NotArrived
from dacli.schemas.store import StaffMember
from dacli.services.admin import add_user, remove_user
from dacli.store import crypto
from dacli.store.documents import certificate_context, dump_plain_toml
from dacli.store.keys import KeyRing
from dacli.store.staffevents import EVENTS, StaffEvent, event_context, event_name
from dacli.store.store import Store
from tests.conftest import MANAGER, PASSPHRASE, first_intake

PW = "another long passphrase"
_SKIP = (".lock", ".tmp-")


@contextlib.contextmanager
def office(tmp_path: Path, name: str, monkeypatch) -> Iterator[None]:
    """Work as on office ``name``'s computer: its own data folder (what it has seen), cache and machine id."""
    with monkeypatch.context() as m:
        m.setenv("XDG_DATA_HOME", str(tmp_path / f"home-{name}" / "data"))
        m.setenv("XDG_CACHE_HOME", str(tmp_path / f"home-{name}" / "cache"))
        m.setenv("DACLI_MACHINE_ID", f"office{name}")
        yield


def _files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(_SKIP) and not p.name.endswith(".lock")
    }


def _merge(a: Path, b: Path) -> None:
    """Both copies end up with every file either has; a file both hold must be the same (written once)."""
    fa, fb = _files(a), _files(b)
    for rel in sorted(set(fa) & set(fb)):
        if rel.startswith(".dacli/audit/"):
            continue  # one writer each: the same log on both sides, or a longer one
        assert fa[rel].read_bytes() == fb[rel].read_bytes(), f"{rel} was rewritten in one office"
    for src, dst, names in ((a, b, set(fa) - set(fb)), (b, a, set(fb) - set(fa))):
        for rel in names:
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dst / rel)
    for rel in set(fa) & set(fb):  # audit logs: the longer wins (append-only, one writer)
        if rel.startswith(".dacli/audit/") and fa[rel].stat().st_size != fb[rel].stat().st_size:
            longer, shorter = sorted((fa[rel], fb[rel]), key=lambda p: p.stat().st_size, reverse=True)
            shutil.copy2(longer, shorter)


@pytest.fixture
def two(session, case_ref, tmp_path, monkeypatch):
    """Office A (the store as made, with a second manager, a senior and a caseworker) and office B, a copy of
    it. Returns (root A, root B)."""
    for user, role in (("mgr.two", "manager"), ("sen.ada", "senior"), ("cw.bex", "caseworker")):
        add_user(session, user, role, PW)
    a = session.store.root
    b = tmp_path / "office-b" / "store"
    shutil.copytree(a, b, ignore=shutil.ignore_patterns(".lock", "*.lock", ".tmp-*"))
    return a, b


def _unlock(root: Path, user: str):
    return Store(root).unlock(user, PASSPHRASE if user == MANAGER else PW)


def _later(minutes: int):
    return clock.pinned(clock.now() + dt.timedelta(minutes=minutes))


# -- staff changes --------------------------------------------------------------------------------------


def test_two_managers_changes_made_apart_both_stand(two, tmp_path, monkeypatch):
    a, b = two
    with office(tmp_path, "A", monkeypatch), _later(5):
        add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)
    with office(tmp_path, "B", monkeypatch), _later(6):
        mgr2 = _unlock(b, "mgr.two")
        add_user(mgr2, "cw.dee", "caseworker", PW)
        remove_user(mgr2, "cw.bex", "left the service (test)")
    _merge(a, b)
    for name, root in (("A", a), ("B", b)):
        with office(tmp_path, name, monkeypatch), _later(10):
            staff = _unlock(root, MANAGER).staff()
            assert {m.username for m in staff.active()} == {MANAGER, "mgr.two", "sen.ada", "cw.cal", "cw.dee"}
            assert not staff.by_id(next(m.id for m in staff.staff if m.username == "cw.bex")).active
            # each newcomer reads the case, whichever office added them
            for user in ("cw.cal", "cw.dee"):
                reader = _unlock(root, user)
                ref = reader.store.case_refs()[0]
                assert reader.read_record(ref, first_intake(root / ref))["case"] == ref
    assert (a / ".dacli" / "staff.toml").read_bytes() == (b / ".dacli" / "staff.toml").read_bytes()


def test_a_removal_is_permanent(two, tmp_path, monkeypatch):
    """Removed in one office while the other, not knowing, goes on: the merge keeps the removal; an event
    that would add that id again (a manager's genuine signature) adds nobody."""
    a, b = two
    with office(tmp_path, "A", monkeypatch), _later(5):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with office(tmp_path, "B", monkeypatch), _later(6):
        mgr2 = _unlock(b, "mgr.two")
        bex = mgr2.staff().by_username("cw.bex")
        assert bex is not None  # B has not heard
        readd = StaffEvent(kind="add", at=clock.now(), author=mgr2.member.id, member=bex)
        readd.member.added_by = mgr2.member.id
        readd.member.certificate = mgr2.signer.sign(certificate_context(mgr2.store.settings.store_id, bex))
        mgr2._write_event(readd)
    _merge(a, b)
    with office(tmp_path, "B", monkeypatch), _later(10):
        staff = _unlock(b, MANAGER).staff()
        assert staff.by_username("cw.bex") is None
        with pytest.raises(AuthError, match="removed"):
            _unlock(b, "cw.bex")


def _forge(session, event: StaffEvent, signer=None) -> Path:
    """A staff change written through the Python API, signed by ``signer`` (a session; else ``session``)."""
    signer = signer or session
    folder = session.store.meta / EVENTS
    folder.mkdir(exist_ok=True)
    name = event_name(event.at)
    body = dump_plain_toml(event)
    path = folder / name
    path.write_bytes(signer.signer.seal(event_context(session.store.settings.store_id, name), body))
    return path


def _rogue(session, added_by: str) -> StaffMember:
    return StaffMember(
        id="s-0123456789ab",
        username="rogue",
        role="manager",
        recipient=crypto.Identity.generate().public,
        signing_key=session.member.signing_key,
        certificate="",
        added=clock.now(),
        added_by=added_by,
    )


def _not_believed(a, sentence: str) -> None:
    """The change is not believed (the staff list is as if it were not there) and is named, by `staff_notes`
    and by `audit verify` (exit 6): one forged file stops no one's work."""
    from dacli.services.admin import verify_audit

    mgr = _unlock(a, MANAGER)
    assert any(re.search(sentence, n) for n in mgr.staff_notes())
    assert any(re.search(sentence, p) for p in verify_audit(mgr.store, mgr).files)


def test_a_staff_change_forged_by_a_caseworker_is_not_believed(two, cli):
    a, _ = two
    cw = _unlock(a, "cw.bex")
    rogue = _rogue(cw, cw.member.id)
    rogue.certificate = cw.signer.sign(certificate_context(cw.store.settings.store_id, rogue))
    _forge(cw, StaffEvent(kind="add", at=clock.now(), author=cw.member.id, member=rogue))
    assert _unlock(a, MANAGER).staff().by_username(rogue.username) is None
    _not_believed(a, "a caseworker: only a manager changes staff")
    result = cli("audit", "verify")
    assert result.exit_code == 6 and "only a manager changes staff" in result.stdout


def test_a_staff_change_naming_another_author_is_not_believed(two):
    """Signed by the senior, in the name of the manager: whoever the file names, the signer is who counts."""
    a, _ = two
    mgr, senior = _unlock(a, MANAGER), _unlock(a, "sen.ada")
    cw = mgr.staff().by_username("cw.bex")
    _forge(mgr, StaffEvent(kind="remove", at=clock.now(), author=mgr.member.id, staff=cw.id), signer=senior)
    assert _unlock(a, MANAGER).staff().by_username("cw.bex") is not None  # not removed
    _not_believed(a, "names .* as its author but is signed by sen.ada")


def test_a_staff_change_edited_by_hand_is_not_believed(two):
    a, _ = two
    (path,) = [p for p in (a / ".dacli" / EVENTS).iterdir() if b"cw.bex" in p.read_bytes()]
    path.write_bytes(path.read_bytes().replace(b'role = "caseworker"', b'role = "manager"'))
    assert _unlock(a, MANAGER).staff().by_username("cw.bex") is None  # the change edited adds no one
    _not_believed(a, "changed outside dacli")


def test_a_staff_change_by_a_manager_after_their_removal_is_not_believed(two, tmp_path, monkeypatch):
    """The removed manager still holds a genuine signing key: what they sign after their removal adds nobody
    and is named (`staff_notes`), and what they signed before stands."""
    a, _ = two
    leaver = _unlock(a, "mgr.two")
    with _later(5):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(10):
        rogue = _rogue(leaver, leaver.member.id)
        rogue.certificate = leaver.signer.sign(certificate_context(leaver.store.settings.store_id, rogue))
        _forge(leaver, StaffEvent(kind="add", at=clock.now(), author=leaver.member.id, member=rogue))
        mgr = _unlock(a, MANAGER)
        assert mgr.staff().by_username("rogue") is None
        (note,) = mgr.staff_notes()
        assert "made by mgr.two after their removal: not believed" in note
        assert mgr.staff().by_username("sen.ada") is not None  # added before, by the first manager
        from dacli.services.admin import verify_audit

        assert any("after their removal: not believed" in p for p in verify_audit(mgr.store, mgr).files)


# -- key rings --------------------------------------------------------------------------------------------


def _note(session, ref: str, name: str) -> None:
    session.write_record(ref, name, {"schema": "t/1", "case": ref})


def test_two_offices_rotating_one_ring_apart_keep_every_record_readable(two, tmp_path, monkeypatch):
    """Office A removes the caseworker, office B the senior, each re-keying the case while apart; each writes
    a note to its own new key. Once merged, both new keys are in the ring and every record reads."""
    a, b = two
    ref = Store(a).case_refs()[0]
    with office(tmp_path, "A", monkeypatch), _later(5):
        mgr = _unlock(a, MANAGER)
        remove_user(mgr, "cw.bex", "left (test)")
        _note(mgr, ref, "note-a.toml.age")
    with office(tmp_path, "B", monkeypatch), _later(6):
        mgr2 = _unlock(b, "mgr.two")
        remove_user(mgr2, "sen.ada", "left (test)")
        _note(mgr2, ref, "note-b.toml.age")
    assert (a / ref / "keys.age").read_bytes() == (b / ref / "keys.age").read_bytes()  # never rewritten
    _merge(a, b)
    for name, root in (("A", a), ("B", b)):
        with office(tmp_path, name, monkeypatch), _later(10):
            for user in (MANAGER, "mgr.two"):
                s = _unlock(root, user)
                for record in s.record_names(ref):
                    assert s.read_record(ref, record)["case"] == ref
            # the next writer makes a key neither leaver holds (neither office's key excludes both)
            s = _unlock(root, MANAGER)
            _note(s, ref, f"note-{name}-after.toml.age")
            gone = {m.id for m in s.staff().staff if not m.active}
            assert len(gone) == 2 and not (s.case_ring(ref).keys[0].holders & gone)


def test_a_leaver_cannot_read_what_another_office_wrote_after_the_removal_once_re_keyed(
    two, tmp_path, monkeypatch
):
    a, b = two
    ref = Store(a).case_refs()[0]
    leaver = _unlock(a, "cw.bex")
    held = [leaver.identity, *leaver.case_ring(ref).identities]
    with office(tmp_path, "A", monkeypatch), _later(5):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with office(tmp_path, "B", monkeypatch), _later(30):  # B has not heard: its key is one she holds
        _note(_unlock(b, "sen.ada"), ref, "note-late.toml.age")
        _note(_unlock(b, "sen.ada"), ref, "note-later.toml.age")
    late = b / ref / "note-late.toml.age"
    crypto.decrypt(late.read_bytes(), held, "late note")  # readable by the leaver until a re-key
    _merge(a, b)
    before = (a / ref / first_intake(a / ref)).read_bytes()
    with office(tmp_path, "A", monkeypatch), _later(60):
        mgr = _unlock(a, MANAGER)
        assert f"case {ref}" not in mgr.rekey_due()  # a key for the current staff exists: the re-key is
        mgr.rewrap_all()  # for the records, which the manager runs once the offices have met
        for name in ("note-late.toml.age", "note-later.toml.age"):
            with pytest.raises(IntegrityError):
                crypto.decrypt((a / ref / name).read_bytes(), held, name)
            assert mgr.read_record(ref, name)["case"] == ref  # still signed by its author, still reads
        assert (a / ref / first_intake(a / ref)).read_bytes() == before  # written before: left alone
        entries = [e["record"] for e in _audit(mgr) if e["action"] == "record-reencrypt"]
        assert sorted(entries) == ["note-late.toml.age", "note-later.toml.age"]


def _audit(session) -> list[dict]:
    from dacli.services.admin import audit_entries

    return audit_entries(session)


def test_user_add_grants_the_existing_keys_in_a_new_file(session, case_ref):
    folder = session.store.root / case_ref
    ring_before = (folder / "keys.age").read_bytes()
    files_before = set(folder.glob("keys*.age"))
    add_user(session, "cw.new", "caseworker", PW)
    (grant,) = set(folder.glob("keys*.age")) - files_before
    assert (folder / "keys.age").read_bytes() == ring_before  # never rewritten
    newcomer = _unlock(session.store.root, "cw.new")
    opened = KeyRing.load(
        crypto.decrypt(grant.read_bytes(), [newcomer.identity], "grant").rsplit(b"\n# dacli-signed", 1)[0],
        f"case {case_ref}",
        "grant",
    )
    assert {k.identity.secret for k in opened.keys} == {
        k.identity.secret for k in session.case_ring(case_ref).keys
    }
    assert newcomer.read_record(case_ref, first_intake(folder))["case"] == case_ref


def test_a_record_whose_key_file_has_not_arrived_yet_is_told_apart(two, tmp_path, monkeypatch, cli):
    """B makes a new key (after the removal it heard of) and writes to it; A receives the note before the key
    file: not arrived yet (exit 11), not tampering."""
    a, b = two
    ref = Store(a).case_refs()[0]
    with office(tmp_path, "B", monkeypatch), _later(5):
        remove_user(_unlock(b, MANAGER), "cw.bex", "left (test)")
        _note(_unlock(b, "sen.ada"), ref, "note-new-key.toml.age")
    shutil.copy2(b / ref / "note-new-key.toml.age", a / ref / "note-new-key.toml.age")
    arrived = a / ref / "note-new-key.toml.age"
    arrived.write_bytes(arrived.read_bytes())  # arrived just now, by the file system's clock
    with pytest.raises(NotArrived, match="not arrived yet from another office; let the sync finish") as told:
        _unlock(a, MANAGER).read_record(ref, "note-new-key.toml.age")
    assert told.value.exit_code == 11
    result = cli("case", "show", ref)  # the case still shows, the note named as not readable yet
    assert result.exit_code == 0 and "incomplete" in result.output


def test_a_conflict_copy_of_a_staff_change_or_key_file_is_checked_under_its_original_name(two):
    from dacli.services.sync import sync_status

    a, _ = two
    event = sorted((a / ".dacli" / EVENTS).iterdir())[0]
    copy = event.with_name(event.stem + ".sync-conflict-20261202-101010-ABCDEFG.toml")
    shutil.copy2(event, copy)
    ref = Store(a).case_refs()[0]
    grant = sorted((a / ref).glob("keys-*.age"))[0]
    shutil.copy2(grant, grant.with_name(grant.stem + ".sync-conflict-20261202-101010-ABCDEFG.age"))
    found = {c.copy.original: c for c in sync_status(_unlock(a, MANAGER)).copies}
    assert found[event.name].verifies and found[event.name].same
    assert found[grant.name].verifies and found[grant.name].same
    copy.write_bytes(copy.read_bytes().replace(b'kind = "add"', b'kind = "remove"'))
    found = {c.copy.original: c for c in sync_status(_unlock(a, MANAGER)).copies}
    assert found[event.name].verifies is False


def test_a_staff_change_whose_author_has_not_arrived_yet_waits_and_sync_status_says_so(
    two, tmp_path, monkeypatch, cli
):
    """B adds a manager, who at once adds a caseworker; A receives the second change before the first."""
    a, b = two
    with office(tmp_path, "B", monkeypatch), _later(5):
        add_user(_unlock(b, MANAGER), "mgr.three", "manager", PW)
    with office(tmp_path, "B", monkeypatch), _later(6):
        add_user(_unlock(b, "mgr.three"), "cw.eve", "caseworker", PW)
    events = sorted(set(os.listdir(b / ".dacli" / EVENTS)) - set(os.listdir(a / ".dacli" / EVENTS)))
    assert len(events) == 2
    shutil.copy2(b / ".dacli" / EVENTS / events[1], a / ".dacli" / EVENTS / events[1])  # the second first
    assert _unlock(a, MANAGER).staff().by_username("cw.eve") is None
    result = cli("sync", "status")
    assert result.exit_code == 0 and "waits for the staff change that added" in result.stdout
    shutil.copy2(b / ".dacli" / EVENTS / events[0], a / ".dacli" / EVENTS / events[0])
    assert _unlock(a, MANAGER).staff().by_username("cw.eve") is not None


def test_an_addition_by_a_manager_removed_meanwhile_in_the_other_office_stands(two, tmp_path, monkeypatch):
    """B's second manager adds someone; A, not knowing, removes that manager later. The newcomer, certified
    by someone now gone and not known to the manager who removed them, was added within the arrival grace
    before the removal: it stands, and is listed for a manager to check. An addition the leaver signs days
    after their removal, dated just before it, is not believed by a computer that already knew of the
    removal (it arrived too late); a new computer cannot tell it from the first, and lists it the same way."""
    a, b = two
    with office(tmp_path, "A", monkeypatch):
        _unlock(a, MANAGER)  # this computer remembers who it has seen
    with office(tmp_path, "B", monkeypatch), _later(5):
        leaver = _unlock(b, "mgr.two")
        add_user(leaver, "cw.fay", "caseworker", PW)
    with office(tmp_path, "A", monkeypatch), _later(10):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left (test)")
    _merge(a, b)
    with office(tmp_path, "A", monkeypatch), _later(20):
        mgr = _unlock(a, MANAGER)
        assert mgr.staff().by_username("cw.fay") is not None
        (doubt,) = mgr.staff_notes()
        assert "(adds cw.fay) was made by mgr.two shortly before their removal" in doubt
    with office(tmp_path, "A", monkeypatch), _later(60 * 24 * 3):
        rogue = _rogue(leaver, leaver.member.id)
        rogue.added = clock.now() - dt.timedelta(days=3)  # before the removal
        rogue.certificate = leaver.signer.sign(certificate_context(leaver.store.settings.store_id, rogue))
        _forge(leaver, StaffEvent(kind="add", at=rogue.added, author=leaver.member.id, member=rogue))
        _merge(a, b)
        mgr = _unlock(a, MANAGER)
        assert mgr.staff().by_username("rogue") is None
        assert any("reached this computer after it knew mgr.two had left" in n for n in mgr.staff_notes())
        assert _unlock(a, "cw.fay").staff().by_username("cw.fay") is not None  # seen before: still believed
    with office(tmp_path, "new", monkeypatch), _later(60 * 24 * 3):
        mgr = _unlock(a, MANAGER)
        assert mgr.staff().by_username("rogue") is not None
        assert any(
            "(adds rogue) was made by mgr.two shortly before their removal" in n for n in mgr.staff_notes()
        )


def test_a_removed_manager_who_back_dates_the_removal_of_their_remover_does_not_undo_their_own(two):
    """From a security review: the leaver signs, ten days later, 'remove the manager who removed me', dated a
    minute before their own removal. A removal is permanent: theirs stands, and so does the one they signed
    (both are removed; a leaver holding a manager's key can still do that much, and it is there to see)."""
    from dacli.store.staff import checked_fold

    a, _ = two
    leaver = _unlock(a, "mgr.two")
    mgr = _unlock(a, MANAGER)
    mgr_id, trust, sid = mgr.member.id, mgr.credentials.trust, mgr.store.settings.store_id
    with _later(5):
        remove_user(mgr, "mgr.two", "left the service (test)")
    with _later(60 * 24 * 10):
        at = clock.now() - dt.timedelta(days=10) + dt.timedelta(minutes=4)
        _forge(leaver, StaffEvent(kind="remove", at=at, author=leaver.member.id, staff=mgr_id))
        folded = checked_fold(a / ".dacli", sid, trust)
        assert folded.staff.by_username("mgr.two") is None  # not current: their removal stands
        assert all(m.username != "mgr.two" for m in folded.staff.active())
