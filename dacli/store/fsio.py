"""Files that cannot tear, and locks that two processes respect.

A write goes to a temp file in the same folder, is fsynced, renamed over the target with ``os.replace``
and the folder is fsynced, so after a crash the target is the old file or the new one, never half of each.
Only ciphertext is ever handed to these functions. Every write to a folder happens under that folder's
lock, so any temp file found while holding the lock belongs to a writer that died: it is removed.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from dacli.errors import LockBusy, StoreError

TMP_PREFIX = ".tmp-"
LOCK_NAME = ".lock"
FILE_MODE = 0o600
DIR_MODE = 0o700


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _explain_os_error(exc: OSError, path: Path) -> StoreError:
    if exc.errno == errno.ENOSPC:
        return StoreError(f"The disk is full: nothing was written to {path.name}.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(f"The store is read-only here: nothing was written to {path.name}.")
    return StoreError(f"Could not write {path.name} ({exc.strerror}): nothing was written.")


def atomic_write(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` so that it is either wholly old or wholly new. With ``replace=False`` an
    existing file is never replaced: FileExistsError, and the file another writer made first stands."""
    folder = path.parent
    tmp = folder / f"{TMP_PREFIX}{secrets.token_hex(8)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the name exists: written once
            finally:
                tmp.unlink()
        _fsync_dir(folder)
    except FileExistsError:
        with suppress(OSError):
            tmp.unlink()
        raise
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise _explain_os_error(exc, path) from None
    except BaseException:  # Ctrl-C or a signal mid-write: no half-written temp file stays behind
        with suppress(OSError):
            tmp.unlink()
        raise


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, kill, a closed terminal: held until the block ends, then delivered (SIGKILL cannot be)."""
    import signal

    names = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGPIPE", "SIGALRM", "SIGUSR1", "SIGUSR2")
    held = {getattr(signal, n) for n in names if hasattr(signal, n)}
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # no signal masks here
        before = None
    try:
        yield
    finally:
        if before is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _name_unnamed(fd: int, path: Path) -> bool:
    """Give a file opened with O_TMPFILE the name ``path`` (linkat through /proc/self/fd, as open(2)
    shows; Python's os.link does not follow that link). False where this cannot be done here."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, at_symlink_follow = -100, 0x400
    source = f"/proc/self/fd/{fd}".encode()
    if libc.linkat(at_fdcwd, source, at_fdcwd, os.fsencode(path), at_symlink_follow) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOENT, errno.EXDEV, errno.EPERM, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(path))


def write_plaintext(path: Path, data: bytes) -> None:
    """Write plaintext that leaves the store on purpose (an export to a file the user named) so that a
    process killed part way leaves no plaintext temp file behind. On Linux the content is written to an
    unnamed file (O_TMPFILE), fsynced, and only then given its name (an earlier file of that name is
    removed first, so the new one never waits under a temp name); a kill, even kill -9, before that leaves
    nothing. Where O_TMPFILE is not available, a temp file is written and renamed with Ctrl-C, kill and
    hang-up held until it is done, so only kill -9 or a power cut could leave it."""
    folder = path.parent
    with _signals_held():
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, FILE_MODE)
        except AttributeError:
            fd = None
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise _explain_os_error(exc, path) from None
            fd = None
        if fd is None:
            atomic_write(path, data)
            return
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            named = False
            for _ in range(3):
                try:
                    named = _name_unnamed(fd, path)
                    break
                except FileExistsError:
                    os.unlink(path)  # overwriting an earlier export: it goes first
            else:
                raise OSError(errno.EEXIST, "File exists", str(path))
        except OSError as exc:
            raise _explain_os_error(exc, path) from None
        finally:
            os.close(fd)
        if not named:
            atomic_write(path, data)
            return
        with suppress(OSError):
            _fsync_dir(folder)


def make_dir(path: Path) -> None:
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise _explain_os_error(exc, path) from None


def clean_stale_temps(folder: Path) -> int:
    """Remove temp files left by a writer that died. Call only while holding ``folder``'s lock."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name.startswith(TMP_PREFIX):
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


@contextmanager
def folder_lock(folder: Path, timeout: float, what: str) -> Iterator[None]:
    """Hold ``folder``'s lock (``flock``: a dead process's lock is released by the kernel)."""
    # filelock is imported here: read-only commands never need it.
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / LOCK_NAME), timeout=timeout, mode=FILE_MODE)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(
            f"Another dacli process is writing to {what}; nothing was changed. Try again in a moment."
        ) from None
    except OSError as exc:
        raise _explain_os_error(exc, folder / LOCK_NAME) from None
    try:
        clean_stale_temps(folder)
        yield
    finally:
        lock.release()


fsync_dir = _fsync_dir
