"""Asking for a form field by field, from the schema: labels are the pack's wording (field docstrings)."""

from __future__ import annotations

import datetime as dt
import typing
from enum import Enum
from typing import Any

import typer
from pydantic import BaseModel

from dacli.schemas.template import inner_type


def _label(model: type[BaseModel], name: str) -> str:
    from dacli.schemas.docs import field_doc

    text = " ".join((field_doc(model, name) or name).split())
    return text if len(text) < 120 else text[:117] + "..."


def ask(model: type[BaseModel], name: str, current: Any = None) -> Any:
    """One field. Blank keeps ``current`` (None when there is none). Re-asks until the value parses."""
    field = model.model_fields[name]
    kind = inner_type(field.annotation)
    label = _label(model, name)
    default = "" if current is None else (current.value if isinstance(current, Enum) else str(current))
    if kind is bool:
        hint = "y/n" + (", blank to skip" if not field.is_required() else "")
        while True:
            raw = (
                typer.prompt(err=True, text=f"{label} [{hint}]", default=_yn(current), show_default=False)
                .strip()
                .lower()
            )
            if raw == "":
                return current if current is not None else field.default
            if raw in ("y", "yes", "n", "no"):
                return raw.startswith("y")
            typer.echo("Please answer y or n.", err=True)
    if kind is str and _paragraph(field):
        from dacli.commands.common import ask_text

        while True:  # pasted lines are one answer, never split over the next questions
            if current:
                typer.echo(f"(now: {current}; blank keeps it)", err=True)
            text = ask_text(label, required=field.is_required() and not current)
            if text is None:
                return current
            try:
                return _checked(model, name, text)
            except ValueError as exc:
                typer.echo(f"{exc}", err=True)
    while True:
        suffix = ""
        if isinstance(kind, type) and issubclass(kind, Enum):
            suffix = " (" + " / ".join(m.value for m in kind) + ")"
        elif kind is dt.date:
            suffix = " (YYYY-MM-DD)"
        elif kind is dt.time:
            suffix = " (HH:MM)"
        raw = typer.prompt(err=True, text=label + suffix, default=default, show_default=bool(default)).strip()
        if raw == "":
            if field.is_required():
                typer.echo("This one is needed.", err=True)
                continue
            return None
        try:
            if kind is dt.date:
                return dt.date.fromisoformat(raw)
            if kind is dt.time:
                return dt.time.fromisoformat(raw)
            if isinstance(kind, type) and issubclass(kind, Enum):
                return kind(raw).value
        except ValueError:
            typer.echo(f"{raw!r} is not valid here{suffix}.", err=True)
            continue
        if kind is not str:
            return raw
        try:
            return _checked(model, name, raw)
        except ValueError as exc:
            typer.echo(f"{exc}", err=True)


def _paragraph(field) -> bool:
    """Free text that may run to paragraphs (the form's long text fields, addresses): asked over lines."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    limit = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)
    return bool(extra.get("lines")) or (limit is not None and limit >= 2000)


def _checked(model: type[BaseModel], name: str, text: str) -> str:
    """Text within the field's limits (a safe number over 50 characters is asked again, not refused with the
    whole form); the ValueError says how long it may be, never the text."""
    from pydantic import TypeAdapter, ValidationError

    field = model.model_fields[name]
    try:
        TypeAdapter(typing.Annotated[str, *field.metadata]).validate_python(text)
    except ValidationError as exc:
        raise ValueError(f"That is not valid here: {exc.errors()[0]['msg']}.") from None
    return text


def _yn(value: Any) -> str:
    return "" if value is None else ("y" if value else "n")


def ask_fields(model: type[BaseModel], names: list[str], current: dict | None = None) -> dict:
    current = current or {}
    out = {}
    for name in names:
        value = ask(model, name, current.get(name))
        if value is not None:
            out[name] = value
    return out


def ask_all(model: type[BaseModel], current: dict | None = None, skip: set[str] = frozenset()) -> dict:
    """Every scalar field of ``model`` not in ``skip``."""
    names = []
    for name, field in model.model_fields.items():
        kind = inner_type(field.annotation)
        if name in skip or typing.get_origin(kind) is list:
            continue
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            continue
        names.append(name)
    return ask_fields(model, names, current)


def ask_many(model: type[BaseModel], what: str, current: list[dict] | None = None) -> list[dict]:
    items = list(current or [])
    for n, item in enumerate(items, start=1):
        typer.echo(f"-- {what} {n}")
        items[n - 1] = {**item, **ask_all(model, item)}
    while typer.confirm(err=True, text=f"Add {'another' if items else 'a'} {what}?", default=False):
        typer.echo(f"-- {what} {len(items) + 1}")
        items.append(ask_all(model))
    return items
