"""Run every dacli benchmark and print one Markdown table (also written to benchmarks/results/latest.md).

    python benchmarks/run.py [--cases 20000] [--retention-cases 20000] [--repeat 5] [--skip-slow]

Times real dacli subprocesses (start-up, `dash score`, `case show`, `case list`, `user add`, `reindex`)
against a synthetic store of N cases, the dashboard's first frame of that caseload (in-process, see
benchmarks/tui.py) and the retention sweep over a store of M cases (benchmarks/retention.py). The stores
are built once into cache folders (/tmp/dacli-bench-<N> and /tmp/dacli-bench-retention by default) and
reused while they still hold N and M cases. See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import retention  # noqa: E402  (sibling scripts, not a package)
import rows as issue15  # noqa: E402
import synthetic  # noqa: E402
import tui  # noqa: E402

DACLI = [sys.executable, "-m", "dacli"]
META_NAME = "bench-meta.json"
REPORTS = ("caseload", "marac", "outcomes", "safe-accommodation")
REPORT_LIMIT = 5.0
"""Issue 17: each report on a 20,000-case store in under 5 s."""
META_VERSION = 2


def dacli_source() -> tuple[Path, str]:
    """Where dacli is imported from, and a fingerprint of its .py files (spots a store made by older code)."""
    import hashlib

    import dacli

    root = Path(dacli.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return root, digest.hexdigest()[:12]


def git_commit(folder: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        if head.returncode != 0:
            return ""
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", "."], capture_output=True, text=True
        )
        return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except OSError:
        return ""


@dataclass
class Row:
    label: str
    times: list[float]
    in_process: bool = False  # timed inside this script: no interpreter start-up, so no ratio
    key: str = ""  # the issue-15 target it is measured against (`rows.TARGETS`), and at which size
    size: str = ""
    bases: list[float] = field(default_factory=list)
    """`python -c pass`, run just before each timed run (`paired`): this row's own baseline."""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def baseline(self, whole_run: float) -> float:
        """The median of this row's own `python -c pass` runs, else the whole run's."""
        return statistics.median(self.bases) if self.bases else whole_run


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the synthetic store -------------------------------------------------------------------------------


