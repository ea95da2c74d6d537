"""`note add`, `dash record` and `intake --from` run without building the typer app (`dacli.lean`): their own
functions called with the options read from their signatures, the same output, sentences and exit codes,
and fewer modules loaded. Anything the lean reader does not know goes to the typer app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dacli.lean import parse

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "argv, name, expected",
    [
        (
            ["note", "add", "R", "--type", "telephone", "--with=client", "--text", "t", "--code", "g"]
            + ["--code=ci", "--attempt"],
            "note_add",
            {"ref": "R", "contact_type": "telephone", "contact_with": "client", "facts": "t"}
            | {"codes": ["g", "ci"], "attempt": True, "incident": False, "at": None},
        ),
        (["--store", "s", "--user=u", "dash", "record", "R", "--from", "f"], "dash_record", {"from_": "f"}),
        (["intake", "--from", "-", "--new-case"], "intake", {"from_": "-", "new_case": True, "json_": False}),
    ],
)
def test_the_lean_path_reads_the_options_as_typer_does(argv, name, expected):
    function, where, kwargs, _refs = parse(argv)
    assert function.__name__ == name
    assert {k: kwargs[k] for k in expected} == expected
    assert where == ({"store": "s", "user": "u"} if "--store" in argv else {})


@pytest.mark.parametrize(
    "argv",
    [
        ["note", "add", "--help"],
        ["note", "add", "R", "--colour", "x"],  # unknown option
        ["note", "add"],  # the case is missing
        ["note", "add", "R", "S"],  # a word too many
        ["note", "add", "R", "--type"],  # a value missing
        ["note", "list", "R"],
        ["intake"],  # asked question by question
        ["intake", "finish", "R", "--from", "f"],
        ["--version", "note", "add", "R"],
        ["dash", "score", "f"],
    ],
)
def test_anything_else_goes_to_the_typer_app(argv):
    assert parse(argv) is None


@pytest.mark.parametrize(
    "args",
    [
        ("note", "add", "{ref}", "--type", "carrier-pigeon", "--with", "client", "--text", "x"),
        ("note", "add", "DA-AAAAA-AAAAA", "--type", "telephone", "--with", "client", "--text", "x"),
        ("dash", "record", "{ref}", "--from", "/nonexistent/dash.toml"),
        ("intake", "--from", "/nonexistent/form.toml"),
        ("--user", "nobody", "note", "add", "{ref}", "--text", "x"),
    ],
)
def test_a_refusal_on_the_lean_path_is_what_the_typer_app_says(run_dacli, cli, case_ref, args):
    args = tuple(a.format(ref=case_ref) for a in args)
    lean, typed = run_dacli(*args), cli(*args)
    assert (lean.returncode, lean.stdout, lean.stderr) == (typed.exit_code, typed.stdout, typed.stderr)
    assert lean.returncode != 0 and lean.stderr.startswith("dacli: ")


def test_the_lean_commands_write_as_the_typer_app_does(run_dacli, cli, case_ref):
    note = ("note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "A call.")
    lean, typed = run_dacli(*note), cli(*note)
    assert lean.returncode == typed.exit_code == 0
    assert lean.stdout.startswith("note-") and typed.stdout.startswith("note-")
    form = str(EXAMPLES / "forms" / "intake-example.toml")
    made = run_dacli("intake", "--from", form, "--new-case", "--json")
    assert made.returncode == 0, made.stderr
    assert '"case": "DA-' in made.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["note", "add", "{ref}", "--type", "telephone", "--with", "client", "--text", "A call."],
        ["intake", "--from", str(EXAMPLES / "forms" / "intake-example.toml"), "--new-case"],
    ],
)
def test_the_lean_commands_build_no_typer_app(env, case_ref, command):
    """What a lean command loads: typer's module for its prompts, but not the typer app, typer's parameter
    handling, nor the other commands' modules."""
    argv = [a.format(ref=case_ref) for a in command]
    own = "dacli.commands.notes" if command[0] == "note" else "dacli.commands.intake"
    code = (
        "import sys\n"
        f"sys.argv = ['dacli', *{argv!r}]\n"
        "from dacli.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "loaded = [m for m in sys.modules if m in ('dacli.cli', 'typer._adapters')"
        " or m.startswith('dacli.commands.') and m not in ('dacli.commands.common', 'dacli.commands.prompts',"
        " 'dacli.commands.completion',"
        f" 'dacli.commands.render', {own!r})]\n"
        "print(' '.join(sorted(loaded)), file=sys.stderr)\n"
    )
    merged = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")} | env
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=merged, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr.strip() == "", run.stderr
