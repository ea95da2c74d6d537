"""A worker's day: what is overdue, due today and due this week across their cases (or, for a senior, the
team's), what is waiting to be done without a date, and the sign-offs waiting for them. Pure: the rows and
their deadlines (`rules.schedule.deadlines`) come in, sections go out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dacli import clock
from dacli.rules.deadlines import Deadline, DeadlineState

WEEK_DAYS = 7
"""'This week': due after today and within this many days of it."""
SECTIONS = ("overdue", "today", "this week", "to do", "sign-offs")
HEADINGS = {
    "overdue": "OVERDUE",
    "today": "Due today",
    "this week": "Due this week",
    "to do": "To do (no date)",
    "sign-offs": "Sign-offs waiting for you",
}
"""Each section's heading, as `dacli day` and the dashboard's day screen print it."""
TASK_FLAGS = {
    "marac-referral-due": "Marac referral (the criteria are met)",
    "children-referral-needed": "children's social care referral",
    "incomplete": "a record cannot be read: restore it",
}
"""Flags that ask the worker to act, with what they ask (`to do`: they have no date)."""
SIGN_OFF = "share sign-off"


@dataclass(frozen=True)
class Item:
    ref: str
    client: str
    worker: str
    what: str
    due_at: dt.datetime | None
    overdue: bool


def when(at: dt.datetime | None) -> str:
    """When an item is due, as a person reads it (`clock.show_due`); '-' for none."""
    return "-" if at is None else clock.show_due(at)


def section_of(deadline: Deadline, today: dt.date) -> str | None:
    """'overdue', 'today' or 'this week' for a deadline not yet done; None when done or further off."""
    if deadline.state == DeadlineState.done:
        return None
    if deadline.state == DeadlineState.overdue:
        return "overdue"
    day = clock.local_date(deadline.due_at)
    if day <= today:
        return "today"
    if day <= today + dt.timedelta(days=WEEK_DAYS):
        return "this week"
    return None


def plan_day(rows, today: dt.date, me: str, *, team: bool, signs_off: bool) -> dict[str, list[Item]]:
    """The sections of ``me``'s day (every section present, perhaps empty). ``rows``: caseload rows with
    their deadlines resolved. ``team``: every case, not only ``me``'s. ``signs_off``: ``me`` is a senior or
    manager, so every share without consent awaiting sign-off is theirs to do, on their own cases too: only
    a caseworker's decision awaits a sign-off (`services.sharing`), so it is never the senior's own, which
    the sign-off refuses by who decided, not by whose case it is. A caseworker's share awaits a senior, so
    it is in no section of theirs."""
    out: dict[str, list[Item]] = {name: [] for name in SECTIONS}
    for row in rows:
        ours = team or row.worker == me
        for d in row.deadlines:
            if d.name == SIGN_OFF:
                if signs_off and d.state != DeadlineState.done:
                    out["sign-offs"].append(
                        Item(
                            row.ref,
                            row.client,
                            row.worker,
                            d.name,
                            d.due_at,
                            d.state == DeadlineState.overdue,
                        )
                    )
                continue
            if not ours:
                continue
            where = section_of(d, today)
            if where:
                out[where].append(Item(row.ref, row.client, row.worker, d.name, d.due_at, where == "overdue"))
        if ours:
            for flag in row.flags:
                if flag in TASK_FLAGS:
                    out["to do"].append(Item(row.ref, row.client, row.worker, TASK_FLAGS[flag], None, False))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    for items in out.values():
        items.sort(key=lambda i: (i.due_at or far, i.ref, i.what))
    return out
