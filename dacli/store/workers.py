"""Work shared among forked workers: a re-key or user add re-wraps every key ring of the store.

Each worker is a fork of the command, so it holds the unlocked session already and nothing secret is passed
anywhere; it takes every n-th item and reports each one done on a pipe, one line each, or the error it
stopped at (its class and sentence, never a traceback). The parent yields results as they come, stops the
others at the first failure (before their next item: each file already written is whole) and raises it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator

from dacli.errors import DacliError, StoreError

# A re-key or user add re-wraps every ring: a few milliseconds each, most of it key agreement (age's X25519,
# which holds the GIL), the rest two fsyncs. From MIN_FORKED rings on, the rings are shared among forked
# workers, two per CPU so one's disk waits overlap another's key agreement (20,000 rings on the 2-CPU
# benchmark machine: 63 s in one process, 40 s in two, 36 s in four). Forked, so nothing secret is passed
# anywhere: each worker has the unlocked session already.
MIN_FORKED = 512
MAX_WORKERS = 8


def workers(refs: list[str]) -> int:
    """How many workers for ``refs``: one (this process) below MIN_FORKED, off Linux, or where this process
    runs threads (a fork copies only the calling thread: a lock another held would never be let go)."""
    if len(refs) < MIN_FORKED or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(2 * cpus, MAX_WORKERS, len(refs) // 2))


BLIND = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
"""Held back while a worker is forked: an interrupt then reaches the parent (which stops the workers), never
a worker still on the parent's stack."""


def shared(work: Callable[[str], bool], refs: list[str]) -> Iterator[bool]:
    """``work(ref)`` for each ref; yields each result as it completes. With several CPUs and many rings, in
    forked workers, each taking every n-th ring; the first failure stops the others before their next ring
    (each file already written is whole) and is raised here, as the same error with the same sentence. A
    worker that ends without reporting each of its rings (killed, out of memory) is a failure too."""
    count = workers(refs)
    if count == 1:
        for ref in refs:
            yield work(ref)
        return
    import selectors

    parent = os.getpid()
    stop_r, stop_w = os.pipe()  # closed by the parent: every worker stops before its next ring
    children: dict[int, tuple[int, int]] = {}  # read end -> (pid, rings it was given)
    try:
        for n in range(count):
            read, write = os.pipe()
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, BLIND)
            try:
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the worker: its lines are counted by the parent
                    try:
                        os.close(read)
                        os.close(stop_w)
                        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                        _worker(work, refs[n::count], write, stop_r, parent)
                    finally:
                        os._exit(1)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(write)
            children[read] = (pid, len(refs[n::count]))
        failure: tuple[str, str] | None = None
        reported = dict.fromkeys(children, 0)
        with selectors.DefaultSelector() as sel:
            for read in children:
                sel.register(read, selectors.EVENT_READ)
            buffers = dict.fromkeys(children, b"")
            while sel.get_map():
                for key, _ in sel.select():
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fd)
                        continue
                    lines = (buffers[key.fd] + chunk).split(b"\n")
                    buffers[key.fd] = lines.pop()
                    for line in lines:
                        if line in (b"0", b"1"):
                            reported[key.fd] += 1
                            yield line == b"1"
                            continue
                        kind, _, message = line.decode("utf-8", "replace").partition(" ")
                        failure = failure or (kind, message)
                    if failure is not None and stop_w >= 0:
                        os.close(stop_w)
                        stop_w = -1
        for read, (pid, given) in list(children.items()):
            _, status = os.waitpid(pid, 0)
            del children[read]
            os.close(read)
            whole = os.waitstatus_to_exitcode(status) == 0 and reported[read] == given
            if not whole and failure is None:
                failure = ("StoreError", "A re-key worker stopped unexpectedly.")
        if failure is not None:
            raise _error(*failure)
    finally:
        for read, (pid, _) in children.items():  # the parent was interrupted: the workers stop with it
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                os.close(read)
        for fd in (stop_r, stop_w):
            with contextlib.suppress(OSError):
                if fd >= 0:
                    os.close(fd)


def _worker(  # pragma: no cover - runs in the forked worker
    work: Callable[[str], bool], refs: list[str], out: int, stop: int, parent: int
) -> None:
    """A forked worker: one line per ring done ("1" a key file written, "0" none needed), or one line naming
    the error it stopped at; never returns (nothing of the parent's stack runs here)."""
    import select

    code = 0
    try:
        _die_with_parent(parent)
        for ref in refs:
            if select.select([stop], [], [], 0)[0]:
                break
            os.write(out, b"1\n" if work(ref) else b"0\n")
    except DacliError as exc:
        os.write(out, f"{type(exc).__name__} {exc.message}\n".encode())
        code = 1
    except BaseException:  # noqa: BLE001 - said to the parent in one line; no traceback (it may quote data)
        os.write(out, b"StoreError A re-key worker stopped unexpectedly.\n")
        code = 1
    finally:
        os._exit(code)


def _die_with_parent(
    parent: int,
) -> None:  # pragma: no cover - Linux only; elsewhere a worker finishes its rings
    """Ask the kernel to end this worker if the command is killed (PR_SET_PDEATHSIG, SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the command died before the request took hold
        os._exit(1)


def _error(kind: str, message: str) -> DacliError:
    from dacli import errors

    cls = getattr(errors, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, DacliError)):
        cls = StoreError
    return cls(message)
