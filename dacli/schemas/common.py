"""Shared pieces of every schema: references, roles, the document header."""

from __future__ import annotations

import dacli.schemas._pydantic  # noqa: F401  (first: pydantic without asyncio)

# isort: split
import re
from enum import StrEnum
from typing import Any

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from dacli.text import ANY_CONTROL, CASE_REF_RE, CONTROL

STAFF_ID_RE = re.compile(r"^s-[0-9a-f]{12}$")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
RECORD_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}(-[0-9A-Za-z]{1,40}){0,3}\.toml\.age$")


class Role(StrEnum):
    caseworker = "caseworker"
    senior = "senior"
    manager = "manager"


LINE_MAX = 500
"""A string field is one line of at most 500 characters unless it declares a longer limit."""
TEXT_MAX = 20_000
"""The longest limit any field declares (narratives: facts, reasons, information shared)."""


def _multi_line(model: type[BaseModel], name: str) -> bool:
    """A field whose declared limit is above LINE_MAX holds narrative text (newlines and tabs allowed); so
    does one marked ``lines`` (an address: a few short lines)."""
    key = (model, name)
    if key not in _MULTI_LINE:
        field = model.model_fields[name]
        limits = [m.max_length for m in field.metadata if isinstance(m, MaxLen)]
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        _MULTI_LINE[key] = (bool(limits) and limits[0] > LINE_MAX) or bool(extra.get("lines"))
    return _MULTI_LINE[key]


_MULTI_LINE: dict[tuple[type, str], bool] = {}


def _check_text(value: Any, multi_line: bool) -> None:
    """Every string in ``value`` (a field's value: a string, or lists, tuples and dicts of them)."""
    if isinstance(value, str):
        if multi_line:
            if CONTROL.search(value):
                raise PydanticCustomError(
                    "control_character", "holds a control character (only newlines and tabs are allowed)"
                )
        else:
            if ANY_CONTROL.search(value):
                raise PydanticCustomError(
                    "control_character", "must be one line, without tabs or control characters"
                )
            if len(value) > LINE_MAX:
                raise PydanticCustomError("line_too_long", f"is longer than {LINE_MAX} characters")
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item, False)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, False)
            _check_text(item, False)


class Strict(BaseModel):
    """Base for documents read from disk or from a person: unknown keys are an error, not ignored.

    Text is checked here, once for every schema: a string field is one line (no control characters, tabs
    or newlines; at most LINE_MAX characters) unless it declares a limit above LINE_MAX, when it is
    narrative text (newlines and tabs allowed, no other control character). Items of lists and dicts are
    single lines. Stored records are validated with ``context={"stored": True}`` and skip the check: old
    text is read, and neutralised where it is output (``dacli.text``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, BaseModel) or (info.context and info.context.get("stored")):
            return value
        _check_text(value, _multi_line(cls, info.field_name or ""))
        return value


def is_case_ref(value: str) -> bool:
    return bool(CASE_REF_RE.fullmatch(value))
