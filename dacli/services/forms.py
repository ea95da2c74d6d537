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


def problems(exc: ValidationError) -> str:
    """One sentence for a form pydantic refused: the unanswered fields first (left out, commented out or
    left blank, as a template prints them), then every other problem, each named by its key in the form."""
    unanswered: list[str] = []
    other: list[str] = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing" or (where and _blank(err.get("input"))):
            if where not in unanswered:
                unanswered.append(where)
            continue
        msg = err["msg"]
        if err["type"] == "enum":
            msg = f"must be one of {err['ctx']['expected']}"
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
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
