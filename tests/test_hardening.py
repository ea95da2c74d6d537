"""Case data stays out of core dumps, other processes' reach and stray files: the CLI and the dashboard
cannot dump core and are not dumpable, the unlock agent forgets its environment, and an export killed part
way leaves no plaintext temp file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.test_agent import agents  # noqa: F401 - the fixture that locks the test's agents

CHECKLIST = '[answers]\nq1 = "yes"\n'

REPORT = """
import atexit, ctypes, resource, sys
def report():
    dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
    print("HARDENED", resource.getrlimit(resource.RLIMIT_CORE), dumpable, file=sys.stderr)
atexit.register(report)
"""


def _hardened(args: list[str], env: dict, stdin: str = "", before: str = "") -> str:
    code = REPORT + before + f"\nsys.argv = ['dacli', *{args!r}]\nfrom dacli.entry import main\nmain()\n"
    merged = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")} | env
    out = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, text=True, env=merged
    )
    lines = [x for x in out.stderr.splitlines() if x.startswith("HARDENED")]
    assert lines, out.stderr[-500:]
    return lines[0]


@pytest.mark.parametrize(
    "args, stdin",
    [
        (["dash", "score", "-"], CHECKLIST),  # the lean path: no typer, no store
        (["--help"], ""),
        (["case", "list"], ""),
    ],
)
def test_the_cli_cannot_dump_core_and_is_not_dumpable(args, stdin, env):
    assert _hardened(args, env, stdin) == "HARDENED (0, 0) 0"


def test_the_dashboard_cannot_dump_core_and_is_not_dumpable(env):
    """`dacli tui`, up to the moment the app would run (the report stands in for the app)."""
    before = "import dacli.tui.app\ndacli.tui.app.DacliApp.run = lambda self, *a, **k: report()\n"
    assert _hardened(["tui"], env, before=before).startswith("HARDENED (0, 0) 0")


def test_the_agent_forgets_its_environment_even_in_proc(run_dacli, agents, env):  # noqa: F811
    """A forked agent keeps its parent's environment block, which /proc/PID/environ shows (to root, and to
    a core dump) even after the variables are cleared; the agent overwrites it."""
    out = run_dacli("unlock")
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split("agent pid ")[1].split(")")[0])
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert b"DACLI_PASSPHRASE" not in environ and env["DACLI_PASSPHRASE"].encode() not in environ
    assert run_dacli("case", "list", extra_env={"DACLI_PASSPHRASE": ""}).returncode == 0  # still serves


KILLED = """
import os, signal, sys
from pathlib import Path
from dacli.commands.common import deliverer
import dacli.store.fsio as fsio

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIG{sig})
    return real(*args, **kwargs)

real = {where}
{where} = die
if {no_tmpfile}:
    del os.O_TMPFILE  # a system without it: a named temp file, with the signals that can wait held
deliverer(Path(sys.argv[1]))(b"Quorra Testperson-Alpha, safe number 07700 900999, code word lantern")
"""


@pytest.mark.parametrize(
    "where, sig, no_tmpfile",
    [
        ("os.fsync", "KILL", False),  # the content is written, not yet named
        ("fsio._name_unnamed", "KILL", False),  # at the naming of the unnamed file
        # kill, Ctrl-C or a closed terminal part way: the export finishes first, then the signal acts;
        # also where there is no O_TMPFILE (a named temp file, with those signals held)
        *((where, sig, no) for where in ("os.fsync", "os.replace") for sig in ("TERM", "INT", "HUP")
          for no in (False, True) if no or where == "os.fsync"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("earlier", [False, True])
def test_an_export_killed_part_way_leaves_no_plaintext_temp_file(tmp_path, where, sig, no_tmpfile, earlier):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "marac-referral.md"
    if earlier:
        target.write_bytes(b"an earlier export")
    code = textwrap.dedent(KILLED).format(where=where, sig=sig, no_tmpfile=no_tmpfile)
    done = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, timeout=60)
    assert done.returncode != 0  # it was killed
    left = sorted(p.name for p in folder.iterdir())
    assert left in ([], ["marac-referral.md"]), left  # nothing but the export itself
    if left:
        content = target.read_bytes()
        assert content in (
            b"an earlier export",
            b"Quorra Testperson-Alpha, safe number 07700 900999, code word lantern",
        )
    if sig != "KILL":  # a signal that can wait: the export was written whole before it took effect
        assert target.read_bytes().startswith(b"Quorra Testperson-Alpha")
