"""A client's case is everything on file: the children, perpetrators and safe contact details of every
intake, newest first. Pure.

A repeat referral (a police referral naming only the incident and a new partner) adds to what the case
knows; it never makes the case forget the children or the safe number of the first intake. Every rule and
form (children's triggers, the Marac referral and research forms, the case view, matching and conflicts)
reads this accumulated view, never the latest intake alone.

Two entries are merged only when they are clearly the same person: the same name once case, accents,
spacing and punctuation are ignored, and the same date of birth (both unknown counts as the same), and for
children the same born / unborn state. Anything less is kept twice: a duplicate on a form is a nuisance,
a child dropped from it is a missed risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dacli.rules.matching import normalise_name

SAFE_CONTACT = (
    "safe_number",
    "safe_time_to_call",
    "code_word",
    "address",
    "alternative_address",
    "telephone",
    "mobile",
)
"""The client's safe contact details, in the order a screen shows them."""


@dataclass
class Accumulated:
    children: list[Any] = field(default_factory=list)
    """Every child (born and unborn) of every intake, newest intake first."""
    perpetrators: list[Any] = field(default_factory=list)
    """Every alleged perpetrator of every intake, newest intake first."""
    safe: dict[str, list[str]] = field(default_factory=dict)
    """Each safe contact field: its distinct values, newest first (the first is the one in use)."""

    def current(self, name: str) -> str | None:
        """The newest value of a safe contact field on file, or None."""
        values = self.safe.get(name)
        return values[0] if values else None


def _key(person: Any) -> tuple:
    return (normalise_name(person.name), person.dob, bool(getattr(person, "unborn", False)))


def accumulate(intakes: list[Any]) -> Accumulated:
    """``intakes`` oldest first (as numbered); the result newest first, nothing dropped but repeats of
    clearly the same person or value."""
    out = Accumulated()
    seen_children: set[tuple] = set()
    seen_perps: set[tuple] = set()
    for intake in reversed(intakes):
        for child in intake.children:
            if _key(child) not in seen_children:
                seen_children.add(_key(child))
                out.children.append(child)
        for perp in intake.perpetrators:
            if _key(perp) not in seen_perps:
                seen_perps.add(_key(perp))
                out.perpetrators.append(perp)
        for name in SAFE_CONTACT:
            value = getattr(intake.client, name, None)
            if value and value.strip():
                values = out.safe.setdefault(name, [])
                if value not in values:
                    values.append(value)
    return out
