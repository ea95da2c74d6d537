"""A commented TOML template of every field of a form, generated from the schema (no I/O)."""

from __future__ import annotations

import types
import typing
from enum import Enum

from pydantic import BaseModel

from dacli.schemas.docs import field_doc

SKIP = {"complete"}


def inner_type(annotation):
    """``X`` from ``X | None`` (and ``Optional[X]``); anything else unchanged."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return inner_type(args[0]) if len(args) == 1 else annotation
    return annotation


def _example(annotation) -> str:
    kind = inner_type(annotation)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return '"' + kind(list(kind)[0]).value + '"'
    return {
        "bool": "false",
        "date": "2026-01-31",
        "datetime": "2026-01-31T14:30:00Z",
        "time": "14:30:00",
        "int": "0",
    }.get(getattr(kind, "__name__", ""), '""')


def _comment(field, annotation, doc: str | None) -> list[str]:
    lines = [f"# {line.strip()}" for line in (doc or "").splitlines() if line.strip()]
    kind = inner_type(annotation)
    extra = field.json_schema_extra or {}
    tags = []
    if field.is_required():
        tags.append("required")
    if isinstance(extra, dict) and extra.get("urgent"):
        tags.append("urgent: asked first")
    if isinstance(extra, dict) and extra.get("safe"):
        tags.append("SAFE FIELD: never leaves the service without a recorded reason")
    if isinstance(kind, type) and issubclass(kind, Enum):
        tags.append("one of: " + ", ".join(m.value for m in kind))
    if tags:
        lines.append(f"# ({'; '.join(tags)})")
    return lines


def _line(name: str, field) -> str:
    """A required text field is printed blank, to be filled in; every other field is commented out, so a
    date, a yes/no or a choice is recorded only when someone types it (an example is never a fact)."""
    example = _example(field.annotation)
    return f"{name} = {example}" if field.is_required() and example == '""' else f"# {name} = {example}"


def template(model: type[BaseModel], title: str) -> str:
    out = [
        f"# {title}",
        "# Fill in what you know and uncomment it; leave out what you do not know. Dates are YYYY-MM-DD.",
        "# Delete a [[...]] block you do not need (an empty one is refused: its name is required).",
        "",
    ]
    tables: list[tuple[str, type[BaseModel], bool]] = []
    for name, field in model.model_fields.items():
        if name in SKIP or name == "schema_":
            continue
        kind = inner_type(field.annotation)
        if typing.get_origin(kind) is list:
            (item,) = typing.get_args(kind)
            if isinstance(item, type) and issubclass(item, BaseModel):
                tables.append((name, item, True))
                continue
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            tables.append((name, kind, False))
            continue
        out += _comment(field, field.annotation, field_doc(model, name))
        out.append(_line(name, field))
        out.append("")
    for name, sub, many in tables:
        out.append(f"[[{name}]]" if many else f"[{name}]")
        doc = (sub.__doc__ or "").strip().splitlines()
        if many and doc:
            out.append(f"# one [[{name}]] block for each; {doc[0]}")
        for fname, field in sub.model_fields.items():
            out += _comment(field, field.annotation, field_doc(sub, fname))
            out.append(_line(fname, field))
        out.append("")
    return "\n".join(out)
