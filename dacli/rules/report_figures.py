"""The figures of each report, from the report facts of the cases in scope (`services.report_facts`):
pure functions, so the hand-counted tests call them as the command does.

Who counts: the caseload report counts activity (referrals, cases, Dash levels, reviews, plans) for every
client; anything about a client as a person (equality characteristics) or their situation (outcomes)
counts only clients who consented to anonymised monitoring, and the report says how many were left out.
"""

from __future__ import annotations

import datetime as dt

from dacli.rules.reports import Period, Report, Section, count, repeat_within, review_due_on
from dacli.schemas.monitoring import Accommodation, MoveOn, Route

LEVELS = ("high", "medium", "standard", "no Dash")
CLOSE_REASONS = ("risk-reduced", "no-contact", "client-request")
ROUTES = tuple(route.value for route in Route)
SAFE_KINDS = tuple(a.value for a in Accommodation if a not in (Accommodation.none, Accommodation.not_asked))
MOVES = (*(m.value for m in MoveOn), "not recorded")
HEADINGS = ("asian", "black", "mixed", "white", "other")

MINORITISED = frozenset(
    {
        "asian-indian", "asian-pakistani", "asian-bangladeshi", "asian-chinese", "asian-other",
        "black-caribbean", "black-african", "black-other",
        "mixed-white-and-black-caribbean", "mixed-white-and-black-african", "mixed-white-and-asian",
        "mixed-other", "other-arab", "other-any-other",
        "white-gypsy-or-irish-traveller", "white-roma", "white-irish", "white-other",
    }
)  # fmt: skip
"""Black, Asian and racially minoritised: dacli counts every ONS group but White British (Gypsy, Irish
Traveller, Roma and other White groups included)."""

LGBT = frozenset({"gay-or-lesbian", "bisexual", "other"})
"""Sexual orientations counted as LGBT+ (a client whose trans status is 'yes' is counted too)."""

UNDER_18 = frozenset({"under-16", "16-17"})
CHANGES = ("improved", "no-change", "worse", "not asked")
ORDER = {"standard": 0, "medium": 1, "high": 2}
SOAG_TYPES = ("physical", "sexual", "stalking_harassment", "jealous_controlling_emotional")


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _open_on(f: dict, day: dt.date) -> bool:
    """Open on ``day``: a spell opened by then and not closed by then."""
    for opened, closed, *_ in f.get("eps", []):
        if _day(opened) <= day and (closed is None or _day(closed) > day):
            return True
    return False


def _closed_in(f: dict, period: Period) -> list[list]:
    """The spells of the case that closed in ``period``."""
    return [e for e in f.get("eps", []) if _day(e[1]) in period]


def _level_after(f: dict, period: Period) -> str:
    """The level of the first Dash from the case's first referral in ``period`` to the period's end."""
    firsts = [_day(r[0]) for r in f.get("refs", []) if _day(r[0]) in period]
    if not firsts:
        return "no Dash"
    since = min(firsts)
    after = [d for d in f.get("dash", []) if since <= _day(d[0]) <= period.end]
    return after[0][1] if after else "no Dash"


def _level_by(f: dict, day: dt.date) -> str:
    before = [d for d in f.get("dash", []) if _day(d[0]) <= day]
    return before[-1][1] if before else "no Dash"


def _band(f: dict) -> str | None:
    return f.get("mon", {}).get("age_band") or f.get("age")


def _left_out(report: Report, facts: list[dict], what: str) -> list[dict]:
    """The consenting clients among ``facts``; the report says how many of ``what`` were left out."""
    kept = [f for f in facts if f.get("con")]
    report.left_out = len(facts) - len(kept)
    report.left_out_of = what
    return kept


