"""Faults during re-keys: kill -9 at random points of `user add` and `user remove`, and a full disk.

The store is synthetic: five cases of four records each, so a re-wrap touches six key rings (the store's
and one per case). After every fault each ring must be the old one or the new one, never torn; every record
must still open for the remaining staff; and `dacli rekey` must finish the job and be a no-op when run again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dacli.errors import AuthError, IntegrityError
from dacli.services.admin import add_user, remove_user
from dacli.services.caseload import caseload
from dacli.services.intake import intake
from dacli.store import crypto
from dacli.store.keys import KeyRing
from dacli.store.layout import key_files
from dacli.store.store import Store

from .conftest import MANAGER, PASSPHRASE

N_CASES = 5
N_RINGS = 1 + N_CASES
NEW_PW = "a long test passphrase"


@pytest.fixture
def cases(session, form) -> list[str]:
    refs = []
    for n in range(N_CASES):
        ref = intake(session, form, new_case=bool(n)).case
        for k in (1, 2):
            session.write_record(ref, f"note-{k}.toml.age", {"schema": "t/1", "case": ref, "k": k})
        refs.append(ref)
    return refs


# -- looking at the store from outside ---------------------------------------------------------------------


def _ring_paths(root: Path) -> list[tuple[Path, str]]:
    """Every key ring (the folder of its key files) with its scope, in the order a re-key visits them."""
    refs = Store(root).case_refs()
    return [(root / ".dacli", "store")] + [(root / r, f"case {r}") for r in refs]


def _open_ring(folder: Path, scope: str, identity: crypto.Identity) -> KeyRing | None:
    """The keys of the ring ``identity`` opens (the union of the key files wrapped to them): None when no
    file is; raises when one is torn."""
    keys = {}
    for path in key_files(folder, scope == "store"):
        try:
            plain = crypto.decrypt(path.read_bytes(), [identity], str(path))
        except IntegrityError as exc:
            if "not encrypted to any key" in str(exc):
                continue
            raise
        for key in KeyRing.load(plain, scope, str(path)).keys:
            keys.setdefault(key.identity.secret, key)
    return KeyRing(scope, list(keys.values())) if keys else None


def _secrets(ring: KeyRing) -> set[str]:
    return {k.identity.secret for k in ring.keys}


def _snapshot(root: Path, manager: crypto.Identity) -> dict[Path, set[str]]:
    return {path: _secrets(_open_ring(path, scope, manager)) for path, scope in _ring_paths(root)}


def _records(root: Path) -> dict[Path, bytes]:
    return {
        p: p.read_bytes() for ref in Store(root).case_refs() for p in sorted((root / ref).glob("*.toml.age"))
    }


def _temps(root: Path) -> list[Path]:
    return sorted(root.rglob(".tmp-*"))


def _all_cases_open(root: Path, records: dict[Path, bytes], refs: list[str]) -> None:
    """Every record is byte for byte what it was (none was written after a removal: none is encrypted again)
    and opens for the manager, and the caseload still lists every case."""
    assert _records(root) == records
    manager = Store(root).unlock(MANAGER, PASSPHRASE)
    for path in records:
        assert manager.read_record(path.parent.name, path.name)["case"] == path.parent.name
    assert sorted(row.ref for row in caseload(manager)) == sorted(refs)


def _old_or_new(
    root: Path, before: dict[Path, set[str]], change: str, who: crypto.Identity | None, changed: bool
) -> list[bool]:
    """Check that every ring is the old one or the new one after an interrupted `user add` or `user remove`
    of ``who`` (``changed``: the staff list already says so); return which rings are new.

    Old: the same keys, opened by the staff as they were. New after an add: the same keys, all of them also
    opened by the newcomer (their grant). New after a removal: one more key, which the leaver does not open.
    """
    manager_session = Store(root).unlock(MANAGER, PASSPHRASE)
    manager = manager_session.identity
    done = []
    for path, scope in _ring_paths(root):
        ring = _open_ring(path, scope, manager)  # raises if a file the manager opens is torn
        assert ring is not None, f"{path} is no longer wrapped to the manager"
        new = _secrets(ring) - before[path]
        if not new:
            rotated = False
        else:  # the only other state a ring may be in: the old keys plus one new key
            assert change == "remove" and changed, path
            assert _secrets(ring) >= before[path] and len(new) == 1, path
            rotated = True
        theirs = _open_ring(path, scope, who) if who is not None else None
        if change == "add":
            ring_done = theirs is not None and _secrets(theirs) == _secrets(ring)
        else:
            leaked = rotated and theirs is not None and new & _secrets(theirs)
            assert not leaked, f"{path}: a new key is wrapped to the leaver"
            ring_done = rotated
        assert not ring_done or changed, path
        done.append(ring_done)
    if not all(done) and changed:
        assert manager_session.rekey_due(), "a re-key stopped part way but nothing says so"
    return done


def _check_finished(root: Path, identities: dict[str, crypto.Identity], leavers: dict[str, crypto.Identity]):
    """After a rekey: nothing due, every current member opens every key of every ring, no leaver holds the
    key new records are written to, no temp file anywhere."""
    manager = Store(root).unlock(MANAGER, PASSPHRASE)
    assert manager.rekey_due() == []
    for path, scope in _ring_paths(root):
        rings = [_open_ring(path, scope, identity) for identity in identities.values()]
        assert all(ring is not None and _secrets(ring) == _secrets(rings[0]) for ring in rings), path
        current = (manager.store_ring() if scope == "store" else manager.case_ring(path.name)).current
        for name, identity in leavers.items():
            theirs = _open_ring(path, scope, identity)
            assert theirs is None or current.secret not in _secrets(theirs), f"{name} holds the key of {path}"
    assert _temps(root) == []


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix == ".age")


def _rekey_again_is_a_no_op(root: Path) -> None:
    manager = Store(root).unlock(MANAGER, PASSPHRASE)
    rings, staff, files = _snapshot(root, manager.identity), Store(root).staff(), _files(root)
    assert manager.rewrap_all() == 0  # no ring needed a new key file
    assert _snapshot(root, manager.identity) == rings
    assert Store(root).staff() == staff
    assert _files(root) == files  # nothing written: no key file, no record encrypted again


# -- kill -9 during re-keys --------------------------------------------------------------------------------

# Loaded before the real CLI in the child. Every os.write lands half, announces itself and pauses before the
# second half; every fsync announces itself and pauses first; every key ring save announces its path. With
# REKEY_TEST_HOLD="N write" (or "N fsync") the child stops for good at the first write (fsync) after it
# began saving key ring number N (0: before any ring) and says "held": the parent kills it there, with a
# ring's temp file half written or written but not renamed (or, were rings written in place, with the ring
# itself half written), however fast the disk or busy the machine.
PAUSE = 0.02
SHIM = textwrap.dedent(
    f"""
    import os, sys, time
    from dacli.store.store import Session
    _real_write, _real_fsync, _real_save = os.write, os.fsync, Session._save_ring
    _hold, _rings = os.environ.get("REKEY_TEST_HOLD", ""), 0
    def _at(point):
        print(point, flush=True)
        if _hold == f"{{_rings}} {{point}}":
            print("held", flush=True)
            time.sleep(600)
        time.sleep({PAUSE})
    def _write(fd, data):
        data = bytes(data)
        _real_write(fd, data[: len(data) // 2])
        _at("write")
        _real_write(fd, data[len(data) // 2 :])
        return len(data)
    def _fsync(fd):
        _at("fsync")
        _real_fsync(fd)
    def _save_ring(self, path, ring, staff, *rest):
        global _rings
        _rings += 1
        print("ring", path, flush=True)
        return _real_save(self, path, ring, staff, *rest)
    os.write, os.fsync, Session._save_ring = _write, _fsync, _save_ring
    sys.argv = ["dacli", *sys.argv[1:]]
    print("ready", flush=True)
    from dacli.entry import main
    main()
    """
)


def _spawn_cli(env: dict[str, str], *args: str, hold: str = "") -> subprocess.Popen:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")}
    merged.update(env, DACLI_NO_AGENT="1", DACLI_NEW_PASSPHRASE=NEW_PW, REKEY_TEST_HOLD=hold)
    return subprocess.Popen(
        [sys.executable, "-c", SHIM, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=merged,
    )


def _next_line(proc: subprocess.Popen) -> str:
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise AssertionError(f"the child ended first ({proc.returncode}): {proc.stderr.read()}")
    return line.strip()


def _wait_for(proc: subprocess.Popen, word: str) -> None:
    while _next_line(proc) != word:
        pass


def _kill_when_held(proc: subprocess.Popen) -> Path | None:
    """Kill the child where it holds; return the folder of the key ring it was saving, if any."""
    ring = None
    while (line := _next_line(proc)) != "held":
        if line.startswith("ring "):
            ring = Path(line.removeprefix("ring ")).parent
    proc.send_signal(signal.SIGKILL)
    return ring


# The child takes about half a second from "ready" to done; random kills spread over all of it and a little
# after (a kill that comes too late finds a finished command, which must be fine too).
RANDOM_WINDOW = 0.7


@pytest.mark.slow
@pytest.mark.parametrize("change", ["add", "remove"])
def test_kill_9_during_a_re_key_leaves_every_ring_old_or_new_and_rekey_finishes(
    session, cases, env, run_dacli, change
):
    root = session.store.root
    rng = random.Random(20261124 + (change == "remove"))
    identities = {MANAGER: session.identity}
    leavers: dict[str, crypto.Identity] = {}
    records = _records(root)
    mid_rekey = at_a_ring = 0
    attempts = 12
    for attempt in range(attempts):
        who = f"cw{attempt}"
        if change == "remove":
            add_user(Store(root).unlock(MANAGER, PASSPHRASE), who, "caseworker", NEW_PW)
            identities[who] = Store(root).unlock(who, NEW_PW).identity
            args = ("user", "remove", who, "--reason", "left the service (test)")
        else:
            args = ("user", "add", who, "--role", "caseworker")
        before = _snapshot(root, session.identity)

        if attempt % 2 == 0:  # inside the save of a random key ring, its temp file half or wholly written
            hold = f"{rng.randint(1, N_RINGS)} {rng.choice(['write', 'fsync'])}"
            proc = _spawn_cli(env, *args, hold=hold)
            ring_folder = _kill_when_held(proc)
            assert ring_folder is not None
        else:  # at a random moment
            proc = _spawn_cli(env, *args)
            _wait_for(proc, "ready")
            ring_folder = None
            time.sleep(rng.uniform(0.0, RANDOM_WINDOW))
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), err

        # -- straight after the kill, before anyone repairs anything --
        staff = Store(root).staff()
        member = next((s for s in staff.staff if s.username == who), None)
        changed = member is not None and (member.active if change == "add" else not member.active)
        if changed and change == "add":
            identities[who] = Store(root).unlock(who, NEW_PW).identity
        done = _old_or_new(root, before, change, identities.get(who), changed)
        if changed and any(done) and not all(done):
            mid_rekey += 1
        _all_cases_open(root, records, cases)
        if ring_folder is not None:
            # the kill provably landed inside the save of a key ring: its temp file is still there
            assert [p for p in ring_folder.iterdir() if p.name.startswith(".tmp-")], ring_folder
            at_a_ring += 1
        if changed and change == "add":
            # the newcomer reads the cases whose ring reached them, and is told to ask for a rekey elsewhere
            newcomer = Store(root).unlock(who, NEW_PW)
            for (path, _), ring_done in zip(_ring_paths(root)[1:], done[1:], strict=True):
                ref = path.name
                if ring_done:
                    assert newcomer.read_record(ref, "note-1.toml.age")["case"] == ref
                else:
                    with pytest.raises(AuthError, match="rekey"):
                        newcomer.read_record(ref, "note-1.toml.age")

        # -- the rekey finishes the job (a real `dacli rekey` on every third attempt) --
        left = sum(1 for d in done if not d) if changed else 0  # the rings the kill left to re-wrap
        if attempt % 3 == 2:
            result = run_dacli("rekey", extra_env={"DACLI_NO_AGENT": "1"})
            assert result.returncode == 0, result.stderr
            said = f"Re-wrapped {left} key ring" if left else "no key ring was changed"
            assert said in result.stdout, (left, result.stdout)
        else:
            assert Store(root).unlock(MANAGER, PASSPHRASE).rewrap_all() == left
        if change == "remove":
            if (
                not changed
            ):  # killed before the removal was saved: finish it, so the next attempt starts clean
                remove_user(Store(root).unlock(MANAGER, PASSPHRASE), who, None)
            leavers[who] = identities.pop(who)
        _check_finished(root, identities, leavers)
        _rekey_again_is_a_no_op(root)
        _all_cases_open(root, records, cases)
    assert at_a_ring == attempts // 2
    assert mid_rekey > 0, "no kill left a re-key half done: the test proved nothing"


def test_kill_9_while_user_add_writes_the_new_identity_leaves_no_copy_of_it(session, cases, env):
    """The first thing `user add` writes is the newcomer's identity. A kill there adds nobody, and the temp
    file (a copy of a secret key, under the passphrase) is gone after the next change under the store lock."""
    root = session.store.root
    before = Store(root).staff()
    proc = _spawn_cli(env, "user", "add", "cw1", "--role", "caseworker", hold="0 write")
    assert _kill_when_held(proc) is None  # the identity's temp file is half written
    proc.communicate(timeout=60)
    assert [p for p in (root / ".dacli" / "identities").iterdir() if p.name.startswith(".tmp-")]
    assert Store(root).staff() == before
    assert Store(root).unlock(MANAGER, PASSPHRASE).rewrap_all() == 0  # nobody was added: no ring changes
    assert _temps(root) == []


# -- a full disk during re-keys ------------------------------------------------------------------------------


def _one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("dacli: ") and lines[0].endswith("."), stderr
    return lines[0]


@pytest.mark.parametrize("syscall", ["write", "fsync"])
def test_a_full_disk_part_way_through_a_re_key(session, cases, cli, monkeypatch, syscall):
    """The disk fills up as a re-key reaches a given key ring: on the write of its temp file (half of it
    lands) or on its fsync. The command stops with one sentence and exit code 8, every ring is old or new,
    no temp file is left, and `dacli rekey` finishes once there is space again."""
    import errno

    from dacli.store.store import Session

    root = session.store.root
    identities = {MANAGER: session.identity}
    add_user(session, "cw1", "caseworker", NEW_PW)
    identities["cw1"] = Store(root).unlock("cw1", NEW_PW).identity
    records = _records(root)
    real_write, real_save = os.write, Session._save_ring

    def full_write(fd, data):
        real_write(fd, bytes(data)[: max(1, len(data) // 2)])
        raise OSError(errno.ENOSPC, "No space left on device")

    def full_fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    def with_full_disk(at_ring: int, *args: str):
        """Run dacli in-process; the disk is full from the save of key ring number ``at_ring`` on."""
        calls = {"n": 0}
        with monkeypatch.context() as m:

            def save(self, path, ring, staff, *rest):
                calls["n"] += 1
                if calls["n"] == at_ring:
                    m.setattr(os, syscall, full_write if syscall == "write" else full_fsync)
                return real_save(self, path, ring, staff, *rest)

            m.setattr(Session, "_save_ring", save)
            result = cli(*args, extra_env={"DACLI_NO_AGENT": "1", "DACLI_NEW_PASSPHRASE": NEW_PW})
        assert calls["n"] == at_ring, "the disk never filled up"
        assert result.exit_code == 8, result.stdout + result.stderr
        sentence = _one_sentence(result.stderr)
        assert "disk is full" in sentence and "dacli rekey" in sentence, sentence
        assert _temps(root) == []
        _all_cases_open(root, records, cases)

    # A removal: the store ring and one case ring are rotated, then the disk is full.
    before = _snapshot(root, session.identity)
    with_full_disk(3, "user", "remove", "cw1", "--reason", "left the service (test)")
    assert _old_or_new(root, before, "remove", identities["cw1"], True) == [True] * 2 + [False] * 4
    # A rekey with the disk still full gets two rings further, then stops the same way.
    # (a re-key writes only the rings still to do: the third it writes is the fifth ring)
    with_full_disk(3, "rekey")
    assert _old_or_new(root, before, "remove", identities["cw1"], True) == [True] * 4 + [False] * 2
    result = cli("rekey", extra_env={"DACLI_NO_AGENT": "1"})
    assert result.exit_code == 0, result.stderr
    leavers = {"cw1": identities.pop("cw1")}
    _check_finished(root, identities, leavers)
    _rekey_again_is_a_no_op(root)

    # An addition: three rings reach the newcomer, then the disk is full.
    before = _snapshot(root, session.identity)
    with_full_disk(4, "user", "add", "cw2", "--role", "caseworker")
    identities["cw2"] = Store(root).unlock("cw2", NEW_PW).identity
    assert _old_or_new(root, before, "add", identities["cw2"], True) == [True] * 3 + [False] * 3
    result = cli("rekey", extra_env={"DACLI_NO_AGENT": "1"})
    assert result.exit_code == 0, result.stderr
    assert f"Re-wrapped {N_RINGS - 3} key rings" in result.stdout  # the three the full disk left
    _check_finished(root, identities, leavers)
    _rekey_again_is_a_no_op(root)
    _all_cases_open(root, records, cases)
