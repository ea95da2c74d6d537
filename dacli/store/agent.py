"""The unlock agent: type the passphrase once, not for every command.

`dacli unlock` decrypts the member's identity file (the scrypt step that costs about a third of a second
on purpose) and hands it to a small background process of the same Unix user. Later commands ask that
process for the identity over a Unix socket instead of asking for the passphrase. `dacli lock` ends it.

What protects the identity while the agent runs:

- the socket lives in a folder only this Unix user can enter (0700, owned by them; anything else is refused)
  and is itself 0600; the agent also checks the peer's uid with SO_PEERCRED and answers only its own user;
- the agent ends after an idle time (default 15 minutes) and at a hard limit (at most 8 hours) however busy;
- core dumps are off and the process is marked non-dumpable (Linux), so another process of the same user
  cannot read its memory through ptrace or a core file;
- the socket name is a hash of the store's path and the member's staff id: no name appears on disk.

What it cannot promise: Python cannot wipe a key from memory (strings are immutable and the allocator
reuses memory as it likes), so the identity may linger in freed memory of the agent and of each command
until that memory is reused. Anyone who is root, or this Unix user while the agent runs, can use the
identity: lock the agent (or the screen) when you leave the desk.

The agent holds the identity file's text, never the passphrase, and answers three requests, one JSON line
each: ``identity``, ``status`` and ``lock``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from dacli.errors import InvalidInput, StoreError
from dacli.harden import drop_environment, harden_process

DEFAULT_IDLE_MINUTES = 15.0
HARD_LIMIT_HOURS = 8.0
_REQUEST_LIMIT = 4096
_CLIENT_TIMEOUT = 2.0


def agent_dir() -> Path:
    """The private folder for agent sockets: DACLI_AGENT_DIR, else $XDG_RUNTIME_DIR/dacli, else
    /tmp/dacli-agent-<uid>."""
    override = os.environ.get("DACLI_AGENT_DIR")
    if override:
        return Path(override)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "dacli"
    return Path("/tmp") / f"dacli-agent-{os.getuid()}"


def _private_dir(create: bool) -> Path | None:
    folder = agent_dir()
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise StoreError(
            f"The agent folder {folder} is not a private folder of this user (it must be yours, mode 0700); "
            "remove it or set DACLI_AGENT_DIR."
        )
    return folder


def socket_name(store_root: Path, staff_id: str) -> str:
    key = f"{os.path.realpath(store_root)}\0{staff_id}".encode()
    return hashlib.sha256(key).hexdigest()[:24] + ".sock"


def socket_path(store_root: Path, staff_id: str, create: bool = False) -> Path | None:
    folder = _private_dir(create)
    return None if folder is None else folder / socket_name(store_root, staff_id)


# -- client -------------------------------------------------------------------------------------------


def _ask(path: Path, op: str) -> dict | None:
    """One request; None when no agent answers at that path (a stale socket is removed)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(_CLIENT_TIMEOUT)
    try:
        try:
            sock.connect(str(path))
        except FileNotFoundError:
            return None
        except ConnectionRefusedError:  # the agent died without cleaning up
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        sock.sendall(json.dumps({"op": op}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    finally:
        sock.close()
    try:
        reply = json.loads(data)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) and reply.get("ok") else None


def fetch_identity(store_root: Path, staff_id: str) -> bytes | None:
    """The identity file's text from a running agent, or None (then ask for the passphrase)."""
    try:
        path = socket_path(store_root, staff_id)
    except StoreError:
        return None  # an unsafe folder is never used; `dacli unlock` says why
    if path is None:
        return None
    reply = _ask(path, "identity")
    identity = reply.get("identity") if reply else None
    return identity.encode("ascii") if isinstance(identity, str) else None


def status(store_root: Path, staff_id: str) -> dict | None:
    path = socket_path(store_root, staff_id)
    return None if path is None else _ask(path, "status")


def lock_all() -> int:
    """End every agent of this Unix user (every store, every member). Returns how many answered."""
    folder = _private_dir(create=False)
    if folder is None:
        return 0
    ended = 0
    for path in sorted(folder.glob("*.sock")):
        if _ask(path, "lock") is not None:
            ended += 1
    return ended


# -- server -------------------------------------------------------------------------------------------


@dataclass
class Limits:
    idle_seconds: float
    hard_seconds: float

    @classmethod
    def from_options(cls, idle_minutes: float, max_hours: float) -> Limits:
        if not idle_minutes > 0:
            raise InvalidInput("--idle must be more than 0 minutes.")
        if not 0 < max_hours <= HARD_LIMIT_HOURS:
            raise InvalidInput(f"--max-hours must be more than 0 and at most {HARD_LIMIT_HOURS:g}.")
        hard = max_hours * 3600
        return cls(min(idle_minutes * 60, hard), hard)


def peer_uid(conn: socket.socket) -> int | None:
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return None
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def bind(path: Path) -> socket.socket:
    """A listening socket at ``path``, mode 0600 from birth. An agent already answering there is asked
    to stop first (a second `dacli unlock` replaces the first)."""
    if path.exists() or path.is_symlink():
        _ask(path, "lock")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(8)
    return sock


def serve(sock: socket.socket, path: Path, identity_text: bytes, limits: Limits, clock=time.monotonic) -> str:
    """Answer requests until locked, idle too long, or at the hard limit. Returns why it stopped."""
    started = last_used = clock()
    me = os.getuid()
    inode = os.stat(path).st_ino
    identity = identity_text.decode("ascii")
    try:
        while True:
            now = clock()
            left = min(last_used + limits.idle_seconds, started + limits.hard_seconds) - now
            if left <= 0:
                return "idle" if last_used + limits.idle_seconds <= now else "hard limit"
            sock.settimeout(min(left, 30.0))
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                try:
                    if os.stat(path).st_ino != inode:
                        return "socket replaced"
                except FileNotFoundError:
                    return "socket removed"  # nobody can reach it to lock it: stop holding the identity
                continue
            with conn:
                conn.settimeout(_CLIENT_TIMEOUT)
                if peer_uid(conn) != me:
                    with contextlib.suppress(OSError):
                        conn.sendall(b'{"ok": false, "error": "refused: another user"}\n')
                    continue
                try:
                    request = json.loads(conn.recv(_REQUEST_LIMIT) or b"null")
                except (OSError, ValueError):
                    continue
                op = request.get("op") if isinstance(request, dict) else None
                if op == "identity":
                    last_used = clock()
                    reply = {"ok": True, "identity": identity}
                elif op == "status":
                    now = clock()
                    reply = {
                        "ok": True,
                        "pid": os.getpid(),
                        "idle_left": round(last_used + limits.idle_seconds - now),
                        "hard_left": round(started + limits.hard_seconds - now),
                    }
                elif op == "lock":
                    with contextlib.suppress(OSError):
                        conn.sendall(b'{"ok": true}\n')
                    return "locked"
                else:
                    reply = {"ok": False, "error": "unknown request"}
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps(reply).encode() + b"\n")
    finally:
        sock.close()
        with contextlib.suppress(OSError):
            # only our own socket: a newer agent may have replaced it at the same path
            if path.exists() and os.stat(path).st_ino == inode:
                path.unlink()


