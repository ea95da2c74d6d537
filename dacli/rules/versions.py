"""Versions that name what they replace (store format 3), and a case's status from its facts.

Under a file-sync engine two offices can each make a new version of the same thing while apart (a safety
plan, an intake completed). No number is chosen from a local view: each version names the version(s) it
replaces. A version nobody replaces is a *leaf*; one thing with two leaves is a *fork*: two versions made
at once, shown to a person and joined by the next version made (which replaces every leaf), never settled
by a silent winner. Pure functions: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Version:
    name: str
    replaces: tuple[str, ...]
    at: dt.datetime
    by: str
    order: int = 0
    """Tie-break for versions made at the same moment: how many earlier ones its writer had on file."""


def leaves(versions: list[Version]) -> list[Version]:
    """The versions no other version replaces, oldest first (by time, then name): the current one is the
    last; more than one is a fork."""
    replaced = {r for v in versions for r in v.replaces}
    return sorted((v for v in versions if v.name not in replaced), key=lambda v: (v.at, v.order, v.name))


def roots(versions: list[Version]) -> dict[str, str]:
    """Each version's first ancestor (the version that started its chain), by name. A version whose parent
    is not among ``versions`` (not arrived yet, or unreadable) starts a chain of its own."""
    by_name = {v.name: v for v in versions}
    out: dict[str, str] = {}

    def root(name: str, seen: frozenset[str]) -> str:
        if name in out:
            return out[name]
        parents = [p for p in by_name[name].replaces if p in by_name and p not in seen]
        found = min((root(p, seen | {name}) for p in parents), default=name)
        out[name] = found
        return found

    for v in versions:
        root(v.name, frozenset())
    return out


def forks(versions: list[Version]) -> list[list[Version]]:
    """Each chain with more than one leaf: the leaves of one thing made at once (oldest first)."""
    chain = roots(versions)
    by_root: dict[str, list[Version]] = {}
    for leaf in leaves(versions):
        by_root.setdefault(chain[leaf.name], []).append(leaf)
    return [found for found in by_root.values() if len(found) > 1]


def closed(
    closures: list[tuple[frozenset[str] | None, dt.datetime]], reopenings: list[tuple[str, dt.datetime]]
) -> bool:
    """Whether a case is closed: some closure answers every reopening (a `reopen`, or a referral taken after
    the first). A closure answers the reopenings it names (``answers``: those on file when it was made, so
    one taken in another office at the same moment, or later, reopens the case); a closure written before
    store format 3 names none (None) and answers those made before it (the same moment counts as open:
    when in doubt, the case stays open). Two offices closing and reopening while apart agree, once each
    has the other's facts."""
    for answers, at in closures:
        if all((name in answers) if answers is not None else when < at for name, when in reopenings):
            return True
    return False


def chains(versions: list[Version]) -> list[list[Version]]:
    """The leaves of each chain (one thing and the versions made of it), chains in the order their first
    versions were made (by time, then name), each chain's leaves oldest first: one leaf, or a fork."""
    by_name = {v.name: v for v in versions}
    chain = roots(versions)
    grouped: dict[str, list[Version]] = {}
    for leaf in leaves(versions):
        grouped.setdefault(chain[leaf.name], []).append(leaf)
    order = sorted(grouped, key=lambda r: (by_name[r].at, by_name[r].order, r))
    return [grouped[r] for r in order]
