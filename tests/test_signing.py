"""Signed records, key rings, index and staff list: forgery by anyone who can write the folder fails.

The attacker in these tests can read and write every file of the store (a shared drive, a backup, an admin)
and knows every public key in it, but holds no passphrase. They can encrypt to any public key; what they
cannot do is sign as a member of staff.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib

import pytest

from dacli import clock
from dacli.errors import DacliError, IntegrityError
from dacli.store import crypto, signing
from dacli.store.documents import encode_document
from dacli.store.keys import KeyRing
from dacli.store.store import Store
from tests.conftest import first_intake, identities_as_an_older_dacli_made_them

from .conftest import MANAGER, PASSPHRASE


def _fresh(session):
    return Store(session.store.root).unlock(MANAGER, PASSPHRASE)


def _case_public(session, ref):
    return session.case_ring(ref).current.public


def _plain(session, ref, name) -> bytes:
    sealed = (session.store.root / ref / name).read_bytes()
    return crypto.decrypt(sealed, session.case_ring(ref).identities, name)


def test_a_record_names_its_author_and_stays_plain_toml(session, case_ref):
    plain = _plain(session, case_ref, first_intake(session.store.root / case_ref))
    assert plain.splitlines()[-1].startswith(f"# dacli-signed: {session.member.id} ".encode())
    doc = tomllib.loads(plain.decode())  # the signature is a TOML comment: any reader still works
    assert doc["case"] == case_ref


def test_an_unsigned_record_encrypted_to_the_case_key_is_refused(session, case_ref):
    doc = session.read_record(case_ref, first_intake(session.store.root / case_ref))
    doc["client"]["name"] = "Forged Testperson"
    sealed = crypto.encrypt(encode_document(doc), [_case_public(session, case_ref)])
    (session.store.root / case_ref / "intake-2.toml.age").write_bytes(sealed)
    with pytest.raises(IntegrityError, match="not signed by any member of staff"):
        _fresh(session).read_record(case_ref, "intake-2.toml.age")


@pytest.mark.parametrize("who", ["staff id, own key", "unknown id"])
def test_a_record_signed_with_someone_elses_key_is_refused(session, case_ref, who):
    seed, _ = signing.generate()
    author = session.member.id if who == "staff id, own key" else "s-000000000000"
    forger = signing.Signer(author, seed)
    body = encode_document(session.read_record(case_ref, first_intake(session.store.root / case_ref)))
    context = session._context("record", case_ref, "intake-2.toml.age")
    sealed = crypto.encrypt(forger.seal(context, body), [_case_public(session, case_ref)])
    (session.store.root / case_ref / "intake-2.toml.age").write_bytes(sealed)
    message = "does not match its signature" if who == "staff id, own key" else "not on the staff list"
    with pytest.raises(IntegrityError, match=message):
        _fresh(session).read_record(case_ref, "intake-2.toml.age")


def test_a_record_changed_after_signing_is_refused(session, case_ref):
    plain = _plain(session, case_ref, first_intake(session.store.root / case_ref))
    changed = plain.replace(b"Quorra", b"Qworra")
    assert changed != plain
    sealed = crypto.encrypt(changed, [_case_public(session, case_ref)])
    (session.store.root / case_ref / first_intake(session.store.root / case_ref)).write_bytes(sealed)
    with pytest.raises(IntegrityError, match="does not match its signature"):
        _fresh(session).read_record(case_ref, first_intake(session.store.root / case_ref))


def test_a_signed_record_renamed_is_refused(session, case_ref):
    folder = session.store.root / case_ref
    (folder / first_intake(folder)).rename(folder / "intake-7.toml.age")
    with pytest.raises(IntegrityError, match="copied or moved"):
        _fresh(session).read_record(case_ref, "intake-7.toml.age")


def test_a_key_ring_swapped_for_one_the_attacker_made_is_refused(session, case_ref):
    """Otherwise staff would go on writing new records to a key the attacker holds."""
    ring = KeyRing.new(f"case {case_ref}", 0)
    staff = session.staff()
    path = session.store.root / case_ref / "keys.age"
    path.write_bytes(crypto.encrypt(ring.dump(), [m.recipient for m in staff.active()]))
    fresh = _fresh(session)
    with pytest.raises(IntegrityError, match="not signed"):
        fresh.read_record(case_ref, first_intake(session.store.root / case_ref))
    with pytest.raises(IntegrityError, match="not signed"):
        fresh.write_record(case_ref, "note-x.toml.age", {"schema": "t/1", "case": case_ref})
    assert not (session.store.root / case_ref / "note-x.toml.age").exists()


def _local_index(session):
    from tests.conftest import local_index_files

    session.read_index()
    (path,) = local_index_files(session.store.root)
    return path


def test_an_unsigned_index_hiding_a_case_is_not_believed(session, case_ref):
    """The index is a cache on this computer, encrypted to its owner: one not signed by them (anyone can
    encrypt to a public key) is not believed, and is built again from the records."""
    index = b'{"schema": "caseload-index/4", "cases": {}, "stamps": {}, "unreadable": {}}'
    _local_index(session).write_bytes(crypto.encrypt(index, [session.identity.public]))
    assert list(_fresh(session).read_index()["cases"]) == [case_ref]


def _edit_staff(session, change) -> None:
    """Edit the staff list by hand where it is: the snapshot `staff.toml` and every staff change."""
    for path in [session.store.meta / "staff.toml", *sorted((session.store.meta / "staff").glob("*.toml"))]:
        text = path.read_text()
        path.write_text(change(text))


def _as_snapshot(session) -> None:
    """The staff list as one signed snapshot with no staff changes beside it (a store from before staff
    changes were events): the attacks on the snapshot below stay what they were."""
    import shutil

    from dacli.store.documents import dump_plain_toml, signed_context

    staff = _fresh(session).staff()
    sid = session.store.settings.store_id
    text = session.signer.seal(signed_context("staff", sid), dump_plain_toml(staff))
    (session.store.meta / "staff.toml").write_bytes(text)
    shutil.rmtree(session.store.meta / "staff", ignore_errors=True)
    # and the identity files as the dacli of that format made them (no pin of the snapshot)
    identities_as_an_older_dacli_made_them(session.store.root, (PASSPHRASE, "another pass phrase"))


def test_a_role_raised_by_hand_in_the_staff_list_is_refused(session):
    from dacli.services.admin import add_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    _edit_staff(session, lambda t: t.replace('role = "caseworker"', 'role = "manager"'))
    # the change that added them, edited by hand, is not believed: they are no manager (nor anyone), and it
    # is named; the rest of the staff work on
    fresh = _fresh(session)
    assert fresh.staff().by_username("cw") is None
    assert any("changed outside dacli" in n for n in fresh.staff_notes())
    with pytest.raises(DacliError):
        Store(session.store.root).unlock("cw", "another pass phrase")


def _rogue_manager(added, added_by: str | None = None) -> tuple[str, dict]:
    """A staff entry the attacker invents for themselves (certificate still to sign), and its signing seed."""
    seed, public = signing.generate()
    entry = {
        "id": "s-0123456789ab",
        "username": "rogue",
        "role": "manager",
        "recipient": crypto.Identity.generate().public,
        "signing_key": public,
        "certificate": "",
        "added": added,
    }
    if added_by:
        entry["added_by"] = added_by
    return seed, entry


def test_a_manager_added_by_hand_and_signed_with_their_own_key_is_refused(session):
    """The forger adds themselves as a manager, certifies themselves and signs the whole list: the chain
    does not lead back to the founding manager whose key each identity file holds."""
    import tomli_w

    path = session.store.meta / "staff.toml"
    body, _, _ = signing.split(path.read_bytes(), "staff")
    data = tomllib.loads(body.decode())
    seed, rogue = _rogue_manager(data["staff"][0]["added"])
    data["staff"].append(rogue)
    forger = signing.Signer(rogue["id"], seed)
    from dacli.schemas.store import StaffMember
    from dacli.store.documents import certificate_context, signed_context

    sid = session.store.settings.store_id
    rogue["certificate"] = forger.sign(certificate_context(sid, StaffMember.model_validate(rogue)))
    new_body = tomli_w.dumps(data).encode()
    path.write_bytes(forger.seal(signed_context("staff", sid), new_body))
    with pytest.raises(IntegrityError, match="staff list"):
        _fresh(session)
    # made the founder of a new chain instead: their key is not the one the identity files trust
    data["staff"][-1].pop("added_by", None)
    for m in data["staff"][:-1]:
        m["added_by"] = rogue["id"]
    path.write_bytes(forger.seal(signed_context("staff", sid), tomli_w.dumps(data).encode()))
    with pytest.raises(IntegrityError, match="staff list"):
        _fresh(session)


def test_a_key_file_signed_by_someone_who_has_left_is_not_believed(session, case_ref):
    """A leaver still holds their signing key: a key file they make after their removal (a key of their
    choosing, wrapped to the staff, so that new records would be written to it) is not believed: nothing new
    is written to it (its author holds it), the case still reads for everyone (one planted file takes no case
    away), and `audit verify` names it."""
    from dacli.services.admin import add_user, remove_user, verify_audit
    from dacli.store.layout import key_file_name

    add_user(session, "cw", "caseworker", "another pass phrase")
    leaver = Store(session.store.root).unlock("cw", "another pass phrase")
    old_ring = leaver.case_ring(case_ref)
    remove_user(session, "cw", "left the service")
    staff = session.staff()
    planted = KeyRing.new(old_ring.scope)
    folder = session.store.root / case_ref
    path = folder / key_file_name(False, clock.now())
    leaver._save_ring(path, planted, staff)  # made now, after their removal
    fresh = _fresh(session)
    assert fresh.read_record(case_ref, first_intake(folder))["case"] == case_ref
    named = verify_audit(fresh.store, fresh).files
    assert any("made by cw after their removal: not believed" in p for p in named)
    fresh.write_record(case_ref, "note-after.toml.age", {"schema": "t/1", "case": case_ref})
    sealed = (folder / "note-after.toml.age").read_bytes()
    for keys in (old_ring.identities, planted.identities):
        with pytest.raises(IntegrityError):
            crypto.decrypt(sealed, keys, "note")


def test_records_by_someone_who_has_left_still_read(session, case_ref):
    from dacli.services.admin import add_user, remove_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    leaver = Store(session.store.root).unlock("cw", "another pass phrase")
    leaver.write_record(case_ref, "note-by-cw.toml.age", {"schema": "t/1", "case": case_ref, "n": 1})
    remove_user(session, "cw", "left the service")
    assert _fresh(session).read_record(case_ref, "note-by-cw.toml.age")["n"] == 1


def test_audit_verify_reports_a_record_and_a_staff_list_changed_by_hand(session, case_ref, cli):
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "signed files:" in result.output and "ok" in result.output
    plain = _plain(session, case_ref, first_intake(session.store.root / case_ref))
    sealed = crypto.encrypt(plain.replace(b"Quorra", b"Qworra"), [_case_public(session, case_ref)])
    (session.store.root / case_ref / first_intake(session.store.root / case_ref)).write_bytes(sealed)
    result = cli("audit", "verify")
    assert result.exit_code == 6
    name = first_intake(session.store.root / case_ref)
    assert f"{case_ref}/{name} does not match its signature" in result.output
    _edit_staff(session, lambda t: t.replace('role = "manager"', 'role = "senior"', 1))
    for args in (("audit", "verify"), ("audit", "verify", "--no-unlock")):
        result = cli(*args)
        assert result.exit_code == 6, result.output
        assert "The staff list" in result.output
        assert "Traceback" not in result.output


def test_records_decrypt_with_the_age_binary_and_stay_valid_toml(session, case_ref, tmp_path):
    import shutil
    import subprocess

    if shutil.which("age") is None:
        pytest.skip("the age binary is not installed (CI installs it)")
    ring = tmp_path / "ring.txt"
    ring.write_bytes(
        crypto.decrypt((session.store.root / case_ref / "keys.age").read_bytes(), [session.identity], "ring")
    )
    out = subprocess.run(
        [
            "age",
            "-d",
            "-i",
            str(ring),
            str(session.store.root / case_ref / first_intake(session.store.root / case_ref)),
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert tomllib.loads(out.decode())["case"] == case_ref


def test_an_index_signed_by_anyone_else_hiding_a_case_is_not_believed(session, case_ref):
    """A colleague, or a leaver, signs an index hiding a case and puts it where this person's index is: it
    is not theirs, so it is built again from the records (a stamp it claims for the folder does not help)."""
    import json

    from dacli.services.admin import add_user, remove_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    other = Store(session.store.root).unlock("cw", "another pass phrase")
    os.utime(session.store.root / case_ref, (1_700_000_000, 1_700_000_000))  # settled: its stamp is kept
    path = _local_index(session)
    stamps = json.loads(crypto.decrypt(path.read_bytes(), [session.identity], "i").split(b"\n", 1)[0])
    assert stamps["stamps"][case_ref]
    forged = json.dumps({"schema": "caseload-index/4", "cases": {}, "stamps": stamps.get("stamps", {}),
                         "unreadable": {}}).encode()  # fmt: skip
    path.write_bytes(crypto.encrypt(other._signed("index", forged), [session.identity.public]))
    assert list(_fresh(session).read_index()["cases"]) == [case_ref]
    remove_user(session, "cw", "left the service")
    path.write_bytes(crypto.encrypt(other._signed("index", forged), [session.identity.public]))
    assert list(_fresh(session).read_index()["cases"]) == [case_ref]


def _staff_doc(session) -> dict:
    body, _, _ = signing.split((session.store.meta / "staff.toml").read_bytes(), "staff")
    return tomllib.loads(body.decode())


def _write_staff(session, doc: dict, signer) -> None:
    import tomli_w

    from dacli.store.documents import signed_context

    body = tomli_w.dumps(doc).encode()
    sid = session.store.settings.store_id
    (session.store.meta / "staff.toml").write_bytes(signer.seal(signed_context("staff", sid), body))


def test_a_staff_list_put_back_from_before_a_removal_is_refused(session, case_ref, monkeypatch, tmp_path):
    """An older, genuinely signed staff list (a backup, git history) would make the leaver current again."""
    from dacli.services.admin import add_user, remove_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    events = session.store.meta / "staff"
    before = set(events.iterdir())
    remove_user(session, "cw", "left the service")
    (removal,) = set(events.iterdir()) - before
    removal.unlink()  # the copy put back: the staff changes as they were before the removal
    with pytest.raises(IntegrityError, match="older than one this computer has already seen"):
        _fresh(session)
    # a computer that never saw the store before: the re-key's key files name the removal; meanwhile (the
    # removal may still be on its way from another office) no key the leaver holds is written to
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "new-laptop"))
    laptop = _fresh(session)
    cw_id = laptop.store.member("cw").id
    ring = laptop.case_ring(case_ref)
    assert ring.gone == {cw_id} and ring.fits and cw_id not in ring.keys[0].holders
    assert any(cw_id in k.holders for k in ring.keys)  # the key they held is there, not written to
    # and once longer than the arrival grace has passed, it is called what it is, a list put back, by name;
    # the case still reads, and still nothing is written to a key the leaver holds
    from dacli.services.admin import verify_audit

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "another-laptop"))
    with clock.pinned(clock.now() + dt.timedelta(days=2)):
        other = _fresh(session)
        assert other.read_record(case_ref, first_intake(session.store.root / case_ref))["case"] == case_ref
        assert other.case_ring(case_ref).gone == {cw_id}
        named = verify_audit(other.store, other).files
        assert any("names cw as removed" in p and "put back from an older copy" in p for p in named)


def test_a_removed_manager_cannot_reinstate_themselves_or_vouch_for_anyone(session):
    """They still hold a signing key whose certificate is genuine, and sign a list of their own."""
    from dacli.services.admin import add_user, remove_user
    from dacli.store.documents import certificate_context

    add_user(session, "mgr2", "manager", "another pass phrase")
    leaver = Store(session.store.root).unlock("mgr2", "another pass phrase")
    remove_user(session, "mgr2", "left the service")
    _as_snapshot(session)
    genuine = (session.store.meta / "staff.toml").read_bytes()
    doc = _staff_doc(session)
    for m in doc["staff"]:
        if m["username"] == "mgr2":
            for key in ("removed", "removed_by", "removed_epoch"):
                m.pop(key, None)
    _write_staff(session, doc, leaver.signer)
    with pytest.raises(IntegrityError, match="seen them removed"):
        _fresh(session)
    # or leaves themselves removed and certifies a new manager, who signs the list
    from dacli.schemas.store import StaffMember

    (session.store.meta / "staff.toml").write_bytes(genuine)
    doc = _staff_doc(session)
    seed, rogue = _rogue_manager(doc["staff"][0]["added"], added_by=leaver.member.id)
    sid = session.store.settings.store_id
    rogue["certificate"] = leaver.signer.sign(certificate_context(sid, StaffMember.model_validate(rogue)))
    doc["staff"].append(rogue)
    _write_staff(session, doc, signing.Signer(rogue["id"], seed))
    with pytest.raises(IntegrityError, match="who has left"):
        _fresh(session)


def test_store_settings_are_changed_by_command_and_a_hand_edit_is_refused(session, cli):
    """store.toml names the retention key the register is encrypted to, and the scrypt cost: an edit by
    hand (to send the register to someone else, or to weaken new passphrases) stops every unlock."""
    result = cli("settings", "set", "passphrase_log_n", "11")
    assert result.exit_code == 0, result.output
    assert _fresh(session).store.settings.security.passphrase_log_n == 11
    assert cli("settings", "set", "passphrase_log_n", "5").exit_code == 2  # below the floor
    assert cli("settings", "set", "colour", "red").exit_code == 2
    path = session.store.meta / "store.toml"
    path.write_text(path.read_text().replace("passphrase_log_n = 11", "passphrase_log_n = 10"))
    with pytest.raises(IntegrityError, match="store settings"):
        _fresh(session)
    result = cli("case", "list")
    assert result.exit_code != 0 and "store settings" in result.output and "Traceback" not in result.output


def test_a_caseworker_who_raises_their_own_role_and_signs_the_list_is_refused(session):
    """An insider holds a signing key: they can sign the list, but not re-certify their own entry."""
    from dacli.services.admin import add_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    _as_snapshot(session)
    cw = Store(session.store.root).unlock("cw", "another pass phrase")
    path = session.store.meta / "staff.toml"
    body, _, _ = signing.split(path.read_bytes(), "staff")
    raised = body.replace(b'role = "caseworker"', b'role = "manager"')
    assert raised != body
    path.write_bytes(cw._signed("staff", raised))
    with pytest.raises(IntegrityError, match="does not match its certificate"):
        _fresh(session)


def test_a_signature_line_with_escape_codes_is_refused_without_echoing_them(session, case_ref):
    plain = _plain(session, case_ref, first_intake(session.store.root / case_ref))
    body = plain[: plain.rindex(b"# dacli-signed: ")]
    forged = body + b"# dacli-signed: \x1b[8m\x1b]0;x\x07 AAAA\n"
    sealed = crypto.encrypt(forged, [_case_public(session, case_ref)])
    (session.store.root / case_ref / first_intake(session.store.root / case_ref)).write_bytes(sealed)
    with pytest.raises(IntegrityError, match="damaged signature line") as caught:
        _fresh(session).read_record(case_ref, first_intake(session.store.root / case_ref))
    assert "\x1b" not in caught.value.message
    assert "\x1b" not in IntegrityError("a \x1b[2J b").message


def test_audit_entries_are_signed_and_a_fabricated_log_is_reported(session, case_ref, cli):
    """A log written by hand for a real member of staff ('exported this case to USB') keeps a valid hash
    chain, but it cannot carry their signature."""
    import json

    from dacli.store import audit as auditlog

    path = session.store.audit_dir() / f"{session.member.id}-invented.jsonl"
    auditlog.append(
        path, staff=session.member.id, user=session.member.username, machine="invented",
        action="identity-export", case=case_ref,
    )  # fmt: skip
    entry = json.loads(path.read_text())
    assert "sig" not in entry
    result = cli("audit", "verify")
    assert result.exit_code == 6
    assert f"is not signed by {session.member.username}" in result.output
    path.unlink()
    # genuine entries carry a signature, and verify passes again
    real = next(session.store.audit_dir().glob(f"{session.member.id}-*.jsonl"))
    assert all("sig" in json.loads(line) for line in real.read_text().splitlines())
    assert cli("audit", "verify").exit_code == 0


def test_audit_verify_reports_a_record_deleted_outside_dacli(session, case_ref, cli):
    from dacli.services.retention import add_hold

    add_hold(session, case_ref, "domestic homicide review")
    assert cli("audit", "verify").exit_code == 0
    hold = next((session.store.root / case_ref).glob("hold-*.toml.age"))
    hold.unlink()
    result = cli("audit", "verify")
    assert result.exit_code == 6
    assert f"{case_ref}/{hold.name} is gone" in result.output


def test_a_policy_edited_by_hand_stops_until_a_manager_accepts_it(session, case_ref, cli, run_dacli):
    """policy.toml is for a manager to edit by hand; its thresholds decide who is high risk and its dates
    what is destroyed, so an edit counts only once a manager accepts it."""
    from dacli.services.admin import add_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    path = session.store.meta / "policy.toml"
    path.write_text(path.read_text().replace("visible_high_risk = 14", "visible_high_risk = 24"))
    result = cli("case", "list")
    assert result.exit_code == 6 and "dacli policy accept" in result.output
    cw = {"DACLI_USER": "cw", "DACLI_PASSPHRASE": "another pass phrase"}
    assert cli("policy", "accept", extra_env=cw).exit_code == 4  # managers only
    result = run_dacli("policy", "accept")  # a real process, as a manager would run it
    assert result.returncode == 0, result.stderr
    assert "visible high risk at 24" in result.stdout
    assert cli("case", "list").exit_code == 0
    assert _fresh(session).store.policy.dash.visible_high_risk == 24
    entries = cli("audit", "show", "--json")
    assert "policy-accept" in entries.output


def test_user_list_refuses_a_staff_list_edited_by_hand(session, cli):
    assert cli("user", "list").exit_code == 0
    _edit_staff(session, lambda t: t.replace('role = "manager"', 'role = "senior"', 1))
    result = cli("user", "list")
    assert result.exit_code == 6 and "The staff list" in result.output


def test_store_settings_signed_by_a_caseworker_are_refused(session):
    """An insider holds a signing key, but store.toml and policy.toml count only as a manager signed them."""
    from dacli.services.admin import add_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    cw = Store(session.store.root).unlock("cw", "another pass phrase")
    path = session.store.meta / "store.toml"
    body = signing.split(path.read_bytes(), "settings")[0]
    path.write_bytes(cw._signed("settings", body.replace(b"passphrase_log_n = 10", b"passphrase_log_n = 11")))
    with pytest.raises(IntegrityError, match="not signed by a current manager"):
        _fresh(session)
