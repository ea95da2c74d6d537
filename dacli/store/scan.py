"""Every case folder's stamp (`IndexRoom._scan`), taken beside the caller's own reading where it can be.

A caseload read compares each case folder's stamp (modification time and inode) with the stamp its row was
built from: one `stat` system call per folder, about 0.3 s at 100,000 folders on the 2-core benchmark
machine, as long as decrypting and parsing the saved listing or people file it is compared with. So where
it can, `Scan` forks a child process that takes the stamps while this process reads its saved files, and
hands them back through a pipe; the caller asks for them (`Scan.result`) when it needs them.

It forks only on Linux, from a process running one thread (the CLI; never the dashboard, whose threads a
fork would copy half-way), and the child runs nothing but the scan and leaves with `os._exit` (no exit
handlers, no buffered output written twice, no lock released). Where it does not fork, or the child fails
for any reason, the stamps are taken here when asked, so the answer is the same either way and a store
that cannot be listed says so from this process. Nothing in the pipe is case data: folder names (case
references) and their times.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from dacli import clock
from dacli.errors import StoreError
from dacli.text import CASE_REF_RE

SETTLE_NS = 2_000_000_000
"""A folder changed this recently is looked at again on the next read (file times have a coarse tick)."""


def cache_root() -> Path:
    """This computer's cache folder for dacli (`DACLI_CACHE`, else the user cache folder)."""
    env = os.environ.get("DACLI_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_path

    return user_cache_path("dacli")


def files_now_ns(folder: Path) -> float:
    """The time as the file system stamps files (a byte written to a file ``now`` in ``folder``, a cache
    folder of this computer's, and the time the kernel gave it read back): folder times are compared with
    it, not with this process's clock, which can differ (a clock set by hand or moved by a tool, a computer
    whose clock is off from a network drive's). Nothing of a case is in it."""
    path = folder / "now"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)
        return float(os.stat(path).st_mtime_ns)
    except OSError:
        return clock.computer_now().timestamp() * 1e9


