"""A recorded Dash checklist (`dash-<timestamp>.toml.age`). Each checklist is a new record: nothing
overwrites an earlier one, so the history of risk is kept."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from dacli.schemas.common import Strict
from dacli.schemas.dash_bank import DASH_VERSION, QUESTIONS

DASH_SCHEMA = "dash/1"
SUBTICKS = {q.number: q.subticks for q in QUESTIONS if q.subticks}


class Answer(Strict):
    answer: Literal["yes", "no", "dont-know"]
    comment: str | None = Field(None, max_length=5000)
    source: str | None = Field(None, max_length=200)
    """Source of information if not the victim (eg police officer)."""
    ticks: list[str] = []
    """The question's sub-ticks that apply (q14, q18, q21, q23, q24)."""


class Context(Strict):
    police_incidents_past_12_months: int | None = Field(None, ge=0, le=1000)
    last_marac_referral: dt.date | None = None
    new_incident: bool = False
    """Completed after a new incident (the reassessment clock restarts)."""
    child_made_call: bool = False
    """In the incident, the child made the call (a children's social care trigger)."""
    child_injured: bool = False
    """In the incident, a child was injured."""
    child_used_as_shield: bool = False
    """In the incident, a child was used as a shield."""


class Professional(Strict):
    marac_grounds: bool = False
    reasons: str | None = Field(None, max_length=20000)
    level: Literal["standard", "medium", "high"] | None = None
    # The pack's professional section, keyed as in dash_bank.PROFESSIONAL_ITEMS. Signed and dated are the
    # record's assessed_by and assessed_on.
    other_relevant_information: str | None = Field(None, max_length=20000)
    victim_situation: str | None = Field(None, max_length=20000)
    abuser_access_to_weapons: str | None = Field(None, max_length=5000)
    victim_priorities: str | None = Field(None, max_length=20000)
    marac_referral_made: bool = False
    """'If yes, have you made a referral?' (to Marac): a recorded referral, dated by the checklist."""
    children_at_risk: bool = False
    """'Do you believe that there are risks facing the children in the family?' (professional judgement:
    a children's social care trigger)."""
    children_referral_made: bool = False
    children_referral_date: dt.date | None = None
    practitioners_notes: str | None = Field(None, max_length=20000)


class DashForm(Strict):
    """What a person supplies: the checklist file of `dash score`, answers optionally as tables."""

    checklist: str = DASH_VERSION
    assessed_on: dt.date | None = None
    answers: dict[str, Answer] = {}
    context: Context = Field(default_factory=Context)
    professional: Professional = Field(default_factory=Professional)

    @model_validator(mode="before")
    @classmethod
    def _assessed_in_context(cls, data):
        """`dash score` files give the date as [context] assessed_on: the same file records a checklist."""
        if (
            isinstance(data, dict)
            and isinstance(data.get("context"), dict)
            and "assessed_on" in data["context"]
        ):
            context = dict(data["context"])
            data = {**data, "context": context}
            if data.get("assessed_on") is None:
                data["assessed_on"] = context.pop("assessed_on")
            else:
                context.pop("assessed_on")
        return data

    @field_validator("checklist")
    @classmethod
    def _version(cls, v: str) -> str:
        if v != DASH_VERSION:
            raise ValueError(f"dacli knows {DASH_VERSION} only")
        return v

    @field_validator("answers", mode="before")
    @classmethod
    def _plain_answers(cls, v):
        if isinstance(v, dict):
            return {k: ({"answer": a} if isinstance(a, str) else a) for k, a in v.items()}
        return v

    @field_validator("answers")
    @classmethod
    def _keys(cls, v: dict[str, Answer]) -> dict[str, Answer]:
        for key, answer in v.items():
            if key not in {f"q{n}" for n in range(1, 25)}:
                raise ValueError(f"{key} is not a Dash question (q1 to q24)")
            allowed = SUBTICKS.get(int(key[1:]), ())
            if answer.ticks and answer.answer != "yes":
                raise ValueError(f"{key}: ticks are given only with a 'yes' answer")
            for tick in answer.ticks:
                if tick not in allowed:
                    raise ValueError(f"{key}: {tick!r} is not one of its ticks {list(allowed)}")
        return v


class Result(Strict):
    yes: int
    dont_know: list[int]
    unanswered: list[int]
    visible_high_risk: bool
    marac_criteria: list[str]
    refer_to_marac: bool
    risk_level: str


class DashRecord(DashForm):
    schema_: str = Field(DASH_SCHEMA, alias="schema")
    case: str
    assessed_by: str
    """Staff id of the practitioner."""
    recorded_at: dt.datetime
    result: Result
    """The score when recorded, kept so that history shows what was decided then."""
