"""Retention: when a case file is due for destruction or boiling down. Pure functions.

Sources: SafeLives Case Management Pack, Appendix C (seeds/002) and DOMAIN.md: keep case files at least 6
years from the last contact with the client (Limitation Act 1980); local child-protection rules may keep
records involving children longer (a common rule: until the youngest child's 25th birthday); holds (a
domestic homicide review, a serious case review, litigation, an inquiry) stop destruction; open cases are
never purged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def add_years(day: dt.date, years: int) -> dt.date:
    """The same date ``years`` later; 29 February becomes 1 March in a year without one, so that at least
    the full period has passed ('keep at least 6 years')."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Decision:
    ref: str
    state: str
    """'due', 'kept' (not yet due), 'held', or 'open'."""
    rule: str
    """The rule that sets the date, in words."""
    keep_until: dt.date | None
    """The first day the file may be destroyed (None for open cases)."""


def retention(
    ref: str,
    *,
    status: str,
    last_contact: dt.date | None,
    referral_date: dt.date,
    held: bool,
    as_of: dt.date,
    years: int = 6,
    youngest_child_dob: dt.date | None = None,
    children_until_age: int | None = None,
) -> Decision:
    """Whether a case is due on ``as_of``. The clock starts at the last contact with the client, or at the
    latest referral if that came later (or there was no contact). Due on the anniversary itself: exactly
    six years have passed."""
    if status != "closed":
        return Decision(ref, "open", "open cases are never purged", None)
    start = max(last_contact, referral_date) if last_contact else referral_date  # a later referral counts
    keep_until = add_years(start, years)
    rule = f"{years} years from the last contact ({start})"
    if children_until_age and youngest_child_dob:
        child_until = add_years(youngest_child_dob, children_until_age)
        if child_until > keep_until:
            keep_until = child_until
            rule = f"until the youngest child's {children_until_age}th birthday ({child_until})"
    if held:
        return Decision(ref, "held", rule + "; on hold", keep_until)
    return Decision(ref, "due" if as_of >= keep_until else "kept", rule, keep_until)
