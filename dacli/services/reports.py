"""Reports a manager sends (issue 17), counted from the caseload index's report facts (`report_facts`).

A report reads one file (this person's caseload index, brought up to date with the case folders first),
never every record, and never names a client or a case: each line is a count. Seniors and managers only
(the figures cover the whole service); the rule is enforced here, where the facts are read.
"""

from __future__ import annotations

from dacli.errors import InvalidInput
from dacli.rules.report_figures import (
    caseload_figures,
    marac_figures,
    outcomes_figures,
    safe_accommodation_figures,
)
from dacli.rules.reports import Period, Report
from dacli.schemas.common import Role
from dacli.store.store import Session


def scoped_rows(session: Session, worker: str | None, team: str | None) -> tuple[list[dict], str, int]:
    """The report facts of the cases a report counts, the words for whose they are, and how many cases of
    the store could not be read here (not counted); seniors and managers only."""
    session.require_role(Role.senior, Role.manager)
    if worker and team:
        raise InvalidInput("Give --worker or --team, not both.")
    index = session.read_index()
    rows = list(index.get("cases", {}).values())
    unreadable = len(index.get("unreadable", {}))
    policy = session.store.policy
    if worker:
        if session.staff().by_username(worker) is None:
            raise InvalidInput(f"There is no member of staff called {worker!r}.")
        chosen, scope = {worker}, f"worker {worker}"
    elif team:
        members = policy.reports.teams.get(team)
        if members is None:
            known = ", ".join(sorted(policy.reports.teams)) or "none are set in the policy"
            raise InvalidInput(f"There is no team {team!r} (teams: {known}).")
        chosen, scope = set(members), f"team {team}"
    else:
        return [r.get("report", {}) for r in rows], "the whole service", unreadable
    return [r.get("report", {}) for r in rows if r.get("worker") in chosen], scope, unreadable


def _run(session: Session, figures, period: Period, worker: str | None, team: str | None, **extra) -> Report:
    facts, scope, unreadable = scoped_rows(session, worker, team)
    report = figures(facts, period, scope, session.store.policy.reports.small_numbers, **extra)
    report.unreadable = unreadable
    return report


def caseload(
    session: Session, period: Period, *, worker: str | None = None, team: str | None = None
) -> Report:
    """Referrals in by route, cases open and closed, risk at intake and now, first contact within the
    policy's hours, Dash completed, reviews on time and plans in place, over ``period``."""
    review = session.store.policy.review
    weeks = (review.first_review_weeks_max, review.interval_weeks)
    return _run(
        session, caseload_figures, period, worker, team, hours=review.first_contact_hours, weeks=weeks
    )


def marac(session: Session, period: Period, *, worker: str | None = None, team: str | None = None) -> Report:
    """The SafeLives Marac national dataset's figures for the Marac referrals made in ``period``."""
    return _run(session, marac_figures, period, worker, team)


def outcomes(
    session: Session, period: Period, *, worker: str | None = None, team: str | None = None
) -> Report:
    """Intake against exit for the cases closed in ``period`` (consenting clients)."""
    return _run(session, outcomes_figures, period, worker, team)


def safe_accommodation(
    session: Session, period: Period, *, worker: str | None = None, team: str | None = None
) -> Report:
    """The Part 4 return's counts the store holds, for clients in safe accommodation in ``period``."""
    return _run(session, safe_accommodation_figures, period, worker, team)


def record_export(session: Session, report: Report, form: str) -> None:
    """Audit a report that left the terminal as CSV or JSON (what, over which period, for whom): anonymised
    figures, but a manager may be asked what was sent and when."""
    p = report.period
    detail = {"report": report.kind, "from": p.start.isoformat(), "to": p.end.isoformat()}
    session.audit("report-export", detail={**detail, "scope": report.scope, "format": form})