def caseload_figures(
    facts: list[dict], period: Period, scope: str, threshold: int, hours: int = 48, weeks: tuple = (8, 8)
) -> Report:
    """`caseload` from the report facts alone (pure: the hand-counted test calls it too). ``weeks``: the
    policy's first review and interval (weeks)."""
    report = Report("caseload", period, scope, threshold, len(facts))
    end = period.end
    referrals = [(f, ref) for f in facts for ref in f.get("refs", []) if _day(ref[0]) in period]
    report.sections.append(
        Section(
            "Referrals in, by route",
            list(count((r[1] for _, r in referrals), ROUTES).items()),
            len(referrals),
        )
    )
    open_at_end = [f for f in facts if _open_on(f, end)]
    closed = [e for f in facts for e in _closed_in(f, period)]
    opened = [e for f in facts for e in f.get("eps", []) if _day(e[0]) in period]
    # (no "open at any time" beside these: with the open at the end it would give the closed by subtraction)
    report.sections.append(
        Section(
            "Cases",
            [
                ("open at the end of the period", len(open_at_end)),
                ("opened (or reopened) in the period", len(opened)),
                ("closed in the period", len(closed)),
            ],
        )
    )
    report.sections.append(
        Section(
            "Closed in the period, by reason",
            list(count((e[2] for e in closed), CLOSE_REASONS, missing="not recorded").items()),
            total=len(closed),
        )
    )
    referred = _dedupe(f for f, _ in referrals)  # the cases referred in the period
    levels = [_level_after(f, period) for f in referred]
    intake = (
        "Risk at intake (first Dash after the referral, by the period's end), cases referred in the period"
    )
    report.sections.append(Section(intake, list(count(levels, LEVELS).items()), total=len(referred)))
    report.sections.append(
        Section(
            "Risk now (latest Dash by the period's end), cases open at its end",
            list(count((_level_by(f, end) for f in open_at_end), LEVELS).items()),
            total=len(open_at_end),
        )
    )
    fast = sum(1 for _, r in referrals if r[2] is not None and r[2] <= hours * 3600)
    report.sections.append(
        Section(
            "Referrals in the period",
            [(f"first contact within {hours} hours", fast)],
            len(referrals),
            rate=True,
        )
    )
    dashed = sum(1 for level in levels if level != "no Dash")
    report.sections.append(
        Section(
            "Cases referred in the period",
            [("Dash completed", dashed)],
            total=len(referred),
            rate=True,
            hide_with=intake,  # it is the total less 'no Dash' there: hidden when any cell there is
        )
    )
    first, interval = weeks
    reviews = [r for f in facts for r in f.get("rev", []) if _day(r[0]) in period]
    on_time = sum(1 for r in reviews if _day(r[0]) <= review_due_on(_day(r[1]), _day(r[2]), first, interval))
    report.sections.append(
        Section("Reviews done in the period", [("on time", on_time)], len(reviews), rate=True)
    )
    planned = sum(1 for f in open_at_end if f.get("plan") and _day(f["plan"]) <= end)
    report.sections.append(
        Section(
            "Cases open at the period's end", [("safety plan in place", planned)], len(open_at_end), rate=True
        )
    )
    return report


def _dedupe(items) -> list[dict]:
    seen: dict[int, dict] = {}
    for f in items:
        seen.setdefault(id(f), f)
    return list(seen.values())


def marac_figures(facts: list[dict], period: Period, scope: str, threshold: int) -> Report:
    """The SafeLives Marac national dataset's figures for the Marac referrals the service made in ``period``:
    referrals, repeats (another referral of the case in the 12 months before), children in the household
    (children on file, not unborn), and the equality counts, of consenting clients only."""
    report = Report("marac", period, scope, threshold, len(facts))
    made = [(f, d) for f in facts for d in f.get("marac", []) if _day(d) in period]
    cases = _dedupe(f for f, _ in made)
    repeats = sum(1 for f, d in made if repeat_within([_day(x) for x in f["marac"]], _day(d)))
    report.sections.append(
        Section(
            "Marac referrals made in the period",
            [
                ("referrals", len(made)),
                ("cases referred", len(cases)),
                ("repeat referrals (within 12 months)", repeats),
                ("children in the household of the cases referred", sum(f.get("kids", 0) for f in cases)),
            ],
            bars=False,
        )
    )
    kept = _left_out(report, cases, "cases referred")
    mon = [f.get("mon", {}) for f in kept]
    report.sections.append(
        Section(
            "Equality, cases referred (consented)",
            [
                (
                    "Black, Asian and racially minoritised",
                    sum(1 for m in mon if m.get("ethnicity") in MINORITISED),
                ),
                (
                    "LGBT+",
                    sum(1 for m in mon if m.get("sexual_orientation") in LGBT or m.get("trans") == "yes"),
                ),
                ("disabled", sum(1 for m in mon if m.get("disabled") == "yes")),
                ("male", sum(1 for m in mon if m.get("gender") == "man")),
                ("aged 16-17", sum(1 for f in kept if _band(f) == "16-17")),
                (
                    "a perpetrator under 18",
                    sum(1 for f in kept if any(p[1] in UNDER_18 for p in f.get("perps", []))),
                ),
            ],
            total=len(kept),
            rate=True,
        )
    )
    return report


