"""The intake form: the part of the SafeLives intake form dacli records so far.

The keys below are stable in the file format (see `dacli intake --template`): ``[client] name, dob,
pregnant, due_date``, ``[referral] date, referred_by``, ``[[children]] name, dob``,
``[[perpetrators]] name, dob, relationship``.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from dacli.schemas.common import Strict

INTAKE_SCHEMA = "intake/1"


class Client(Strict):
    name: str = Field(min_length=1, max_length=200)
    """Client's name, as they want to be known to the service."""
    aka: str | None = Field(None, max_length=200)
    """Also known as: other names, previous names."""
    dob: date | None = None
    """Date of birth."""
    pregnant: bool = False
    due_date: date | None = None
    """Due date, if pregnant."""


class Referral(Strict):
    date: date
    """Date the referral was received."""
    referred_by: str = Field("", max_length=200)
    """Referring agency or person (self-referral: 'self')."""


class Child(Strict):
    name: str = Field(min_length=1, max_length=200)
    dob: date | None = None
    """Date of birth (or expected date for an unborn child)."""


class Perpetrator(Strict):
    name: str = Field(min_length=1, max_length=200)
    dob: date | None = None
    relationship: str = Field("", max_length=100)
    """Relationship to the client: partner, ex-partner, family member..."""


class IntakeForm(Strict):
    """What a person supplies (from a prompt or `--from FILE`)."""

    client: Client
    referral: Referral
    caseworker: str | None = None
    """Username of the allocated caseworker; the person taking the referral if left out."""
    children: list[Child] = []
    perpetrators: list[Perpetrator] = []


class IntakeRecord(IntakeForm):
    """`intake-<n>.toml.age`: the form as stored, with its header."""

    schema_: str = Field(INTAKE_SCHEMA, alias="schema")
    case: str
    taken_by: str
    """Staff id of the person who recorded the intake."""
