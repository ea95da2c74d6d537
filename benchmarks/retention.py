"""Retention sweep benchmark: plan and apply `dacli retain-purge` over a 50,000-case store.

The sweep plans from the retention registers alone and applies by deleting folders, so the store is built
for that: a real store (real index, real register, real retention key) whose 50,000 case folders hold copies
of the files of one real, closed synthetic case, with the sweep's purge intents written a grace period ago
(the first of its two phases). The sweep never opens a case record (the retention key cannot), so what it
costs is the register and the deletes; both are what is measured.

    python benchmarks/retention.py [--cases 50000] [--repeat 5] [--due-share 0.1] [--rebuild]

Prints a table (medians, and ratios to `python -c pass` from the same run) and writes
benchmarks/results/retention.md. `benchmarks/run.py` calls `measure()` for its retention rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))  # a fallback: an installed dacli (or PYTHONPATH) comes first

PASS = "synthetic-bench-passphrase"
META_NAME = "bench-meta.json"
META_VERSION = 3  # 2: the retention key file holds the sweep's signing key (/3); 3: purge intents written
GRACE = 30  # the policy's default purge_grace_days
DEFAULT_WORK = Path(tempfile.gettempdir()) / "dacli-bench-retention"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(root: Path, cases: int, due_share: float, seed: int = 1) -> dict:
    """Make the store in ``root/store`` (and its retention key in ``root/retention.key``) from scratch."""
    from dacli.services.intake import intake, parse_intake
    from dacli.services.notes import add_note, parse_note
    from dacli.services.retention import init_retention
    from dacli.services.review import close_case, parse_exit
    from dacli.store.layout import new_case_ref
    from dacli.store.store import Store

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    store_path = root / "store"
    store = Store.create(store_path, username="bench", passphrase=PASS, passphrase_log_n=10)
    session = store.unlock("bench", PASS)
    today = dt.date.today()
    form = {"client": {"name": "Template Testcase-Bench", "dob": dt.date(1980, 1, 1)},
            "referral": {"date": today - dt.timedelta(days=20)}}  # fmt: skip
    template = intake(session, parse_intake(form, today)).case
    now = dt.datetime.now(dt.UTC)
    note = {"at": now - dt.timedelta(days=19), "initials": "BT", "contact_type": "telephone",
            "contact_with": "client", "facts": "Synthetic contact."}  # fmt: skip
    add_note(session, template, parse_note(note, now))
    close_case(
        session, template, parse_exit({"reason": "client-request", "follow_up_consent": False}, today), today
    )
    files = [p for p in (store_path / template).iterdir() if p.name.endswith(".age")]
    rng = random.Random(seed)
    rows: dict[str, dict] = {}
    for n in range(cases):
        ref = new_case_ref()
        folder = store_path / ref
        folder.mkdir(mode=0o700)
        for f in files:
            shutil.copyfile(f, folder / f.name)
        closed = rng.random() < 0.8
        due = rng.random() < due_share
        last = today - dt.timedelta(
            days=rng.randint(6 * 366 + GRACE + 1, 7 * 365) if due else rng.randint(30, 6 * 365)
        )
        rows[ref] = {
            "ref": ref, "client": f"Synthetic Testcase-{n:05d}", "worker": "bench",
            "status": "closed" if closed else "open",
            "referral_date": (last - dt.timedelta(days=40)).isoformat(),
            "referred_at": f"{last - dt.timedelta(days=40)}T00:00:00Z", "opened": f"{last}T00:00:00Z",
            "last_contact": f"{last}T10:00:00Z", "closed_on": last.isoformat() if closed else None,
            "held": rng.random() < 0.01,
        }  # fmt: skip
        if n % 5000 == 0:
            _log(f"  {n} folders")
    shutil.rmtree(store_path / template)
    key = root / "retention.key"
    init_retention(session, key, None)
    session.write_register({"cases": rows})
    # the sweep destroys in two phases: its first run, a grace period ago, wrote the purge intents, so the
    # timed --apply purges every case due
    from dacli.services.retention import retention_identity
    from dacli.services.sweep import apply

    then = today - dt.timedelta(days=GRACE)
    identity = retention_identity(Store(store_path), key, None)
    apply(Store(store_path), identity, then, "destroy", "benchmark's first sweep", today=then)
    return {"store": str(store_path), "key": str(key), "built": today.isoformat(), "cases": cases}


def ensure_base(
    work: Path, cases: int, due_share: float, rebuild: bool = False, fingerprint: str | None = None
) -> dict:
    """Reuse ``work/base`` while its metadata and its case folders say it holds ``cases`` cases built with
    ``due_share``; otherwise (or with ``rebuild``) build it afresh. ``fingerprint`` (of dacli's code) is
    recorded, and a store built by other code is reused but marked ``stale``."""
    from dacli.store.store import Store

    base = work / "base"
    meta_path = work / META_NAME
    if not rebuild and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
            ok = (
                meta.get("version") == META_VERSION
                and meta.get("cases") == cases
                and meta.get("due_share") == due_share
                and Path(meta["key"]).is_file()
                and len(Store(Path(meta["store"])).case_refs()) == cases
                # the sweep's intents are laid out as of the day it was built: a day later more cases are
                # due than have an intent past the grace, and --apply (rightly) leaves those
                and meta.get("built") == dt.date.today().isoformat()
            )
        except Exception:
            ok = False
        if ok:
            _log(f"Reusing the retention store at {base} ({cases} cases, built {meta['built']}).")
            meta["reused"] = True
            if fingerprint and meta.get("dacli_fingerprint") != fingerprint:
                meta["stale"] = True
                _log("  note: dacli's code changed since it was built; use --rebuild if a command fails.")
            return meta
    if work.exists():
        _log(f"Removing the stale retention work folder {work}.")
        shutil.rmtree(work)
    _log(f"Building a {cases}-case retention store at {base} (done once, then cached)...")
    started = time.perf_counter()
    meta = build(base, cases, due_share)
    meta.update(
        version=META_VERSION,
        due_share=due_share,
        build_seconds=round(time.perf_counter() - started, 1),
        dacli_fingerprint=fingerprint,
    )
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    _log(f"Built in {meta['build_seconds']} s.")
    meta["reused"] = False
    return meta


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run one command in an empty folder (so `python -m dacli` cannot pick up a checkout's dacli)."""
    with tempfile.TemporaryDirectory(prefix="dacli-bench-cwd-") as cwd:
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"benchmark command failed (exit {proc.returncode}): {' '.join(cmd[2:])}\n{proc.stderr.strip()}\n"
            "(if the cached store was built by older dacli code, run again with --rebuild)"
        )
    return elapsed, proc.stdout