def _within(f: dict, spell: list, key: str) -> list:
    """The entries of ``key`` (dated lists) dated within ``spell``."""
    start, stop = _day(spell[0]), _day(spell[1])
    return [x for x in f.get(key, []) if start <= _day(x[0]) <= stop]


def outcomes_figures(facts: list[dict], period: Period, scope: str, threshold: int) -> Report:
    """For each spell of support closed in ``period`` (consenting clients): risk at intake against exit (the
    first and the latest Dash of the spell), each Soag abuse type at its first and latest grid, the exit
    form's eleven 'compared to intake' answers, and the follow-up calls after it."""
    from dacli.schemas.review import COMPARED

    report = Report("outcomes", period, scope, threshold, len(facts))
    kept = _left_out(report, [f for f in facts if _closed_in(f, period)], "cases closed")
    spells = [(f, e) for f in kept for e in _closed_in(f, period)]
    dashes = [_within(f, e, "dash") for f, e in spells]
    n = len(spells)
    first = (d[0][1] if d else "no Dash" for d in dashes)
    report.sections.append(
        Section(
            "Risk level at intake (first Dash), cases closed (consented)",
            list(count(first, LEVELS).items()),
            n,
        )
    )
    latest = (d[-1][1] if d else "no Dash" for d in dashes)
    report.sections.append(
        Section(
            "Risk level at exit (latest Dash), cases closed (consented)",
            list(count(latest, LEVELS).items()),
            n,
        )
    )
    two = [d for d in dashes if len(d) > 1]
    report.sections.append(
        Section(
            "Dash at exit against intake, cases with two or more (consented)",
            [
                ("fewer ticks (yes answers)", sum(1 for d in two if d[-1][2] < d[0][2])),
                ("as many", sum(1 for d in two if d[-1][2] == d[0][2])),
                ("more ticks", sum(1 for d in two if d[-1][2] > d[0][2])),
            ],
            total=len(two),
        )
    )
    lower = sum(1 for d in two if ORDER.get(d[-1][1], 0) < ORDER.get(d[0][1], 0))
    report.sections.append(
        Section("Risk level at exit against intake (consented)", [("lower", lower)], len(two), rate=True)
    )
    grids = [g for g in (_within(f, e, "soag") for f, e in spells) if len(g) > 1]
    for kind in SOAG_TYPES:
        name = kind.replace("_", " ").replace(
            "jealous controlling emotional", "jealous, controlling, emotional"
        )

        def at(grid: list, what: int, value: str, kind: str = kind) -> bool:
            return grid[1].get(kind, ["", None])[what] == value

        report.sections.append(
            Section(
                f"Soag: {name} occurring, cases with two or more grids (consented)",
                [
                    ("at the first grid", sum(1 for g in grids if at(g[0], 0, "yes"))),
                    ("at the latest grid", sum(1 for g in grids if at(g[-1], 0, "yes"))),
                    ("high severity, first", sum(1 for g in grids if at(g[0], 1, "high"))),
                    ("high severity, latest", sum(1 for g in grids if at(g[-1], 1, "high"))),
                ],
                total=len(grids),
                rate=True,
            )
        )
    for key, question in COMPARED:
        answers = (e[3].get(key) for _, e in spells)
        report.sections.append(
            Section(
                f"Compared to intake: {question}",
                list(count(answers, CHANGES, missing="not asked").items()),
                n,
            )
        )
    called = [(f, e) for f, e in spells if any(_day(c[0]) >= _day(e[1]) for c in f.get("fu", []))]
    reached = sum(1 for f, e in called if any(c[1] and _day(c[0]) >= _day(e[1]) for c in f["fu"]))
    report.sections.append(
        Section(
            "Follow-up calls, cases closed (consented)",
            [("called", len(called)), ("reached", reached)],
            n,
            rate=True,
        )
    )
    return report


