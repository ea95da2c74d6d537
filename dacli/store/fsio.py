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


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either wholly old or wholly new."""
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
        os.replace(tmp, path)
        _fsync_dir(folder)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise _explain_os_error(exc, path) from None
    except BaseException:  # Ctrl-C or a signal mid-write: no half-written temp file stays behind
        with suppress(OSError):
            tmp.unlink()
        raise


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
