"""Reports a service sends (issue 17): periods, who counts, and small numbers, as pure functions.

- A period is whole days, both ends included: `--from`/`--to`, a calendar quarter (`2026Q3`) or a calendar
  year (`2026`); the Marac national dataset is quarterly, funders' returns mostly yearly.
- Anonymised monitoring figures count only clients who consented to monitoring in the agreement in force
  (the agreement's own answer; nothing overrides it): the others are left out and the report says how many.
- In anything that leaves the service (CSV, JSON), a count from 1 to one under the policy's threshold
  (default 5) is shown as '<5'; where a breakdown shows its total, a second cell is suppressed with the one
  so the hidden count cannot be worked out by subtraction (secondary suppression). Zero is shown.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dacli.errors import InvalidInput

QUARTER = re.compile(r"([0-9]{4})[-\s]?[Qq]([1-4])")
YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    """The last day counted (included)."""
    name: str

    def __contains__(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end


def period(
    today: dt.date,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    quarter: str | None = None,
    year: str | None = None,
) -> Period:
    """The period a report covers: one of a quarter, a year or dates; none given, this quarter so far."""
    given = [x for x in (quarter, year) if x] + (["dates"] if start or end else [])
    if len(given) > 1:
        raise InvalidInput("Give one of --quarter, --year or --from/--to, not several.")
    if quarter:
        m = QUARTER.fullmatch(quarter.strip())
        if m is None:
            raise InvalidInput(f"{quarter!r} is not a quarter: give it as 2026Q3 (a year and Q1 to Q4).")
        y, q = _year(m.group(1)), int(m.group(2))
        first = dt.date(y, 3 * q - 2, 1)
        last = (dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)) - dt.timedelta(days=1)
        return Period(first, last, f"{y}Q{q}")
    if year:
        if not YEAR.fullmatch(year.strip()):
            raise InvalidInput(f"{year!r} is not a year: give it as 2026.")
        y = _year(year.strip())
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), str(y))
    if start or end:
        first = start or dt.date(1900, 1, 1)
        last = end or today
        if last < first:
            raise InvalidInput(f"The period ends ({last}) before it starts ({first}).")
        return Period(first, last, f"{first.isoformat()} to {last.isoformat()}")
    q = (today.month - 1) // 3 + 1
    return Period(dt.date(today.year, 3 * q - 2, 1), today, f"{today.year}Q{q} so far")


def _year(text: str) -> int:
    y = int(text)
    if not 1900 <= y <= 2999:
        raise InvalidInput(f"{text} is not a year dacli reports on: give one from 1900 to 2999.")
    return y


def small(count: int, threshold: int) -> bool:
    """A count that could point to a person: from 1 to one under the threshold."""
    return 0 < count < threshold


def shown(count: int, threshold: int) -> str:
    return f"<{threshold}" if small(count, threshold) else str(count)


def suppress(counts: Mapping[str, int], threshold: int, total_shown: bool = True) -> dict[str, str]:
    """A breakdown as it may leave the service: small counts as '<N'; and where the total is shown, the
    smallest other counts too ('<N*', not themselves small) until the hidden ones add up to at least the
    threshold, so that the total less the rest gives no small number (one hidden cell alone, or two hidden
    cells of 1 each, would)."""
    out = {k: shown(v, threshold) for k, v in counts.items()}
    hidden = [k for k, v in counts.items() if small(v, threshold)]
    if total_shown and hidden:
        others = sorted((v, k) for k, v in counts.items() if v > 0 and k not in hidden)
        while others and (len(hidden) < 2 or sum(counts[k] for k in hidden) < threshold):
            _, k = others.pop(0)
            hidden.append(k)
            out[k] = f"<{threshold}*"
    return out


def rate_cell(k: int, n: int, threshold: int) -> str:
    """'k' of a rate 'k of n' as it may leave: hidden when k is small, or when what is left (n - k) is
    small or none (the rest worked out by subtraction; all of a group sharing a trait)."""
    if small(k, threshold):
        return f"<{threshold}"
    if k and n - k < threshold:
        return f"<{threshold}*" if n - k else f"{threshold}+*"
    return str(k)


def count(values: Iterable[str | None], order: Iterable[str], missing: str = "not-asked") -> dict[str, int]:
    """How many of each value, in ``order`` (every value listed, zero or not); None counts as ``missing``;
    a value outside the order is counted as 'other-value' (a newer dacli's code)."""
    counts = dict.fromkeys(order, 0)
    for v in values:
        key = missing if v is None else v
        if key not in counts:
            key = "other-value"
            counts.setdefault(key, 0)
        counts[key] += 1
    return counts


def repeat_within(days: list[dt.date], day: dt.date, months: int = 12) -> bool:
    """A Marac repeat: the case was referred to a Marac before ``day`` within ``months`` months (the
    SafeLives definition: a further incident within 12 months of the last referral)."""
    from dacli.rules.review import add_months

    since = add_months(day, -months)
    return any(since <= d < day for d in days)


def review_due_on(intake: dt.date, last_review: dt.date | None, first_weeks: int = 8, interval: int = 8):
    """The day a review was due by (`rules.review.review_due`'s rule): the first within ``first_weeks`` of
    intake, each later one ``interval`` weeks after the one before."""
    if last_review is None or last_review < intake:
        return intake + dt.timedelta(weeks=first_weeks)
    return last_review + dt.timedelta(weeks=interval)


def age_band(dob: dt.date | None, on: dt.date) -> str | None:
    """The monitoring age band of someone born on ``dob`` on the day ``on`` (None when unknown)."""
    if dob is None or dob > on:
        return None
    age = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    for top, band in ((15, "under-16"), (17, "16-17"), (24, "18-24"), (34, "25-34"), (44, "35-44")):
        if age <= top:
            return band
    for top, band in ((54, "45-54"), (64, "55-64"), (74, "65-74")):
        if age <= top:
            return band
    return "75-plus"


@dataclass
class Section:
    title: str
    rows: list[tuple[str, int]]
    total: int | None = None
    """The count the rows break down (shown beside them), or None when the rows are separate figures."""
    rate: bool = False
    """The rows are counts out of ``total`` (a rate), not a breakdown of it."""
    bars: bool = True
    hide_with: str | None = None
    """The title of a section this one can be worked out from: in what leaves, its rows are hidden when any
    cell of that one is."""


@dataclass
class Report:
    kind: str
    period: Period
    scope: str
    threshold: int
    cases: int
    """Cases in scope (the whole service, a worker's or a team's)."""
    left_out: int = 0
    """Clients left out of the monitoring figures: no consent to monitoring."""
    left_out_of: str = ""
    """Of what they were left out (say 'cases referred'); empty: the report counts every client."""
    unreadable: int = 0
    """Cases not counted: their records cannot be read here (damaged, or not arrived from another office)."""
    sections: list[Section] = field(default_factory=list)

    def notes(self) -> list[str]:
        out = []
        if self.left_out_of:
            out.append(
                f"{self.left_out} of the {self.left_out_of} left out of the figures marked (consented): no "
                "consent to anonymised monitoring in the agreement in force."
            )
        if self.unreadable:
            out.append(f"{self.unreadable} case(s) not counted: their records cannot be read here.")
        return out


def export_rows(report: Report) -> list[dict]:
    """The report as it may leave the service (CSV, JSON): one row per figure, small counts suppressed
    (`suppress`, `rate_cell`), each breakdown's total beside it, and who was counted; never a reference, a
    name or a date of a case."""
    t = report.threshold
    out = [{"section": "Counted", "item": "cases in scope", "count": shown(report.cases, t), "of": ""}]
    if report.left_out_of:
        out.append({"section": "Counted", "item": f"{report.left_out_of} left out: no consent to monitoring",
                    "count": shown(report.left_out, t), "of": ""})  # fmt: skip
    if report.unreadable:
        out.append({"section": "Counted", "item": "cases not counted: cannot be read here",
                    "count": shown(report.unreadable, t), "of": ""})  # fmt: skip
    hidden_in: set[str] = set()
    for s in report.sections:
        counts = dict(s.rows)
        if s.rate:
            cells = {k: rate_cell(v, s.total or 0, t) for k, v in counts.items()}
        else:
            cells = suppress(counts, t, total_shown=s.total is not None)
        if s.hide_with in hidden_in:
            cells = {k: f"<{t}*" if v else "0" for k, v in counts.items()}
        if any(c.startswith("<") or c.endswith("*") for c in cells.values()):
            hidden_in.add(s.title)
        of = shown(s.total, t) if s.rate and s.total is not None else ""
        for item, _ in s.rows:
            out.append({"section": s.title, "item": item, "count": cells[item], "of": of})
        if s.total is not None and not s.rate:
            out.append({"section": s.title, "item": "total", "count": shown(s.total, t), "of": ""})
    return out


BAR = 30
LONG = 6
"""A breakdown of more rows than this shows its zero rows in one line (the CSV and JSON list each)."""


def text_lines(report: Report) -> list[str]:
    """The report for a person in the service to read (the terminal and the dashboard): true counts, each
    breakdown with bars scaled to its largest count, each rate as 'k of n (p%)'. Not for sending on: the
    CSV and JSON are (`export_rows`)."""
    p = report.period
    dates = f"{p.start.isoformat()} to {p.end.isoformat()}"
    when = dates if p.name == dates else f"{p.name} ({dates})"
    lines = [
        f"{report.kind.capitalize()} report, {when}, {report.scope}: "
        f"{report.cases} case{'s' if report.cases != 1 else ''} in scope.",
    ]
    lines += report.notes()
    for s in report.sections:
        lines += ["", s.title + (f" ({s.total})" if s.total is not None and not s.rate else "")]
        width = max((len(item) for item, _ in s.rows), default=0)
        top = max((v for _, v in s.rows), default=0)
        for item, v in s.rows:
            if s.rate:
                n = s.total or 0
                pct = f" ({100 * v / n:.0f}%)" if n else ""
                bar = "#" * round(BAR * v / n) if n and s.bars else ""
                lines.append(f"  {item:<{width}}  {v:>5} of {n}{pct}  {bar}".rstrip())
            elif v or len(s.rows) <= LONG:
                bar = "#" * round(BAR * v / top) if top and s.bars else ""
                lines.append(f"  {item:<{width}}  {v:>5}  {bar}".rstrip())
        zero = [item for item, v in s.rows if not v]
        if not s.rate and len(s.rows) > LONG and zero:
            text = f"(none: {', '.join(zero)})"
            lines += textwrap.wrap(
                text, 100, initial_indent="  ", subsequent_indent="   ", break_on_hyphens=False
            )
    return lines