def safe_accommodation_figures(facts: list[dict], period: Period, scope: str, threshold: int) -> Report:
    """The Domestic Abuse Act 2021 Part 4 return's counts the store holds, for the clients supported in
    safe accommodation at any time in ``period``: by kind of accommodation (every client: activity); their
    characteristics (consenting clients); and, for support that ended in the period, the reason and where
    they moved on to (consenting clients)."""
    report = Report("safe-accommodation", period, scope, threshold, len(facts))
    housed = [f for f in facts if f.get("acc") in SAFE_KINDS and _open_during(f, period)]
    report.sections.append(
        Section(
            "People supported in safe accommodation in the period, by kind",
            list(count((f["acc"] for f in housed), SAFE_KINDS).items()),
            total=len(housed),
        )
    )
    kept = _left_out(report, housed, "people supported")
    mon = [f.get("mon", {}) for f in kept]
    genders = ("woman", "man", "non-binary", "other", "prefers-not-to-say", "not-asked")
    report.sections.append(
        Section("Gender (consented)", list(count((m.get("gender") for m in mon), genders).items()), len(kept))
    )
    ages = ("16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-plus", "under-16",
            "prefers-not-to-say", "not-asked")  # fmt: skip
    report.sections.append(
        Section("Age (consented)", list(count((_band(f) for f in kept), ages).items()), len(kept))
    )
    groups = (*HEADINGS, "prefers-not-to-say", "not-asked")
    report.sections.append(
        Section(
            "Ethnic group (consented; the ONS headings)",
            list(count((_heading(m.get("ethnicity")) for m in mon), groups).items()),
            total=len(kept),
        )
    )
    report.sections.append(
        Section(
            "Characteristics (consented)",
            [
                ("disabled", sum(1 for m in mon if m.get("disabled") == "yes")),
                (
                    "lesbian, gay, bisexual or another orientation",
                    sum(1 for m in mon if m.get("sexual_orientation") in LGBT),
                ),
                ("trans", sum(1 for m in mon if m.get("trans") == "yes")),
                ("no recourse to public funds", sum(1 for m in mon if m.get("no_recourse") == "yes")),
                ("with children", sum(1 for f in kept if f.get("kids"))),
            ],
            total=len(kept),
            rate=True,
        )
    )
    ended = [e for f in kept for e in _closed_in(f, period)]
    report.sections.append(
        Section(
            "Support ended in the period, by reason (consented)",
            list(count((e[2] for e in ended), CLOSE_REASONS, missing="not recorded").items()),
            total=len(ended),
        )
    )
    report.sections.append(
        Section(
            "Support ended in the period, moved on to (consented)",
            list(count((e[4] for e in ended), MOVES, missing="not recorded").items()),
            total=len(ended),
        )
    )
    return report


def _open_during(f: dict, period: Period) -> bool:
    for opened, closed, *_ in f.get("eps", []):
        if _day(opened) <= period.end and (closed is None or _day(closed) >= period.start):
            return True
    return False


def _heading(code: str | None) -> str | None:
    """An ONS ethnic group's heading (its code's first word), or the answer that is not a group."""
    if code in (None, "not-asked", "prefers-not-to-say"):
        return code
    return code.split("-")[0]
