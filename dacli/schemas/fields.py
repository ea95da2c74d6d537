"""A form's fields, read from its schema, for the two places a person fills one in without a file: the
dashboard's form screens (`dacli.tui.screens.schemaform`) and the CLI's questions (`commands.prompts`).

Pure: no I/O. ``form_fields`` lists a schema's fields in its order, each with the pack's wording as its label
(the field's docstring), what kind of answer it takes and whether it must be answered; nested sections are
flattened ('advice.legal'), a list of sections is offered as numbered slots ('actions[2].risk').
``assemble`` turns the answers back into the nested form the service's own parser reads: a blank answer is
left out, so a required field left blank is refused by that parser ('reason is not answered'), every one at
once, and a slot left wholly blank is no entry (a form saved unedited records no fact)."""

from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from dacli.schemas.template import inner_type

KINDS = ("text", "lines", "yesno", "choice", "choices", "list", "date", "datetime", "time", "int")
"""text: one line; lines: a paragraph; yesno: yes, no or not answered; choice: one of ``choices``;
choices: any of ``choices``; list: one entry per line; date, datetime, time, int: typed as text."""

HINTS = {
    "date": "YYYY-MM-DD",
    "datetime": "YYYY-MM-DD HH:MM (local time)",
    "time": "HH:MM",
    "int": "a whole number",
    "list": "one per line",
}
"""How a kind of answer is typed, shown beside its label."""


@dataclass(frozen=True)
class FormField:
    key: str
    """Its place in the form as a refusal names it: 'reason', 'advice.legal', 'actions[2].risk'."""
    label: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    section: str = ""
    """The heading of the section it is in ('Advice', 'Action 2'); blank at the top of the form."""
    safe: bool = False
    """A safe field: never leaves the service without a recorded reason."""


def label_of(model: type[BaseModel], name: str, limit: int = 160) -> str:
    """The pack's wording for a field (its docstring), else its name in words."""
    from dacli.schemas.docs import field_doc

    text = " ".join((field_doc(model, name) or "").split()) or name.replace("_", " ").capitalize()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _kind(annotation, field) -> tuple[str, tuple[str, ...]] | None:
    kind = inner_type(annotation)
    origin = typing.get_origin(kind)
    if origin is list:
        (item,) = typing.get_args(kind) or (str,)
        item = inner_type(item)
        if typing.get_origin(item) is typing.Literal:
            return "choices", tuple(str(a) for a in typing.get_args(item))
        if isinstance(item, type) and issubclass(item, Enum):
            return "choices", tuple(m.value for m in item)
        return ("list", ()) if item is str else None
    if origin is typing.Literal:
        return "choice", tuple(str(a) for a in typing.get_args(kind))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "choice", tuple(m.value for m in kind)
    if kind is bool:
        return "yesno", ()
    if kind is dt.datetime:
        return "datetime", ()
    if kind is dt.date:
        return "date", ()
    if kind is dt.time:
        return "time", ()
    if kind is int:
        return "int", ()
    if kind is str:
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        limit = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)
        return ("lines" if extra.get("lines") or (limit is not None and limit >= 2000) else "text"), ()
    return None


def form_fields(
    model: type[BaseModel],
    *,
    skip: typing.Iterable[str] = (),
    only: typing.Iterable[str] | None = None,
    repeat: dict[str, int] | None = None,
    prefix: str = "",
    section: str = "",
) -> list[FormField]:
    """Every field of ``model`` a person answers, in the schema's order. ``skip`` and ``only`` name fields
    by their key; a list of sections appears only when ``repeat`` gives its number of slots; a mapping is
    left to the form that shows it."""
    skip = set(skip)
    only = None if only is None else set(only)
    repeat = repeat or {}
    out: list[FormField] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        wanted = only is None or key in only or any(o.startswith(key + ".") for o in only)
        if key in skip or not wanted:
            continue
        kind = inner_type(field.annotation)
        heading = name.replace("_", " ").capitalize()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out += form_fields(kind, skip=skip, only=only, repeat=repeat, prefix=f"{key}.", section=heading)
            continue
        item = typing.get_args(kind)[0] if typing.get_origin(kind) is list and typing.get_args(kind) else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            for n in range(1, repeat.get(key, 0) + 1):
                slot = f"{key}[{n}]."
                out += form_fields(item, skip=skip, repeat=repeat, prefix=slot, section=f"{heading} {n}")
            continue
        found = _kind(field.annotation, field)
        if found is None:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        out.append(
            FormField(
                key=key,
                label=label_of(model, name),
                kind=found[0],
                required=field.is_required(),
                choices=found[1],
                section=section,
                safe=bool(extra.get("safe")),
            )
        )
    return out


