"""Asking for a form field by field, from the schema: labels are the pack's wording (field docstrings)."""

from __future__ import annotations

import dataclasses
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


# --- a whole form, asked field by field (no file) -----------------------------------------------------------


def ask_answer(f, current: Any = None) -> Any:
    """One field of a form (`dacli.schemas.fields.FormField`), in the pack's words. Blank keeps ``current``
    (None when there is none); a required field is asked again when left blank."""
    from dacli.commands.common import ask_text

    if f.safe and current:  # a safe detail on file is never shown back (scrollback, screen sharing)
        typer.echo("(a value is on file for the next question; blank keeps it)", err=True)
        answer = ask_answer(dataclasses.replace(f, safe=False, required=False), None)
        return current if answer in (None, "") else answer
    label = (
        (f"{f.section}: " if "[" in f.key and f.section else "")
        + f.label
        + (" [SAFE FIELD]" if f.safe else "")
    )
    if f.kind == "yesno":
        hint = "y/n" + ("" if f.required else ", blank to skip")
        while True:
            raw = typer.prompt(err=True, text=f"{label} [{hint}]", default=_yn(current), show_default=False)
            raw = raw.strip().lower()
            if raw in ("y", "yes", "n", "no"):
                return raw.startswith("y")
            if raw == "" and not f.required:
                return current
            typer.echo("Please answer y or n." if raw else "This one is needed.", err=True)
    if f.kind in ("choice", "choices"):
        return _ask_choice(f, label, current)
    if f.kind == "list":
        if isinstance(current, str):
            current = current.splitlines()
        if current:
            typer.echo(f"(now: {'; '.join(current)}; blank keeps it)", err=True)
        typer.echo(f"{label} (one per line; a blank line ends):", err=True)
        items = []
        while True:
            line = typer.prompt(err=True, text=f"  {len(items) + 1}", default="", show_default=False).strip()
            if not line:
                return items or current
            items.append(line)
    if f.kind == "lines":
        if current:
            typer.echo(f"(now: {current}; blank keeps it)", err=True)
        text = ask_text(label, required=f.required and not current)
        return current if text is None else text
    from dacli.schemas.fields import HINTS

    suffix = f" ({HINTS[f.kind]})" if f.kind in HINTS else ""
    default = "" if current is None else str(current)
    while True:
        raw = typer.prompt(err=True, text=label + suffix, default=default, show_default=bool(default)).strip()
        if raw or not f.required:
            return raw or None
        typer.echo("This one is needed.", err=True)


def _ask_choice(f, label: str, current: Any) -> Any:
    many = f.kind == "choices"
    options = "  ".join(f"{n}) {c}" for n, c in enumerate(f.choices, 1))
    typer.echo(f"{label}\n  {options}", err=True)
    now = ", ".join(current) if many and current else (current or "")
    ask = "numbers or words, separated by commas" if many else "a number or the word"
    while True:
        raw = typer.prompt(err=True, text=f"  ({ask})", default=now, show_default=bool(now)).strip()
        if not raw:
            if f.required:
                typer.echo("This one is needed.", err=True)
                continue
            return None
        picked = []
        for part in (p.strip() for p in raw.split(",")) if many else [raw]:
            if part.isascii() and part.isdigit() and 1 <= int(part) <= len(f.choices):
                picked.append(f.choices[int(part) - 1])
            elif part in f.choices:
                picked.append(part)
            else:
                picked = None
                break
        if picked:
            return picked if many else picked[0]
        typer.echo(f"Please choose from: {', '.join(f.choices)}.", err=True)


def ask_form(
    model: type[BaseModel],
    parse: Any,
    *,
    start: dict | None = None,
    skip: tuple[str, ...] = (),
    many: dict[str, str] | None = None,
    extra: list | None = None,
    extra_after: str | None = None,
) -> Any:
    """A whole form, asked field by field in the pack's words, then read by the service's own ``parse``;
    a refusal names its fields, and only those are asked again (every other answer is kept).

    ``start`` is a nested form to begin from (blank keeps each answer); ``many`` names the lists of
    sections, each asked as 'Add a ...?' (those in ``start`` first); ``extra`` adds fields the schema does
    not list (after the field ``extra_after``, else at the end). The end of input before the form is
    complete is one sentence, and nothing is written."""
    from dacli.errors import InputEnded, InvalidInput
    from dacli.schemas.fields import answer_value, assemble, flatten, form_fields, renumber, slot_numbers

    many = many or {}
    start = start or {}
    fields = form_fields(model, skip=(*skip, *many))
    at = next((n + 1 for n, f in enumerate(fields) if f.key == extra_after), len(fields))
    fields[at:at] = list(extra or [])
    answers = flatten(start, fields)
    try:
        for f in fields:
            answers[f.key] = ask_answer(f, answers.get(f.key))
        for key, what in many.items():
            item = inner_type(model.model_fields[key].annotation)
            item = typing.get_args(item)[0]
            n = 0
            for n, _ in enumerate(start.get(key) or [], start=1):
                typer.echo(f"-- {what} {n}", err=True)
                slot = form_fields(item, prefix=f"{key}[{n}].", section=f"{what.capitalize()} {n}")
                answers.update({k: v for k, v in flatten(start, slot).items()})
                for f in slot:
                    answers[f.key] = ask_answer(f, answers.get(f.key))
                fields += slot
            article = "another" if n else ("an" if what[:1] in "aeiou" else "a")
            while typer.confirm(err=True, text=f"Add {article} {what}?", default=False):
                n += 1
                typer.echo(f"-- {what} {n}", err=True)
                slot = form_fields(item, prefix=f"{key}[{n}].", section=f"{what.capitalize()} {n}")
                for f in slot:
                    answers[f.key] = ask_answer(f, None)
                fields += slot
                article = "another"
        same = 0
        while True:
            try:
                return parse(assemble(fields, answers))
            except InvalidInput as exc:
                message = renumber(exc.message, slot_numbers(fields, answers))  # as the slots were asked
                again = _named_all(message, fields)
                if not again:
                    raise type(exc)(message) from None
                before = dict(answers)
                again_words = "it" if len(again) == 1 else "them"
                typer.echo(
                    f"{message.replace(', nothing written', '')} Please answer {again_words} again.", err=True
                )
                for f in again:  # one the refusal names because it is blank must be answered now
                    blank = answer_value(f, answers.get(f.key)) is None
                    answers[f.key] = ask_answer(dataclasses.replace(f, required=True) if blank else f,
                                                answers.get(f.key))  # fmt: skip
                same = same + 1 if answers == before else 0
                if same >= 3:  # the same answers refused again and again (input that repeats, or ended)
                    raise InvalidInput(f"{message} Nothing was written.") from None
    except typer.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise
        raise InputEnded("the input ended before the form was complete; nothing was written.") from None


def _named_all(message: str, fields: list) -> list:
    import re

    return [f for f in fields if re.search(rf"(?<![\w.\]]){re.escape(f.key)}(?![\w\[])", message)]
