"""The case review form and the exit form (seeds/002 sections 4 and 5), and the boil-down summary.

`review-<when>-<rand>.toml.age`: a case review. `closure-<when>-<rand>.toml.age`: the exit form, which
closes the case. `reopen-<when>-<rand>.toml.age`: a closed case reopened. `followup-...`: the follow-up
call. `summary-<when>-<rand>.toml.age`: the boil-down summary written at closure (dates, risk levels and
outcome only), which is all that is left of a case boiled down by the retention sweep. Written once, like
every record (store format 3): two offices closing one case while apart make two summaries side by side, and
the newest is the one read. Stores from before kept one `summary.toml.age`, rewritten at each closure: it is
still read when no newer summary stands beside it.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from typing import Literal

from pydantic import Field, model_validator

from dacli.schemas.common import Strict
from dacli.schemas.monitoring import MoveOn

REVIEW_SCHEMA = "case-review/1"
CLOSURE_SCHEMA = "case-exit/1"
REOPEN_SCHEMA = "case-reopen/1"
FOLLOWUP_SCHEMA = "follow-up/1"
SUMMARY_SCHEMA = "boil-down/1"
SUMMARY_RECORD = "summary.toml.age"
"""The summary's name before it was written once (still read)."""
SUMMARY_RE = re.compile(r"^summary-[0-9]{8}T[0-9]{6}-[0-9a-f]{6}\.toml\.age$")


def is_summary(name: str) -> bool:
    return name == SUMMARY_RECORD or bool(SUMMARY_RE.fullmatch(name))


def latest_summary(names) -> str | None:
    """The summary read among a folder's record ``names``: the newest written once, else the old one."""
    stamped = sorted(n for n in names if SUMMARY_RE.fullmatch(n))
    if stamped:
        return stamped[-1]
    return SUMMARY_RECORD if SUMMARY_RECORD in names else None


Outcome = Literal["continue", "scale-down", "close"]
Change = Literal["worse", "no-change", "improved"]
ClosureReason = Literal["risk-reduced", "no-contact", "client-request"]

COMPARED = (
    ("overall_situation", "How do you feel about your overall situation?"),
    ("frightened", "How frightened do you now feel?"),
    ("safety_home_work", "How is your safety at home and / work?"),
    ("wellbeing", "How is your emotional and physical wellbeing?"),
    ("safety_contact_school", "How is your safety at child contact visits / school?"),
    ("confidence", "How is your confidence and self-esteem?"),
    ("coping", "How is your ability to cope?"),
    ("social_networks", "How is your access to social networks / support?"),
    ("relationship_children", "How is your relationship with your children?"),
    ("children_wellbeing", "How is your children's wellbeing?"),
    ("children_safety", "How is your children's safety?"),
)
"""The exit form's eleven 'Compared to your situation at intake…' questions, in the pack's words."""
CHILDREN_QUESTIONS = (
    "safety_contact_school",
    "relationship_children",
    "children_wellbeing",
    "children_safety",
)
"""The questions about children: not applicable to a client with no children on file."""


class ReviewForm(Strict):
    reviewed_on: dt.date | None = None
    engaged: bool
    """Client engaged?"""
    case_type: str = Field("", max_length=200)
    """Case type, eg MARAC / civil / criminal."""
    change_comment: str = Field("", max_length=5000)
    """Is there reduction/increase in Ric/Soag? Comment."""
    new_concerns: bool
    """Are there any new or altering significant concerns? (answered yes or no, never assumed)"""
    new_concerns_comment: str = Field("", max_length=5000)
    professional_judgement: str = Field(min_length=1, max_length=5000)
    """What is your professional judgement in this case?"""
    issp_why_not: str = Field("", max_length=2000)
    """ISSP in place? If not, why not? (Whether a plan is in place is filled from the case.)"""
    worker_perception: str = Field(min_length=1, max_length=5000)
    """DA practitioner's perception of safety (identify appropriate actions where possible)."""
    client_perception: str = Field(min_length=1, max_length=5000)
    """Client perception of safety (identify appropriate actions where possible)."""
    new_actions: list[str] = []
    """New action plan: any new or incomplete actions that are still relevant to the case."""
    outcome: Outcome
    """Case progression: ongoing case, scale down contact, or close case."""
    reasons: list[str] = Field(min_length=1)
    """What are your reasons for this?"""

    @model_validator(mode="after")
    def _reasons(self) -> ReviewForm:
        if not any(r.strip() for r in self.reasons):
            raise ValueError("reasons: give at least one reason for the outcome")
        if self.new_concerns and not self.new_concerns_comment.strip():
            raise ValueError("new_concerns_comment: describe the new or altering concerns")
        return self


class Filled(Strict):
    """What the review form takes from the case when it is recorded."""

    intake_date: dt.date
    last_contact: dt.date | None = None
    contacts: int
    intensity: str
    risk_at_intake: str | None = None
    risk_now: str | None = None
    change: str
    soag_at_intake: dict[str, str] = {}
    soag_now: dict[str, str] = {}
    issp_in_place: bool
    incomplete_actions: list[str] = []
    dash_out_of_date: bool = False


