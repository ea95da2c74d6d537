"""Generate a synthetic dacli store of N cases, fast, for benchmarking.

    python benchmarks/synthetic.py --cases 20000 --path /tmp/dacli-synth

Every name is invented from nonsense syllables plus a "Testcase"/"Testchild"/"Testperp" marker, so no
record can be mistaken for a real person. The store is written through the real store API
(``Store.create``, ``Session.new_case`` and ``Session.write_record``, exactly the
records ``dacli.services.intake.intake`` writes). Notes:

* the scrypt cost is the code's default (``dacli.defaults.PASSPHRASE_LOG_N``) unless ``--log-n`` says
  otherwise, since unlocking is part of what is benchmarked;
* the generating person's caseload index (on this computer) is seeded once at the end from the rows built
  as each case was written (``Session.seed_index``), instead of read back from every case;
* the cases are made in chunks by forked worker processes, each chunk with its own audit log (as if
  written on its own machine); the logs are ordinary, valid hash chains.

Extra staff (``--users``) are added first, as caseworkers, so the key rings of every case are wrapped to
them from the start (adding them afterwards would re-wrap every ring once per person).
"""

from __future__ import annotations

import argparse
import inspect
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

MANAGER = "bench"
PASSPHRASE = "synthetic-bench-passphrase"
"""Every synthetic user's passphrase. The store holds only invented data."""

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "qu", "r", "s", "t", "v", "x", "z", "zh", "th"]
_VOWELS = ["a", "e", "i", "o", "u", "y", "ae", "ou"]
_CODAS = ["", "", "r", "l", "n", "x", "v", "sk"]
_REFERRERS = ["police", "self", "GP", "housing", "children's services", "A&E", "probation", "school"]
_RELATIONSHIPS = ["partner", "ex-partner", "family member", "spouse", "ex-spouse"]


def default_log_n() -> int:
    """The scrypt cost a new store gets from `dacli init` (18 before ``dacli.defaults`` existed)."""
    try:
        from dacli.defaults import PASSPHRASE_LOG_N
    except ImportError:
        return 18
    return PASSPHRASE_LOG_N


def _word(rng: random.Random) -> str:
    syllables = rng.randint(2, 3)
    text = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
    return text.capitalize()


def _date_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def synthetic_form(rng: random.Random, n: int, worker: str, today: date) -> dict:
    """One intake form (as a person would supply it) with invented names and valid dates."""
    dob = _date_between(rng, date(1950, 1, 1), date(2005, 12, 31))
    referral = _date_between(rng, max(dob + timedelta(days=16 * 365), today - timedelta(days=3 * 365)), today)
    form: dict = {
        "client": {"name": f"{_word(rng)} Testcase-{n:05d}", "dob": dob},
        "referral": {"date": referral, "referred_by": rng.choice(_REFERRERS)},
        "caseworker": worker,
        "children": [],
        "perpetrators": [],
    }
    if rng.random() < 0.2:
        form["client"]["aka"] = f"{_word(rng)} Testalias"
    if rng.random() < 0.05 and dob.year >= 1980:
        form["client"]["pregnant"] = True
        form["client"]["due_date"] = today + timedelta(days=rng.randint(10, 250))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        child_dob = _date_between(rng, min(dob + timedelta(days=16 * 365), today), today)
        form["children"].append({"name": f"{_word(rng)} Testchild", "dob": child_dob})
    for _ in range(rng.choice([1, 1, 1, 2])):
        perp: dict = {"name": f"{_word(rng)} Testperp", "relationship": rng.choice(_RELATIONSHIPS)}
        if rng.random() < 0.7:
            perp["dob"] = _date_between(rng, date(1940, 1, 1), date(2005, 12, 31))
        form["perpetrators"].append(perp)
    return form


@dataclass
class Generated:
    path: Path
    cases: int
    users: list[str]
    manager: str
    passphrase: str
    refs: list[str] = field(default_factory=list)
    jobs: int = 1
    log_n: int = 0
    seconds: float = 0.0
    create_seconds: float = 0.0
    users_seconds: float = 0.0
    cases_seconds: float = 0.0
    index_seconds: float = 0.0


# State handed to forked worker processes (set in make_store just before the pool forks).
_WORKER: dict = {}


