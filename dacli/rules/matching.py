"""Repeat referrals and conflicts of interest. Pure functions over names and dates."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date


def normalise_name(name: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form of a name: letters and digits only.

    'Zoë O'Brien-Testcase', 'zoe obrien testcase' and 'ZOE OBRIENTESTCASE' normalise alike: referrers
    write names inconsistently, and a missed repeat referral is a missed risk. (The date of birth must
    match too, so the looser comparison links few people wrongly.)
    """
    if name.isascii():  # most names: the same result without decomposing
        return "".join(c for c in name.lower() if c.isalnum())
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@dataclass(frozen=True)
class Person:
    """A name (with any also-known-as names) and a date of birth, as the index holds them."""

    names: tuple[str, ...]
    dob: date | None

    def keys(self) -> set[tuple[str, date]]:
        if self.dob is None:
            return set()
        return {(normalise_name(n), self.dob) for n in self.names if n and normalise_name(n)}


def same_person(a: Person, b: Person) -> bool:
    """Name or aka plus date of birth match, normalised. Without a date of birth there is no match:
    a name alone is too weak to link two clients' files."""
    return bool(a.keys() & b.keys())
