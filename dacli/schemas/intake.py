"""The SafeLives case intake form (Case Management Pack, 2014), as a record.

Field labels in the docstrings are the pack's own wording. The pack prints no option lists for gender
identity, ethnicity, religion, immigration status or employment: those are free text in the person's own
words. Where the pack prints options (Y / N, M / F, Telephone / Written) they are enforced.

Stable keys of the file format: ``[client] name, dob, pregnant, due_date``, ``[referral] date,
referred_by``, ``[[children]] name, dob``, ``[[perpetrators]] name, dob, relationship``. New keys may be
added; these will not be renamed.

Fields marked ``safe`` hold where a client can be found or reached safely (addresses, safe numbers, the
code word). They are the most dangerous data dacli holds: anything that leaves the service omits them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from dacli.schemas.common import Strict
from dacli.schemas.monitoring import Accommodation, AgeBand, Monitoring, Relationship, Route, Sex

INTAKE_SCHEMA = "intake/1"
SAFE = {"safe": True}
URGENT = {"urgent": True}


class Form(Strict):
    """A part of the intake form; each field's help is the docstring under it (`schemas.docs`)."""


class How(StrEnum):
    telephone = "telephone"
    written = "written"


class ChildGender(StrEnum):
    female = "F"
    male = "M"
    unknown = "unknown"


def _text(limit: int = 2000, **extra):
    return Field(None, max_length=limit, json_schema_extra=extra or None)


class Client(Form):
    name: str = Field(min_length=1, max_length=200, json_schema_extra=URGENT)
    """Name/AKA: the name the client uses."""
    aka: str | None = _text(200)
    """Also known as: other or previous names."""
    dob: dt.date | None = None
    """DOB."""
    gender_identity: str | None = _text(100)
    """Gender identity, in the client's own words."""
    address: str | None = _text(500, safe=True, lines=True)
    """Address."""
    address_safe_to_write: bool | None = None
    """Safe to write? (to the address)"""
    alternative_address: str | None = _text(500, safe=True, lines=True)
    """Alternative address."""
    alternative_address_safe_to_write: bool | None = None
    """Safe to write? (to the alternative address)"""
    telephone: str | None = _text(50, safe=True)
    """Telephone."""
    mobile: str | None = _text(50, safe=True)
    """Mobile."""
    safe_number: str | None = _text(50, safe=True, urgent=True)
    """Safe telephone / mobile."""
    code_word: str | None = _text(100, safe=True, urgent=True)
    """Code word."""
    safe_time_to_call: str | None = _text(200, safe=True, urgent=True)
    """Safe time to call."""
    other_numbers: str | None = _text(500)
    """Other useful tel no. (eg family members / colleague / friend)."""
    relationship_and_living: str | None = _text()
    """Describe relationship and living arrangements (eg on/off; client lives at mum's/(ex) partner stays
    over occasionally etc)."""
    drug_alcohol_mental_health: str | None = _text()
    """Drug / alcohol / mental health issues / diagnosis / treatment."""
    disability: str | None = _text()
    """Disability / literacy or numeracy difficulties."""
    ethnicity: str | None = _text(100)
    """Ethnicity."""
    religion: str | None = _text(100)
    """Religion."""
    languages: str | None = _text(200)
    """Language(s) spoken."""
    translator_required: bool | None = None
    """Translator required?"""
    employment: str | None = _text()
    """Describe employment (eg occupation / unemployed / in training or education / financial status /
    benefits). Include addresses & contacts."""
    immigration: str | None = _text()
    """Immigration status and any concerns."""
    sexual_orientation: str | None = _text(100)
    """Sexual orientation."""
    pregnant: bool | None = None
    """Is the client pregnant? (left out: not asked, never taken as a no)"""
    due_date: dt.date | None = None
    """Due date."""


class Referral(Form):
    date: dt.date
    """Intake date: the day the referral was received."""
    time: dt.time | None = None
    """Time the referral was received, if known (the 48-hour first-contact clock starts here; without it,
    at the start of the referral date)."""
    referred_by: str = Field("", max_length=200)
    """Referred by (agency or person; 'self' for a self-referral)."""
    referral_number: str | None = _text(100)
    """Referral number."""
    route: Route | None = None
    """Referral route (coded, for reports): who referred."""


class Perpetrator(Form):
    name: str = Field(min_length=1, max_length=200)
    """Name/AKA of the (ex-)partner or family member who abuses."""
    aka: str | None = _text(200)
    """Also known as."""
    dob: dt.date | None = None
    """DOB."""
    relationship: str = Field("", max_length=100)
    """Relationship to the client (partner, ex-partner, son, father...)."""
    gender_identity: str | None = _text(100)
    """Gender identity."""
    address: str | None = _text(500, lines=True)
    """Address."""
    drug_alcohol_mental_health: str | None = _text()
    """Drug / alcohol / mental health issues / diagnosis / treatment."""
    disability: str | None = _text()
    """Disability / literacy or numeracy difficulties."""
    ethnicity: str | None = _text(100)
    """Ethnicity."""
    religion: str | None = _text(100)
    """Religion."""
    languages: str | None = _text(200)
    """Languages spoken."""
    employment: str | None = _text()
    """Describe employment (eg unemployed / benefits / occupation / address / work contacts)."""
    translator_required: bool | None = None
    """Translator required?"""
    immigration: str | None = _text()
    """Immigration issues and any concerns."""
    sex: Sex | None = None
    """Sex (coded, for reports)."""
    age_band: AgeBand | None = None
    """Age band (coded, for reports)."""
    relationship_type: Relationship | None = None
    """Relationship to the client (coded, for reports)."""


