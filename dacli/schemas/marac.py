"""A Marac referral (`marac-<timestamp>-<rand>.toml.age`): what the referrer adds to what the case holds."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from dacli.schemas.common import Strict

MARAC_SCHEMA = "marac-referral/1"
SAFE_FIELDS = (
    "client.address",
    "client.alternative_address",
    "client.telephone",
    "client.mobile",
    "client.safe_number",
    "client.code_word",
    "client.safe_time_to_call",
    "children.school",
)
"""Fields that locate or reach the client: withheld from every form that leaves the service unless the
person sharing names the field and gives a reason (audited)."""


class MaracForm(Strict):
    referred_on: dt.date
    referring_agency: str = Field(min_length=1, max_length=200)
    contact_name: str = Field(min_length=1, max_length=200)
    contact_details: str = Field(min_length=1, max_length=200)
    """Telephone / email of the referrer."""
    victim_aware: bool
    """Is the victim aware of the Marac referral?"""
    not_aware_why: str | None = Field(None, max_length=5000)
    consent_given: bool
    afraid_of: str = Field(min_length=1, max_length=5000)
    """Who is the victim afraid of? (all potential threats, not just the primary perpetrator)"""
    safe_to_talk_to: str | None = Field(None, max_length=5000)
    not_safe_to_talk_to: str | None = Field(None, max_length=5000)
    previous_marac: str | None = Field(None, max_length=500)
    """Referred to any other Marac previously? If yes, where and when."""
    additional_information: str | None = Field(None, max_length=20000)

    @model_validator(mode="after")
    def _why(self) -> MaracForm:
        if not self.victim_aware and not (self.not_aware_why or "").strip():
            raise ValueError("not_aware_why: say why the victim is not aware of the referral")
        return self


class MaracRecord(MaracForm):
    schema_: str = Field(MARAC_SCHEMA, alias="schema")
    case: str
    referred_by: str
    recorded_at: dt.datetime
    criteria: list[str]
    """The Marac criteria met by the latest checklist when referred."""
    released: list[str] = []
    """Safe fields the referrer chose to include (the reason is in the audit trail)."""


RESEARCH_SCHEMA = "marac-research/1"


class ResearchForm(Strict):
    """The Marac research form (seeds/002 lines 2131-2160), the parts a practitioner writes. Victim
    details, the checklist's indicators and gaps, dates and the last contact are filled from the case."""

    researched_on: dt.date
    """Date."""
    name_and_agency: str = Field(min_length=1, max_length=300)
    contact_details: str = Field(min_length=1, max_length=200)
    """Telephone / Email."""
    marac_case_number: str | None = Field(None, max_length=100)
    """Marac case number (from agenda)."""
    victim_details_accurate: bool | None = None
    """Are the victim details on the Marac list accurate?"""
    children_details_accurate: bool | None = None
    perpetrator_details_accurate: bool | None = None
    corrections: str | None = Field(None, max_length=20000)
    """Please insert any changes / errors / other information (eg aliases or nicknames) below."""
    last_contacts: str | None = Field(None, max_length=20000)
    """Note records of last sightings, meetings or phone calls (the last contact on file is added)."""
    attitude: str | None = Field(None, max_length=20000)
    """Note recent attitude, behaviour and demeanour, including changes."""
    risk_information: str | None = Field(None, max_length=20000)
    """Highlight any relevant information that relates to any of the risk indicators on the checklist."""
    other_information: str | None = Field(None, max_length=20000)
    """Other information (e.g. actions already taken by agency to address victim's safety)."""
    priorities: str | None = Field(None, max_length=20000)
    """What are the victim's greatest priorities to address their safety?"""
    afraid_of: str | None = Field(None, max_length=5000)
    """Who is the victim afraid of? Include all potential threats, and not just primary perpetrator."""
    safe_to_talk_to: str | None = Field(None, max_length=5000)
    not_safe_to_talk_to: str | None = Field(None, max_length=5000)
    not_shared: str | None = Field(None, max_length=20000)
    """Information researched but not shared at the Marac, and why (kept on file, not on the form)."""


class ResearchRecord(ResearchForm):
    schema_: str = Field(RESEARCH_SCHEMA, alias="schema")
    case: str
    researched_by: str
    recorded_at: dt.datetime
    released: list[str] = []


MARAC_DECLINE_SCHEMA = "marac-decline/1"


class MaracDeclineRecord(Strict):
    """`maracdecline-<when>-<rand>.toml.age`: a senior's or manager's recorded decision not to refer to the
    Marac a case its latest Dash checklist recommends, with the reasons (an audited decision)."""

    schema_: str = Field(MARAC_DECLINE_SCHEMA, alias="schema")
    case: str
    dash: str
    """The checklist record whose recommendation this decision answers."""
    decided_on: dt.date
    reasons: str = Field(min_length=1, max_length=5000)
    decided_by: str
    decided_by_role: str
    recorded_at: dt.datetime

    @model_validator(mode="after")
    def _reasons(self) -> MaracDeclineRecord:
        if not self.reasons.strip():
            raise ValueError("reasons: say why the case is not referred")
        return self