def clean_env(xdg: Path) -> dict[str, str]:
    """The caller's environment without dacli's settings, with a throwaway XDG_DATA_HOME (machine id)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DACLI_") and k not in ("XDG_DATA_HOME", "PYTHONDONTWRITEBYTECODE")
    }
    env["XDG_DATA_HOME"] = str(xdg)
    return env


@dataclass
class Sweep:
    """What `measure` found: wall-clock seconds per run, and the counts behind them."""

    meta: dict
    as_of: str
    due: int = 0
    purged: int = 0
    plan_times: list[float] = field(default_factory=list)
    apply_times: list[float] = field(default_factory=list)
    copy_times: list[float] = field(default_factory=list)


def measure(
    env: dict[str, str],
    work: Path = DEFAULT_WORK,
    cases: int = 50000,
    repeat: int = 5,
    apply_repeat: int = 1,
    due_share: float = 0.1,
    rebuild: bool = False,
    fingerprint: str | None = None,
    runner: Callable[[list[str], dict[str, str]], tuple[float, str]] = run,
) -> Sweep:
    """Time `retain-purge` planning (one warm-up, then ``repeat`` runs on the cached store) and applying
    (``apply_repeat`` runs, mode destroy, each on a fresh `cp -a` copy; the copy is not timed) as of today.

    ``env`` is the environment for the subprocesses (any DACLI_* settings in it are dropped); ``runner``
    runs one command and returns (seconds, stdout)."""
    meta = ensure_base(work, cases, due_share, rebuild, fingerprint)
    as_of = dt.date.today().isoformat()  # --apply acts for today only
    env = {k: v for k, v in env.items() if not k.startswith("DACLI_")}
    env["DACLI_RETENTION_KEY"] = meta["key"]
    sweep = Sweep(meta, as_of)
    plan = [
        sys.executable,
        "-m",
        "dacli",
        "--store",
        meta["store"],
        "retain-purge",
        "--as-of",
        as_of,
        "--json",
    ]
    _log(f"  `retain-purge` plan ({cases} cases) ...")
    runner(plan, env)  # warm-up
    for _ in range(repeat):
        elapsed, out = runner(plan, env)
        sweep.plan_times.append(elapsed)
        sweep.due = len(json.loads(out)["due"])
    _log(f"  `retain-purge --apply` x{apply_repeat} (each on a fresh copy) ...")
    for i in range(apply_repeat):
        copy = work / f"apply-{i}"
        shutil.rmtree(copy, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(["cp", "-a", str(work / "base"), str(copy)], check=True)
        sweep.copy_times.append(time.perf_counter() - started)
        try:
            elapsed, out = runner(
                [sys.executable, "-m", "dacli", "--store", str(copy / "store"), "retain-purge",
                 "--as-of", as_of, "--apply", "--mode", "destroy", "--json"],
                {**env, "DACLI_RETENTION_KEY": str(copy / "retention.key")},
            )  # fmt: skip
        finally:
            shutil.rmtree(copy, ignore_errors=True)
        result = json.loads(out)
        if result["failed"] or len(result["purged"]) != sweep.due:
            raise SystemExit(
                f"`retain-purge --apply` purged {len(result['purged'])} of {sweep.due} due cases; "
                f"failed: {result['failed'][:3]}"
            )
        sweep.purged = len(result["purged"])
        sweep.apply_times.append(elapsed)
    return sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50000, help="case folders in the store (default 50000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the plan (default 5)")
    parser.add_argument("--apply-repeat", type=int, default=1, help="timed runs of --apply (default 1)")
    parser.add_argument("--due-share", type=float, default=0.1, help="share of cases past their keep date")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help=f"cache folder (default {DEFAULT_WORK})"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the store afresh")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "retention.md")
    args = parser.parse_args()
    if args.cases < 1 or args.repeat < 1 or args.apply_repeat < 1:
        parser.error("--cases, --repeat and --apply-repeat must be positive")
    from run import dacli_source  # the sibling script (only for the fingerprint)

    root, fingerprint = dacli_source()
    with tempfile.TemporaryDirectory(prefix="dacli-bench-xdg-") as xdg:
        env = clean_env(Path(xdg))
        base = [run([sys.executable, "-c", "pass"], env)[0] for _ in range(args.repeat)]
        sweep = measure(
            env, args.work, args.cases, args.repeat, args.apply_repeat, args.due_share, args.rebuild,
            fingerprint,
        )  # fmt: skip
    b = statistics.median(base)
    meta = sweep.meta
    how = "reused from cache" if meta["reused"] else "made in this run"
    if meta.get("stale"):
        how += " by older dacli code"

    def row(label: str, times: list[float]) -> str:
        m = statistics.median(times)
        return f"| {label} | {len(times)} | {m:.3f} | {min(times):.3f} | {max(times):.3f} | {m / b:.1f} |"

    lines = [
        f"# dacli retention sweep: {args.cases} cases",
        "",
        f"- date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}; nproc {os.cpu_count()}; "
        f"python {sys.version.split()[0]}",
        f"- dacli from {root}, source fingerprint {fingerprint}",
        f"- store: {meta['store']} ({how}; building took {meta['build_seconds']:.0f} s on {meta['built']}): "
        f"real index and register, {args.cases} case folders holding copies of one real closed case's files "
        "(the sweep never opens records)",
        f"- plan: {sweep.due} cases due as of {sweep.as_of}; apply purged {sweep.purged} (mode destroy) on a "
        f"copy (copying took {statistics.median(sweep.copy_times):.1f} s, not timed)",
        "",
        "| command | runs | median (s) | min (s) | max (s) | × `python -c pass` |",
        "|---|---:|---:|---:|---:|---:|",
        row("`python -c pass` (baseline)", base),
        row(f"`retain-purge --json` (plan, {args.cases} cases)", sweep.plan_times),
        row(f"`retain-purge --apply --mode destroy` ({sweep.purged} purged)", sweep.apply_times),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
