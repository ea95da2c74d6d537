"""My day (`dacli day`, the dashboard's day screen): a worker's overdue, today's and this week's deadlines,
what waits without a date, and the sign-offs waiting for them. The sections are `rules.day.plan_day`; the
rows are the caseload's own (`services.caseload.caseload`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dacli import clock
from dacli.rules.day import Item, plan_day
from dacli.schemas.common import Role
from dacli.store.store import Session


@dataclass
class Day:
    who: str
    team: bool
    today: dt.date
    sections: dict[str, list[Item]]

    def counts(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.sections.items()}

    def headline(self) -> str:
        """The day in one sentence, as both the CLI and the dashboard print it."""
        whose = "The team's day" if self.team else f"Your day ({self.who})"
        counts = ", ".join(f"{n} {name}" for name, n in self.counts().items() if n)
        return f"{whose}, {clock.long_day(self.today)}: {counts or 'nothing due this week'}."


def my_day(session: Session, *, team: bool = False, now: dt.datetime | None = None) -> Day:
    """The day of the person unlocked. ``team``: every case, not only theirs (seniors and managers: a
    caseworker asking is refused, exit 4)."""
    from dacli.services.caseload import caseload

    senior = session.member.role in (Role.senior, Role.manager)
    if team:
        session.require_role(Role.senior, Role.manager)
    now = now or clock.now()
    rows = caseload(session, now=now)
    me = session.member.username
    today = clock.local_date(now)
    return Day(me, team, today, plan_day(rows, today, me, team=team, signs_off=senior))
