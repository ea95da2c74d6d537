"""The benchmark rows issue 15 added to `benchmarks/run.py`: the writes (`dash record --from`, `intake
--from`), a new computer's first caseload, and the issue's targets with a verdict for each row.

Every target in issue 15 is stated for a machine on which `python -c pass` took 0.020 s, so a row meets its
target when its median, as a multiple of this run's `python -c pass`, is no more than the target's multiple
of 0.020 s (these machines are shared and noisy: the ratio from the same run is what carries over). A row
timed in-process (no interpreter start-up) is compared the same way, its target scaled by this run's
baseline over 0.020 s.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REFERENCE_BASELINE = 0.020
"""`python -c pass` on the machine the issue's targets were measured on (seconds)."""


@dataclass(frozen=True)
class Target:
    key: str
    measure: str
    seconds: dict[str, float]
    """Target median by store size ("20k", "100k"), on the reference machine."""
    why_missed: str = ""
    """What a row that misses is waiting for (said in the table)."""


TARGETS = [
    Target(
        "list",
        "`case list` with the agent",
        {"20k": 0.20, "100k": 0.60},
        "the listing file is read already; what is left: importing pydantic and the store's schemas for "
        "the unlock (about a third), and the stat of every case folder that tells a changed one",
    ),
    Target(
        "show",
        "`case show REF` with the agent",
        {"20k": 0.18, "100k": 0.18},
        "importing only the schemas of the record kinds a case holds",
    ),
    Target("note", "`note add` with the agent", {"20k": 0.20, "100k": 0.20}, "start-up imports"),
    Target(
        "dash",
        "`dash record --from` with the agent",
        {"20k": 0.20, "100k": 0.20},
        "no typer app is built already; what is left is the case itself: the benchmark's case gains a Dash "
        "each run and every record of it is read (and its schemas built) for the Marac and children's "
        "criteria; a per-case summary of what those need would close it",
    ),
    Target(
        "intake",
        "`intake --from` with the agent (matching included)",
        {"20k": 0.30, "100k": 0.60},
        "matching reads the people file's lines for the referral's dates of birth already; what is left: "
        "the stat of every case folder (to read the ones changed since from their records) and importing "
        "the intake's schemas",
    ),
    Target(
        "dashboard",
        "dashboard: unlock to interactive caseload (in-process)",
        {"20k": 0.30, "100k": 1.0},
        "reads the listing already; the rest is Textual drawing the first frame and the imports",
    ),
    Target(
        "user-add",
        "`user add`",
        {"20k": 30.0},
        "the rings are shared among forked workers, two per CPU, already; what is left is the key agreement "
        "of each ring (age's X25519): a store-wide key-encrypting key would make it flat in store size",
    ),
    Target(
        "purge-plan",
        "`retain-purge` plan",
        {"20k": 1.0, "100k": 5.0},
        "the plan reads every case's register rows and the intents: reading only the rows changed since the "
        "last sweep (a cursor in the register)",
    ),
    Target(
        "purge-apply",
        "`retain-purge --apply`, per purged case (the whole run, plan and start-up included, over the cases "
        "purged)",
        {"20k": 0.005},
        "the audit entry of each purge is appended and fsynced on its own: one fsync for a batch's entries",
    ),
    Target(
        "new-computer",
        "a new computer's first caseload (cache built from nothing)",
        {"20k": 60.0},
        "reading every case's records once is the floor; building rows in a process pool",
    ),
]


@dataclass
class Verdict:
    target: Target
    size: str
    median: float
    ratio: float | None
    allowed: float
    baseline: float
    """The `python -c pass` the target was scaled by: the row's own (run beside it), else the run's."""

    @property
    def meets(self) -> bool:
        return self.median <= self.allowed


def verdict(target: Target, size: str, median: float, baseline: float, in_process: bool) -> Verdict:
    """The row's median against the target scaled to this run's baseline."""
    allowed = target.seconds[size] * baseline / REFERENCE_BASELINE
    return Verdict(target, size, median, None if in_process else median / baseline, allowed, baseline)


def targets_table(verdicts: list[Verdict], baseline: float) -> list[str]:
    out = [
        f"Targets of issue 15, each scaled by the `python -c pass` measured beside its row (run just before "
        f"each timed run; {REFERENCE_BASELINE:.3f} s where the targets were set; the whole run's, "
        f"{baseline:.3f} s, for rows timed otherwise):",
        "",
        "| measure | size | target there | `python -c pass` beside it | allowed here | median here | ratio "
        "| meets | what would close it |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for v in verdicts:
        ratio = "–" if v.ratio is None else f"{v.ratio:.1f}x"
        out.append(
            f"| {v.target.measure} | {v.size} | {v.target.seconds[v.size]:.2f} s | {v.baseline:.3f} s | "
            f"{v.allowed:.3f} s | {v.median:.3f} s | {ratio} | {'yes' if v.meets else '**no**'} | "
            f"{'' if v.meets else v.target.why_missed} |"
        )
    return out


# -- the write rows -------------------------------------------------------------------------------------


Runner = Callable[[list[str], dict[str, str]], tuple[float, str]]


def dash_record(
    dacli: list[str], ref: str, checklist: Path, env: dict, repeat: int, run: Runner
) -> list[float]:
    """`dash record REF --from FILE` on one case, each run a new checklist for it (after one warm-up)."""
    cmd = [*dacli, "dash", "record", ref, "--from", str(checklist)]
    run(cmd, env)
    return [run(cmd, env)[0] for _ in range(repeat)]


def intake(
    dacli: list[str], store: Path, form: Path, env: dict, repeat: int, run: Runner
) -> tuple[list[float], int]:
    """`intake --from FORM --new-case --json` (after one warm-up): each run opens a case, matched first
    against every case for a repeat referral and conflicts. The synthetic store is a benchmark's fixture,
    so the cases made here are deleted afterwards (the count of cases it was made with is how it is
    recognised next time). Returns the times and how many cases the matching found."""
    cmd = [*dacli, "intake", "--from", str(form), "--new-case", "--json"]
    made: list[str] = []
    times: list[float] = []
    matches = 0
    try:
        for i in range(repeat + 1):
            elapsed, out = run(cmd, env)
            result = json.loads(out)
            made.append(result["case"])
            matches = len(result.get("matches", []))
            if i:
                times.append(elapsed)
    finally:
        for ref in made:
            shutil.rmtree(store / ref, ignore_errors=True)
    return times, matches


def new_computer(dacli: list[str], env: dict, cache: Path, run: Runner) -> float:
    """`case list` on a computer that has no caseload cache yet: every case's records read once."""
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    started = time.perf_counter()
    run([*dacli, "case", "list"], {**env, "DACLI_CACHE": str(cache)})
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    return elapsed
