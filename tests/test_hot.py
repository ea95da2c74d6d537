"""`case list` and `case show REF` run without building the typer app (`dacli.hot`): the same output, the
same sentences and exit codes, and fewer modules imported. Anything the hot path does not know goes to the
typer app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dacli.hot import parse


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["case", "list"], ("list", {}, {})),
        (
            ["--store", "s", "--user=u", "case", "list", "--worker", "w", "--risk=high", "--json", "--mine"],
            (
                "list",
                {"store": "s", "user": "u"},
                {"worker": "w", "risk": "high", "json_": True, "mine": True},
            ),
        ),
        (["case", "list", "--status", "open", "--status", "closed"], ("list", {}, {"status": "closed"})),
        (
            ["case", "show", "--all", "DA-1", "--json"],
            ("show", {}, {"all_": True, "json_": True, "ref": "DA-1"}),
        ),
    ],
)
def test_the_hot_path_reads_the_options_as_typer_does(argv, expected):
    assert parse(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["case", "list", "--help"],
        ["case", "list", "--worker"],  # a value missing
        ["case", "list", "--color"],  # an option it does not know
        ["case", "list", "extra"],
        ["case", "show"],
        ["case", "show", "A", "B"],
        ["--version", "case", "list"],
        ["case", "close", "DA-1"],
        ["note", "add", "case"],
        ["case", "list", "--", "x"],
    ],
)
def test_anything_else_goes_to_the_typer_app(argv):
    assert parse(argv) is None


def _both(run_dacli, cli, *args: str, extra_env: dict | None = None):
    hot = run_dacli(*args, extra_env=extra_env)
    typed = cli(*args, extra_env=extra_env)
    return hot, typed


@pytest.mark.parametrize(
    "args",
    [
        ("case", "list"),
        ("case", "list", "--json"),
        ("case", "list", "--risk", "high"),
        ("case", "list", "--status", "nonsense"),  # refused in one sentence
        ("case", "show", "{ref}"),
        ("case", "show", "{ref}", "--json", "--all"),
        ("case", "show", "DA-AAAAA-AAAAA"),  # no such case
        ("--user", "nobody", "case", "list"),  # no such user
    ],
)
def test_the_hot_path_prints_what_the_typer_app_prints(run_dacli, cli, case_ref, args):
    args = tuple(a.format(ref=case_ref) for a in args)
    hot, typed = _both(run_dacli, cli, *args)
    assert (hot.returncode, hot.stdout, hot.stderr) == (typed.exit_code, typed.stdout, typed.stderr)


def test_a_failure_on_the_hot_path_is_one_sentence_and_its_exit_code(run_dacli, case_ref):
    result = run_dacli("case", "list", "--status", "nonsense")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("dacli: ") and result.stderr.count("\n") == 1
    result = run_dacli("case", "list", "--colour", "x")  # the typer app's usage error
    assert result.returncode == 2 and "No such option" in result.stderr


LISTING_NEVER = (
    "dacli.services.case_view", "dacli.services.intake", "dacli.schemas.intake", "dacli.schemas.review",
    "textual",
)  # fmt: skip


@pytest.mark.parametrize("command", [["case", "list"], ["case", "show", "{ref}"]])
def test_the_hot_commands_import_neither_typer_nor_the_command_modules(env, case_ref, command):
    """What a hot command loads: not typer, not the typer app, not the other commands' modules."""
    argv = [a.format(ref=case_ref) for a in command]
    code = (
        "import sys\n"
        f"sys.argv = ['dacli', *{argv!r}]\n"
        "from dacli.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "loaded = [m for m in sys.modules if m == 'typer' or m.startswith(('typer.', 'click', 'dacli.cli',"
        " 'dacli.commands.')) and m not in ('dacli.commands', 'dacli.commands.common',"
        " 'dacli.commands.caseviews', 'dacli.commands.render')]\n"
        # the listing reads one file of listed columns: no case reader, no intake schemas, no rich
        f"loaded += [m for m in {LISTING_NEVER!r} if m in sys.modules and {command[1] == 'list'}]\n"
        # pydantic imported without asyncio, and without its plugin loader's importlib.metadata
        "loaded += [m for m in ('asyncio', 'importlib.metadata') if m in sys.modules]\n"
        "print(' '.join(sorted(loaded)), file=sys.stderr)\n"
    )
    merged = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")} | env
    if command[1] == "list":  # the listing made once, its case folder settled: the next one reads it alone
        os.utime(Path(env["DACLI_STORE"]) / case_ref, (1_700_000_000, 1_700_000_000))
        subprocess.run([sys.executable, "-m", "dacli", *argv], env=merged, capture_output=True, timeout=120)
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=merged, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr.strip() == "", run.stderr
