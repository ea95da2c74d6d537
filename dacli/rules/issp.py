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


def join_actions(newest: list, others: list[list]) -> list:
    """The actions of a plan made from two (or more) versions saved at once (store format 3): every action
    of the newest version, then each action another version holds that the newest does not (the same risk,
    agreed action and who, compared without case or surrounding space), and a completion date any of them
    records where the newest has none. Nothing one office added or completed is lost."""

    def key(a) -> tuple[str, str, str]:
        return (a.risk.strip().casefold(), a.action.strip().casefold(), a.who.strip().casefold())

    out = list(newest)
    at = {key(a): n for n, a in enumerate(out)}
    for actions in others:
        for a in actions:
            n = at.get(key(a))
            if n is None:
                at[key(a)] = len(out)
                out.append(a)
            elif out[n].done is None and a.done is not None:
                out[n] = out[n].model_copy(update={"done": a.done})
    return out
