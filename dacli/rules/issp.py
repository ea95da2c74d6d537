"""Safety-plan rules: which actions are overdue, and which risks seed a new plan. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping


def overdue_actions(actions: Iterable, today: dt.date) -> list:
    """Actions whose 'by when?' date has passed without a 'date complete'. On the day itself an action is
    still due, not overdue (the same reading as every other deadline in dacli)."""
    return [a for a in actions if a.done is None and a.by is not None and a.by < today]


def next_open_action(actions: Iterable) -> dt.date | None:
    """The earliest 'by when?' of an action not yet complete (for the caseload's deadlines)."""
    dates = [a.by for a in actions if a.done is None and a.by is not None]
    return min(dates) if dates else None


def seed_risks(
    dash_answers: Mapping[str, str], questions: Mapping[int, str], soag: Mapping[str, tuple[str, str | None]]
) -> list[tuple[str, str]]:
    """(source, risk factor) for each Dash question answered yes, in question order, then each Soag type
    where abuse is occurring, in grid order. The pack: 'This is useful for looking at issues and risks
    identified through the Checklist and the Soag'."""
    out: list[tuple[str, str]] = []
    for number in sorted(questions):
        if dash_answers.get(f"q{number}") == "yes":
            out.append((f"Dash q{number}", questions[number]))
    for kind, (occurring, severity) in soag.items():
        if occurring == "yes":
            out.append((f"Soag {kind}", f"{kind.replace('_', ' ')} abuse occurring ({severity or '-'})"))
    return out
