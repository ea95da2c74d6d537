"""Keep case data out of core dumps and out of other processes' memory, for every dacli process: the CLI
(`dacli.entry` calls ``harden_process`` first, on the lean `dash score` path too), the dashboard (run by the
CLI) and the unlock agent, which also forgets its environment (``drop_environment``).

Standard library only (``resource`` and ``ctypes``, about 2 ms): it runs before anything else is imported.
"""

from __future__ import annotations

import contextlib
import os

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


def harden_process() -> None:
    """No core dumps (RLIMIT_CORE 0, soft and hard), and (Linux) not dumpable: same-user ptrace,
    /proc/PID/mem and /proc/PID/environ are refused, and no core is written whatever the limit."""
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def drop_environment() -> None:
    """Forget the environment the process started with (``DACLI_PASSPHRASE`` among it): ``os.environ``,
    Python's own copy of it, and (Linux) the block of memory the kernel shows as /proc/PID/environ, which
    clearing the variables leaves as it was (a forked process keeps its parent's)."""
    os.environ.clear()
    with contextlib.suppress(ImportError):
        import posix

        posix.environ.clear()
    with contextlib.suppress(OSError, ValueError, IndexError, AttributeError):
        import ctypes

        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start and env_end: fields 50 and 51
        if 0 < start < end and end - start < 1 << 20:
            ctypes.memset(start, 0, end - start)
