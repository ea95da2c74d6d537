"""Shared pieces of every schema: references, roles, the document header."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# Case references are opaque: 'DA-' and two groups of five Crockford base32 characters. They never
# carry a name, and the strict pattern is also what stops a reference from walking out of the store.
CASE_REF_RE = re.compile(r"^DA-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
STAFF_ID_RE = re.compile(r"^s-[0-9a-f]{12}$")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
RECORD_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}(-[0-9A-Za-z]{1,40}){0,3}\.toml\.age$")


class Role(StrEnum):
    caseworker = "caseworker"
    senior = "senior"
    manager = "manager"


class Strict(BaseModel):
    """Base for documents read from disk or from a person: unknown keys are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def is_case_ref(value: str) -> bool:
    return bool(CASE_REF_RE.fullmatch(value))