def ensure_store(
    cache: Path, cases: int, users: int, jobs: int | None, log_n: int, rebuild: bool, index_only: int = 0
) -> dict:
    """Reuse ``cache/store`` when its metadata and its case folders say it holds ``cases`` cases (of which
    ``index_only`` are an index row and an empty folder only: `synthetic.make_store`)."""
    from dacli.store.store import Store

    store_path = cache / "store"
    meta_path = cache / META_NAME
    if not rebuild and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
            ok = (
                meta.get("version") == META_VERSION
                and meta.get("cases") == cases
                and meta.get("log_n") == log_n
                and meta.get("index_only", 0) == index_only
                and len(Store(store_path).case_refs()) == cases
            )
        except Exception:
            ok = False
        if ok:
            log(f"Reusing the synthetic store at {store_path} ({cases} cases).")
            meta["reused"] = True
            if meta.get("dacli_fingerprint") != dacli_source()[1]:
                meta["stale"] = True
                log("  note: dacli's code changed since it was generated; use --rebuild if a command fails.")
            return meta
    if cache.exists():
        log(f"Removing the stale cache {cache}.")
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    log(f"Generating {cases} synthetic cases at {store_path} (done once, then cached)...")
    gen = synthetic.make_store(
        store_path, cases - index_only, users=users, jobs=jobs, passphrase_log_n=log_n, index_only=index_only
    )
    meta = {
        "version": META_VERSION,
        "cases": cases,
        "index_only": index_only,
        "users": len(gen.users) + 1,
        "manager": gen.manager,
        "passphrase": gen.passphrase,
        "sample_ref": gen.refs[len(gen.refs) // 2],
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "generation_seconds": round(gen.seconds, 1),
        "generation_cases_seconds": round(gen.cases_seconds, 1),
        "generation_jobs": gen.jobs,
        "log_n": gen.log_n,
        "dacli_fingerprint": dacli_source()[1],
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    log(
        f"Generated in {gen.seconds:.1f} s "
        f"({gen.cases / gen.cases_seconds:.0f} cases/s, {gen.jobs} processes)."
    )
    meta["reused"] = False
    return meta


# -- timing ---------------------------------------------------------------------------------------------


# Subprocesses run in an empty folder: `python -m` puts the working folder first on sys.path, so running
# from a checkout would import that checkout's dacli rather than the one this script imported.
NEUTRAL_CWD = Path(tempfile.gettempdir())


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=NEUTRAL_CWD, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"benchmark command failed (exit {proc.returncode}): {' '.join(cmd[2:])}\n{proc.stderr.strip()}\n"
            "(if the cached store was made by older dacli code, run again with --rebuild)"
        )
    return elapsed, proc.stdout


PASS = [sys.executable, "-c", "pass"]


def paired(bases: list[float]):
    """A runner that runs `python -c pass` just before each command and keeps its time in ``bases``: the
    machine is shared, and its speed drifts over a run of half an hour, so each row is scaled by the
    baseline measured beside it."""

    def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
        bases.append(run_once(PASS, env)[0])
        return run_once(cmd, env)

    return run


def timed(label: str, cmd: list[str], env: dict[str, str], repeat: int, warmup: bool = True) -> Row:
    log(f"  {label} ...")
    if warmup:
        run_once(cmd, env)
    bases: list[float] = []
    run = paired(bases)
    return Row(label, [run(cmd, env)[0] for _ in range(repeat)], bases=bases)


def note_add(
    label: str, store_path: Path, meta: dict, env: dict[str, str], work: Path, repeat: int, ref: str
) -> Row:
    """`dacli note add REF` on one case of the store, with the unlock agent running (the scrypt unlock is the
    same whatever the store's size, so it is left out: what is left is what one write costs). Each timed
    run adds a note to the same case, one no earlier run wrote to (`untouched_refs`)."""
    agent_env = {k: v for k, v in env.items() if k != "DACLI_PASSPHRASE"}
    agent_env.update(DACLI_STORE=str(store_path), DACLI_USER=meta["manager"])
    agent_env["DACLI_AGENT_DIR"] = str(work / f"agents-{meta['cases']}")
    _, out = run_once(
        [*DACLI, "unlock", "--idle", "60"], {**agent_env, "DACLI_PASSPHRASE": meta["passphrase"]}
    )
    if "Unlocked" not in out:
        raise SystemExit(f"unexpected `unlock` output: {out.strip()}")
    cmd = [*DACLI, "note", "add", ref, "--type", "telephone", "--with", "client",
           "--text", "Benchmark note: a call with the client."]  # fmt: skip
    try:
        run_once([*DACLI, "case", "list"], agent_env)  # the listing builds this computer's index first
        return timed(label, cmd, agent_env, repeat)
    finally:
        run_once([*DACLI, "lock"], agent_env)


def untouched_refs(store_path: Path, count: int) -> tuple[list[str], int]:
    """``count`` cases no earlier run of this script has written to, and their record count: the first
    cases (by reference) whose record count is the smallest any case holds. `case show` reads the first;
    `dash record` and `note add` each write to one of the others, so every run of this script times a
    case of the same size (each run adds some eight records to each of them, so a case that every run
    wrote to would grow from run to run and time what this script did before, not the store)."""
    counts: list[tuple[str, int]] = []
    for name in sorted(os.listdir(store_path)):
        folder = store_path / name
        if (folder / "case.toml.age").is_file():
            counts.append((name, sum(1 for f in folder.iterdir() if f.name.endswith(".toml.age"))))
    if not counts:
        raise SystemExit(f"no case in {store_path} to show or write to")
    fewest = min(records for _, records in counts)
    refs = [name for name, records in counts if records == fewest][:count]
    if len(refs) < count:
        raise SystemExit(
            f"{store_path} has only {len(refs)} cases no run has written to; run again with --rebuild"
        )
    return refs, fewest


def start_agent(store_path: Path, meta: dict, env: dict[str, str], agents: Path) -> dict[str, str]:
    """Start `dacli unlock` for the store's manager; the environment that uses it (stop it with `lock`)."""
    agent_env = {k: v for k, v in env.items() if k != "DACLI_PASSPHRASE"}
    agent_env.update(DACLI_STORE=str(store_path), DACLI_USER=meta["manager"], DACLI_AGENT_DIR=str(agents))
    _, out = run_once(
        [*DACLI, "unlock", "--idle", "60"], {**agent_env, "DACLI_PASSPHRASE": meta["passphrase"]}
    )
    if "Unlocked" not in out:
        raise SystemExit(f"unexpected `unlock` output: {out.strip()}")
    return agent_env


def write_rows(
    n: int, size: str, store_path: Path, ref: str, checklist: Path, agent_env: dict, repeat: int
) -> list[Row]:
    """`dash record --from` on one case and `intake --from` (matching against every case), with the agent."""
    log(f"  `dacli dash record REF --from FILE` ({n} cases) ...")
    dash_bases: list[float] = []
    dash = issue15.dash_record(DACLI, ref, checklist, agent_env, repeat, paired(dash_bases))
    log(f"  `dacli intake --from FORM --new-case` ({n} cases) ...")
    form = HERE.parent / "examples" / "forms" / "intake-example.toml"
    intake_bases: list[float] = []
    times, matches = issue15.intake(DACLI, store_path, form, agent_env, repeat, paired(intake_bases))
    return [
        Row(
            f"`dacli dash record REF --from FILE` ({n} cases, unlock agent running)",
            dash,
            key="dash",
            size=size,
            bases=dash_bases,
        ),
        Row(
            f"`dacli intake --from FORM --new-case` ({n} cases, unlock agent running; {matches} matches)",
            times,
            key="intake",
            size=size,
            bases=intake_bases,
        ),
    ]


def big_store(args, log_n: int, env: dict, work: Path, xdg: Path, checklist: Path) -> tuple[dict, list[Row]]:
    """The large store's rows: the listing, one case, the writes and the dashboard."""
    big = args.big_cases
    size = "100k" if big == 100000 else ""
    cache = Path(tempfile.gettempdir()) / f"dacli-bench-{big}-index-only"
    meta = ensure_store(cache, big, 1, args.jobs, log_n, args.rebuild, index_only=big - args.big_real)
    meta["store"] = str(cache / "store")
    store_path = cache / "store"
    (shown, ref, note_ref), meta["show_records"] = untouched_refs(store_path, 3)
    meta["write_refs"] = (ref, note_ref)
    rows: list[Row] = []
    agent_env = start_agent(store_path, meta, env, work / "agents-big")
    try:
        cmd = [*DACLI, "case", "list"]
        rows.append(
            timed(f"`dacli case list` ({big} cases, unlock agent running)", cmd, agent_env, args.repeat)
        )
        rows[-1].key, rows[-1].size = "list", size
        cmd = [*DACLI, "case", "show", shown]
        rows.append(
            timed(f"`dacli case show REF` ({big} cases, unlock agent running)", cmd, agent_env, args.repeat)
        )
        rows[-1].key, rows[-1].size = "show", size
        rows += write_rows(big, size, store_path, ref, checklist, agent_env, args.repeat)
    finally:
        run_once([*DACLI, "lock"], agent_env)
    note = note_add(
        f"`dacli note add REF` ({big} cases, unlock agent running)",
        store_path, meta, env, work, args.repeat, note_ref,
    )  # fmt: skip
    note.key, note.size = "note", size
    rows.append(note)
    rows.append(dashboard(store_path, meta["manager"], meta["passphrase"], args.repeat, xdg, big))
    rows[-1].key, rows[-1].size = "dashboard", size
    return meta, rows


def bare_scrypt(store_path: Path, username: str, passphrase: str, repeat: int) -> Row:
    """In-process: the scrypt unlock of one identity file, nothing else."""
    from dacli.store import crypto
    from dacli.store.store import Store

    store = Store(store_path)
    sealed = store.identity_path(store.member(username).id).read_bytes()
    log_n = crypto.scrypt_log_n(sealed)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        crypto.passphrase_decrypt(sealed, passphrase, "benchmark identity")
        times.append(time.perf_counter() - started)
    return Row(f"scrypt unlock only (`passphrase_decrypt`, log_n {log_n}, in-process)", times, True)


def dashboard(store_path: Path, username: str, passphrase: str, repeat: int, xdg: Path, n: int) -> Row:
    """In-process: the dashboard from a successful unlock to the first drawn frame of the caseload."""
    log("  dashboard: unlock to first caseload frame (in-process) ...")
    saved = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(xdg)  # as for the subprocesses: no machine id in your home
    try:
        frames, _, rows = tui.measure(store_path, username, passphrase, repeat, warmup=True)
    finally:
        if saved is None:
            del os.environ["XDG_DATA_HOME"]
        else:
            os.environ["XDG_DATA_HOME"] = saved
    if rows != n:
        raise SystemExit(f"the dashboard's caseload held {rows} rows, expected {n}")
    return Row(
        f"dashboard: unlock to first caseload frame ({n} cases, in-process, after the scrypt unlock)",
        frames,
        True,
    )


# -- output ---------------------------------------------------------------------------------------------


def machine_info() -> list[str]:
    import pyrage  # noqa: F401

    from dacli import __version__

    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        nproc = os.cpu_count() or 0
    try:
        from importlib.metadata import version

        pyrage_version = version("pyrage")
    except Exception:
        pyrage_version = "?"
    root, fingerprint = dacli_source()
    commit = git_commit(root)
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- machine: {platform.system()} {platform.release()} {platform.machine()}, nproc {nproc}"
        + (f", {cpu}" if cpu else ""),
        f"- python: {platform.python_version()} ({sys.executable})",
        f"- dacli {__version__} from {root}"
        + (f" (git {commit})" if commit else "")
        + f", source fingerprint {fingerprint}; pyrage {pyrage_version}",
        f"- invoked as: `{Path(sys.executable).name} -m dacli` (not the `dacli` console script)",
    ]


