"""Retention sweep benchmark: plan and apply `dacli retain-purge` over a 50,000-case store.

The sweep plans from the retention register alone and applies by deleting folders, so the store is built
for that: a real store (real index, real register, real retention key) whose 50,000 case folders hold copies
of the files of one real, closed synthetic case. The sweep never opens a case record (the retention
key cannot), so what it costs is the register and the deletes; both are what is measured.

    python benchmarks/retention.py [--cases 50000] [--repeat 5] [--due-share 0.1]

Prints a table (medians, and ratios to `python -c pass` from the same run) and writes
benchmarks/results/retention.md.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PASS = "synthetic-bench-passphrase"


def build(root: Path, cases: int, due_share: float, seed: int = 1) -> dict:
    from dacli.services.cases import add_note, intake, parse_intake, parse_note
    from dacli.services.retention import init_retention
    from dacli.services.review import close_case, parse_exit
    from dacli.store.store import Store, new_case_ref

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
    as_of = dt.date.today()  # --apply acts for today only
    for n in range(cases):
        ref = new_case_ref()
        folder = store_path / ref
        folder.mkdir(mode=0o700)
        for f in files:
            shutil.copyfile(f, folder / f.name)
        closed = rng.random() < 0.8
        due = rng.random() < due_share
        last = as_of - dt.timedelta(
            days=rng.randint(6 * 366 + 1, 7 * 365) if due else rng.randint(30, 6 * 365)
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
            print(f"  {n} folders", file=sys.stderr)
    shutil.rmtree(store_path / template)
    key = root / "retention.key"
    init_retention(session, key, None)
    session.write_index(rows)  # writes the register too
    return {"store": str(store_path), "key": str(key), "as_of": as_of.isoformat(), "cases": cases}


def run(cmd: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return elapsed, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--due-share", type=float, default=0.1)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dacli-bench-retention")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "retention.md")
    args = parser.parse_args()
    started = time.perf_counter()
    meta = build(args.work / "base", args.cases, args.due_share)
    built = time.perf_counter() - started
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("DACLI_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["DACLI_RETENTION_KEY"] = meta["key"]
    dacli = [sys.executable, "-m", "dacli", "--store", meta["store"]]
    base = [run([sys.executable, "-c", "pass"], env)[0] for _ in range(args.repeat)]
    run([*dacli, "retain-purge", "--as-of", meta["as_of"], "--json"], env)  # warm-up
    plans, due = [], 0
    for _ in range(args.repeat):
        elapsed, out = run([*dacli, "retain-purge", "--as-of", meta["as_of"], "--json"], env)
        plans.append(elapsed)
        due = len(json.loads(out)["due"])
    applies = []
    for i in range(max(1, args.repeat // 4)):
        copy = args.work / f"apply-{i}"
        shutil.rmtree(copy, ignore_errors=True)
        subprocess.run(["cp", "-a", str(args.work / "base"), str(copy)], check=True)
        copy_store = str(copy / "store")
        elapsed, out = run(
            [sys.executable, "-m", "dacli", "--store", copy_store, "retain-purge", "--as-of", meta["as_of"],
             "--apply", "--mode", "destroy", "--json"],
            {**env, "DACLI_RETENTION_KEY": str(copy / "retention.key")},
        )  # fmt: skip
        purged = len(json.loads(out)["purged"])
        applies.append(elapsed)
        shutil.rmtree(copy)
    b = statistics.median(base)
    lines = [
        f"# dacli retention sweep: {args.cases} cases",
        "",
        f"- date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}; nproc {os.cpu_count()}; "
        f"python {sys.version.split()[0]}",
        f"- store built in {built:.0f} s: real index and register, {args.cases} case folders holding "
        "copies of one real closed case's files (the sweep never opens records)",
        f"- plan: {due} cases due as of {meta['as_of']}; apply purged {purged} (mode destroy) on a copy",
        "",
        "| command | runs | median (s) | min (s) | max (s) | x `python -c pass` |",
        "|---|---:|---:|---:|---:|---:|",
        f"| `python -c pass` (baseline) | {len(base)} | {b:.3f} | {min(base):.3f} | {max(base):.3f} | 1.0 |",
        f"| `retain-purge --json` (plan, {args.cases} cases) | {len(plans)} | {statistics.median(plans):.3f} "
        f"| {min(plans):.3f} | {max(plans):.3f} | {statistics.median(plans) / b:.1f} |",
        f"| `retain-purge --apply --mode destroy` ({purged} purged) | {len(applies)} "
        f"| {statistics.median(applies):.3f} | {min(applies):.3f} | {max(applies):.3f} "
        f"| {statistics.median(applies) / b:.1f} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