def start(store_root: Path, staff_id: str, identity_text: bytes, limits: Limits) -> int:
    """Fork the agent into the background (double fork, new session, no terminal) and return its pid
    once its socket is ready. Errors in the child come back through a pipe as one sentence."""
    path = socket_path(store_root, staff_id, create=True)
    assert path is not None
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked process (tested through subprocesses)
        code = 0
        try:
            os.close(read_end)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            harden_process()
            drop_environment()  # no passphrase variable lingers in the agent, not even in /proc/PID/environ
            os.chdir("/")
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.closerange(3, write_end)  # nothing the CLI had open stays open in the agent
            os.closerange(write_end + 1, 4096)
            sock = bind(path)
            os.write(write_end, f"ok {os.getpid()}".encode())
            os.close(write_end)
            serve(sock, path, identity_text, limits)
        except BaseException as exc:  # noqa: BLE001 - report and leave; never return into the CLI
            with contextlib.suppress(OSError):
                os.write(write_end, f"error {type(exc).__name__}: {exc}".encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    os.waitpid(child, 0)
    answer = b""
    while chunk := os.read(read_end, 4096):
        answer += chunk
    os.close(read_end)
    text = answer.decode(errors="replace")
    if not text.startswith("ok "):
        raise StoreError(f"The unlock agent did not start ({text or 'no answer'}).")
    return int(text.split()[1])
