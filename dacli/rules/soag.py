"""Comparing two Severity of Abuse Grids (intake against the latest). Pure."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_ORDER = {"standard": 1, "moderate": 2, "high": 3}


@dataclass(frozen=True)
class Change:
    type: str
    before: str
    after: str
    direction: str
    """'worse', 'better', 'same' or 'unknown'."""


def describe(occurring: str, severity: str | None) -> str:
    return severity if occurring == "yes" and severity else occurring


def compare(
    first: dict[str, tuple[str, str | None]], latest: dict[str, tuple[str, str | None]]
) -> list[Change]:
    """Per abuse type: (occurring, severity) at intake and now, and which way it moved."""
    out = []
    for kind, (occ_a, sev_a) in first.items():
        occ_b, sev_b = latest[kind]
        a = SEVERITY_ORDER.get(sev_a, 0) if occ_a == "yes" else (0 if occ_a == "no" else None)
        b = SEVERITY_ORDER.get(sev_b, 0) if occ_b == "yes" else (0 if occ_b == "no" else None)
        if a is None or b is None:
            direction = "unknown"
        else:
            direction = "worse" if b > a else "better" if b < a else "same"
        out.append(Change(kind, describe(occ_a, sev_a), describe(occ_b, sev_b), direction))
    return out
