"""The unlock agent: one passphrase, then commands without it; private socket; idle and hard limits."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import MANAGER


@pytest.fixture
def agents(env):
    """The agent folder of this test; every agent still running at the end is locked."""
    folder = Path(env["DACLI_AGENT_DIR"])
    yield folder
    from dacli.store import agent

    os.environ["DACLI_AGENT_DIR"] = str(folder)
    if folder.exists():
        os.chmod(folder, 0o700)
        agent.lock_all()


def _no_passphrase(env: dict) -> dict:
    return {"DACLI_PASSPHRASE": ""}


def test_unlock_then_commands_need_no_passphrase_until_lock(run_dacli, agents, env):
    started = run_dacli("unlock", "--idle", "5")
    assert started.returncode == 0, started.stderr
    assert "Unlocked for mgr" in started.stdout
    # private folder and socket; the name is a hash, never a person's or a store's name
    assert stat.S_IMODE(agents.stat().st_mode) == 0o700
    (sock,) = agents.iterdir()
    assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert sock.name.endswith(".sock") and len(sock.name) == 29 and MANAGER not in sock.name

    listed = run_dacli("case", "list", "--json", extra_env=_no_passphrase(env))
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []

    locked = run_dacli("lock")
    assert locked.returncode == 0 and "1 agent ended" in locked.stdout
    after = run_dacli("case", "list", extra_env=_no_passphrase(env))
    assert after.returncode == 3
    assert after.stderr.strip() == (
        "dacli: No passphrase: run `dacli unlock` first, or set DACLI_PASSPHRASE_FILE, or run in a terminal."
    )
    assert list(agents.iterdir()) == []  # the agent removed its socket

    audit = run_dacli("audit", "show", "--json")
    assert "agent-unlock" in audit.stdout


def test_wrong_passphrase_starts_no_agent(run_dacli, agents):
    bad = run_dacli("unlock", extra_env={"DACLI_PASSPHRASE": "not the passphrase"})
    assert bad.returncode == 3
    assert not agents.exists() or list(agents.iterdir()) == []


def test_limits_are_bounded(run_dacli, agents):
    assert run_dacli("unlock", "--max-hours", "9").returncode == 2
    assert run_dacli("unlock", "--idle", "0").returncode == 2
    from dacli.store.agent import Limits

    limits = Limits.from_options(idle_minutes=600, max_hours=2)
    assert limits.idle_seconds == limits.hard_seconds == 7200


def test_idle_agent_locks_itself(run_dacli, agents, env):
    # 6 seconds: long enough for the next command to start on a busy CI machine (1.2 s was not), short
    # enough to wait for
    assert run_dacli("unlock", "--idle", "0.1").returncode == 0
    assert run_dacli("case", "list", extra_env=_no_passphrase(env)).returncode == 0
    deadline = time.monotonic() + 40
    while list(agents.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(agents.iterdir()) == []
    assert run_dacli("case", "list", extra_env=_no_passphrase(env)).returncode == 3


def test_a_second_unlock_replaces_the_first(run_dacli, agents):
    first = run_dacli("unlock")
    second = run_dacli("unlock")
    assert first.returncode == second.returncode == 0
    assert len(list(agents.iterdir())) == 1
    assert "1 agent ended" in run_dacli("lock").stdout


def test_agent_process_cannot_dump_core(run_dacli, agents):
    out = run_dacli("unlock")
    pid = int(out.stdout.split("agent pid ")[1].split(")")[0])
    limits = Path(f"/proc/{pid}/limits").read_text()
    (line,) = [x for x in limits.splitlines() if x.startswith("Max core file size")]
    assert line.split()[4:6] == ["0", "0"]


def test_an_unsafe_agent_folder_is_never_used(run_dacli, agents, env):
    agents.mkdir(mode=0o755)
    os.chmod(agents, 0o755)
    refused = run_dacli("unlock")
    assert refused.returncode == 8
    assert "not a private folder" in refused.stderr
    # commands ignore it and ask for the passphrase instead
    assert run_dacli("case", "list", extra_env=_no_passphrase(env)).returncode == 3


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_is_refused_even_if_the_socket_is_reachable(run_dacli, agents):
    import shutil
    import tempfile

    parent = Path(tempfile.mkdtemp(prefix="dacli-peer-"))  # outside pytest's private temp folder
    os.chmod(parent, 0o755)
    folder = parent / "agents"
    try:
        assert run_dacli("unlock", extra_env={"DACLI_AGENT_DIR": str(folder)}).returncode == 0
        _ask_as_nobody(folder)
    finally:
        if folder.exists():
            os.chmod(folder, 0o700)
        assert "1 agent ended" in run_dacli("lock", extra_env={"DACLI_AGENT_DIR": str(folder)}).stdout
        shutil.rmtree(parent, ignore_errors=True)


def _ask_as_nobody(agents: Path) -> None:
    (sock,) = agents.iterdir()
    os.chmod(agents, 0o755)  # simulate a loosened folder: SO_PEERCRED must still refuse
    os.chmod(sock, 0o666)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - child process
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(str(sock))
            with contextlib.suppress(BrokenPipeError):  # the agent may refuse before reading it
                s.sendall(b'{"op": "identity"}\n')
            os.write(write_end, s.recv(4096))
        except BaseException as exc:
            os.write(write_end, repr(exc).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    reply = os.read(read_end, 4096)
    os.close(read_end)
    assert b"AGE-SECRET-KEY" not in reply
    assert json.loads(reply or b"null") == {"ok": False, "error": "refused: another user"}


def test_hard_limit_ends_a_busy_agent(tmp_path_factory):
    from dacli.store import agent

    folder = tmp_path_factory.mktemp("hl")
    path = folder / "a.sock"
    sock = agent.bind(path)
    limits = agent.Limits(idle_seconds=60, hard_seconds=1.0)
    result: list[str] = []
    server = threading.Thread(target=lambda: result.append(agent.serve(sock, path, b"x", limits)))
    server.start()
    answers = 0
    while server.is_alive() and answers < 100:
        if agent._ask(path, "identity") is not None:
            answers += 1
        time.sleep(0.1)
    server.join(5)
    assert result == ["hard limit"] and answers >= 3
    assert not path.exists()
