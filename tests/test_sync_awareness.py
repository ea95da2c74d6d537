"""Sync awareness (issue 14): the conflict copies Syncthing, Dropbox, Nextcloud/ownCloud and OneDrive leave
beside a store's files are recognised, never read as the file they copy, checked under their original name
by `dacli sync status`, named by `case show` and noted by `audit verify`; `dacli init` writes Syncthing's
ignore file. Every person here is synthetic."""

from __future__ import annotations

import json
import shutil

import pytest

from dacli.store import sync
from dacli.store.store import Store
from tests.conftest import MANAGER, PASSPHRASE, TEST_LOG_N, add_phone_note

REC = "note-20261122T060000-8a8f5b.toml.age"
ST = "sync-conflict-20261202-101010-ABCDEFG"


# -- the names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "original", "engine"),
    [
        # Syncthing: before the LAST extension (lib/model/folder_sendrecv.go conflictName), at the end
        # without one, a copy of a copy traced back, and the old form with no device id
        (f"note-20261122T060000-8a8f5b.toml.{ST}.age", REC, sync.SYNCTHING),
        (f"keys.{ST}.age", "keys.age", sync.SYNCTHING),
        (f".{ST}.lock", ".lock", sync.SYNCTHING),
        (f"README.{ST}", "README", sync.SYNCTHING),
        (f"s-abc123def456-m1.{ST}.jsonl", "s-abc123def456-m1.jsonl", sync.SYNCTHING),
        (f"keys.{ST}.sync-conflict-20261203-090000-QRSTUV2.age", "keys.age", sync.SYNCTHING),
        ("keys.sync-conflict-20150102-030405.age", "keys.age", sync.SYNCTHING),
        # Dropbox: the person's conflicted copy, numbered variants, a typographic apostrophe, before the
        # first extension too
        (
            "note-x.toml (Quorra Testperson-Alpha's conflicted copy 2026-12-02).age",
            "note-x.toml.age",
            "Dropbox",
        ),
        ("keys (OFFICE-2's conflicted copy 2026-12-02) (1).age", "keys.age", sync.DROPBOX),
        ("keys (OFFICE-2's conflicted copy 2026-12-02 (2)).age", "keys.age", sync.DROPBOX),
        ("keys (Jo\u2019s conflicted copy 2026-12-02).age", "keys.age", sync.DROPBOX),
        ("note-x (Jo's conflicted copy 2026-12-02).toml.age", "note-x.toml.age", sync.DROPBOX),
        ("staff (Jo's conflicted copy 2026-12-02).toml", "staff.toml", sync.DROPBOX),
        # Nextcloud / ownCloud
        ("note-x.toml (conflicted copy 2026-12-02 101010).age", "note-x.toml.age", sync.NEXTCLOUD),
        ("staff (conflicted copy 2026-12-02 101010).toml", "staff.toml", sync.NEXTCLOUD),
        ("staff (conflicted copy jo 2026-12-02 101010).toml", "staff.toml", sync.NEXTCLOUD),
        ("staff_conflict-20261202-101010.toml", "staff.toml", sync.NEXTCLOUD),
    ],
)
def test_each_engines_conflict_copy_names_its_original(name, original, engine):
    assert sync.conflict_origin(name) == (original, engine)


@pytest.mark.parametrize(
    ("name", "kind_of", "original"),
    [
        ("note-20261122T060000-8a8f5b.toml-DESKTOP-AB12CD.age", sync.case_kind, REC),
        ("keys-LAPTOP7.age", sync.case_kind, "keys.age"),
        ("reasons-e0-s-abc123def456-m1-LAPTOP.age", sync.case_kind, "reasons-e0-s-abc123def456-m1.age"),
        ("staff-OFFICE2.toml", sync.meta_kind, "staff.toml"),
        ("store-keys-OFFICE2.age", sync.meta_kind, "store-keys.age"),
        ("retention.json-OFFICE2.age", sync.meta_kind, "retention.json.age"),
        ("tombstones-OFFICE2.jsonl", sync.meta_kind, "tombstones.jsonl"),
        ("s-abc123def456-m1-LAPTOP.jsonl", sync.audit_kind, "s-abc123def456-m1.jsonl"),
        ("retention-m1-LAPTOP.jsonl", sync.audit_kind, "retention-m1.jsonl"),
        ("s-abc123def456-OFFICE2.age", sync.identity_kind, "s-abc123def456.age"),
    ],
)
def test_a_onedrive_copy_is_a_name_dacli_writes_with_a_computer_name_appended(name, kind_of, original):
    assert sync.conflict_origin(name, kind_of) == (original, sync.ONEDRIVE)