class Child(Form):
    name: str = Field(min_length=1, max_length=200)
    """Child's name ('unborn' for an unborn baby)."""
    gender: ChildGender | None = None
    """Gender: M / F (or unknown)."""
    dob: dt.date | None = None
    """DOB (for an unborn baby, leave out and give the client's due date)."""
    unborn: bool = False
    """An unborn baby."""
    perpetrator_is_parent: bool | None = None
    """Is (ex-)partner parent of child / unborn baby?"""
    other_parent: str | None = _text(200)
    """If not, state who parent is."""
    perpetrator_has_pr: bool | None = None
    """Does (ex) partner have PR (parental responsibility)?"""
    school: str | None = _text(200, safe=True)
    """School (it can locate the child and so the client)."""


class ChildrenInfo(Form):
    living_arrangements: str | None = _text()
    """Living arrangements and address (if different to client details above)."""
    cyps_involvement: bool | None = None
    """CYPS involvement (children and young people's services)."""
    cyps_description: str | None = _text()
    """Describe involvement."""
    concerns: str | None = _text()
    """Flag significant concerns regarding children."""


class Concerns(Form):
    flag: bool = Field(False, json_schema_extra=URGENT)
    """SIGNIFICANT CONCERNS FLAG."""
    details: str | None = _text(urgent=True)
    """(eg staff safety issues / serial or repeat perpetrator / suitable times to call client / HBV /
    suicide or self-harm concerns / MARAC case)."""


class Checklist(Form):
    dash_completed: bool | None = None
    """SafeLives Dash risk checklist completed."""
    marac_referred: bool | None = None
    """Referred to Marac."""
    issp_in_place: bool | None = None
    """ISSP in place."""
    agreement_consented: bool | None = None
    """Confidentiality and information sharing agreement consented to by client."""
    agreement_consented_how: How | None = None
    """How: telephone or written."""
    service_explained: bool | None = None
    """Service explanation provided."""
    service_explained_how: How | None = None
    """How: telephone or written."""
    monitoring_consented: bool | None = None
    """Monitoring and evaluation of data consented to by client."""
    monitoring_consented_how: How | None = None
    """How: telephone or written."""


class IntakeForm(Form):
    """What a person supplies (from prompts or `--from FILE`)."""

    client: Client
    referral: Referral
    caseworker: str | None = None
    """Case worker: username of the allocated caseworker (the person taking the referral if left out)."""
    concerns: Concerns = Field(default_factory=Concerns)
    perpetrators: list[Perpetrator] = []
    children: list[Child] = []
    children_info: ChildrenInfo = Field(default_factory=ChildrenInfo)
    checklist: Checklist = Field(default_factory=Checklist)
    conflict_of_interest: bool | None = None
    """Is there a conflict of interest in this case? If yes, discuss with your manager."""
    conflict_details: str | None = _text()
    """What the conflict of interest is."""
    other: str | None = _text()
    """Other."""
    accommodation: Accommodation | None = None
    """Safe accommodation the service supports the client in (the Domestic Abuse Act 2021 Part 4 kinds), or
    none (coded, for reports)."""
    monitoring: Monitoring = Field(default_factory=Monitoring)
    complete: bool = True
    """False while only the urgent fields have been taken; `dacli intake finish` completes the form."""


class Match(Strict):
    """A link found by dacli at intake: a repeat referral or a possible conflict of interest."""

    kind: str
    """repeat (the client has an earlier case), client-is-perpetrator (the client is named as an alleged
    perpetrator in another case), perpetrator-is-client (a perpetrator here is a client elsewhere), or
    serial-perpetrator (a perpetrator here is also named in another case)."""
    case: str
    """The other case's reference."""
    who: str
    """Whom it concerns here: 'client' or 'perpetrators[N]'."""


class IntakeRecord(IntakeForm):
    """`intake-<when>-<rand>.toml.age` (`intake-<n>.toml.age` before store format 3): one referral's form as
    stored. A repeat referral gets a new intake; completing one writes a new version that replaces it."""

    schema_: str = Field(INTAKE_SCHEMA, alias="schema")
    case: str
    taken_by: str
    """Staff id of the person who recorded the intake."""
    taken_at: dt.datetime | None = None
    """When it was recorded (UTC)."""
    matches: list[Match] = []
    """Repeat referrals and conflicts found when the intake was recorded."""
    replaces: list[str] = []
    """Store format 3: the intake record(s) this version completes or corrects (`intake finish` writes a new
    version; nothing is rewritten in place). Empty for a referral's first version."""
    recorded_by: str | None = None
    """Staff id of whoever wrote this version (a completion: not always who took the referral)."""
    after: list[str] = []
    """The referrals (first intake versions) on file in the case when this one was taken: orders referrals
    taken at the same moment (a repeat referral comes after those its writer saw)."""
    recorded_at: dt.datetime | None = None
