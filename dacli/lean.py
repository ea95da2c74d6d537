"""The writing commands a caseworker runs all day, run without building the typer app.

`note add`, `dash record` and `intake` (with `--from`) are typed many times a day. Building the typer app
imports every command module, and typer's parameter handling builds pydantic adapters for each parameter:
about 0.15 s of a `note add` that otherwise costs one record. So `dacli.entry` hands those command lines
here first. The command's own function (the one typer calls) is called directly: its parameters are read
from its signature (each ``typer.Option``'s names, ``typer.Argument``s in order; str, Path, int, float,
bool flags and repeatable ``list[str]``), the global options (`--store`, `--user` and their environment
variables) as the root callback reads them, through the same error boundary (`dacli.boundary`).
Anything this reader does not know (`--help`, an unknown option or subcommand, a missing value or
argument, an option with a callback or an environment variable of its own, a type it does not convert)
goes to the typer app, which says what it says today. `tests/test_lean.py` checks that both paths give the
same result for every option of these commands.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

HOT = {
    ("note", "add"): ("dacli.commands.notes", "note_add"),
    ("dash", "record"): ("dacli.commands.dash", "dash_record"),
    ("intake",): ("dacli.commands.intake", "intake"),
}
"""Command words to (module, function) run here."""

_GLOBAL = {"--store": "store", "--user": "user"}
_CONVERT = {"str": str, "Path": Path, "int": int, "float": float}


class _Ctx:
    """What a command function reads of typer's context: the root's object, and no subcommand."""

    invoked_subcommand = None

    def __init__(self, obj) -> None:
        self.obj = obj


def _spec(function) -> tuple[dict, list, set, set] | None:
    """(option name to (parameter, kind), positional parameters, required parameters, case reference
    parameters) from a command's signature; None when a parameter is of a kind this reader leaves to typer.
    A case reference (the callback `ref_callback`) is read by `resolve_ref` once the context exists."""
    from typer.models import ArgumentInfo, OptionInfo

    from dacli.commands.common import ref_callback

    options: dict[str, tuple[str, str]] = {}
    positional: list[tuple[str, str]] = []
    required: set[str] = set()
    refs: set[str] = set()
    for name, p in inspect.signature(function).parameters.items():
        info = p.default
        kind = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
        if name == "ctx":
            continue
        if not isinstance(info, (OptionInfo, ArgumentInfo)):
            return None
        if info.callback is ref_callback and kind == "str":
            refs.add(name)
        elif kind not in (*_CONVERT, "bool", "list[str]") or info.callback is not None or info.envvar:
            return None
        if info.default is ... or info.default is Ellipsis:
            required.add(name)
        if isinstance(info, ArgumentInfo):
            if kind not in _CONVERT:
                return None
            positional.append((name, kind))
            continue
        for decl in info.param_decls or ():
            if "/" in decl or not decl.startswith("--"):
                return None
            options[decl] = (name, kind)
    return options, positional, required, refs


def _defaults(function) -> dict:
    return {
        name: p.default.default
        for name, p in inspect.signature(function).parameters.items()
        if name != "ctx" and p.default.default is not ...
    }


def parse(argv: list[str]):
    """(function, global options, keyword arguments) for a hot command line; None for anything else."""
    words = list(argv)
    where: dict[str, str] = {}
    while words and words[0].startswith("--"):
        head = words.pop(0)
        name, eq, value = head.partition("=")
        if name not in _GLOBAL:
            return None
        if not eq:
            if not words:
                return None
            value = words.pop(0)
        where[_GLOBAL[name]] = value
    command = next((c for c in HOT if tuple(words[: len(c)]) == c), None)
    if command is None:
        return None
    module, attr = HOT[command]
    rest = words[len(command) :]
    if command == ("intake",) and "--from" not in rest and not any(w.startswith("--from=") for w in rest):
        return None  # asked question by question: the typer app (and its prompts)
    function = getattr(importlib.import_module(module), attr)
    spec = _spec(function)
    if spec is None:
        return None
    options, positional, required, refs = spec
    kwargs = _defaults(function)
    values: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        i += 1
        if not word.startswith("-") or word == "-":
            values.append(word)
            continue
        name, eq, value = word.partition("=")
        if name not in options:
            return None  # --help, --, an unknown option: the typer app says what it says
        param, kind = options[name]
        if kind == "bool":
            if eq:
                return None
            kwargs[param] = True
            continue
        if not eq:
            if i >= len(rest):
                return None
            value = rest[i]
            i += 1
        if kind == "list[str]":
            kwargs[param] = [*(kwargs.get(param) or []), value]
            continue
        try:
            kwargs[param] = _CONVERT[kind](value)
        except ValueError:
            return None
    if len(values) > len(positional):
        return None  # a subcommand (`intake finish`), or a word too many: the typer app
    for (param, kind), value in zip(positional, values, strict=False):
        kwargs[param] = _CONVERT[kind](value)
    if any(param not in kwargs for param in required):
        return None
    return function, where, kwargs, refs


def main(argv: list[str]) -> int | None:
    """Run a hot command and return its exit code; None when ``argv`` is not one (the typer app runs it)."""
    parsed = parse(argv)
    if parsed is None:
        return None
    function, where, kwargs, refs = parsed
    from dacli.boundary import run_without_app
    from dacli.commands.common import resolve_ref

    def run(c) -> None:
        for param in refs:
            if kwargs.get(param) is not None:
                kwargs[param] = resolve_ref(c, kwargs[param])
        function(_Ctx(c), **kwargs)

    return run_without_app(where, run)
