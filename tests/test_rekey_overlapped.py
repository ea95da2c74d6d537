"""Re-keys shared among forked workers (`store.workers.shared`): the same outcome as one process.

A real store forks from `workers.MIN_FORKED` case rings on; here from four, with two workers, so the ten
case rings of this store go through them.
"""

from __future__ import annotations

import errno
import os

import pytest

from dacli.errors import StoreError
from dacli.services.admin import add_user, remove_user
from dacli.services.intake import intake
from dacli.store import workers
from dacli.store.store import Session, Store

from .conftest import MANAGER, PASSPHRASE
from .test_rekey_faults import (
    NEW_PW,
    _all_cases_open,
    _check_finished,
    _old_or_new,
    _records,
    _rekey_again_is_a_no_op,
    _snapshot,
    _temps,
)

N_CASES = 10


@pytest.fixture
def many(session, form, monkeypatch) -> list[str]:
    monkeypatch.setattr(workers, "workers", lambda refs: 2 if len(refs) >= 4 else 1)
    refs = []
    for n in range(N_CASES):
        ref = intake(session, form, new_case=bool(n)).case
        session.write_record(ref, "note-1.toml.age", {"schema": "t/1", "case": ref, "k": 1})
        refs.append(ref)
    return refs


def test_user_add_and_remove_with_rings_in_flight_reach_every_ring(session, many, monkeypatch, tmp_path):
    root = session.store.root
    pids = tmp_path / "pids"  # which process saved each ring (a worker's memory dies with it)
    real_save = Session._save_ring

    def save(self, path, ring, staff, *rest):
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real_save(self, path, ring, staff, *rest)

    monkeypatch.setattr(Session, "_save_ring", save)
    records = _records(root)
    before = _snapshot(root, session.identity)
    add_user(session, "cw1", "caseworker", NEW_PW)
    newcomer = Store(root).unlock("cw1", NEW_PW)
    assert _old_or_new(root, before, "add", newcomer.identity, True) == [True] * (1 + N_CASES)
    savers = pids.read_text().split()
    assert len(savers) == 1 + N_CASES and len(set(savers) - {str(os.getpid())}) == 2, savers  # two workers
    for ref in many:
        assert newcomer.read_record(ref, "note-1.toml.age")["case"] == ref
    identities = {MANAGER: session.identity, "cw1": newcomer.identity}
    _check_finished(root, identities, {})

    before = _snapshot(root, session.identity)
    leaver = identities.pop("cw1")
    remove_user(Store(root).unlock(MANAGER, PASSPHRASE), "cw1", None)
    assert _old_or_new(root, before, "remove", leaver, True) == [True] * (1 + N_CASES)
    _check_finished(root, identities, {"cw1": leaver})
    _rekey_again_is_a_no_op(root)
    _all_cases_open(root, records, many)


def test_a_full_disk_in_one_worker_stops_them_all_whole_and_rekey_finishes(session, many, monkeypatch):
    """The disk is full for one worker from its third ring on: one StoreError that says how far the re-key
    got, every ring old or new, no temp file, and a rekey finishes."""
    root = session.store.root
    records = _records(root)
    before = _snapshot(root, session.identity)
    real_save, real_fsync = Session._save_ring, os.fsync
    parent = os.getpid()
    order = session.store.case_refs()  # the first worker takes the 1st, 3rd, ... of them
    calls = {"n": 0}  # this process's saves (each worker counts its own)

    def save(self, path, ring, staff, *rest):
        calls["n"] += 1
        if os.getpid() != parent and calls["n"] == 3 and order.index(path.parent.name) % 2 == 0:
            calls["full"] = True
        return real_save(self, path, ring, staff, *rest)

    def fsync(fd):
        if calls.get("full"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(Session, "_save_ring", save)
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StoreError) as caught:
        add_user(session, "cw1", "caseworker", NEW_PW)
    monkeypatch.setattr(os, "fsync", real_fsync)
    message = str(caught.value)
    assert "disk is full" in message and "stopped part way" in message and "dacli rekey" in message, message
    assert _temps(root) == []
    newcomer = Store(root).unlock("cw1", NEW_PW)
    done = _old_or_new(root, before, "add", newcomer.identity, True)
    assert done[0] and not all(done), done  # the store ring first, then the disk filled part way
    # a ring whose file landed but whose folder's fsync then failed is on disk yet not counted as done
    said = int(message.split("(")[1].split(" of ")[0])
    assert 1 <= said <= sum(done) and f" of {1 + N_CASES} key rings done" in message, (done, message)
    _all_cases_open(root, records, many)
    assert Store(root).unlock(MANAGER, PASSPHRASE).rewrap_all() == done.count(False)
    _check_finished(root, {MANAGER: session.identity, "cw1": newcomer.identity}, {})
    _rekey_again_is_a_no_op(root)


def test_a_worker_killed_part_way_is_a_failure_not_a_success(session, many, monkeypatch):
    """A worker that dies without a word (killed, out of memory) must not let the re-key say it finished:
    the rings it never reached would stay without the newcomer's grant."""
    import signal

    from dacli.store.rings import KeyRoom

    root = session.store.root
    before = _snapshot(root, session.identity)
    real_scope, parent = KeyRoom._rekey_scope, os.getpid()
    calls = {"n": 0}

    def scope(self, name, *args, **kwargs):
        calls["n"] += 1
        if os.getpid() != parent and calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_scope(self, name, *args, **kwargs)

    monkeypatch.setattr(KeyRoom, "_rekey_scope", scope)
    with pytest.raises(StoreError, match="A re-key worker stopped unexpectedly: the re-key stopped part way"):
        add_user(session, "cw1", "caseworker", NEW_PW)
    monkeypatch.setattr(KeyRoom, "_rekey_scope", real_scope)
    newcomer = Store(root).unlock("cw1", NEW_PW)
    done = _old_or_new(root, before, "add", newcomer.identity, True)
    assert not all(done)
    assert Store(root).unlock(MANAGER, PASSPHRASE).rewrap_all() == done.count(False)  # rekey finishes it
