"""Criminal and Civil Case Summary forms (SafeLives Case Management Pack, 2014): one per hearing
(`court-<timestamp>-<rand>.toml.age`), filed in date order apart from the case notes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from dacli.schemas.common import Strict

CRIMINAL_SCHEMA = "court-criminal/1"
CIVIL_SCHEMA = "court-civil/1"
ORDER_TYPES = ("non-molestation", "occupation", "pfha", "forced-marriage", "children-act")


class Charge(Strict):
    charge: str = Field(min_length=1, max_length=500)
    plea: str | None = Field(None, max_length=200)
    comments: str | None = Field(None, max_length=2000)


class SpecialMeasure(Strict):
    application_for: str = Field(min_length=1, max_length=500)
    date_applied: dt.date | None = None
    date_granted: dt.date | None = None
    used_for_trial: bool | None = None
    comments: str | None = Field(None, max_length=2000)


class Hearing(Strict):
    hearing_date: dt.date
    """Date of hearing."""
    court: str = Field(min_length=1, max_length=200)
    type_of_hearing: str = Field(min_length=1, max_length=200)
    victims: list[str] = []
    defendants: list[str] = []
    next_court_date: dt.date | None = None
    next_court: str | None = Field(None, max_length=200)
    """Which court?"""
    victim_informed: bool
    """Victim informed: Y / N."""
    comments: str | None = Field(None, max_length=20000)


class CriminalHearing(Hearing):
    kind: Literal["criminal"] = "criminal"
    caseworker_at_court: str | None = Field(None, max_length=200)
    trial_date: dt.date | None = None
    pre_trial_visit: dt.date | None = None
    incident_dates: str | None = Field(None, max_length=500)
    charges: list[Charge] = []
    bail_conditions: str | None = Field(None, max_length=20000)
    officer_in_case: str | None = Field(None, max_length=200)
    officer_in_case_tel: str | None = Field(None, max_length=50)
    witness_care_officer: str | None = Field(None, max_length=200)
    witness_care_tel: str | None = Field(None, max_length=50)
    special_measures: list[SpecialMeasure] = []


class Order(Strict):
    type: Literal["non-molestation", "occupation", "pfha", "forced-marriage", "children-act"]
    """Non-Molestation Order, Occupation Order, PFHA Order, Forced Marriage Act Order, Children Act Order."""
    specify: str | None = Field(None, max_length=200)
    """For a Children Act order: which."""
    length: str | None = Field(None, max_length=200)
    expiry_date: dt.date | None = None
    conditions: list[str] = []


class CivilHearing(Hearing):
    kind: Literal["civil"] = "civil"
    applicant_solicitor: str | None = Field(None, max_length=500)
    respondent_solicitor: str | None = Field(None, max_length=500)
    orders: list[Order] = []
    """Orders obtained, with length and expiry date, and conditions."""


class CriminalRecord(CriminalHearing):
    schema_: str = Field(CRIMINAL_SCHEMA, alias="schema")
    case: str
    recorded_by: str
    recorded_at: dt.datetime


class CivilRecord(CivilHearing):
    schema_: str = Field(CIVIL_SCHEMA, alias="schema")
    case: str
    recorded_by: str
    recorded_at: dt.datetime