def stamps(root: os.PathLike | str, settled: float) -> dict[str, str]:
    """Every case folder's stamp now ({reference: `index.folder_stamp`}); ``settled``: the newest
    modification time (file-system nanoseconds) trusted as settled, "" for a folder changed after it."""
    now: dict[str, str] = {}
    match = CASE_REF_RE.fullmatch  # `folder_stamp`, inline: 100,000 folders at a listing
    try:
        with os.scandir(root) as it:
            for entry in it:
                name = entry.name
                if match(name) and entry.is_dir(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    mtime = st.st_mtime_ns
                    now[name] = f"{mtime}:{st.st_ino}" if mtime <= settled else ""
    except OSError as exc:
        raise StoreError(f"Cannot list the store ({exc.strerror}).") from None
    return now


_BLIND = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _may_fork() -> bool:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


SPAWN_FROM = 20_000
"""A process running threads spawns the scan from this many folders (a new interpreter costs about as much
as scanning 10,000 folders here): fewer are scanned in the process itself."""


def _worth_spawning(root: os.PathLike | str) -> bool:
    """On Linux, whether ``root`` holds about `SPAWN_FROM` folders or more: a folder's link count is its
    subfolders and two, where the file system keeps it (ext4 up to 65,000); where it says 1 (more than that
    on ext4, always on btrfs), the size of the folder itself tells (its entries' names, 30 bytes or so
    each)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        st = os.stat(root)
    except OSError:
        return False
    return _large(st.st_nlink, st.st_size)


def _large(links: int, size: int) -> bool:
    return size >= SPAWN_FROM * 30 if links == 1 else links - 2 >= SPAWN_FROM


class Scan:
    """The stamps of ``root``'s case folders, being taken (in a child process where it can be) from when
    this is made. Use it as a context manager: leaving it without `result` stops and reaps the child."""

    def __init__(self, root: os.PathLike | str, settled: float, *, how: str | None = None) -> None:
        """``how``: "fork", "spawn" (a new interpreter: for a process running threads) or "here"; by
        default the first this process may use (`_may_fork`, else `_worth_spawning`, else here)."""
        self._root, self._settled = root, settled
        self._pid = self._fd = self._proc = None
        self._done: dict[str, str] | None = None
        if how is None:
            how = "fork" if _may_fork() else "spawn" if _worth_spawning(root) else "here"
        try:
            if how == "fork":
                self._start()
            elif how == "spawn":
                self._spawn()
        except BaseException:  # an interrupt as the child is made: it is stopped, not left behind
            self._reap(stop=True)
            raise

    def _spawn(self) -> None:
        """The scan in a new interpreter (`child_main`), which is safe from a process running threads (the
        dashboard's loader): no environment (nothing of this process's, a passphrase among it), no site
        packages, its own session (an interrupt here stops it through `__exit__`)."""
        import subprocess

        home = str(Path(__file__).resolve().parents[2])  # the folder that holds the dacli package
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _CHILD, home, os.fspath(self._root), repr(self._settled)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={},
                start_new_session=True,
            )
        except (OSError, ValueError):
            self._proc = None

    def _start(self) -> None:
        try:
            read, write = os.pipe()
        except OSError:
            return
        # Ctrl-C reaches the whole process group: the child is blind to it (the parent stops it), and an
        # interrupt that comes while forking is taken by the parent once the child is in its hands
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _BLIND)
        try:
            try:
                pid = os.fork()
            except OSError:
                os.close(read)
                os.close(write)
                return
            if pid == 0:  # the child: the scan, the pipe, and out, whatever happens
                code = 1
                try:
                    os.close(read)
                    data = marshal.dumps(stamps(self._root, self._settled))
                    view = memoryview(data)
                    while view:
                        view = view[os.write(write, view) :]
                    code = 0
                except BaseException:  # noqa: BLE001, S110 - the parent scans again
                    pass
                finally:
                    os._exit(code)
            self._pid, self._fd = pid, read
            os.close(write)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def result(self) -> dict[str, str]:
        """The stamps: the child's when it gave them whole, else taken here now."""
        if self._done is None:
            got = self._collect()
            self._done = got if got is not None else stamps(self._root, self._settled)
        return self._done

    def _collect(self) -> dict[str, str] | None:
        """The child's stamps, or None; an interrupt while waiting for them stops the child first."""
        if self._proc is None and self._pid is None:
            return None
        try:
            data = self._read()
        except BaseException:
            self._reap(stop=True)
            raise
        status = self._reap()
        return _loaded(data) if status == 0 and data else None

    def _read(self) -> bytes | None:
        if self._proc is not None:
            try:
                return self._proc.stdout.read()
            except OSError:
                return None
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        except OSError:
            return None
        return b"".join(chunks)

    def _reap(self, *, stop: bool = False) -> int | None:
        """Wait for the child (killed first with ``stop``) and forget it; its exit code (None: no child)."""
        if self._proc is not None:
            proc = self._proc
            if stop:
                with suppress(OSError):
                    proc.kill()
            proc.stdout.close()
            code = proc.wait()
            self._proc = None
            return code
        pid = self._pid
        if pid is None:
            return None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if stop:
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            self._pid = None
            return None
        self._pid = None
        return os.waitstatus_to_exitcode(status)

    def __enter__(self) -> Scan:
        return self

    def __exit__(self, *exc) -> None:
        self._reap(stop=True)


def _loaded(data: bytes | None) -> dict[str, str] | None:
    """A child's stamps, as it sent them (marshal: the child is this code, and the pipe is private)."""
    try:
        got = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return got if type(got) is dict else None


_CHILD = "import sys; sys.path.append(sys.argv[1]); from dacli.store.scan import child_main; child_main()"


def child_main() -> None:
    """The spawned scan (`Scan._spawn`): the stamps of the folder ``argv[2]`` (settled before ``argv[3]``),
    marshalled to standard output."""
    root, settled = sys.argv[2], float(sys.argv[3])
    sys.stdout.buffer.write(marshal.dumps(stamps(root, settled)))
    sys.stdout.buffer.flush()


PRESTART_FOR = 1.5
"""Seconds a scan `prestart` began is handed over for: the time to import and unlock through the agent or a
passphrase given in the environment. Past it (a passphrase typed at the prompt, a slow start) the reader
scans afresh: the stamps would answer for the folders as they were too long ago."""

_early: tuple[tuple[int, int], float, Scan] | None = None


@contextmanager
def prestart(root: str) -> Iterator[None]:
    """Begin the scan of ``root`` now, before the store is opened and unlocked (`dacli case list`, on the hot
    path): the first `prestarted` for the same folder within `PRESTART_FOR` seconds takes it; leaving stops
    it if none did. The listing then answers for the case folders as they were when the scan began, a moment
    before the reading (any change since shows at the next one), as it answers for them as they were when
    any scan ran."""
    global _early
    try:
        st = os.stat(root)
    except OSError:
        yield  # no such folder: opening the store says so
        return
    if not _may_fork():
        yield
        return
    scan = Scan(root, files_now_ns(cache_root()) - SETTLE_NS, how="fork")
    _early = ((st.st_dev, st.st_ino), clock.boottime(), scan)
    try:
        with scan:
            yield
    finally:
        _early = None


def prestarted(root: Path) -> Scan | None:
    """The scan `prestart` began for the folder ``root``, handed over once; None when there is none, or when
    it began more than `PRESTART_FOR` seconds ago (then it is stopped)."""
    global _early
    if _early is None:
        return None
    key, began, scan = _early
    try:
        st = os.stat(root)
    except OSError:
        return None
    if (st.st_dev, st.st_ino) != key:
        return None
    _early = None
    if clock.boottime() - began > PRESTART_FOR:
        scan._reap(stop=True)
        return None
    return scan
