"""What every service shares: reading a person's form (TOML from a file or standard input) against its schema,
every problem at once, each naming its field as the form's file spells it; checking a record against the
schema its reader uses; refusing dates and times in the future; and naming records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dacli import clock
from dacli.errors import IntegrityError, InvalidInput, NotFound
from dacli.schemas.records import problem
from dacli.text import MAX_FORM_CHARS, Refused, load_toml


def _blank(value: object) -> bool:
    return (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def where_of(loc: tuple) -> str:
    """A field's place in a form as a person reads it: 'client.name', 'actions[2].action' (lists counted
    from 1, as a person counts the sections of a form)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_DATE = ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type")
_MOMENT = ("datetime_parsing", "datetime_from_date_parsing", "datetime_type", "datetime_object_invalid")


def plain(err: dict) -> str:
    """What pydantic refused, in a person's words rather than pydantic's ('must be a date (YYYY-MM-DD)',
    not 'Input should be a valid date or datetime, input is too short')."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _DATE:
        return "is not a date (write it as YYYY-MM-DD)"
    if kind in _MOMENT:
        return "is not a date and time (write it as YYYY-MM-DD HH:MM)"
    if kind in ("time_parsing", "time_type"):
        return "is not a time (write it as HH:MM)"
    if kind in ("bool_parsing", "bool_type"):
        return "must be yes or no (true or false)"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        n = ctx.get("min_length")
        return f"needs at least {n} character{'s' if n != 1 else ''}"
    if kind == "string_pattern_mismatch":
        return "is not written as this field needs (see the form's comment for it)"
    if kind == "string_type":
        return "must be text"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in ("enum", "literal_error"):
        return f"must be one of {ctx.get('expected')}"
    if kind == "extra_forbidden":
        return "is not a field of this form (a spelling slip?)"
    if kind == "list_type":
        return "must be a list"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} entries"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entries"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a section of its own"
    if kind == "value_error":
        return err["msg"].removeprefix("Value error, ")
    msg = err["msg"]
    return msg[:1].lower() + msg[1:]


def problems(exc: ValidationError) -> str:
    """One sentence for a form pydantic refused: the unanswered fields first (left out, commented out or
    left blank, as a template prints them), then every other problem, each named by its place in the form
    (`where_of`) and said in plain words (`plain`)."""
    unanswered: list[str] = []
    other: list[str] = []
    for err in exc.errors():
        where = where_of(err["loc"])
        if err["type"] == "missing" or (where and _blank(err.get("input"))):
            if where not in unanswered:
                unanswered.append(where)
            continue
        msg = plain(err)
        text = f"{where}: {msg}" if where else msg
        if text not in other:
            other.append(text)
    head = [unanswered_sentence(unanswered)] if unanswered else []
    return "; ".join(head + other) or "the form"


def unanswered_sentence(fields: list[str]) -> str:
    """'a is not answered', 'a, b and c are not answered'."""
    if len(fields) == 1:
        return f"{fields[0]} is not answered"
    return f"{', '.join(fields[:-1])} and {fields[-1]} are not answered"


CASE_RECORD = "case.toml.age"


def parse_form(model, data: dict[str, Any], what: str):
    """A person's form against its schema: one sentence naming the field, and nothing written."""
    from dacli.services.forms import problems

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{what} refused, nothing written: {problems(exc)}.") from None


def not_future(day: dt.date | None, today: dt.date, what: str, field: str) -> None:
    if day is not None and day > today:
        raise InvalidInput(f"{what} refused, nothing written: {field} is in the future.")


def typed_moment(at: dt.datetime, now: dt.datetime, what: str, field: str) -> dt.datetime:
    """A time a person gave, as UTC: without a zone it is the service's local time (14:30 in July is
    14:30 BST); refused in the future (5 minutes' grace for clocks) or out of range."""
    try:
        aware = clock.to_utc(at)
    except clock.ClockError:
        raise InvalidInput(
            f"{what} refused, nothing written: {field} is not a time dacli can record."
        ) from None
    if aware > now + dt.timedelta(minutes=5):
        raise InvalidInput(f"{what} refused, nothing written: {field} is in the future.")
    if aware < EARLIEST:
        raise InvalidInput(f"{what} refused, nothing written: {field} is before 1900.")
    return aware


EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
"""No contact, share or referral is dated before this (a typing slip, or a year 1 that would name a record
its reader cannot read)."""


def stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


def read_form_file(path: Path | None, text: str | None = None) -> dict[str, Any]:
    """A TOML form from a file (or text read from stdin). Errors name the file, never its content."""
    name = "standard input" if path is None else path.name
    if text is None:
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"There is no file {path}.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"Cannot read {name}: {exc}.") from None
    if len(text) > MAX_FORM_CHARS:
        raise InvalidInput(f"{name} is longer than any form ({MAX_FORM_CHARS:,} characters at most).")
    try:
        return load_toml(text, name)
    except Refused as exc:
        raise InvalidInput(str(exc)) from None


STORED = {"stored": True}
"""Validation context of a stored record: its text is not checked again (it can be old), only neutralised
(`dacli.store.documents.decode_document`)."""


def validated(model, doc: dict, ref: str, name: str):
    """A stored record against its schema. A mismatch is a damaged or foreign file (exit 6), not bad
    input; the message names the field, never its value."""
    try:
        return model.model_validate(doc, context=STORED)
    except ValidationError as exc:
        raise IntegrityError(f"{ref}/{name} does not match its schema ({problem(exc)}).") from None