def fmt(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def table(rows: list[Row], baseline: float) -> list[str]:
    out = [
        "| command | runs | median (s) | min (s) | max (s) | `python -c pass` beside it (s) "
        "| × `python -c pass` |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        base = r.baseline(baseline)
        ratio = "–" if r.in_process else f"{r.median / base:.1f}"
        beside = "–" if r.in_process else (fmt(base) if r.bases else f"{fmt(base)} (the run's)")
        out.append(
            f"| {r.label} | {len(r.times)} | {fmt(r.median)} | {fmt(min(r.times))} | {fmt(max(r.times))} "
            f"| {beside} | {ratio} |"
        )
    return out


def spread(times: list[float]) -> str:
    """A setup step's times, for a context line."""
    if len(times) == 1:
        return f"{times[0]:.1f} s"
    return f"median {statistics.median(times):.1f} s ({min(times):.1f}–{max(times):.1f}, {len(times)} runs)"


# -- main -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases", type=int, default=20000, help="cases in the synthetic store (default 20000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each fast command (default 5)")
    parser.add_argument(
        "--slow-repeat",
        type=int,
        default=3,
        help="timed runs of `user add`, `reindex` and `retain-purge --apply` (default 3)",
    )
    parser.add_argument(
        "--retention-cases",
        type=int,
        default=20000,
        help="cases in the retention store (default 20000, the size issue 15's sweep targets are set at)",
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "results" / "latest.md", help="Markdown output file"
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="default /tmp/dacli-bench-<N>")
    parser.add_argument(
        "--retention-dir",
        type=Path,
        default=retention.DEFAULT_WORK,
        help=f"the retention store's cache folder (default {retention.DEFAULT_WORK})",
    )
    parser.add_argument("--users", type=int, default=5, help="extra caseworkers when generating (default 5)")
    parser.add_argument("--jobs", type=int, default=None, help="generator processes (default: one per CPU)")
    parser.add_argument(
        "--log-n",
        type=int,
        default=None,
        help=f"scrypt cost of the generated store (default: dacli's, {synthetic.default_log_n()})",
    )
    parser.add_argument(
        "--small-cases",
        type=int,
        default=100,
        help="cases in the small store `note add` is compared on (default 100)",
    )
    parser.add_argument(
        "--big-cases",
        type=int,
        default=100000,
        help="cases in the large store (default 100000; 0 leaves it out); all but --big-real of them are "
        "index rows and empty folders only",
    )
    parser.add_argument(
        "--big-real", type=int, default=200, help="real cases in the large store (default 200)"
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached stores")
    parser.add_argument(
        "--skip-slow", action="store_true", help="leave out `user add`, `reindex` and the retention sweep"
    )
    args = parser.parse_args(argv)
    if min(args.cases, args.retention_cases, args.repeat, args.slow_repeat) < 1:
        parser.error("--cases, --retention-cases, --repeat and --slow-repeat must be positive")

    cache = args.cache_dir or Path(tempfile.gettempdir()) / f"dacli-bench-{args.cases}"
    log_n = args.log_n or synthetic.default_log_n()
    meta = ensure_store(cache, args.cases, args.users, args.jobs, log_n, args.rebuild)
    store_path = cache / "store"
    (shown, ref, note_ref), show_records = untouched_refs(store_path, 3)

    global NEUTRAL_CWD
    xdg = Path(tempfile.mkdtemp(prefix="dacli-bench-xdg-"))
    # not the XDG folder itself: dacli keeps its machine id in XDG_DATA_HOME/dacli, and a folder called
    # `dacli` in the working folder would shadow the package for `python -m dacli`
    NEUTRAL_CWD = Path(tempfile.mkdtemp(prefix="dacli-bench-cwd-"))
    work = Path(tempfile.mkdtemp(prefix="work-", dir=cache))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DACLI_") and k not in ("XDG_DATA_HOME", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        DACLI_STORE=str(store_path),
        DACLI_USER=meta["manager"],
        DACLI_PASSPHRASE=meta["passphrase"],
        XDG_DATA_HOME=str(xdg),
    )
    n = args.cases
    size = "20k" if n == 20000 else ""
    rows: list[Row] = []
    try:
        log(f"Timing ({args.repeat} runs each after one warm-up; slow commands {args.slow_repeat} runs):")
        # The subprocesses must run the same dacli this script imported (and generated the store with).
        _, where = run_once([sys.executable, "-c", "import dacli; print(dacli.__file__)"], env)
        if Path(where.strip()).resolve().parent != dacli_source()[0]:
            raise SystemExit(f"subprocesses import dacli from {where.strip()}, not {dacli_source()[0]}")
        base = timed("`python -c pass` (baseline)", [sys.executable, "-c", "pass"], env, args.repeat)
        rows.append(base)
        rows.append(timed("`dacli --help` (start-up)", [*DACLI, "--help"], env, args.repeat))
        checklist = NEUTRAL_CWD / "dash-checklist.toml"
        checklist.write_text(
            "[answers]\n" + "".join(f'q{q} = "{"yes" if q % 2 else "no"}"\n' for q in range(1, 25))
        )
        rows.append(
            timed(
                "`dacli dash score FILE` (lean path, no store)",
                [*DACLI, "dash", "score", str(checklist)],
                env,
                args.repeat,
            )
        )
        rows.append(
            timed(
                "`dacli case show REF` (incl. scrypt unlock)",
                [*DACLI, "case", "show", shown],
                env,
                args.repeat,
            )
        )
        rows.append(timed(f"`dacli case list` ({n} cases)", [*DACLI, "case", "list"], env, args.repeat))
        rows.append(
            timed(
                f"`dacli case list --json` ({n} cases)", [*DACLI, "case", "list", "--json"], env, args.repeat
            )
        )

        # With the unlock agent (`dacli unlock`): the same commands without the scrypt step.
        agent_env = {k: v for k, v in env.items() if k != "DACLI_PASSPHRASE"}
        agent_env["DACLI_AGENT_DIR"] = str(work / "agents")
        _, out = run_once(
            [*DACLI, "unlock", "--idle", "30"], {**agent_env, "DACLI_PASSPHRASE": meta["passphrase"]}
        )
        if "Unlocked" not in out:
            raise SystemExit(f"unexpected `unlock` output: {out.strip()}")
        try:
            rows.append(
                timed(
                    "`dacli case show REF` (unlock agent running)",
                    [*DACLI, "case", "show", shown],
                    agent_env,
                    args.repeat,
                )
            )
            rows[-1].key, rows[-1].size = "show", size
            rows.append(
                timed(
                    f"`dacli case list` ({n} cases, unlock agent running)",
                    [*DACLI, "case", "list"],
                    agent_env,
                    args.repeat,
                )
            )
            rows[-1].key, rows[-1].size = "list", size
            for kind in REPORTS:  # issue 17: each report over a year, from the caseload index
                rows.append(
                    timed(
                        f"`dacli report {kind} --year 2026 --json` ({n} cases, unlock agent running)",
                        [*DACLI, "report", kind, "--year", "2026", "--json"],
                        agent_env,
                        args.repeat,
                    )
                )
                rows[-1].key, rows[-1].size = "report", size
            rows += write_rows(n, size, store_path, ref, checklist, agent_env, args.repeat)
        finally:
            run_once([*DACLI, "lock"], agent_env)

        # Sanity: the listing really holds every case.
        _, listing = run_once([*DACLI, "case", "list", "--json"], env)
        listed = len(json.loads(listing))
        if listed != n:
            raise SystemExit(f"`case list --json` returned {listed} rows, expected {n}")

        rows.append(dashboard(store_path, meta["manager"], meta["passphrase"], args.repeat, xdg, n))
        rows[-1].key, rows[-1].size = "dashboard", size
        log("  dashboard: memory after one caseload and after 10 reloads (in-process) ...")
        mem = tui.memory(store_path, meta["manager"], meta["passphrase"], 10)

        # What one write costs: the same `note add` on this store and on a small one (store format 3: a
        # write touches one case folder and no caseload-wide file).
        small_cache = Path(tempfile.gettempdir()) / f"dacli-bench-{args.small_cases}"
        small = ensure_store(small_cache, args.small_cases, 1, args.jobs, log_n, args.rebuild)
        small_ref = untouched_refs(small_cache / "store", 1)[0][0]
        note_small = note_add(
            f"`dacli note add REF` ({args.small_cases} cases, unlock agent running)",
            small_cache / "store", small, env, work, args.repeat, small_ref,
        )  # fmt: skip
        note_big = note_add(
            f"`dacli note add REF` ({n} cases, unlock agent running)",
            store_path,
            meta,
            env,
            work,
            args.repeat,
            note_ref,
        )
        note_big.key, note_big.size = "note", size
        rows += [note_small, note_big]

        big_meta = None
        if args.big_cases:
            big_meta, big_rows = big_store(args, log_n, env, work, xdg, checklist)
            rows += big_rows

        add_times: list[float] = []
        copy_times: list[float] = []
        sweep: retention.Sweep | None = None
        if not args.skip_slow:
            log(f"  `dacli user add` x{args.slow_repeat} (each on a fresh copy of the store) ...")
            for i in range(args.slow_repeat):
                copy = work / f"copy-{i}"
                started = time.perf_counter()
                shutil.copytree(store_path, copy, symlinks=True)
                copy_times.append(time.perf_counter() - started)
                add_env = {**env, "DACLI_STORE": str(copy), "DACLI_NEW_PASSPHRASE": "benchmark-new-user-pass"}
                elapsed, out = run_once(
                    [*DACLI, "user", "add", f"benchnew{i}", "--role", "caseworker"], add_env
                )
                if f"re-wrapped {n + 1} key rings" not in out:
                    raise SystemExit(f"unexpected `user add` output: {out.strip()}")
                add_times.append(elapsed)
                shutil.rmtree(copy)
            rows.append(
                Row(f"`dacli user add NEW --role caseworker` (re-wraps {n + 1} key rings)", add_times)
            )
            rows[-1].key, rows[-1].size = "user-add", size

            log("  a new computer's first `case list` (no caseload cache yet) ...")
            agent_env = start_agent(store_path, meta, env, work / "agents-new")
            try:
                first = issue15.new_computer(DACLI, agent_env, work / "new-computer-cache", run_once)
            finally:
                run_once([*DACLI, "lock"], agent_env)
            rows.append(Row(f"a new computer's first `dacli case list` ({n} cases, cache built)", [first]))
            rows[-1].key, rows[-1].size = "new-computer", size

            log(f"  `dacli reindex` x{args.slow_repeat} (in place; idempotent) ...")
            reindex_times = []
            for _ in range(args.slow_repeat):
                elapsed, out = run_once([*DACLI, "reindex"], env)
                if f"Indexed {n} cases" not in out:
                    raise SystemExit(f"unexpected `reindex` output: {out.strip()}")
                reindex_times.append(elapsed)
            rows.append(Row(f"`dacli reindex` ({n} cases)", reindex_times))

            m = args.retention_cases
            sweep = retention.measure(
                env,
                args.retention_dir,
                m,
                args.repeat,
                args.slow_repeat,
                rebuild=args.rebuild,
                fingerprint=dacli_source()[1],
                runner=run_once,
            )
            rows.append(
                Row(f"`dacli retain-purge --json` (plan, {m} cases, {sweep.due} due)", sweep.plan_times)
            )
            rows[-1].key = "purge-plan"
            rows[-1].size = {20000: "20k", 100000: "100k"}.get(m, "")
            rows.append(
                Row(
                    f"`dacli retain-purge --apply --mode destroy` ({sweep.purged} of {m} cases purged)",
                    sweep.apply_times,
                )
            )
            if sweep.purged:  # the whole --apply (its plan and start-up too) over the cases it purged
                per_case = [t / sweep.purged for t in sweep.apply_times]
                rows.append(Row("`retain-purge --apply`, per purged case", per_case, in_process=True))
                rows[-1].key = "purge-apply"
                rows[-1].size = {20000: "20k", 100000: "100k"}.get(m, "")

        log("  bare scrypt unlock (in-process) ...")
        scrypt_row = bare_scrypt(store_path, meta["manager"], meta["passphrase"], args.repeat)
        rows.append(scrypt_row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(xdg, ignore_errors=True)

    def made(info: dict) -> str:
        how = "reused from cache" if info.get("reused") else "made in this run"
        return how + (" by older dacli code" if info.get("stale") else "")

    context = [
        f"- store: {store_path}, {n} cases, {meta['users']} staff, scrypt log_n {meta['log_n']} "
        f"({made(meta)}; generation took {meta['generation_seconds']} s with "
        f"{meta.get('generation_jobs', '?')} processes on {meta['generated']})"
    ]
    if sweep:
        context.append(
            f"- retention store: {sweep.meta['store']}, {args.retention_cases} case folders holding copies "
            f"of one real closed case's files, real index, register and retention key ({made(sweep.meta)}; "
            f"building took {sweep.meta['build_seconds']} s on {sweep.meta['built']}); "
            f"swept as of {sweep.as_of}"
        )
    context.append(
        f"- fast rows: {args.repeat} timed runs after one untimed warm-up; "
        + (
            f"`user add`, `reindex` and `retain-purge --apply`: {args.slow_repeat} timed runs, no warm-up"
            if sweep
            else "`user add`, `reindex` and the retention sweep left out (--skip-slow)"
        )
    )
    if sweep:
        context.append(
            f"- not timed: copying the store for each `user add` (`shutil.copytree`): {spread(copy_times)}; "
            f"for each `retain-purge --apply` (`cp -a`): {spread(sweep.copy_times)}"
        )
    context.append(
        f"- `case show` reads {shown} ({show_records} records), a case no row writes to; `dash record` "
        f"and `note add` each write to a case of as many records that no earlier run wrote to ({ref}, "
        f"{note_ref}), adding {args.repeat + 1} records to it"
    )
    if big_meta:
        context.append(
            f"- large store: {big_meta['store']}, {args.big_cases} cases of which "
            f"{big_meta['index_only']} are an index row and an empty folder only (`synthetic.make_store`): "
            f"enough for `case list`, the dashboard and matching at intake; `case show` (a case of "
            f"{big_meta['show_records']} records), `dash record` and `note add` use three of its "
            f"{args.big_cases - big_meta['index_only']} real cases"
        )
    lines = [
        f"# dacli benchmarks: {n} cases",
        "",
        *machine_info(),
        *context,
        "",
        *table(rows, base.median),
        "",
        "In-process rows run inside this script (no interpreter start-up or imports), so they have no ratio. "
        "Every command that unlocks the store with a passphrase (`case show`, `case list`, `user add`, "
        f"`reindex`) pays the scrypt unlock (median {scrypt_row.median:.3f} s here) before doing any work; "
        "with the unlock agent running (`dacli unlock`) they skip it. The dashboard row starts after it.",
        "",
    ]
    verdicts = [
        issue15.verdict(t, r.size, r.median, r.baseline(base.median), r.in_process)
        for t in issue15.TARGETS
        for r in rows
        if r.key == t.key and r.size in t.seconds
    ]
    lines += [
        f"Dashboard memory (resident, in-process, {mem[2]} rows): {mem[0] / 2**20:.1f} MiB after the first "
        f"caseload, {mem[1] / 2**20:.1f} MiB after 10 reloads ({mem[1] / mem[0]:.2f}x; target: within 1.20x, "
        f"{'met' if mem[1] <= 1.2 * mem[0] else 'missed'}).",
        "",
        *issue15.targets_table(verdicts, base.median),
        "",
    ]
    reports = [r for r in rows if r.key == "report"]
    if reports:
        slowest = max(reports, key=lambda r: r.median)
        lines += [
            f"Issue 17: every report on {n} cases under {REPORT_LIMIT:.0f} s: "
            f"{'met' if slowest.median < REPORT_LIMIT else 'missed'} (the slowest, {slowest.label}: median "
            f"{slowest.median:.3f} s).",
            "",
        ]
    lines.insert(
        -1,
        "\n"
        f"`note add` on {n} cases took {note_big.median / note_small.median:.2f}x its time on "
        f"{args.small_cases} cases (medians {note_big.median:.3f} s and {note_small.median:.3f} s).\n",
    )
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    log(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