@pytest.mark.parametrize(
    ("name", "kind_of"),
    [
        # names dacli writes itself are never copies
        (REC, sync.case_kind),
        ("hold-20261122T060000-8a8f5b.toml.age", sync.case_kind),
        ("keys.age", sync.case_kind),
        ("reasons-e0-s-abc123def456-m1.age", sync.case_kind),
        ("s-abc123def456-m1.jsonl", sync.audit_kind),
        ("retention-m1.jsonl", sync.audit_kind),
        ("store-keys.age", sync.meta_kind),
        # OneDrive: the name without the suffix is no name dacli writes, or the suffix is no computer name
        ("notes-LAPTOP.txt", sync.case_kind),
        ("keys-LAPTOP.toml", sync.case_kind),
        ("keys-MUCH-TOO-LONG-A-NAME.age", sync.case_kind),
        ("keys-LAP_TOP.age", sync.case_kind),
        ("policy-draft.txt", sync.meta_kind),
        # look alike, but not the engines' patterns
        ("keys.sync-conflict-2026-12-02-ABCDEFG.age", None),
        ("keys.sync-conflicts-20261202-101010-ABCDEFG.age", None),
        ("keys.sync-conflict-20261202-101010-abcdefg.age", None),
        ("keys.sync-conflict-20261202-101010-ABCDEFG.x.age", None),
        ("keys (conflicted copy).age", None),
        ("keys (Jo's conflicted copy 2026-12).age", None),
        ("keys (Jo's copy 2026-12-02).age", None),
        ("keys (conflicted copy 2026-12-02).age", None),
        ("keys (conflicted copy 2026-12-02 1010).age", None),
        ("keys conflicted copy 2026-12-02 101010.age", None),
        ("keys_conflict-2026-12-02.age", None),
        # a name that would put an escape sequence on a terminal is no engine's copy
        ("keys (Jo\x1b[2J's conflicted copy 2026-12-02).age", None),
        ("keys (conflicted copy Jo\nX 2026-12-02 101010).age", None),
    ],
)
def test_names_that_merely_look_alike_are_not_conflict_copies(name, kind_of):
    assert sync.conflict_origin(name, kind_of) is None


# -- a store with copies -----------------------------------------------------------------------------------


def _syncthing(name: str) -> str:
    dot = name.rfind(".")
    return f"{name[:dot]}.{ST}{name[dot:]}"


