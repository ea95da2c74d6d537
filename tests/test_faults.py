"""Faults: kill -9 mid-write, concurrent writers, held and stale locks.

Each test drives real processes against a real store in tmp_path.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from dacli.errors import LockBusy
from dacli.store.store import Store

from .conftest import MANAGER, PASSPHRASE

PRELUDE = textwrap.dedent(
    """
    import sys, os
    from dacli.store.store import Store
    from tests.conftest import loose_test_schemas
    loose_test_schemas()
    root, ref, who = sys.argv[1], sys.argv[2], sys.argv[3]
    s = Store(root).unlock({user!r}, {pw!r})
    """
).format(user=MANAGER, pw=PASSPHRASE)


def _spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, word: str) -> None:
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(proc.stderr.read())
        if line.strip() == word:
            return


def _wait_ready(proc: subprocess.Popen) -> None:
    _wait_for(proc, "ready")


# fsync is slowed (never skipped) and announces itself, so the parent can kill the writer exactly
# between "temp file written" and "renamed into place" on half the attempts (random moments on the
# other half), however fast the disk or busy the machine.
SLOW_FSYNC = """
import time
_real_fsync = os.fsync
def _slow_fsync(fd):
    print("fsync", flush=True)
    time.sleep(0.05)
    _real_fsync(fd)
os.fsync = _slow_fsync
_real_write = os.write
def _slow_write(fd, data):
    # a record goes down in 64 KiB pieces, announced after the first, so a kill can land half way through
    # writing them (wherever they are written: a temp file, or, in a broken writer, the record itself)
    if len(data) > 100_000:
        n = _real_write(fd, bytes(data[:65536]))
        print("write", flush=True)
        time.sleep(0.05)
        return n
    return _real_write(fd, data)
os.write = _slow_write
"""

REWRITER = (
    SLOW_FSYNC
    + """
n = 0
pad = "x" * 300_000  # several 64 KiB age chunks, so a kill often lands mid-write
while True:
    n += 1
    s.update_record(ref, "counter.toml.age", lambda d: {"schema": "t/1", "case": ref, "n": n, "pad": pad})
    if n == 1:
        print("ready", flush=True)
"""
)

APPENDER = (
    SLOW_FSYNC
    + """
n = 0
while True:
    n += 1
    doc = {"schema": "t/1", "case": ref, "n": n, "pad": "y" * 200_000}
    s.write_record(ref, f"note-{who}-{n}.toml.age", doc)
    if n == 1:
        print("ready", flush=True)
"""
)


@pytest.mark.slow
@pytest.mark.parametrize("script", [REWRITER, APPENDER], ids=["rewrite-in-place", "new-files"])
def test_kill_9_during_writes_never_leaves_a_torn_record(session, case_ref, script):
    rng = random.Random(20261123)
    root = str(session.store.root)
    killed_mid_write = 0
    for attempt in range(21):
        proc = _spawn(script, root, case_ref, f"w{attempt}")
        _wait_ready(proc)
        if attempt % 3 == 2:
            time.sleep(rng.uniform(0.0, 0.15))
        elif attempt % 3 == 1:
            for _ in range(rng.randint(1, 8)):  # part way through putting a record's bytes down, wherever
                _wait_for(proc, "write")
        else:
            _wait_for(proc, "fsync")  # the next write's temp file is written and being synced
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        folder = session.store.root / case_ref
        killed_mid_write += any(p.name.startswith(".tmp-") for p in folder.iterdir())
        fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
        for name in fresh.record_names(case_ref):
            doc = fresh.read_record(case_ref, name)  # raises on a torn file
            assert doc["case"] == case_ref
    assert killed_mid_write > 0, "no kill landed inside a write: the test proved nothing"
    # The next writer sweeps away whatever temp files the killed ones left.
    fresh.write_record(case_ref, "test-end.toml.age", {"schema": "t/1", "case": case_ref})
    assert not [p for p in (session.store.root / case_ref).iterdir() if p.name.startswith(".tmp-")]


UPDATER = """
from dacli.services.intake import intake, parse_intake
import tomllib, datetime
print("ready", flush=True)
for i in range(25):
    def add(d, i=i):
        d = d or {"schema": "t/1", "case": ref, "items": []}
        d["items"].append(f"{who}-{i}")
        return d
    s.update_record(ref, "shared.toml.age", add)
    if i % 5 == 0:
        form = parse_intake({"client": {"name": f"Writer {who} Testcase {i}"},
                             "referral": {"date": datetime.date(2026, 11, 1)}}, datetime.date(2026, 11, 23))
        intake(s, form)
"""


@pytest.mark.slow
def test_four_processes_updating_one_record_lose_nothing(session, case_ref):
    root = str(session.store.root)
    procs = [_spawn(UPDATER, root, case_ref, f"p{k}") for k in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    items = fresh.read_record(case_ref, "shared.toml.age")["items"]
    assert sorted(items) == sorted(f"p{k}-{i}" for k in range(4) for i in range(25))
    # every intake made it into the index too (each write is a read-modify-write under the store lock)
    index = fresh.read_index()
    assert len(index["cases"]) == 1 + 4 * 5
    assert sorted(index["cases"]) == fresh.store.case_refs()


HOLDER = """
from dacli.store.fsio import folder_lock
from pathlib import Path
import time
with folder_lock(Path(root) / ref, 5, "x"):
    print("ready", flush=True)
    time.sleep(60)
"""


def _short_lock_timeout(session):
    from dacli.services.admin import change_setting

    change_setting(session, "lock_timeout_seconds", "0.3")
    assert session.store.lock_timeout() == 0.3


def test_a_held_lock_is_a_clear_error_and_changes_nothing(session, case_ref):
    _short_lock_timeout(session)
    proc = _spawn(HOLDER, str(session.store.root), case_ref, "h")
    try:
        _wait_ready(proc)
        fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
        before = sorted(os.listdir(session.store.root / case_ref))
        with pytest.raises(LockBusy, match=f"writing to case {case_ref}"):
            fresh.write_record(case_ref, "test-1.toml.age", {"schema": "t/1", "case": case_ref})
        assert sorted(os.listdir(session.store.root / case_ref)) == before
    finally:
        proc.kill()
        proc.wait()


def test_a_lock_left_by_a_dead_process_does_not_block(session, case_ref):
    _short_lock_timeout(session)
    proc = _spawn(HOLDER, str(session.store.root), case_ref, "h")
    _wait_ready(proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    fresh.write_record(case_ref, "test-1.toml.age", {"schema": "t/1", "case": case_ref})
    assert fresh.read_record(case_ref, "test-1.toml.age")["case"] == case_ref
