"""The facts of a case a report counts, kept in its caseload index row (``report``): codes, dates and
levels only, never a name, a free-text answer or a safe detail. Reports read these and nothing else, so a
report over 20,000 cases opens one file, not every record (`services.reports`).

Keys (short: the row is kept for every case):
- ``con``: consented to anonymised monitoring (the agreement in force's own answer; none, or one that
  cannot be read: no);
- ``refs``: each referral (its current version), oldest first: [date, route code or null, seconds to the
  first contact with the client after it, or null];
- ``eps``: each spell the case was open: [opened, closed or null, reason, the exit form's 'compared to
  intake' answers, moved on to]; ``status``;
- ``dash``: each Dash checklist: [date, level, yes-count]; ``soag``: each grid: [date, {type: [occurring,
  severity]}]; ``plan``: the date of the first safety plan;
- ``rev``: each review: [date, the referral it follows, the review before it] (on time or not is worked out
  when a report runs, under the policy then);
- ``marac``: the dates of Marac referrals the service made;
- ``mon``: the coded monitoring answers given (left out: not asked); ``age``: the age band at referral
  worked out from the date of birth (used where no band was given); ``kids``: children on file (not unborn);
- ``acc``: the kind of safe accommodation the service supports them in;
- ``perps``: each perpetrator: [sex, age band, relationship];
- ``fu``: each follow-up call: [date, reached].
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.rules.deadlines import referral_moment
from dacli.rules.reports import age_band


def _day(x: dt.date | None) -> str | None:
    return x.isoformat() if x is not None else None


def case_facts(view: Any) -> dict:
    """The report facts of a case from its view (`services.case_view.CaseView`)."""
    referrals = list(view.intakes)  # the current version of each referral, oldest first
    contacts = sorted(n.at for _, n in view.notes if n.with_client and n.successful)
    refs = []
    for r in referrals:
        at = referral_moment(r.referral.date, r.referral.time)
        after = next((c for c in contacts if c >= at), None)
        seconds = int((after - at).total_seconds()) if after is not None else None
        route = r.referral.route.value if r.referral.route is not None else None
        refs.append([r.referral.date.isoformat(), route, seconds])
    latest = view.intakes[-1]
    dashes = sorted(view.dashes, key=lambda d: (d[1].assessed_on, d[1].recorded_at))
    days = sorted(r.referral.date for r in referrals)
    reviews, last = [], None
    for _, r in sorted(view.reviews, key=lambda x: (x[1].reviewed_on or dt.date.min, x[1].recorded_at)):
        if r.reviewed_on is None:
            continue
        base = max((d for d in days if d <= r.reviewed_on), default=days[0])  # the referral it follows
        reviews.append([r.reviewed_on.isoformat(), base.isoformat(), _day(last)])
        last = r.reviewed_on
    # consent as the agreement in force says it; an agreement that cannot be read (damaged, or not arrived
    # from another office yet) may be the one that says no: then no
    unread = any(n.startswith("agreement-") for n, _ in view.unreadable)
    facts: dict[str, Any] = {
        "con": bool(view.agreements and view.agreements[-1][1].monitoring) and not unread,
        "refs": refs,
        "eps": episodes(view, days),
        "status": view.case.status.value,
        "dash": [[d.assessed_on.isoformat(), d.result.risk_level, d.result.yes] for _, d in dashes],
        "soag": [[_day(g.assessed_on or clock.local_date(g.recorded_at)), _grid(g)] for _, g in view.soags],
        "plan": _day(min((clock.local_date(p.recorded_at) for _, p in view.plans), default=None)),
        "rev": reviews,
        "marac": sorted({m.referred_on.isoformat() for _, m in view.marac}),
        "mon": latest.monitoring.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        "age": age_band(latest.client.dob, latest.referral.date),
        "acc": _code(latest.accommodation),
        "kids": sum(1 for c in view.people().children if not c.unborn),
        "perps": [
            [_code(p.sex), _code(p.age_band), _code(p.relationship_type)] for p in view.people().perpetrators
        ],
        "fu": [[f.called_on.isoformat(), f.reached] for _, f in view.followups],
    }
    return {k: v for k, v in facts.items() if v not in (None, [], {}, False)} | {"con": facts["con"]}


def episodes(view: Any, referrals: list[dt.date]) -> list[list]:
    """The spells the case was open: [opened, closed or None, reason, compared answers, moved on to]. A
    referral or a reopening opens one (when none is open), an exit form closes it."""
    events = [(d, 0, "open", None) for d in referrals]
    events += [(clock.local_date(r.recorded_at), 0, "open", None) for _, r in view.reopens]
    for _, c in view.closures:
        events.append((c.closed_on or clock.local_date(c.recorded_at), 1, "close", c))
    out: list[list] = []
    for day, _, what, closure in sorted(events, key=lambda e: (e[0], e[1])):
        open_now = bool(out) and out[-1][1] is None
        if what == "open" and not open_now:
            out.append([day.isoformat(), None, None, {}, None])
        elif what == "close" and open_now:
            compared = {k: c.answer for k, c in closure.compared.items()}
            out[-1][1:] = [day.isoformat(), closure.reason, compared, _code(closure.moved_on_to)]
    return out


def _code(value) -> str | None:
    return value.value if value is not None else None


def _grid(grid) -> dict[str, list]:
    return {name: [row.occurring, row.severity] for name, row in grid.rows()}