def _status(cli) -> tuple[int, dict]:
    result = cli("sync", "status", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_sync_status_is_quiet_without_copies(cli, case_ref):
    result = cli("sync", "status")
    assert result.exit_code == 0, result.output
    assert "No conflict copies." in result.stdout


@pytest.mark.parametrize(
    "copy_name",
    [
        _syncthing(REC.replace("note-20261122T060000-8a8f5b", "{stem}")),
        "{stem}.toml (Jo Testperson-Delta's conflicted copy 2026-12-02).age",
        "{stem} (Jo Testperson-Delta's conflicted copy 2026-12-02).toml.age",
        "{stem}.toml (conflicted copy 2026-12-02 101010).age",
        "{stem}.toml-DESKTOP-AB12CD.age",
    ],
)
def test_a_copy_identical_to_its_record_is_a_harmless_duplicate(
    cli, session, case_ref, store_path, copy_name
):
    name = add_phone_note(session, case_ref)
    folder = store_path / case_ref
    copy = copy_name.format(stem=name.removesuffix(".toml.age"))
    shutil.copy(folder / name, folder / copy)
    code, out = _status(cli)
    assert code == 0, out
    (found,) = out["conflict_copies"]
    assert found["file"] == f"{case_ref}/{copy}" and found["original"] == name and found["case"] == case_ref
    assert found["verifies"] is True and found["identical"] is True and found["to_look_at"] is False
    # never read as a record: the case stays whole and writable (a copy ending in .toml.age was listed as
    # a record before, and every write to the case stopped on it)
    assert (
        cli("note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "Hi.").exit_code
        == 0
    )
    assert cli("audit", "verify").exit_code == 0


def test_a_copy_that_differs_is_listed_and_the_status_exits_11(cli, session, case_ref, store_path):
    """Two different records saved under one name (as an in-place rewrite does on two computers): the
    losing version is a conflict copy that verifies under the original name and differs from it."""
    first = add_phone_note(session, case_ref, "First version of the note.")
    folder = store_path / case_ref
    kept = (folder / first).read_bytes()
    (folder / first).unlink()
    second = add_phone_note(session, case_ref, "Second version of the note.")
    (folder / _syncthing(first)).write_bytes(kept)
    (folder / second).rename(folder / first)  # not signed for this name: the copy is checked against it
    code, out = _status(cli)
    assert code == 11
    (found,) = out["conflict_copies"]
    assert found["verifies"] is True and found["identical"] is False
    text = cli("sync", "status")
    assert text.exit_code == 11 and "DIFFERS" in text.stdout and "1 to look at" in text.stdout


def test_a_copy_of_another_records_file_does_not_verify(cli, session, case_ref, store_path):
    """A record renamed to look like a conflict copy of another one is checked for the name it claims."""
    one = add_phone_note(session, case_ref, "One.")
    other = add_phone_note(session, case_ref, "Other.")
    folder = store_path / case_ref
    shutil.copy(folder / one, folder / _syncthing(other))
    code, out = _status(cli)
    assert code == 11
    (found,) = out["conflict_copies"]
    assert found["original"] == other and found["verifies"] is False and found["problem"]
    text = cli("sync", "status").stdout
    assert "DOES NOT VERIFY" in text


def test_a_forged_copy_does_not_verify(cli, session, case_ref, store_path):
    name = add_phone_note(session, case_ref)
    folder = store_path / case_ref
    (folder / _syncthing(name)).write_bytes(b"age-encryption.org/v1\nnot really\n")
    shutil.copy(folder / name, folder / "keys (Jo's conflicted copy 2026-12-02).age")  # not a key ring
    code, out = _status(cli)
    assert code == 11
    found = {c["original"]: c for c in out["conflict_copies"]}
    assert found[name]["verifies"] is False and found["keys.age"]["verifies"] is False
    assert "does not open with your key" in found["keys.age"]["problem"]


def test_a_copy_whose_original_is_gone_is_the_only_one(cli, session, case_ref, store_path):
    name = add_phone_note(session, case_ref)
    folder = store_path / case_ref
    (folder / name).rename(folder / _syncthing(name))
    code, out = _status(cli)
    assert code == 11
    (found,) = out["conflict_copies"]
    assert found["verifies"] is True and found["identical"] is False and "only one" in found["note"]


def test_copies_of_the_key_ring_the_store_files_and_a_reason_key(cli, session, case_ref, store_path):
    folder, meta = store_path / case_ref, store_path / ".dacli"
    session.audit("case-read", case=case_ref, reason="A reason typed about the case.")
    (reason,) = [p.name for p in folder.glob("reasons-e*.age")]
    shutil.copy(folder / "keys.age", folder / _syncthing("keys.age"))
    shutil.copy(folder / reason, folder / _syncthing(reason))
    for name in ("staff.toml", "store.toml", "policy.toml", "store-keys.age"):
        shutil.copy(meta / name, meta / _syncthing(name))
    shutil.copy(meta / "staff.toml", meta / "staff-OFFICE2.toml")
    code, out = _status(cli)
    assert code == 0, out
    found = {c["file"]: c for c in out["conflict_copies"]}
    assert len(found) == 7
    assert all(c["verifies"] is True and c["identical"] is True for c in found.values())
    assert found[".dacli/staff-OFFICE2.toml"]["engine"] == "OneDrive"
    # a reason key's copy is never read as a reason key: reasons still open, the audit trail is whole
    assert cli("audit", "verify").exit_code == 0
    assert "A reason typed about the case." in cli("audit", "show", "--case", case_ref).stdout


def test_a_store_file_copy_that_differs_or_is_unsigned(cli, session, store_path):
    meta = store_path / ".dacli"
    policy = (meta / "policy.toml").read_bytes()
    (meta / "policy (Jo's conflicted copy 2026-12-02).toml").write_bytes(policy.replace(b"= 14", b"= 12"))
    code, out = _status(cli)
    assert code == 11
    (found,) = out["conflict_copies"]
    assert found["original"] == "policy.toml" and found["verifies"] is False


def test_legacy_derived_files_are_named_safe_to_delete(cli, store_path):
    meta = store_path / ".dacli"
    (meta / "index.json.age").write_bytes(b"old")
    (meta / "anchors.json.age").write_bytes(b"old")
    (meta / _syncthing("index.json.age")).write_bytes(b"older")
    code, out = _status(cli)
    assert code == 0
    assert [f["file"] for f in out["legacy_files"]] == [".dacli/index.json.age", ".dacli/anchors.json.age"]
    (found,) = out["conflict_copies"]
    assert found["to_look_at"] is False and "safe to delete" in found["note"]
    text = cli("sync", "status").stdout
    assert ".dacli/index.json.age: derived, no longer used: safe to delete" in text
    assert (meta / "index.json.age").exists()  # nothing is deleted


def test_case_show_names_its_conflict_copies(cli, session, case_ref, store_path):
    name = add_phone_note(session, case_ref)
    folder = store_path / case_ref
    shutil.copy(folder / name, folder / _syncthing(name))
    shutil.copy(folder / "keys.age", folder / "keys (Jo's conflicted copy 2026-12-02).age")
    text = cli("case", "show", case_ref)
    assert text.exit_code == 0
    assert "2 conflict copies from a sync engine" in text.stdout and "dacli sync status" in text.stdout
    data = json.loads(cli("case", "show", case_ref, "--json").stdout)
    assert {c["original"] for c in data["conflict_copies"]} == {name, "keys.age"}


# -- the audit logs ---------------------------------------------------------------------------------------


def _own_log(store_path):
    (log,) = [p for p in (store_path / ".dacli" / "audit").glob("s-*.jsonl")]
    return log


@pytest.mark.parametrize(
    "copy_of", [_syncthing, lambda n: n.replace(".jsonl", " (Jo's conflicted copy 2026-12-02).jsonl")]
)
def test_a_conflict_copy_of_an_audit_log_is_not_a_log_and_not_tampering(cli, store_path, copy_of):
    """`*.jsonl` matched a Syncthing copy of `s-x-m.jsonl`: it was verified and anchored as a log of its
    own, its entries were shown twice, and once the copy was deleted `audit verify` called the store
    tampered with ('is missing, but this computer saw N entries in it')."""
    log = _own_log(store_path)
    copy = log.with_name(copy_of(log.name))
    shutil.copy(log, copy)
    assert cli("case", "list").exit_code == 0  # anchors every log it sees
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 0, result.stdout
    out = json.loads(result.stdout)
    assert [r["log"] for r in out["logs"]] == [log.name]
    assert out["conflict_copies"][0]["original"] == log.name
    text = cli("audit", "verify").stdout
    assert "conflict copy" in text and "not tampering" in text and "Audit trail intact." in text
    shown = json.loads(cli("audit", "show", "--json").stdout)
    assert not [e for e in shown if e.get("log") == copy.name]
    copy.unlink()
    assert cli("audit", "verify").exit_code == 0
    # the copy held nothing the log lacks: harmless
    shutil.copy(log, copy)
    code, status = _status(cli)
    assert code == 0 and status["conflict_copies"][0]["identical"] is True


def test_deleting_an_audit_logs_conflict_copy_is_not_tampering(cli, store_path):
    """The copy was anchored as a log of its own: deleted (as `dacli sync status` says it may be), `audit
    verify` exited 6, 'is missing, but this computer saw 1 entries in it'."""
    log = _own_log(store_path)
    copy = log.with_name(_syncthing(log.name))
    shutil.copy(log, copy)
    assert cli("case", "list").exit_code == 0
    copy.unlink()
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.stdout
    assert "is missing" not in result.stdout


def test_an_audit_log_copy_with_entries_the_log_lacks_differs(cli, store_path):
    log = _own_log(store_path)
    copy = log.with_name(_syncthing(log.name))
    shutil.copy(log, copy)
    with open(copy, "ab") as f:
        f.write(b'{"seq": 99}\n')
    code, out = _status(cli)
    assert code == 11
    (found,) = out["conflict_copies"]
    assert found["identical"] is False and found["verifies"] is False


def test_a_copy_of_a_hold_end_is_not_a_second_end(tmp_path):
    """The sweep's folder check counted every name starting `holdend-`: a conflict copy of one hold's end
    made two holds look ended, and the sweep could destroy a case under a hold still in force."""
    from dacli.store.retention import folder_says_keep

    folder = tmp_path / "DA-00000-00000"
    folder.mkdir()
    names = [
        "case.toml.age",
        "closure-20261101T100000-aaaaaa.toml.age",
        "hold-20261102T100000-bbbbbb.toml.age",
        "hold-20261103T100000-cccccc.toml.age",
        "holdend-20261104T100000-dddddd.toml.age",
        _syncthing("holdend-20261104T100000-dddddd.toml.age"),
    ]
    for n in names:
        (folder / n).write_bytes(b"x")
    assert folder_says_keep(folder) == "its folder shows a hold in force"


# -- ignore files -----------------------------------------------------------------------------------------


def test_init_in_a_syncthing_folder_writes_its_ignore_file(tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    (root / ".stfolder").mkdir()
    (root / ".stignore").write_text("// the office's own\n*.bak\n.lock")  # no newline at its end
    Store.create(root, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=TEST_LOG_N)
    lines = (root / ".stignore").read_text().splitlines()
    assert lines[:3] == ["// the office's own", "*.bak", ".lock"]
    assert "(?d)*.lock" in lines and "(?d).tmp-*" in lines
    assert "(?d).lock" not in lines  # there already: never twice
    assert sync.ignore_files_missing(root) == []
    before = (root / ".stignore").read_bytes()
    assert sync.write_ignore_files(root) == [] and (root / ".stignore").read_bytes() == before


def test_init_elsewhere_writes_no_ignore_file(tmp_path):
    root = tmp_path / "plain"
    Store.create(root, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=TEST_LOG_N)
    assert not (root / ".stignore").exists() and not (root / ".sync-exclude.lst").exists()


def test_sync_status_says_when_a_syncthing_folder_lacks_the_ignore_lines(cli, store_path):
    (store_path / ".stfolder").mkdir()
    result = cli("sync", "status")
    assert result.exit_code == 0
    lacks = "Syncthing: .stignore lacks (?d).lock, (?d)*.lock, (?d).tmp-*: run `dacli sync ignore`"
    assert lacks in result.stdout
    assert json.loads(cli("sync", "status", "--json").stdout)["ignore_files"][0]["file"] == ".stignore"
    assert cli("sync", "ignore").stdout == "Added dacli's locks and temp files to .stignore.\n"
    assert "lacks" not in cli("sync", "status").stdout
    before = (store_path / ".stignore").read_bytes()
    assert cli("sync", "ignore").stdout.startswith("Nothing to add")
    assert (store_path / ".stignore").read_bytes() == before


def test_copies_of_the_tombstones_and_an_identity_file(cli, store_path):
    meta = store_path / ".dacli"
    line = b'{"ref": "DA-00000-00000"}\n'
    (meta / "tombstones.jsonl").write_bytes(line)
    (meta / _syncthing("tombstones.jsonl")).write_bytes(line)
    (identity,) = (meta / "identities").glob("s-*.age")
    shutil.copy(identity, identity.with_name(identity.stem + "-OFFICE2.age"))
    code, out = _status(cli)
    assert code == 0, out
    found = {c["kind"]: c for c in out["conflict_copies"]}
    assert found["tombstone register"]["identical"] is True
    assert found["identity"]["identical"] is True and found["identity"]["verifies"] is None
    # a tombstone the current register lacks: a purge it does not record
    (meta / _syncthing("tombstones.jsonl")).write_bytes(line + b'{"ref": "DA-11111-11111"}\n')
    code, out = _status(cli)
    assert code == 11
    assert {c["kind"]: c for c in out["conflict_copies"]}["tombstone register"]["identical"] is False


def test_a_copy_named_before_toml_age_is_not_read_as_a_record(cli, session, case_ref, store_path):
    """A copy named `note-x-LAPTOP1.toml.age` passes as a record's name; read as one it would fail its
    signature (made for `note-x.toml.age`) and the whole case would look tampered."""
    name = add_phone_note(session, case_ref)
    folder = store_path / case_ref
    copy = name.replace(".toml.age", "-LAPTOP1.toml.age")
    shutil.copy(folder / name, folder / copy)
    assert sync.doubled_records([name, copy, "case.toml.age"]) == {copy: name}
    show = cli("case", "show", case_ref)
    assert show.exit_code == 0, show.stdout
    assert cli("audit", "verify").exit_code == 0
    code, out = _status(cli)
    assert code == 0, out
    (found,) = out["conflict_copies"]
    assert (found["original"], found["engine"]) == (name, "OneDrive")
    assert found["verifies"] is True and found["identical"] is True
    # one that differs is one to look at, and still never read as a record
    (folder / copy).write_bytes(b"age-encryption.org/v1\nnot really\n")
    assert cli("case", "show", case_ref).exit_code == 0
    code, out = _status(cli)
    assert code == 11 and out["conflict_copies"][0]["verifies"] is False


def test_names_dacli_writes_are_never_taken_for_doubled_records():
    names = ["case.toml.age", "intake-1.toml.age", REC, "note-20261122T060000-8a8f5c.toml.age"]
    assert sync.doubled_records(names) == {}
