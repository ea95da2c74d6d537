"""What the facts make of a case (store format 3: nothing is rewritten in place, and a version names the
version it replaces): each referral's current intake, the case's status and worker, the safety plan's
current version(s), and the sentence a person is told when something was changed in two places at once."""

from __future__ import annotations

import datetime as dt
import re

from dacli import clock
from dacli.rules.versions import Version, chains, leaves
from dacli.schemas.case import CaseRecord, CaseStatus
from dacli.schemas.intake import IntakeRecord
from dacli.schemas.issp import IsspRecord

INTAKE_NAME = re.compile(r"intake-([0-9]{1,6})\.toml\.age")
"""An intake written before store format 3 (numbered from a local view); now `intake-<when>-<rand>`."""
STAMPED_INTAKE = re.compile(r"intake-[0-9]{8}T[0-9]{6}-[0-9a-f]{6}\.toml\.age")


def intake_names(names: list[str]) -> list[str]:
    """Every intake record (every version), numbered ones first by number, then by name (time)."""
    numbered = [(int(m.group(1)), n) for n in names if (m := INTAKE_NAME.fullmatch(n))]
    return [n for _, n in sorted(numbered)] + sorted(n for n in names if STAMPED_INTAKE.fullmatch(n))


def intake_versions(found: list[tuple[str, IntakeRecord]]) -> tuple[list[tuple[str, IntakeRecord]], list]:
    """The current version of each referral's intake, oldest referral first, and the referrals whose intake
    was completed in two places at once (each a list of its current versions: a fork, `rules.versions`)."""
    from dacli.rules.versions import Version

    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    by_name = dict(found)
    versions = [
        Version(
            n,
            tuple(r.replaces),
            r.recorded_at or r.taken_at or epoch + dt.timedelta(seconds=i),
            r.recorded_by or r.taken_by,
            len(r.after),
        )  # fmt: skip
        for i, (n, r) in enumerate(found)
    ]
    groups = chains(versions)
    current = [(g[-1].name, by_name[g[-1].name]) for g in groups]
    return current, [[(v.name, by_name[v.name]) for v in g] for g in groups if len(g) > 1]


def reopenings(found: list[tuple[str, IntakeRecord]], reopens: list) -> list[tuple[str, dt.datetime]]:
    """What reopens a case: each `reopen` record, and each referral after the first (its first version)."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    firsts = [(n, r.taken_at or epoch) for n, r in found if not r.replaces]
    firsts.sort(key=lambda f: (f[1], f[0]))
    return [(n, r.recorded_at) for n, r in reopens] + firsts[1:]


def case_state(
    case: CaseRecord, found: list[tuple[str, IntakeRecord]], closures: list, reopens: list
) -> CaseRecord:
    """The case record as the facts make it (store format 3 never rewrites `case.toml`): closed when a
    closure answers every reopening (`rules.versions.closed`); the worker of the latest referral."""
    from dacli.rules.versions import closed

    answered = [(frozenset(c.answers) if c.answers is not None else None, c.recorded_at) for _, c in closures]
    shut = closed(answered, reopenings(found, reopens))
    status = CaseStatus.closed if shut else CaseStatus.open
    current, _ = intake_versions(found)
    latest = current[-1][1] if current else None
    worker = latest.caseworker if latest is not None and latest.caseworker else case.worker
    return case.model_copy(update={"status": status, "worker": worker})


def plan_versions(found: list[tuple[str, IsspRecord]]) -> list[Version]:
    """The plan records as versions naming what they replace (a version written before store format 3 names
    nothing: its parent is the version numbered one less)."""
    numbered: dict[int, list[str]] = {}
    for name, plan in found:
        numbered.setdefault(plan.version, []).append(name)
    return [
        Version(
            name,
            tuple(plan.replaces) or tuple(numbered.get(plan.version - 1, ())),
            plan.recorded_at,
            plan.recorded_by,
        )  # fmt: skip
        for name, plan in found
    ]


def current_plans(found: list[tuple[str, IsspRecord]]) -> list[tuple[str, IsspRecord]]:
    """The plan's current version(s), oldest first: one, or two or more made at once (a fork)."""
    by_name = dict(found)
    return [(v.name, by_name[v.name]) for v in leaves(plan_versions(found))]


def fork_sentence(ref: str, tips: list[tuple[str, IsspRecord]], people: dict[str, str]) -> str | None:
    """What a person is told about a plan saved in two places at once, or None when there is one current
    version."""
    if len(tips) < 2:
        return None
    made = " and ".join(
        f"version {p.version} by {people.get(p.recorded_by, p.recorded_by)} ({clock.show(p.recorded_at)})"
        for _, p in tips
    )
    return (
        f"The safety plan of case {ref} has versions made at once: {made}. The next change to the plan joins "
        "them (every action of each is kept; for the rest, the newer version's answers)."
    )


def fork_sentences(session, ref: str, intake_forks: list, plans: list) -> list[str]:
    """What a person is told about the case's intakes and plan changed in two places at once."""
    people = {m.id: m.username for m in session.staff().staff}
    out = []
    for fork in intake_forks:
        made = " and ".join(
            f"{people.get(r.recorded_by or r.taken_by, r.recorded_by or r.taken_by)} "
            f"({clock.show(r.recorded_at or r.taken_at) if (r.recorded_at or r.taken_at) else '-'})"
            for _, r in fork
        )
        out.append(
            f"The intake of case {ref} was completed in two places at once, by {made}: the newer is shown; "
            "`dacli intake finish` joins them."
        )
    plan = fork_sentence(ref, [(n, p) for n, p in current_plans(plans)], people) if plans else None
    return out + ([plan] if plan else [])