def _make_chunk(chunk: int) -> list[tuple[str, dict]]:
    """Open the cases of one chunk in a session with its own audit log; return (ref, index row) pairs."""
    from dacli.schemas.case import CaseRecord
    from dacli.schemas.intake import INTAKE_SCHEMA, IntakeRecord
    from dacli.services.case_view import summarise
    from dacli.services.forms import CASE_RECORD
    from dacli.services.intake import parse_intake

    store, member, identity = _WORKER["store"], _WORKER["member"], _WORKER["identity"]
    workers, cases, size, seed = _WORKER["workers"], _WORKER["cases"], _WORKER["chunk"], _WORKER["seed"]
    today: date = _WORKER["today"]
    os.environ["DACLI_MACHINE_ID"] = f"synth{chunk:05d}"
    session = store.unlock_with_identity(member, identity)
    rng = random.Random(f"{seed}-{chunk}")
    out: list[tuple[str, dict]] = []
    for n in range(chunk * size + 1, min(cases, (chunk + 1) * size) + 1):
        worker = workers[(n - 1) % len(workers)]
        form = parse_intake(synthetic_form(rng, n, worker, today), today)
        ref = session.new_case()
        now = datetime.now(UTC).replace(microsecond=0)
        case = CaseRecord(case=ref, worker=worker, opened=now, opened_by=session.member.id)
        record = IntakeRecord.model_validate(
            {
                **form.model_dump(mode="python"),
                "caseworker": worker,
                "schema": INTAKE_SCHEMA,
                "case": ref,
                "taken_by": session.member.id,
            }
        )
        session.write_record(ref, CASE_RECORD, case.model_dump(mode="python", by_alias=True))
        session.write_record(
            ref, "intake-1.toml.age", record.model_dump(mode="python", by_alias=True), action="intake"
        )
        out.append((ref, _summary(summarise, ref, case, record).index_row()))
    return out


_REF_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _index_only_rows(path: Path, rows: dict[str, dict], count: int, seed: int) -> dict[str, dict]:
    """``count`` index rows copied from ``rows`` under new references, each with an empty case folder
    dated an hour ago (so the index takes it as unchanged since the row was built)."""
    rng = random.Random(f"{seed}-index-only")
    real = list(rows.values())
    past = time.time() - 3600
    made: dict[str, dict] = {}
    while len(made) < count:
        ref = "DA-" + "".join(rng.choice(_REF_CHARS) for _ in range(5))
        ref += "-" + "".join(rng.choice(_REF_CHARS) for _ in range(5))
        if ref in rows or ref in made:
            continue
        folder = path / ref
        folder.mkdir()
        os.utime(folder, (past, past))
        row = dict(real[len(made) % len(real)])
        row["ref"] = ref
        row["client"] = f"{_word(rng)} Testcase-x{len(made):06d}"
        made[ref] = row
    return made


def _summary(summarise, ref: str, case, record):
    """The index row, as `intake` makes it; copes with `summarise` taking the case's notes (none here)."""
    if "notes" in inspect.signature(summarise).parameters:
        return summarise(ref, case, [record], [], 2)
    return summarise(ref, case, [record], 2)


