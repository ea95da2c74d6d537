"""The case store: round trips, bad files, moved files, layout and permissions."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

from dacli.errors import AuthError, IntegrityError, InvalidInput, NotArrived, NotFound, StoreError
from dacli.services.case_view import show_case
from dacli.services.intake import intake
from dacli.store.layout import check_case_ref
from dacli.store.store import Store
from tests.conftest import first_intake

from .conftest import MANAGER, PASSPHRASE, TEST_LOG_N


def test_round_trip(session, case_ref):
    doc = session.read_record(case_ref, first_intake(session.store.root / case_ref))
    assert doc["schema"] == "intake/1"
    assert doc["case"] == case_ref
    assert doc["client"]["name"] == "Quorra Testperson-Alpha"
    # and through a fresh unlock, as another process would
    again = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    assert show_case(again, case_ref).summary.client == "Quorra Testperson-Alpha"


def test_plaintext_starts_with_schema_then_case(session, case_ref):
    from dacli.store import crypto

    sealed = (session.store.root / case_ref / first_intake(session.store.root / case_ref)).read_bytes()
    plain = crypto.decrypt(sealed, session.case_ring(case_ref).identities, "x").decode()
    first, second = plain.splitlines()[:2]
    assert first == 'schema = "intake/1"'
    assert second == f'case = "{case_ref}"'


def test_wrong_passphrase(store):
    with pytest.raises(AuthError, match="Wrong passphrase"):
        store.unlock(MANAGER, "not the passphrase")


def test_unknown_user(store):
    with pytest.raises(AuthError, match="no user called"):
        store.unlock("nobody", PASSPHRASE)


def test_missing_store(tmp_path):
    with pytest.raises(NotFound, match="no dacli store"):
        Store(tmp_path / "nothing-here")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b"",
        lambda b: b[: len(b) // 2],
        lambda b: b[:-1],
        lambda b: b[:-3] + bytes([b[-3] ^ 0x40]) + b[-2:],
        lambda b: b[:40] + bytes([b[40] ^ 0x01]) + b[41:],
    ],
    ids=["empty", "truncated-half", "truncated-1", "flipped-payload", "flipped-header"],
)
def test_damaged_record_is_refused(session, case_ref, mangle):
    path = session.store.root / case_ref / first_intake(session.store.root / case_ref)
    path.write_bytes(mangle(path.read_bytes()))
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    with pytest.raises(IntegrityError, match=case_ref):
        fresh.read_record(case_ref, first_intake(session.store.root / case_ref))


def test_record_copied_into_another_case_is_refused(session, form, case_ref):
    other = intake(session, form, new_case=True).case
    shutil.copy(
        session.store.root / case_ref / first_intake(session.store.root / case_ref),
        session.store.root / other / "intake-2.toml.age",
    )
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    # new here, to a key this copy lacks: maybe another office's key file is still on its way (exit 11)
    with pytest.raises(NotArrived, match="not arrived yet from another office"):
        fresh.read_record(other, "intake-2.toml.age")
    # older than the arrival grace (policy `sync.arrival_grace_hours`, 24 h): refused as not this case's
    copied = session.store.root / other / "intake-2.toml.age"
    old = copied.stat().st_mtime_ns - 25 * 3600 * 10**9
    os.utime(copied, ns=(old, old))
    with pytest.raises(IntegrityError, match="not encrypted to any key") as refused:
        fresh.read_record(other, "intake-2.toml.age")
    assert refused.value.exit_code == 6
    # the rest of the case still shows, marked incomplete and naming the record (issue 13, section 4)
    view = show_case(fresh, other)
    assert [n for n, _ in view.unreadable] == ["intake-2.toml.age"] and "incomplete" in view.summary.flags
    assert len(view.intakes) == 1


def test_record_whose_case_line_differs_is_refused(session, case_ref, form):
    """Even encrypted to the right key, a document naming another case fails loudly."""
    from dacli.store import crypto
    from dacli.store.documents import encode_document

    other = intake(session, form, new_case=True).case
    doc = session.read_record(other, first_intake(session.store.root / other))
    # signed by a member of staff for this place, so only the case line is wrong
    body = session._signed("record", encode_document(doc), case_ref, "intake-9.toml.age")
    sealed = crypto.encrypt(body, [session.case_ring(case_ref).current.public])
    (session.store.root / case_ref / "intake-9.toml.age").write_bytes(sealed)
    with pytest.raises(IntegrityError, match="belongs to another case"):
        session.read_record(case_ref, "intake-9.toml.age")


def test_key_ring_copied_from_another_case_is_refused(session, form, case_ref):
    other = intake(session, form, new_case=True).case
    shutil.copy(session.store.root / case_ref / "keys.age", session.store.root / other / "keys.age")
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    with pytest.raises(IntegrityError, match="copied or moved"):
        fresh.read_record(other, first_intake(session.store.root / other))


def test_malformed_toml_inside_a_valid_age_file(session, case_ref):
    from dacli.store import crypto

    body = session._signed("record", b"schema = [unclosed", case_ref, "note-1.toml.age")
    sealed = crypto.encrypt(body, [session.case_ring(case_ref).current.public])
    (session.store.root / case_ref / "note-1.toml.age").write_bytes(sealed)
    with pytest.raises(IntegrityError, match="not valid TOML"):
        session.read_record(case_ref, "note-1.toml.age")


@pytest.mark.parametrize("ref", ["../etc", "DA-AAAAA-AAAA", "da-aaaaa-aaaaa", "DA-AAAAA-AAAAI", "/tmp/x", ""])
def test_references_that_are_not_references(ref):
    with pytest.raises(InvalidInput):
        check_case_ref(ref)


@pytest.mark.parametrize("name", ["../keys.age", "a/b.toml.age", ".hidden.toml.age", "x.toml"])
def test_record_names_cannot_walk_out(session, case_ref, name):
    with pytest.raises(InvalidInput):
        session.read_record(case_ref, name)


def test_new_record_never_overwrites(session, case_ref):
    doc = {"schema": "test/1", "case": case_ref, "n": 1}
    session.write_record(case_ref, "test-1.toml.age", doc)
    with pytest.raises(StoreError, match="already has"):
        session.write_record(case_ref, "test-1.toml.age", {**doc, "n": 2})
    assert session.read_record(case_ref, "test-1.toml.age")["n"] == 1


def test_layout_modes_and_no_temp_files(session, case_ref):
    root = session.store.root
    assert (root / ".dacli" / "store.toml").is_file()
    assert (root / ".dacli" / "policy.toml").is_file()
    assert (root / ".dacli" / "staff.toml").is_file()
    assert (root / ".gitattributes").read_text() == "*.age binary\n"
    assert sorted(p.name for p in (root / case_ref).iterdir() if p.name != ".lock") == [
        "case.toml.age",
        first_intake(root / case_ref),
        "keys.age",
    ]
    for path in root.rglob("*"):
        assert not path.name.startswith(".tmp-"), path
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_file():
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
    for folder in (root / ".dacli", root / case_ref):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0


def test_stale_temp_files_are_cleaned_on_the_next_write(session, case_ref):
    stale = session.store.root / case_ref / ".tmp-deadbeef00000000"
    stale.write_bytes(b"ciphertext from a writer that died")
    session.write_record(case_ref, "test-1.toml.age", {"schema": "test/1", "case": case_ref})
    assert not stale.exists()


def test_init_refuses_an_existing_store_and_a_non_empty_folder(store_path, tmp_path):
    with pytest.raises(StoreError, match="already holds"):
        Store.create(store_path, username="x1", passphrase="p" * 10, passphrase_log_n=TEST_LOG_N)
    other = tmp_path / "busy"
    other.mkdir()
    (other / "something.txt").write_text("x")
    with pytest.raises(StoreError, match="not empty"):
        Store.create(other, username="x1", passphrase="p" * 10, passphrase_log_n=TEST_LOG_N)


SYNC_MARKERS = {
    "Syncthing": {".stfolder/": "", ".stignore": "*.tmp\n", ".stversions/": ""},
    "Nextcloud": {".sync_2f1c0b7a9e44.db": "x", ".sync_2f1c0b7a9e44.db-wal": "x", ".owncloudsync.log": "x"},
    "Dropbox": {".dropbox": "{}", ".dropbox.attr": ""},
    "OneDrive and desktops": {"desktop.ini": "[.ShellClassInfo]", "Thumbs.db": "x", ".DS_Store": "x"},
    "a team's own notes": {
        "README.md": "# Case files\n",
        ".gitignore": "*.pdf\n",
        ".gitattributes": "* -text\n",
    },
}


def _fill(folder, entries: dict[str, str]) -> None:
    folder.mkdir(exist_ok=True)
    for name, text in entries.items():
        if name.endswith("/"):
            (folder / name.rstrip("/")).mkdir()
        else:
            (folder / name).write_text(text)


@pytest.mark.parametrize("engine", sorted(SYNC_MARKERS))
def test_init_accepts_a_folder_holding_only_a_sync_engines_markers(tmp_path, engine):
    folder = tmp_path / "shared"
    _fill(folder, SYNC_MARKERS[engine])
    with pytest.raises(
        NotFound, match="wait until the store has arrived .*; to start a new store, `dacli init`"
    ):
        Store(folder)  # not "is not a dacli store": the folder counts as empty
    Store.create(folder, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=TEST_LOG_N)
    session = Store(folder).unlock(MANAGER, PASSPHRASE)
    assert session.store.case_refs() == []
    for name in SYNC_MARKERS[engine]:
        assert (folder / name.rstrip("/")).exists()  # left as they were


@pytest.mark.parametrize(
    "stranger", ["notes.txt", "stfolder", ".stfolder.bak", ".sync_2f1c.txt", "Desktop.ini.lnk", "old-cases/"]
)
def test_init_still_refuses_anything_beside_the_markers(tmp_path, stranger):
    folder = tmp_path / "shared"
    _fill(folder, {**SYNC_MARKERS["Syncthing"], **SYNC_MARKERS["Nextcloud"], stranger: "x"})
    with pytest.raises(StoreError, match="not empty"):
        Store.create(folder, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=TEST_LOG_N)
    assert not (folder / ".dacli").exists()
    with pytest.raises(NotFound, match="is not a dacli store"):
        Store(folder)


def test_policy_is_plain_toml_a_manager_can_edit(store):
    policy_file = store.meta / "policy.toml"
    text = policy_file.read_text()
    assert "visible_high_risk = 14" in text
    assert "years_from_last_contact = 6" in text
    policy_file.write_text(text.replace("interval_weeks = 8", "interval_weeks = 6"))
    assert Store(store.root).policy.review.interval_weeks == 6


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t + "\n[[[broken", "not valid TOML"),
        (lambda t: t.replace("years_from_last_contact = 6", "years_from_last_contact = 2"), "retention"),
        (lambda t: t.replace('action = "destroy"', 'action = "shred-now"'), "retention.action"),
        (lambda t: t + "\nsurprise = 1\n", "surprise"),
    ],
)
def test_bad_policy_is_refused_with_the_key_named(store, edit, message):
    policy_file = store.meta / "policy.toml"
    policy_file.write_text(edit(policy_file.read_text()))
    with pytest.raises(InvalidInput, match=message):
        _ = Store(store.root).policy


def test_read_only_store_gives_a_clear_error(session, case_ref, monkeypatch):
    """A store on a read-only mount: every write is refused in one sentence, nothing changes."""
    import errno

    real_open = os.open
    root = str(session.store.root)

    def read_only(path, flags, *args, **kwargs):
        if str(path).startswith(root) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    before = sorted(p.name for p in (session.store.root / case_ref).iterdir())
    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(StoreError, match="read-only"):
        session.write_record(case_ref, "test-1.toml.age", {"schema": "t/1", "case": case_ref})
    monkeypatch.undo()
    assert sorted(p.name for p in (session.store.root / case_ref).iterdir()) == before
    # the lock file can be opened (it exists) but no new file can be made: atomic_write's own error
    monkeypatch.setattr(
        os,
        "open",
        lambda path, flags, *a, **k: (
            read_only(path, flags, *a, **k)
            if os.path.basename(str(path)).startswith(".tmp-")
            else real_open(path, flags, *a, **k)
        ),
    )
    with pytest.raises(StoreError, match="read-only here: nothing was written to test-1"):
        session.write_record(case_ref, "test-1.toml.age", {"schema": "t/1", "case": case_ref})
    monkeypatch.undo()
    assert sorted(p.name for p in (session.store.root / case_ref).iterdir()) == before


def test_write_failure_leaves_old_record_and_no_temp(session, case_ref, monkeypatch):
    import errno

    from dacli.store import fsio

    before = (session.store.root / case_ref / "case.toml.age").read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsio.os, "fsync", full)
    with pytest.raises(StoreError, match="disk is full"):
        session.update_record(case_ref, "case.toml.age", lambda d: {**d, "worker": "someone"})
    monkeypatch.undo()
    assert (session.store.root / case_ref / "case.toml.age").read_bytes() == before
    assert not [p for p in (session.store.root / case_ref).iterdir() if p.name.startswith(".tmp-")]


def test_a_reference_with_a_trailing_newline_is_refused():
    with pytest.raises(InvalidInput):
        check_case_ref("DA-AAAAA-AAAAA\n")


def test_medium_band_must_make_sense(store):
    policy_file = store.meta / "policy.toml"
    policy_file.write_text(policy_file.read_text().replace("medium_band_min = 10", "medium_band_min = 15"))
    with pytest.raises(InvalidInput, match="medium_band_min"):
        _ = Store(store.root).policy


@pytest.mark.parametrize("failure", ["ENOSPC", "ctrl-c"])
def test_a_write_cut_off_half_way_leaves_the_old_record_and_no_temp(session, case_ref, monkeypatch, failure):
    """The disk fills (or the person presses Ctrl-C) after half of the new record is written."""
    import errno

    from dacli.store import fsio

    path = session.store.root / case_ref / "case.toml.age"
    before = path.read_bytes()
    real_write = os.write

    def half_then_fail(fd, data):
        real_write(fd, bytes(data[: max(1, len(data) // 2)]))
        if failure == "ENOSPC":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise KeyboardInterrupt

    monkeypatch.setattr(fsio.os, "write", half_then_fail)
    expected = StoreError if failure == "ENOSPC" else KeyboardInterrupt
    with pytest.raises(expected):
        session.update_record(case_ref, "case.toml.age", lambda d: {**d, "worker": "someone"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_two_processes_making_a_cases_reason_key_at_once_keep_one(store, case_ref, monkeypatch):
    """A person's reason key for a case is written once: a second process that made its own at the same
    moment uses the one that landed first, so no reason is encrypted to a key that was overwritten."""
    from pathlib import Path

    from dacli.services.admin import audit_entries
    from tests.conftest import MANAGER, PASSPHRASE

    first, second = store.unlock(MANAGER, PASSPHRASE), store.unlock(MANAGER, PASSPHRASE)
    key = first._reason_key(case_ref)
    real = Path.exists
    monkeypatch.setattr(Path, "exists", lambda p: False if p.name.startswith("reasons-e") else real(p))
    assert second._reason_key(case_ref) == key  # it made its own, found the name taken, read the first
    monkeypatch.undo()
    second.audit("disclosure", case=case_ref, reason="to PC Testcase: bail conditions")
    entry = [e for e in audit_entries(first) if e.get("action") == "disclosure"][-1]
    assert entry["reason"] == "to PC Testcase: bail conditions"
    assert len(list((store.root / case_ref).glob("reasons-e*.age"))) == 1
