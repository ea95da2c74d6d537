"""When a referral to children's social care must be made. Pure: ``on`` is a parameter.

Source: the local safeguarding children procedure on domestic abuse (seeds/001, section 6.1): always refer
where the child made the call; the child was injured; the child was used as a shield; there was any
incident in a family with a child under 12 months (even if not present); a pregnant woman is involved;
the victim is high risk on the Dash and there is a child in the household; a Marac is convened and there
are children in the household; or a professional judges it warranted. Unborn children count. Verbal
referrals are confirmed in writing within 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dacli.rules.dash import add_months


@dataclass(frozen=True)
class Trigger:
    name: str
    reason: str


@dataclass(frozen=True)
class ChildrenFacts:
    child_dobs: tuple[date | None, ...] = ()
    """Dates of birth of the children in the household (None where unknown)."""
    unborn: bool = False
    """An unborn child: the client is pregnant or an unborn child is recorded."""
    high_risk: bool = False
    marac: bool = False
    """A Marac referral has been made or the case meets the Marac criteria."""
    child_made_call: bool = False
    child_injured: bool = False
    child_used_as_shield: bool = False
    professional_judgement: bool = False


def referral_triggers(facts: ChildrenFacts, on: date) -> list[Trigger]:
    triggers: list[Trigger] = []
    children = bool(facts.child_dobs) or facts.unborn
    if facts.child_made_call:
        triggers.append(Trigger("child-made-call", "The child made the call."))
    if facts.child_injured:
        triggers.append(Trigger("child-injured", "The child was injured."))
    if facts.child_used_as_shield:
        triggers.append(Trigger("child-used-as-shield", "The child was used as a shield."))
    babies = [d for d in facts.child_dobs if d is not None and d <= on < add_months(d, 12)]
    if babies:
        triggers.append(
            Trigger("child-under-12-months", "A child under 12 months is in the family (present or not).")
        )
    if facts.unborn:
        triggers.append(Trigger("pregnancy", "A pregnant woman is involved (unborn children count)."))
    if facts.high_risk and children:
        triggers.append(
            Trigger("high-risk-with-children", "High risk on the Dash with a child in the household.")
        )
    if facts.marac and children:
        triggers.append(Trigger("marac-with-children", "A Marac case with children in the household."))
    if facts.professional_judgement:
        triggers.append(Trigger("professional-judgement", "A professional judges a referral warranted."))
    return triggers
