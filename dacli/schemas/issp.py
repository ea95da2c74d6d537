"""The Individualised Safety and Support Plan (`issp-<timestamp>-<rand>.toml.age`).

Wording from the SafeLives Case Management Pack, section 2 (seeds/002 lines 1545-1810): the action plan
('List the risk factors or issues you would like to address', 'Agreed action', 'Who will do this?',
'By when?', 'Date complete', 'Comment'; created on, reviewed on, reviewed by) and the options-and-advice
pages, whose eight boxes and prompts are ``ADVICE_SECTIONS``. A refreshed plan is a new record with the
next version number; earlier plans are never edited.

Safe fields: ``[safe]`` holds what locates or reaches the client (code word, safe number, refuge location,
new address, escape route). They are kept for the worker and never leave in a client copy or any export
unless the person exporting names the field and gives a reason, which is audited.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from dacli.schemas.common import Strict

ISSP_SCHEMA = "issp/1"
ISSP_COPY_SCHEMA = "issp-copy/1"

ADVICE_SECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "general_safety",
        "General safety planning",
        "Advice on: Routine/safety at home, work, social settings/plan escape route/code words",
    ),
    (
        "separating",
        "Separating & post separation",
        "Code words/escape route/ plan for leaving/support post separation",
    ),
    (
        "legal",
        "Legal",
        "Advice on: Criminal & Civil Options/police reporting/court support/breaches/any child contact/"
        "residence/protection issues/immigration/probation involvement for client or [ex] partner or "
        "family member",
    ),
    (
        "children",
        "Children",
        "[Ex]partner, family member access to children & school/PR status/CYPS ref/support for children",
    ),
    (
        "financial",
        "Financial",
        "Advice on: Access to finances, benefits/housing areas/D&A or immigration issues affecting finances",
    ),
    (
        "housing",
        "Housing and security",
        "Advice on: emergency and longer term housing option/security measures/ fire assessment",
    ),
    (
        "health",
        "Health and wellbeing:",
        "Advice on: immediate medical needs, access to sexual and general health services, mental health "
        "services and whether client has disabilities compounding situation",
    ),
    ("additional_support", "Additional support factors:", "D&A/mental health/disability"),
)
LEAVE_PROMPT = "If I need to leave I will try and take with me..."
EMERGENCY_PROMPT = "In an emergency, I will try to take..."

SAFE = {"safe": True}
SAFE_FIELDS = (
    "safe.code_word",
    "safe.safe_number",
    "safe.refuge_location",
    "safe.new_address",
    "safe.escape_route",
)


class Action(Strict):
    risk: str = Field(min_length=1, max_length=5000)
    """List the risk factors or issues you would like to address."""
    action: str = Field("", max_length=5000)
    """Agreed action."""
    who: str = ""
    """Who will do this?"""
    by: dt.date | None = None
    """By when?"""
    done: dt.date | None = None
    """Date complete."""
    comment: str = Field("", max_length=20000)
    source: str = ""
    """Where the row came from when seeded (for example 'Dash q3' or 'Soag physical'); empty if typed."""


class Advice(Strict):
    general_safety: str = Field("", max_length=20000)
    separating: str = Field("", max_length=20000)
    legal: str = Field("", max_length=20000)
    children: str = Field("", max_length=20000)
    financial: str = Field("", max_length=20000)
    housing: str = Field("", max_length=20000)
    health: str = Field("", max_length=20000)
    additional_support: str = Field("", max_length=20000)


class Take(Strict):
    if_leave: list[str] = []
    """If I need to leave I will try and take with me..."""
    emergency: list[str] = []
    """In an emergency, I will try to take..."""


class SafeDetails(Strict):
    """Locating and reaching details: never in a client copy or export unless released with a reason."""

    code_word: str = Field("", max_length=200, json_schema_extra=SAFE)
    safe_number: str = Field("", max_length=50, json_schema_extra=SAFE)
    refuge_location: str = Field("", max_length=500, json_schema_extra={**SAFE, "lines": True})
    new_address: str = Field("", max_length=500, json_schema_extra={**SAFE, "lines": True})
    escape_route: str = Field("", max_length=2000, json_schema_extra=SAFE)


class IsspForm(Strict):
    created_on: dt.date | None = None
    reviewed_on: dt.date | None = None
    reviewed_by: str = ""
    actions: list[Action] = []
    advice: Advice = Field(default_factory=Advice)
    take: Take = Field(default_factory=Take)
    safe: SafeDetails = Field(default_factory=SafeDetails)

    @model_validator(mode="after")
    def _dates(self) -> IsspForm:
        if self.created_on and self.reviewed_on and self.reviewed_on < self.created_on:
            raise ValueError("reviewed_on is before created_on")
        if self.reviewed_on and not self.reviewed_by.strip():
            raise ValueError("reviewed_by is required when reviewed_on is given")
        for n, a in enumerate(self.actions, start=1):
            if a.done and self.created_on and a.done < self.created_on - dt.timedelta(days=366):
                raise ValueError(f"actions[{n}].done is more than a year before the plan was created")
        return self


class IsspRecord(IsspForm):
    schema_: str = Field(ISSP_SCHEMA, alias="schema")
    case: str
    version: int = Field(ge=1)
    """The version's number, for people: one more than the version(s) it replaces. Two versions made at once
    in two offices can share a number; ``replaces`` says which is which."""
    replaces: list[str] = []
    """The plan version record(s) this version was made from (store format 3); empty for the first, and in
    versions written before format 3 (whose parent is the version numbered one less)."""
    recorded_by: str
    recorded_at: dt.datetime


class IsspCopyRecord(Strict):
    """That a client copy was asked for: the answer to 'is it safe to take home?', and what was written."""

    schema_: str = Field(ISSP_COPY_SCHEMA, alias="schema")
    case: str
    plan: str
    """The plan record exported."""
    version: int
    safe_to_take_home: bool
    format: str
    written: bool
    released: list[str] = []
    asked_by: str
    asked_at: dt.datetime