def make_store(
    path: Path | str,
    cases: int = 20000,
    *,
    users: int = 5,
    seed: int = 1,
    audit_chunk: int = 1000,
    jobs: int | None = None,
    passphrase_log_n: int | None = None,
    progress: bool = True,
    index_only: int = 0,
) -> Generated:
    """Create a store at ``path`` (which must not exist or be empty) holding ``cases`` synthetic cases.

    Cases are made in chunks of ``audit_chunk`` by ``jobs`` forked processes (default: one per CPU);
    the content depends on ``seed`` only, not on ``jobs``. ``index_only``: that many more cases exist only
    as an empty folder and a row in the generating person's caseload index (a copy of a real case's row
    under a new reference and an invented name): enough for what reads the index alone (`case list`, the
    dashboard's caseload, matching at intake), at a size whose records would take hours to write.
    """
    import multiprocessing

    from dacli.schemas.common import Role
    from dacli.store.store import Store

    path = Path(path)
    if passphrase_log_n is None:
        passphrase_log_n = default_log_n()
    jobs = max(1, jobs or os.cpu_count() or 1)
    started = time.perf_counter()
    saved_machine = os.environ.get("DACLI_MACHINE_ID")
    os.environ["DACLI_MACHINE_ID"] = "synthsetup"
    try:
        store = Store.create(path, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=passphrase_log_n)
        session = store.unlock(MANAGER, PASSPHRASE)
        t_created = time.perf_counter()

        usernames = [f"worker{i:03d}" for i in range(1, users + 1)]
        for name in usernames:
            session.add_user(name, Role.caseworker, PASSPHRASE)
        t_users = time.perf_counter()

        result = Generated(path, cases, usernames, MANAGER, PASSPHRASE, jobs=jobs, log_n=passphrase_log_n)
        _WORKER.update(
            store=store,
            member=session.member,
            identity=session.credentials,
            workers=usernames or [MANAGER],
            cases=cases,
            chunk=audit_chunk,
            seed=seed,
            today=date.today(),
        )
        chunks = range((cases + audit_chunk - 1) // audit_chunk)
        results: dict[int, list[tuple[str, dict]]] = {}
        done = 0
        try:
            if jobs == 1:
                pairs = ((c, _make_chunk(c)) for c in chunks)
                for c, chunk_rows in pairs:
                    results[c] = chunk_rows
                    done += len(chunk_rows)
                    _progress(progress, done, cases, t_users)
            else:
                with multiprocessing.get_context("fork").Pool(jobs) as pool:
                    for c, chunk_rows in zip(chunks, pool.imap(_make_chunk, chunks), strict=True):
                        results[c] = chunk_rows
                        done += len(chunk_rows)
                        _progress(progress, done, cases, t_users)
        finally:
            _WORKER.clear()
        rows: dict[str, dict] = {}
        for c in chunks:
            for ref, row in results[c]:
                rows[ref] = row
                result.refs.append(ref)
        if index_only:
            rows.update(_index_only_rows(path, rows, index_only, seed))
        t_cases = time.perf_counter()

        os.environ["DACLI_MACHINE_ID"] = "synthsetup"
        session.seed_index(rows)
        t_index = time.perf_counter()
    finally:
        if saved_machine is None:
            os.environ.pop("DACLI_MACHINE_ID", None)
        else:
            os.environ["DACLI_MACHINE_ID"] = saved_machine

    result.create_seconds = t_created - started
    result.users_seconds = t_users - t_created
    result.cases_seconds = t_cases - t_users
    result.index_seconds = t_index - t_cases
    result.seconds = t_index - started
    return result


def _progress(show: bool, done: int, cases: int, since: float) -> None:
    if show:
        rate = done / max(time.perf_counter() - since, 1e-9)
        print(f"  {done}/{cases} cases ({rate:.0f}/s)", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000, help="number of cases (default 20000)")
    parser.add_argument("--path", type=Path, required=True, help="where to create the store (must be new)")
    parser.add_argument("--users", type=int, default=5, help="extra caseworkers (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--log-n", type=int, default=None, help=f"scrypt cost, log2 N (default: dacli's, {default_log_n()})"
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument(
        "--audit-chunk", type=int, default=1000, help="cases per audit log (default 1000; see the docstring)"
    )
    parser.add_argument(
        "--index-only",
        type=int,
        default=0,
        help="more cases as index rows and empty folders only (default 0)",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.users < 0 or args.audit_chunk < 1:
        parser.error("--cases and --audit-chunk must be positive, --users not negative")

    from dacli.errors import DacliError

    try:
        gen = make_store(
            args.path,
            args.cases,
            users=args.users,
            seed=args.seed,
            audit_chunk=args.audit_chunk,
            jobs=args.jobs,
            passphrase_log_n=args.log_n,
            index_only=args.index_only,
        )
    except DacliError as exc:
        print(f"synthetic: {exc.message}", file=sys.stderr)
        return 1
    print(
        f"Created {gen.path}: {gen.cases} cases, "
        f"staff {gen.manager} (manager) + {len(gen.users)} caseworkers."
    )
    print(f"Passphrase of every user: {gen.passphrase}")
    print(f"Example case: {gen.refs[0]}")
    print(f"Worker processes: {gen.jobs}; scrypt log_n {gen.log_n}")
    print(
        f"Generation took {gen.seconds:.1f} s (store {gen.create_seconds:.1f} s, "
        f"users {gen.users_seconds:.1f} s, cases {gen.cases_seconds:.1f} s "
        f"= {gen.cases / max(gen.cases_seconds, 1e-9):.0f}/s, index {gen.index_seconds:.1f} s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
