"""The hot commands, run without building the typer app.

A caseworker runs `dacli case list` and `dacli case show REF` dozens of times a day. Building the typer app
imports every command module and typer's parameter handling (which builds pydantic adapters): about a
third of `case list`'s time with the unlock agent. So `dacli.entry` hands those two here first: the global
options (`--store`, `--user`, and their environment variables) and the command's own options are read by
hand, and the same functions the typer commands call (`dacli.commands.caseviews`) print the same output,
through the same error boundary (`dacli.boundary`). Anything else on the line (`--help`, an option this
reader does not know, a missing value) goes to the typer app, which says what it says today.
"""

from __future__ import annotations

_LIST_FLAGS = {"--mine": "mine", "--overdue": "overdue", "--json": "json_"}
_LIST_VALUES = {"--worker": "worker", "--status": "status", "--risk": "risk", "--flag": "flag"}
_SHOW_FLAGS = {"--json": "json_", "--all": "all_"}
_GLOBAL = {"--store": "store", "--user": "user"}


def _options(words: list[str], values: dict, flags: dict) -> tuple[dict, list[str]] | None:
    """The options (last one wins, as typer does) and the positional words; None for anything else."""
    found: dict = {}
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-") or word == "-":
            rest.append(word)
        elif word in flags:
            found[flags[word]] = True
        elif word.split("=", 1)[0] in values and "=" in word:
            name, value = word.split("=", 1)
            found[values[name]] = value
        elif word in values and i + 1 < len(words):
            found[values[word]] = words[i + 1]
            i += 1
        else:
            return None  # --help, --, an unknown option, a value missing: the typer app says what it says
        i += 1
    return found, rest


def parse(argv: list[str]) -> tuple[str, dict, dict] | None:
    """(command, global options, its options) for `case list` and `case show REF`; None for anything else."""
    try:
        at = argv.index("case")
    except ValueError:
        return None
    if len(argv) < at + 2 or argv[at + 1] not in ("list", "show"):
        return None
    head = _options(argv[:at], _GLOBAL, {})
    if head is None or head[1]:
        return None
    command = argv[at + 1]
    if command == "list":
        body = _options(argv[at + 2 :], _LIST_VALUES, _LIST_FLAGS)
        if body is None or body[1]:
            return None
        return command, head[0], body[0]
    body = _options(argv[at + 2 :], {}, _SHOW_FLAGS)
    if body is None or len(body[1]) != 1:
        return None
    return command, head[0], {**body[0], "ref": body[1][0]}


def main(argv: list[str]) -> int | None:
    """Run `case list` or `case show` and return the exit code; None when ``argv`` is another command."""
    parsed = parse(argv)
    if parsed is None:
        return None
    command, where, options = parsed
    from dacli.boundary import run_without_app

    def run(c) -> None:
        from dacli.commands.caseviews import list_cases, show_case_text

        if command == "list" and not options.get("json_"):
            from dacli.store.scan import prestart

            with prestart(c.store_path):  # the case folders' stamps, taken while the store is unlocked
                list_cases(c, **options)
        elif command == "list":
            list_cases(c, **options)
        else:
            from dacli.commands.common import resolve_ref

            show_case_text(c, resolve_ref(c, options.pop("ref")), **options)

    return run_without_app(where, run)
