"""The SafeLives Dash risk checklist: the count, the Marac referral criteria, the risk level.

Pure functions over plain data (no pydantic, no I/O): `dacli dash score` imports this module alone, so that
scoring a file starts as fast as a small script. ``assessed_on`` is always a parameter.

Sources: SafeLives Case Management Pack (2014) and its Marac referral form; DOMAIN.md.
- Score = the number of 'yes' answers. 'Don't know' is never counted, but it is shown: the Marac must be
  told of gaps in the checklist.
- 14 or more 'yes' = visible high risk.
- Marac referral criteria (any one): visible high risk; professional judgement (with its reasons);
  potential escalation (3 or more incidents reported to the police in the past 12 months); Marac repeat
  (assessed within 12 months of the last Marac referral).
- Professional judgement may raise a level, never lower an actuarial one; it is refused without reasons.
  A local 'medium' band (often 10-13 yes) is a policy setting, off by default; it suggests a level and
  never lowers one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

QUESTIONS = 24
LEVELS = ("standard", "medium", "high")


class DashInputError(ValueError):
    """A checklist that cannot be scored; the message names the key or value."""


@dataclass(frozen=True)
class DashRules:
    """The policy numbers the rules use (`[dash]` in the store's policy.toml)."""

    visible_high_risk: int = 14
    medium_band_enabled: bool = False
    medium_band_min: int = 10
    medium_band_max: int = 13
    potential_escalation_incidents: int = 3
    marac_repeat_months: int = 12


@dataclass(frozen=True)
class DashInput:
    answers: dict[int, str]
    """Question number (1-24) to 'yes', 'no' or 'dont-know'. A question left out is unanswered."""
    assessed_on: date
    police_incidents_past_12_months: int | None = None
    last_marac_referral: date | None = None
    marac_grounds: bool = False
    """The practitioner's professional judgement that the case meets the Marac threshold."""
    reasons: str | None = None
    level: str | None = None
    """The practitioner's own level: standard, medium or high (high is professional judgement)."""


@dataclass(frozen=True)
class Criterion:
    name: str
    reason: str


@dataclass(frozen=True)
class DashResult:
    yes: int
    dont_know: list[int]
    unanswered: list[int]
    visible_high_risk: bool
    marac_criteria: list[Criterion]
    refer_to_marac: bool
    risk_level: str
    band_suggestion: str | None
    recommendation: str
    notes: list[str] = field(default_factory=list)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 29th-31st fall back to the month's last day (29 Feb + 12
    months = 28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def marac_repeat(last_referral: date | None, assessed_on: date, months: int = 12) -> bool:
    """Assessed within 12 months of the last Marac referral, read as within 365 days (``months`` * 365 /
    12): day 365 counts, day 366 does not, across a leap year too."""
    if last_referral is None:
        return False
    return 0 <= (assessed_on - last_referral).days <= round(months * 365 / 12)


def score(data: DashInput, rules: DashRules = DashRules()) -> DashResult:
    bad = sorted(set(data.answers) - set(range(1, QUESTIONS + 1)))
    if bad:
        raise DashInputError(f"answers.q{bad[0]} is not a Dash question (they are q1 to q24).")
    for number, answer in sorted(data.answers.items()):
        if answer not in ("yes", "no", "dont-know"):
            raise DashInputError(f"answers.q{number}: {answer!r} is not yes, no or dont-know.")
    if data.level is not None and data.level not in LEVELS:
        raise DashInputError(f"professional.level: {data.level!r} is not standard, medium or high.")
    if data.police_incidents_past_12_months is not None and data.police_incidents_past_12_months < 0:
        raise DashInputError("context.police_incidents_past_12_months cannot be negative.")
    if data.last_marac_referral is not None and data.last_marac_referral > data.assessed_on:
        raise DashInputError("context.last_marac_referral is after context.assessed_on.")

    yes = sum(1 for a in data.answers.values() if a == "yes")
    dont_know = sorted(n for n, a in data.answers.items() if a == "dont-know")
    unanswered = [n for n in range(1, QUESTIONS + 1) if n not in data.answers]
    visible = yes >= rules.visible_high_risk
    criteria: list[Criterion] = []
    notes: list[str] = []
    if visible:
        criteria.append(
            Criterion(
                "visible_high_risk",
                f"{yes} 'yes' answers: {rules.visible_high_risk} or more is visible high risk.",
            )
        )
    judged = data.marac_grounds or data.level == "high"
    reasons = (data.reasons or "").strip()
    if judged and not reasons:
        raise DashInputError(
            "professional.reasons: professional judgement (marac_grounds, or level high) needs its reasons."
        )
    if judged:
        criteria.append(Criterion("professional_judgement", f"Professional judgement: {reasons}"))
    incidents = data.police_incidents_past_12_months
    if incidents is not None and incidents >= rules.potential_escalation_incidents:
        criteria.append(
            Criterion(
                "potential_escalation",
                f"{incidents} incidents reported to the police in the past 12 months "
                f"({rules.potential_escalation_incidents} or more is potential escalation).",
            )
        )
    if marac_repeat(data.last_marac_referral, data.assessed_on, rules.marac_repeat_months):
        criteria.append(
            Criterion(
                "marac_repeat",
                f"Assessed on {data.assessed_on.isoformat()}, within {rules.marac_repeat_months} months of "
                f"the last Marac referral ({data.last_marac_referral.isoformat()}).",
            )
        )
    band = None
    if rules.medium_band_enabled and rules.medium_band_min <= yes <= rules.medium_band_max:
        band = "medium"
    if criteria:
        level = "high"
    else:
        own = data.level if data.level in ("standard", "medium") else "standard"
        level = max(own, band or "standard", key=LEVELS.index)  # a band suggests, never lowers
    if dont_know or unanswered:
        gaps = len(dont_know) + len(unanswered)
        notes.append(f"{gaps} questions are 'don't know' or unanswered: tell the Marac about the gaps.")
    refer = bool(criteria)
    if refer:
        names = ", ".join(c.name.replace("_", " ") for c in criteria)
        recommendation = f"Refer to Marac: {names}."
    else:
        recommendation = (
            f"No Marac referral criterion is met; the risk level is {level}. Keep safety planning going and "
            "reassess after any new incident."
        )
    return DashResult(
        yes, dont_know, unanswered, visible, criteria, refer, level, band, recommendation, notes
    )


ABUSER = "[name of abuser(s)]"
"""Where the pack's questions name the person who abuses."""


def name_abusers(text: str, names: list[str]) -> str:
    """A Dash question with the people who abuse named, as the pack means it to be asked ('Has Corin
    ever...'); the pack's wording as it is when no one is named on the case."""
    names = [n.strip() for n in names if n and n.strip()]
    if not names or ABUSER not in text:
        return text
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return text.replace(ABUSER, said)