class ReviewRecord(ReviewForm):
    schema_: str = Field(REVIEW_SCHEMA, alias="schema")
    case: str
    reviewed_by: str
    recorded_at: dt.datetime
    filled: Filled


class Compared(Strict):
    answer: Change
    comment: str = Field("", max_length=2000)
    actions: str = Field("", max_length=2000)
    """Action / referrals still required?"""


class ExitForm(Strict):
    closed_on: dt.date | None = None
    reason: ClosureReason
    """Reason for closure: risk-reduced (and the plan's actions complete), no-contact (6-8 weeks despite
    attempts), or client-request."""
    reason_detail: str = Field("", max_length=5000)
    compared: dict[str, Compared] = {}
    """Keyed as ``COMPARED``; questions about children may be left out when there are none."""
    knows_what_to_do: bool | None = None
    """Do you know what to do if another incident occurred? (where to go for help, who to contact)"""
    follow_up_consent: bool
    """It's our policy to call you in six months' time... Is it okay to contact you?"""
    details_changed: str = Field("", max_length=5000)
    """Latest details: any change in the client's, partner's or children's details since intake."""
    moved_on_to: MoveOn | None = None
    """Where the client moved on to, when support in safe accommodation ends (coded, for reports)."""

    @model_validator(mode="after")
    def _keys(self) -> ExitForm:
        known = {k for k, _ in COMPARED}
        unknown = sorted(set(self.compared) - known)
        if unknown:
            raise ValueError(f"compared.{unknown[0]}: not one of the exit form's questions")
        return self


class ClosureRecord(ExitForm):
    schema_: str = Field(CLOSURE_SCHEMA, alias="schema")
    case: str
    closed_by: str
    recorded_at: dt.datetime
    risk_at_intake: str | None = None
    risk_at_closure: str | None = None
    answers: list[str] | None = None
    """Store format 3: the referrals (first intake versions) and reopenings on file when the case was closed.
    One that is not among them (taken in another office at the same time, or after) keeps the case open
    (`rules.versions.closed`). None in closures written before format 3, which are compared by time."""


class ReopenRecord(Strict):
    schema_: str = Field(REOPEN_SCHEMA, alias="schema")
    case: str
    reason: str = Field(min_length=1, max_length=2000)
    reopened_by: str
    recorded_at: dt.datetime


class FollowUpRecord(Strict):
    schema_: str = Field(FOLLOWUP_SCHEMA, alias="schema")
    case: str
    called_on: dt.date
    reached: bool
    outcome: str = Field("", max_length=5000)
    recorded_by: str
    recorded_at: dt.datetime


class BoilDown(Strict):
    """All that a boiled-down case keeps: no name, contact details or narrative."""

    schema_: str = Field(SUMMARY_SCHEMA, alias="schema")
    case: str
    referral_dates: list[dt.date]
    opened: dt.date
    closed_on: dt.date
    last_contact: dt.date | None = None
    risk_levels: list[tuple[dt.date, str]] = []
    """Each Dash checklist's date and risk level."""
    closure_reason: ClosureReason
    outcome_changes: dict[str, Change] = {}
    marac_referrals: list[dt.date] = []
    reviews: int = 0
    written_at: dt.datetime


HOLD_SCHEMA = "retention-hold/1"
HOLD_END_SCHEMA = "retention-hold-end/1"


class HoldRecord(Strict):
    """A hold that stops destruction (a domestic homicide review, a serious case review, litigation, an
    inquiry) until it is removed."""

    schema_: str = Field(HOLD_SCHEMA, alias="schema")
    case: str
    reason: str = Field(min_length=1, max_length=2000)
    placed_by: str
    recorded_at: dt.datetime


class HoldEndRecord(Strict):
    schema_: str = Field(HOLD_END_SCHEMA, alias="schema")
    case: str
    hold: str
    """The hold record it ends."""
    reason: str = Field(min_length=1, max_length=2000)
    removed_by: str
    recorded_at: dt.datetime


STILL_REQUIRED = "Action / referrals still required?"


def compared_fields(children: bool) -> list:
    """The exit form's 'Compared to your situation at intake...' questions as form fields (answer, comment,
    actions each), for the dashboard's form and the CLI's questions; those about children only when the
    case has children on file."""
    from dacli.schemas.fields import FormField

    section = "Compared to your situation at intake..."
    changes = typing.get_args(Change)
    out = []
    for key, question in COMPARED:
        if key in CHILDREN_QUESTIONS and not children:
            continue
        out += [
            FormField(f"compared.{key}.answer", question, "choice", False, changes, section),
            FormField(f"compared.{key}.comment", "Comment", "text", False, (), section),
            FormField(
                f"compared.{key}.actions", "Action / referrals still required?", "text", False, (), section
            ),
        ]
    return out