_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def _path(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in key.split("."):
        m = _PART.fullmatch(piece)
        if m is None:
            raise ValueError(f"not a form key: {key!r}")
        parts.append(m.group(1))
        if m.group(2):
            parts.append(int(m.group(2)))
    return parts


def answer_value(f: FormField, raw: Any) -> Any:
    """One answer as the parser reads it, or None for no answer (blank, unchosen, an empty list)."""
    if raw is None:
        return None
    if f.kind == "yesno":
        return raw if isinstance(raw, bool) else None
    if f.kind in ("list", "choices"):
        items = raw.splitlines() if isinstance(raw, str) else list(raw)
        items = [str(i).strip() for i in items if str(i).strip()]
        return items or None
    if isinstance(raw, dt.date | dt.time):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    if f.kind == "datetime" and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}(:\d{2})?", text):
        return text.replace(" ", "T", 1)  # 'YYYY-MM-DD HH:MM' as people type it
    return text


def assemble(fields: typing.Iterable[FormField], answers: dict[str, Any]) -> dict[str, Any]:
    """The nested form the service's parser reads, from answers keyed as ``FormField.key``. Unanswered
    fields are left out; a slot with no answer at all is no entry; the slots that remain are numbered in
    order (so slot 3 filled after a blank slot 2 becomes the second entry)."""
    tree: dict = {}
    for f in fields:
        value = answer_value(f, answers.get(f.key))
        if value is None:
            continue
        node = tree
        parts = _path(f.key)
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(tree)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_lists(node[k]) for k in sorted(node)]
    return {k: _lists(v) for k, v in node.items()}


def flatten(data: dict[str, Any], fields: typing.Iterable[FormField]) -> dict[str, Any]:
    """The other way: answers keyed as ``FormField.key`` from a nested form (a record on file, to start a
    new version from), for the fields given."""
    out: dict[str, Any] = {}
    for f in fields:
        node: Any = data
        for part in _path(f.key):
            if isinstance(part, int):
                node = node[part - 1] if isinstance(node, list) and len(node) >= part else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if node is None or node == "" or node == []:
            continue
        if f.kind == "list" and isinstance(node, list):
            node = "\n".join(str(i) for i in node)
        elif isinstance(node, Enum):
            node = node.value
        elif f.kind == "datetime":
            continue  # a moment on file is UTC; people type local time: never prefilled from a record
        elif isinstance(node, dt.date | dt.time) and f.kind not in ("yesno",):
            node = node.isoformat()
        out[f.key] = node
    return out


def named(message: str, fields: typing.Iterable[FormField]) -> FormField | None:
    """The field a refusal names first (the earliest key in its text), if any."""
    found = []
    for f in fields:
        m = re.search(rf"(?<![\w.\]]){re.escape(f.key)}(?![\w\[])", message)
        if m:
            found.append((m.start(), -len(f.key), f.key, f))
    return min(found)[3] if found else None


def short_label(f: FormField, limit: int = 48) -> str:
    """A field's label cut to its first clause, for a sentence that names it."""
    text = re.split(r"(?<=[?.:])\s|\s\(", f.label, maxsplit=1)[0].rstrip(".:")
    text = text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
    return f"{f.section}: {text}" if "[" in f.key else text  # which of the repeated sections


def in_words(message: str, fields: typing.Iterable[FormField]) -> str:
    """A refusal naming fields by their keys ('follow_up_consent is not answered'), said with the labels a
    person sees on the form ("'It's our policy to call you in six...' is not answered")."""
    by_key = {f.key: f for f in fields}
    if not by_key:
        return message
    keys = sorted(by_key, key=len, reverse=True)  # 'actions[1].risk' before 'risk'
    pattern = rf"(?<![\w.\]'])(?:{'|'.join(map(re.escape, keys))})(?![\w\['])"
    return re.sub(pattern, lambda m: f"'{short_label(by_key[m.group(0)])}'", message)  # one pass


def slot_numbers(fields: typing.Iterable[FormField], answers: dict[str, Any]) -> dict[str, list[int]]:
    """For each list of sections, the slots that hold an answer, in order: the n-th entry `assemble` makes
    of ``key`` is slot ``numbers[key][n - 1]`` (blank slots are closed up)."""
    used: dict[str, set[int]] = {}
    for f in fields:
        m = re.match(r"^([^\[]+)\[(\d+)\]\.", f.key)
        if m and answer_value(f, answers.get(f.key)) is not None:
            used.setdefault(m.group(1), set()).add(int(m.group(2)))
    return {key: sorted(slots) for key, slots in used.items()}


def renumber(message: str, numbers: dict[str, list[int]]) -> str:
    """A refusal about the entries as they were read ('actions[1].by'), said about the slots as the person
    filled them in ('actions[2].by', when slot 1 was left blank): ``numbers`` as `slot_numbers` gives."""
    for key, kept in numbers.items():

        def slot(m: re.Match, kept: list[int] = kept, key: str = key) -> str:
            n = int(m.group(1))
            return f"{key}[{kept[n - 1]}]" if 1 <= n <= len(kept) else m.group(0)

        message = re.sub(rf"(?<![\w.\]]){re.escape(key)}\[(\d+)\]", slot, message)
    return message
