"""The README's command lines stay runnable: every `dacli ...` line names a real command and real options.

Each line is parsed by the real CLI (the root group with its error boundary, every sub-group's own command
resolution) with every command's body swapped for a recorder, so nothing runs: a line passes when the
parser reaches a command and accepts all its options and arguments. A missing command, a renamed option or
a missing required option fails. The lines of "A first session" are then run for real.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "store"
DEMO = {"DACLI_USER": "demo", "DACLI_PASSPHRASE": "demo-passphrase"}
SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}


def _blocks(text: str) -> list[tuple[str, str]]:
    """(heading, body) of every fenced code block."""
    out, heading, body, fenced = [], "", [], False
    for line in text.splitlines():
        if line.startswith("```"):
            if fenced:
                out.append((heading, "\n".join(body)))
                body = []
            fenced = not fenced
        elif fenced:
            body.append(line)
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return out


def _dacli_args(tokens: list[str]) -> list[list[str]]:
    """The arguments of each `dacli` command in a tokenised shell line (environment assignments, pipes,
    redirections and what follows them left out)."""
    commands: list[list[str]] = []
    current: list[str] | None = None
    for token in [*tokens, ";"]:
        if token in SHELL_OPERATORS:
            if current is not None:
                commands.append(current)
            current = None
        elif current is None:
            if token == "dacli" or token.endswith("/dacli"):
                current = []
        elif current is not None and token and set(token) <= set("<>&()"):
            commands.append(current)
            current = None
        elif current is not None:
            current.append(token)
    return commands


def block_lines() -> list[tuple[str, list[str]]]:
    """(README line, dacli arguments) for every dacli command in a code block."""
    out = []
    for _, body in _blocks(README.read_text()):
        for line in body.replace("\\\n", " ").splitlines():
            if not re.search(r"(^|[\s/])dacli\s", line):
                continue  # not a command line (the store's layout is in a code block too)
            line = re.sub(r"\d>&\d", "", line)
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            for args in _dacli_args(list(lexer)):
                out.append((line.strip(), args))
    return out


def inline_lines() -> list[tuple[str, list[str]]]:
    """(span, arguments) for every code span in the prose that names a command: `dacli ...`, or one that
    starts with a command's name (`case list --json`, `user list [--all]`). `[--out FILE]` counts as
    given, `criminal|civil` as its first choice, and `...` as nothing."""
    import typer

    from dacli.cli import app

    commands = set(typer.main.get_command(app).commands)
    text = re.sub(r"```.*?```", "", README.read_text(), flags=re.S)
    text = re.sub(r"``.+?``", "", text, flags=re.S)  # a double-backtick span quotes dacli's output
    out = []
    for span in re.findall(r"`([^`]+)`", text.replace("\n", " ")):
        words = span.removeprefix("dacli ").split()
        if not (span.startswith("dacli ") or words[0] in commands) or "=" in span:
            continue  # not a command (`case = "DA-..."` is a line of a record)
        line = span.removeprefix("dacli ").replace("[", " ").replace("]", " ")
        line = re.split(r"\s[<>|]\s", line)[0]  # a redirection and what follows it is the shell's
        args = shlex.split(line)
        out.append((span, [a.split("|")[0] for a in args if a != "..."]))
    return out


def accepts(args: list[str], partial: bool = False) -> tuple[bool, str]:
    """Whether the CLI's parser takes ``args`` to a command with every option and argument accepted;
    nothing is executed. ``partial``: a required argument or option may be left out (prose names a
    command, as in "the same rules as `dacli note add`")."""
    import typer

    from dacli.cli import app

    reached: list[str] = []
    root = typer.main.get_command(app)  # a fresh tree: swapping its bodies leaves the app alone

    def swap(cmd, path: str) -> None:
        cmd.callback = lambda *a, **k: reached.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            swap(sub, f"{path} {name}")

    swap(root, "dacli")
    try:
        code = root.main(args, prog_name="dacli", standalone_mode=False)
    except Exception as exc:  # a usage error: no such command or option, a missing argument
        if partial and type(exc).__name__ == "MissingParameter":
            return True, ""
        if partial and type(exc).__name__ == "BadOptionUsage" and args[-1].startswith("--"):
            return True, ""  # an option named alone: "`share --what` stays in shell history"
        return False, f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
    leaf = reached[-1] if reached else ""
    return code in (None, 0) and leaf != "dacli", f"exit {code}, reached {leaf!r}"


def test_the_readme_has_the_command_lines_this_test_reads():
    lines = block_lines()
    assert len(lines) >= 45
    assert ["case", "list", "--mine", "--overdue"] in [args for _, args in lines]
    assert ["--store", "/srv/casefiles", "retain-purge", "--apply"] in [args for _, args in lines]  # crontab
    assert len(inline_lines()) > 60


@pytest.mark.parametrize(
    "line, args", block_lines(), ids=lambda x: " ".join(x) if isinstance(x, list) else ""
)
def test_every_readme_code_line_parses(line, args):
    ok, why = accepts(args)
    assert ok, f"README line `{line}` does not parse: {why}"
    if args[:2] == ["dash", "score"] and "--case" not in args:  # run by the lean dacli.dashscore
        from dacli.dashscore import USAGE

        for option in (a.split("=")[0] for a in args if a.startswith("--")):
            assert option in USAGE, f"README line `{line}`: the lean `dash score` has no {option}"


@pytest.mark.parametrize(
    "span, args", inline_lines(), ids=lambda x: " ".join(x) if isinstance(x, list) else ""
)
def test_every_dacli_span_in_the_prose_parses(span, args):
    ok, why = accepts(args, partial=True)
    assert ok, f"README span `{span}` does not parse: {why}"


def test_a_bogus_line_is_caught():
    assert accepts(["case", "list", "--mine"])[0]
    assert not accepts(["case", "lists"])[0]  # no such command
    assert not accepts(["case", "list", "--minee"])[0]  # no such option
    assert not accepts(["share-without-consent", "sign-off", "REF"])[0]  # a required argument left out
    assert not accepts(["case"])[0]  # a group alone only prints its help


def _commands_with(option: str) -> set[str]:
    import typer

    from dacli.cli import app

    found: set[str] = set()

    def walk(cmd, path: str) -> None:
        if any(option in p.opts for p in cmd.params):
            found.add(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def test_the_list_of_commands_that_take_json_is_complete():
    text = " ".join(README.read_text().split())
    sentence = re.search(r"`--json` on (.*?) prints machine-readable output", text)
    assert sentence, "the README's list of commands taking --json is gone"
    listed = set(re.findall(r"`([a-z -]+)`", sentence.group(1)))
    assert listed == _commands_with("--json")


def _first_session() -> Iterator[list[str]]:
    for heading, body in _blocks(README.read_text()):
        if heading == "A first session":
            yield from (args for line in body.splitlines() for args in _dacli_args(shlex.split(line, True)))


def test_a_first_session_runs(tmp_path, monkeypatch):
    """The section's lines, in order: `init` and `user add` make a new store (at the test suite's scrypt
    cost); the rest runs against a copy of the example store as its manager, with the new case's
    reference for DA-XXXXX-XXXXX and the first note's name for the one the correction supersedes."""
    from typer.testing import CliRunner

    from dacli.cli import app

    from .conftest import TEST_LOG_N

    lines = list(_first_session())
    assert [a[:2] for a in lines[:2]] == [["init", "--service-name"], ["user", "add"]]
    assert sum(a[0] == "note" for a in lines) == 4 and lines[-1] == ["audit", "verify"]
    runner = CliRunner()
    monkeypatch.chdir(ROOT)  # the README's paths (examples/forms/...) are from a checkout
    new = {"DACLI_STORE": str(tmp_path / "casefiles"), "DACLI_USER": "amara"}
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE, example)
    demo = {**DEMO, "DACLI_STORE": str(example)}
    ref = note = ""
    for args in lines:
        env, given = demo, None
        if args[0] == "init":
            env, args = (
                {**new, "DACLI_NEW_PASSPHRASE": "a long passphrase"},
                [*args, "--scrypt-log-n", str(TEST_LOG_N)],
            )
        elif args[:2] == ["user", "add"]:
            env = {**new, "DACLI_PASSPHRASE": "a long passphrase", "DACLI_NEW_PASSPHRASE": "another long one"}
        args = [a.replace("DA-XXXXX-XXXXX", ref) for a in args]
        if "--supersedes" in args:
            args[args.index("--supersedes") + 1] = note
        if args[:2] == ["note", "add"] and "--text" not in args:
            given = "Synthetic note for Quorra Testperson-Alpha.\n"  # the prompt for the note
        result = runner.invoke(app, args, env=env, input=given, catch_exceptions=False)
        assert result.exit_code == 0, f"dacli {' '.join(args)}: {result.stderr}"
        if args[0] == "intake" and "--from" in args:
            ref = result.stdout.strip()
        if args[:2] == ["note", "add"] and not note:
            note = re.findall(r"note-\S+\.toml\.age", result.stdout)[-1]
        if args[:2] == ["case", "show"]:
            assert ref in result.stdout and "Testcase" in result.stdout
    assert ref.startswith("DA-") and note.startswith("note-")
