"""When a Marac referral is due. Pure: dates in, a yes or no out.

Source: DOMAIN.md (time limits), seeds/002: a Marac referral recommended by the latest Dash checklist (any
criterion met) and not yet made is due, and shown until it is made, or until a senior or manager records a
decision not to refer, with the reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def referral_due(
    recommended: bool,
    assessed_on: date | None,
    referred_on: Iterable[date],
    declined: bool = False,
) -> bool:
    """``recommended``: the latest checklist met a Marac criterion; ``assessed_on`` its date;
    ``referred_on`` the dates of every referral on file (a referral dated on or after the checklist answers
    it; one before it does not, since a new checklist recommending a referral calls for a new one);
    ``declined``: a senior's recorded decision not to refer answers this checklist."""
    if not recommended or assessed_on is None or declined:
        return False
    return not any(day >= assessed_on for day in referred_on)
