"""The case folders' stamps taken beside the caller's reading (`store.scan`): the same answer forked or not,
the stamps taken here whenever the child does not give them whole, no child left behind, and no fork from a
process running threads. Folder names here are synthetic case references."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest

from dacli.errors import StoreError
from dacli.store import scan as scanning
from dacli.store.scan import Scan, prestart, prestarted, stamps

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")

REFS = ["DA-00001-AAAAA", "DA-00002-BBBBB", "DA-00003-CCCCC"]


@pytest.fixture
def root(tmp_path):
    for ref in REFS:
        (tmp_path / ref).mkdir()
        os.utime(tmp_path / ref, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    (tmp_path / "not-a-case").mkdir()
    (tmp_path / "DA-00004-DDDDD").write_text("a file, not a folder")
    (tmp_path / "DA-00005-EEEEE").mkdir()  # changed after the settled moment: stamped ""
    os.utime(tmp_path / "DA-00005-EEEEE", ns=(1_800_000_000_000_000_000, 1_800_000_000_000_000_000))
    return tmp_path


SETTLED = 1_750_000_000_000_000_000


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_stamps_are_every_case_folder_and_nothing_else(root):
    now = stamps(root, SETTLED)
    assert sorted(now) == [*REFS, "DA-00005-EEEEE"]
    assert now["DA-00005-EEEEE"] == ""
    st = os.stat(root / REFS[0])
    assert now[REFS[0]] == f"{st.st_mtime_ns}:{st.st_ino}"


def test_a_forked_scan_gives_what_a_scan_here_gives_and_leaves_no_child(root):
    with Scan(root, SETTLED, how="fork") as scan:
        pid = scan._pid
        assert pid is not None  # a child is scanning
        assert scan.result() == stamps(root, SETTLED)
    assert _gone(pid)


def test_no_fork_gives_the_same(root):
    scan = Scan(root, SETTLED, how="here")
    assert scan._pid is None
    assert scan.result() == stamps(root, SETTLED)


def test_no_fork_while_another_thread_runs_but_a_new_interpreter_for_a_large_store(root, monkeypatch):
    monkeypatch.setattr(scanning, "SPAWN_FROM", 4)  # the five folders here count as large
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with Scan(root, SETTLED) as scan:
            assert scan._pid is None and scan._proc is not None  # spawned, not forked
            proc = scan._proc
            assert scan.result() == stamps(root, SETTLED)
        assert proc.poll() is not None  # reaped
    finally:
        stop.set()
        other.join()
    with Scan(root, SETTLED) as scan:  # one thread again: forked
        assert scan._pid is not None


def test_a_small_store_is_scanned_here_while_threads_run(root):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with Scan(root, SETTLED) as scan:
            assert scan._pid is None and scan._proc is None
            assert scan.result() == stamps(root, SETTLED)
    finally:
        stop.set()
        other.join()


def test_the_new_interpreter_gets_nothing_of_this_process_environment(root, monkeypatch):
    monkeypatch.setenv("DACLI_PASSPHRASE", "synthetic-secret")
    shown = "import marshal, os, sys; sys.stdout.buffer.write(marshal.dumps(dict(os.environ)))"
    monkeypatch.setattr(scanning, "_CHILD", shown)
    with Scan(root, SETTLED, how="spawn") as scan:
        seen = scan._collect()
    assert seen is not None
    assert not [k for k in seen if k.startswith("DACLI") or k in ("PATH", "HOME")], seen


@pytest.mark.parametrize("child", ["raise SystemExit(3)", "import sys; sys.stdout.write('[1, 2]')", ""])
def test_a_new_interpreter_that_fails_is_replaced_by_a_scan_here(root, monkeypatch, child):
    monkeypatch.setattr(scanning, "_CHILD", child or "pass")
    with Scan(root, SETTLED, how="spawn") as scan:
        assert scan._proc is not None
        assert scan.result() == stamps(root, SETTLED)


def test_leaving_without_the_result_stops_the_new_interpreter(root, monkeypatch):
    monkeypatch.setattr(scanning, "_CHILD", "import time; time.sleep(60)")
    with Scan(root, SETTLED, how="spawn") as scan:
        proc = scan._proc
    assert proc.poll() is not None


@pytest.mark.parametrize("child", ["raises", "gives a list", "dies"])
def test_a_child_that_fails_is_replaced_by_a_scan_here(root, monkeypatch, child):
    parent, real = os.getpid(), scanning.stamps

    def odd(where, settled):
        if os.getpid() == parent:
            return real(where, settled)
        if child == "raises":
            raise OSError("a child's trouble")
        if child == "dies":
            os.kill(os.getpid(), signal.SIGKILL)
        return [1, 2]

    monkeypatch.setattr(scanning, "stamps", odd)
    with Scan(root, SETTLED, how="fork") as scan:
        assert scan._pid is not None
        assert scan.result() == real(root, SETTLED)


def test_a_store_that_cannot_be_listed_says_so_from_this_process(tmp_path):
    with (
        Scan(tmp_path / "missing", SETTLED, how="fork") as scan,
        pytest.raises(StoreError, match="Cannot list"),
    ):
        scan.result()


def test_leaving_without_the_result_stops_and_reaps_the_child(root):
    with Scan(root, SETTLED, how="fork") as scan:
        pid = scan._pid
    assert _gone(pid)


def test_the_signal_mask_is_as_it_was(root):
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with Scan(root, SETTLED, how="fork") as scan:
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
        scan.result()


def test_a_prestarted_scan_is_handed_once_to_the_same_folder_only(root, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    with prestart(str(root)):
        assert prestarted(other) is None  # another folder: not this scan
        scan = prestarted(root / "DA-00001-AAAAA" / "..")  # the same folder, however it is spelled
        assert scan is not None and scan._pid is not None
        assert prestarted(root) is None  # handed over once
        with scan:
            assert scan.result() == stamps(root, scan._settled)
    assert prestarted(root) is None


def test_a_prestarted_scan_nobody_takes_is_stopped_and_reaped(root):
    with prestart(str(root)):
        pid = scanning._early[2]._pid
        assert pid is not None
    assert _gone(pid)
    assert scanning._early is None


def test_no_prestart_for_a_missing_folder(tmp_path):
    with prestart(str(tmp_path / "gone")):
        assert scanning._early is None


@pytest.mark.parametrize(
    ("links", "size", "large"),
    [
        (20_001, 4096, False),  # 19,999 folders
        (20_002, 4096, True),  # 20,000
        (1, 600_000 - 1, False),  # a link count the file system does not keep: the folder's size tells
        (1, 600_000, True),
    ],
)
def test_a_large_store_is_told_by_its_link_count_or_its_size(links, size, large):
    assert scanning._large(links, size) is large


def test_a_prestarted_scan_too_old_is_not_handed_over_but_stopped(root, monkeypatch):
    """A passphrase typed at the prompt (or a slow start) outlasts `PRESTART_FOR`: the reader scans afresh
    rather than answer for the folders as they were when the command began."""
    monkeypatch.setattr(scanning, "PRESTART_FOR", -1.0)
    with prestart(str(root)):
        pid = scanning._early[2]._pid
        assert prestarted(root) is None
        assert _gone(pid)
