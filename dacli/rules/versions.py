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


def leaves(versions: list[Version]) -> list[Version]:
    """The versions no other version replaces, oldest first (by time, then name): the current one is the
    last; more than one is a fork."""
    replaced = {r for v in versions for r in v.replaces}
    return sorted((v for v in versions if v.name not in replaced), key=lambda v: (v.at, v.name))


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


def closed(closures: list[dt.datetime], reopenings: list[dt.datetime]) -> bool:
    """A case is closed when its latest closure is later than every reopening (a `reopen`, or a new
    referral taken after the closure). The same moment counts as open: when in doubt, the case stays open.
    Two offices closing and reopening while apart both agree, once each has the other's facts."""
    if not closures:
        return False
    last = max(closures)
    return all(r < last for r in reopenings)
