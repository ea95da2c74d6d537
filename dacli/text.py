"""Hostile text, kept out in one place (standard library only: the lean `dash score` path uses it too).

- ``load_toml`` / ``load_json``: every TOML or JSON document dacli reads (forms, `dash score`, records,
  the index, staff list, settings, policy, audit and tombstone lines) goes through one of these. Past the
  parser itself they refuse nesting deeper than ``MAX_DEPTH``, integers outside 64 bits (TOML's own
  range; Python's 4,300-digit limit is reported the same way) and, unless the caller reads stored text that
  may be old, NUL. (The JSON files dacli writes itself are held to the parser's limits only: see
  ``load_json``.) Each problem is ``Refused``: one sentence that never quotes the content.
- ``neutralise`` / ``neutralise_tree``: C0 and C1 control characters and DEL (so ESC and every terminal
  escape sequence) except newline and tab become a visible placeholder. Applied where stored text enters
  dacli (records, index, audit lines), so no output (a terminal, an export, the dashboard) receives them.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32
"""Tables and arrays nested deeper than this are refused (no dacli document nests more than 5)."""
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
MAX_FORM_CHARS = 1_000_000
"""A form (or a Dash checklist) longer than this is refused before it is parsed."""
PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters other than tab and newline (C0, DEL, C1: ESC, CSI, OSC, BEL, NUL, CR...)."""
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Every control character, tab and newline included: what a single-line field refuses."""
CASE_REF_RE = re.compile(r"^DA-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
"""A case reference: 'DA-' and two groups of five Crockford base32 characters. Opaque, it never carries a
name, and the strict pattern is also what stops a reference from walking out of the store (here, not in
`dacli.schemas.common` which gives it to the schemas, so that the listing's folder scan needs no pydantic)."""

_REF_READING = str.maketrans("ILO", "110", " -_")
"""How a typed reference is read (Crockford base32): I and L are 1, O is 0; spaces, hyphens and underscores
are left out."""
_REF_BODY = re.compile(r"^[0-9A-HJKMNP-TV-Z]{1,10}$")


def ref_prefixes(typed: str) -> list[str]:
    """What ``typed`` can be the start of, as reference characters without 'DA-' and the hyphen (the
    reference ``DA-7K3M9-QXP2T`` is ``7K3M9QXP2T``): 'da-7k3m9-qxp2t', '7K3M9QXP2T' and 'DA 7k3m9' give
    ['7K3M9QXP2T'], ['7K3M9QXP2T'] and ['7K3M9']; 'DA7K3' gives ['7K3', 'DA7K3'] (the 'DA' may be the
    reference's own characters). Empty when ``typed`` cannot begin a reference."""
    text = typed.strip().upper()
    readings = [text]
    if text[:3] in ("DA-", "DA ", "DA_"):
        readings = [text[3:]]
    elif text.startswith("DA"):
        readings = [text[2:], text]
    found = []
    for reading in readings:
        body = reading.translate(_REF_READING)
        if _REF_BODY.fullmatch(body) and body not in found:
            found.append(body)
    return found


def ref_of(body: str) -> str:
    """The reference of ten characters ``body`` (from `ref_prefix`): 'DA-XXXXX-XXXXX'."""
    return f"DA-{body[:5]}-{body[5:]}"


_JSON_CONTROL = re.compile(rb"\\u00[01789]|\\u007f|\xc2[\x80-\x9f]", re.I)
"""A control character in JSON text: escaped (tab and newline too: harmless), or raw C1 in UTF-8 (raw C0
is not valid JSON inside a string)."""


class Refused(ValueError):
    """Input dacli will not read; ``str()`` is one sentence naming the problem, never the content.
    ``syntax``: the parser refused it (rather than one of the limits here)."""

    def __init__(self, message: str, syntax: bool = False) -> None:
        super().__init__(message)
        self.syntax = syntax


def neutralise(text: str) -> str:
    """``text`` with every control character but newline and tab shown as a placeholder."""
    return CONTROL.sub(PLACEHOLDER, text) if CONTROL.search(text) else text


def one_line(text: str) -> str:
    """An error message as one line: every character that is not printable (newlines, tabs, escapes,
    invisible formatting) becomes '?', so a quoted value cannot break the line or reach the terminal."""
    return text if text.isprintable() else "".join(c if c.isprintable() else "?" for c in text)


def neutralise_tree(value: Any) -> Any:
    """Every string (and key) in a parsed document neutralised; other values unchanged."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dict):
        return {neutralise(k) if isinstance(k, str) else k: neutralise_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [neutralise_tree(v) for v in value]
    return value


def check_tree(value: Any, name: str, *, nul: bool = False) -> Any:
    """``value`` if no table or array in it nests deeper than MAX_DEPTH, every integer fits 64 bits and
    (unless ``nul``) no string or key holds NUL; else ``Refused``. Iterative: depth cannot overflow it."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise Refused(f"{name} nests tables deeper than {MAX_DEPTH} levels.")
            for key, inner in item.items():
                if not nul and "\x00" in key:
                    raise Refused(f"{name} has a NUL character in a key.")
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise Refused(f"{name} nests arrays deeper than {MAX_DEPTH} levels.")
            stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            if not nul and "\x00" in item:
                raise Refused(f"{name} has a NUL character in a value.")
        elif isinstance(item, int) and not isinstance(item, bool) and not MIN_INT <= item <= MAX_INT:
            raise Refused(f"{name} has an integer too large (more than 64 bits).")
    return value


def _parse_failure(exc: BaseException, name: str, kind: str) -> Refused:
    if isinstance(exc, RecursionError):
        return Refused(f"{name} nests tables or arrays deeper than {MAX_DEPTH} levels.")
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return Refused(f"{name} has an integer too large (more than 64 bits).")
    return Refused(f"{name} is not valid {kind}: {exc}.", syntax=True)


def load_toml(text: str, name: str, *, stored: bool = False) -> dict[str, Any]:
    """A TOML document, checked (see ``check_tree``); any problem is ``Refused``. ``stored``: text from
    the store that may be old, so NUL is allowed and every string is neutralised instead."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError is a ValueError
        raise _parse_failure(exc, name, "TOML") from None
    check_tree(data, name, nul=stored)
    return neutralise_tree(data) if stored else data


def load_json(text: str | bytes, name: str, *, stored: bool = False, neutral: bool | None = None) -> Any:
    """A JSON document, checked (see ``check_tree``); any problem is ``Refused``. ``stored``: a JSON file
    dacli wrote itself (the index, audit lines, tombstones), held to the parser's own limits (about 1,000
    levels; 4,300 digits) rather than walked, since the caseload index of 20,000 cases is read on every
    `case list`; its strings are neutralised (walked only when the text holds a control character at all,
    which dacli writes as a \\u00XX escape). ``neutral=False`` keeps them as they are (to check a hash)."""
    import json

    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _parse_failure(exc, name, "JSON") from None
    if not stored:
        return check_tree(data, name)
    raw = text.encode() if isinstance(text, str) else text
    if (
        (stored if neutral is None else neutral)
        and (b"\\u00" in raw or b"\xc2" in raw)
        and _JSON_CONTROL.search(raw)
    ):
        try:
            return neutralise_tree(data)
        except RecursionError:
            raise Refused(f"{name} nests tables or arrays too deeply.") from None
    return data
