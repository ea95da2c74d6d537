"""Retention: the six-year rule at its boundaries, holds, the least-privilege key, and a sweep that leaves
every case whole or gone, even when killed."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dacli.errors import IntegrityError
from dacli.rules.retention import add_years, retention
from dacli.services.cases import add_note, intake, parse_intake, parse_note
from dacli.services.retention import add_hold, apply, init_retention, plan, remove_hold, retention_identity
from dacli.services.review import close_case, parse_exit
from dacli.store import crypto
from dacli.store.retention import read_register, tombstones
from dacli.store.store import Store

D = dt.date

# --- the rule ---------------------------------------------------------------------------------------------


def _rule(last: dt.date, as_of: dt.date, **kw):
    return retention("DA-X", status="closed", last_contact=last, referral_date=D(2010, 1, 1), held=False,
                     as_of=as_of, **kw)  # fmt: skip


@pytest.mark.parametrize("days, state", [(-1, "kept"), (0, "due"), (1, "due")])
def test_six_years_from_the_last_contact(days, state):
    last = D(2020, 6, 15)
    assert _rule(last, D(2026, 6, 15) + dt.timedelta(days=days)).state == state


def test_29_february():
    assert add_years(D(2020, 2, 29), 6) == D(2026, 3, 1)  # at least six full years
    assert _rule(D(2020, 2, 29), D(2026, 2, 28)).state == "kept"
    assert _rule(D(2020, 2, 29), D(2026, 3, 1)).state == "due"
    assert add_years(D(2020, 2, 29), 4) == D(2024, 2, 29)


def test_the_child_rule_extends_retention():
    last, child = D(2010, 1, 1), D(2008, 5, 5)
    decision = _rule(last, D(2020, 1, 1), youngest_child_dob=child, children_until_age=25)
    assert (
        decision.state == "kept" and decision.keep_until == D(2033, 5, 5) and "25th birthday" in decision.rule
    )
    assert _rule(last, D(2033, 5, 5), youngest_child_dob=child, children_until_age=25).state == "due"
    assert _rule(last, D(2020, 1, 1), youngest_child_dob=child).state == "due"  # rule off: six years


def test_holds_and_open_cases():
    held = retention("DA-X", status="closed", last_contact=D(2000, 1, 1), referral_date=D(2000, 1, 1),
                     held=True, as_of=D(2030, 1, 1))  # fmt: skip
    assert held.state == "held"
    opened = retention("DA-X", status="open", last_contact=D(2000, 1, 1), referral_date=D(2000, 1, 1),
                       held=False, as_of=D(2030, 1, 1))  # fmt: skip
    assert opened.state == "open" and opened.keep_until is None


# --- a store with old cases -------------------------------------------------------------------------------

NAMES = ["Ada Testcase-Old", "Bo Testcase-Old", "Cy Testcase-Old", "Di Testcase-Old", "Ed Testcase-Open"]
SAFE = {"address": "7 Invented Testcase Walk", "safe_number": "07700 900777", "code_word": "marigold"}
NOTE_TEXT = "Spoke at the safe time; staying with an aunt."
AS_OF = D(2030, 1, 1)


@pytest.fixture
def old_store(session, store_path, tmp_path):
    """Four closed cases last contacted in 2020-2026 and one open one; a retention key outside the store."""
    refs = []
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    for n, name in enumerate(NAMES):
        referred = D(2019, 1, 10) if n < 2 else today - dt.timedelta(days=30)
        form = {"client": {"name": name, "dob": D(1980, 1, 1 + n), **SAFE}, "referral": {"date": referred}}
        ref = intake(session, parse_intake(form, today)).case
        at = dt.datetime.combine(referred + dt.timedelta(days=2), dt.time(10), tzinfo=dt.UTC)
        note = {"at": at, "initials": "QT", "contact_type": "telephone", "contact_with": "client",
                "facts": NOTE_TEXT}  # fmt: skip
        add_note(session, ref, parse_note(note, now))
        if n < 4:
            exit_form = parse_exit({"reason": "client-request", "follow_up_consent": False}, today)
            close_case(session, ref, exit_form, today)
        refs.append(ref)
    key = tmp_path / "retention.key"
    init_retention(session, key, None)
    return refs, key


def _identity(store_path: Path, key: Path):
    return retention_identity(Store(store_path), key, None)


def test_plan_reads_only_the_register_which_holds_no_names(session, store_path, old_store):
    refs, key = old_store
    identity = _identity(store_path, key)
    p = plan(Store(store_path), identity, AS_OF)
    states = {d.ref: d.state for d in p.decisions}
    assert [states[r] for r in refs] == ["due", "due", "kept", "kept", "open"]
    register = json.dumps(read_register(store_path / ".dacli", identity))
    for value in [*NAMES, *SAFE.values(), "Testcase"]:
        assert value not in register


def test_the_retention_key_opens_no_case_record(store_path, old_store):
    refs, key = old_store
    identity = _identity(store_path, key)
    files = [p for ref in refs for p in (store_path / ref).glob("*.age")]
    assert len(files) >= 5 * 4
    for path in files:
        with pytest.raises(IntegrityError):
            crypto.decrypt(path.read_bytes(), [identity], str(path.name))
    for path in [store_path / ".dacli" / "index.json.age", store_path / ".dacli" / "store-keys.age"]:
        with pytest.raises(IntegrityError):
            crypto.decrypt(path.read_bytes(), [identity], str(path.name))


def test_destroy_removes_the_case_and_keys_and_leaves_a_tombstone(session, store_path, old_store):
    from dacli.services.caseload import caseload
    from dacli.services.cases import reindex

    refs, key = old_store
    store = Store(store_path)
    outcome = apply(store, _identity(store_path, key), AS_OF, "destroy", "test sweep")
    assert sorted(outcome.purged) == sorted(refs[:2]) and outcome.failed == []
    for ref in refs[:2]:
        assert not (store_path / ref).exists()
    gone = tombstones(store_path / ".dacli")
    assert set(gone) == set(refs[:2])
    text = (store_path / ".dacli" / "tombstones.jsonl").read_text()
    for value in [*NAMES, *SAFE.values()]:
        assert value not in text
    assert {r.ref for r in caseload(session)} == set(refs[2:])
    assert reindex(session).skipped == []
    assert plan(store, _identity(store_path, key), AS_OF).due() == []  # nothing left to do
    log = next((store_path / ".dacli" / "audit").glob("retention-*.jsonl"))
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    assert [e["case"] for e in entries] == outcome.purged and entries[0]["action"] == "retention-purge"


def test_boil_down_keeps_only_a_summary_without_personal_data(session, store_path, old_store):
    refs, key = old_store
    apply(Store(store_path), _identity(store_path, key), AS_OF, "boil-down", "test sweep")
    for ref in refs[:2]:
        assert sorted(p.name for p in (store_path / ref).iterdir() if not p.name.startswith(".")) == [
            "keys.age", "summary.toml.age"]  # fmt: skip
        summary = session.read_record(ref, "summary.toml.age")
        text = json.dumps(summary, default=str).lower()
        for value in [*NAMES, *SAFE.values(), NOTE_TEXT, "testcase", "aunt", "07700"]:
            assert value.lower() not in text
        assert summary["closure_reason"] == "client-request"


def test_a_hold_blocks_and_an_open_case_is_never_purged(session, store_path, old_store):
    refs, key = old_store
    hold = add_hold(session, refs[0], "Domestic homicide review")
    store = Store(store_path)
    outcome = apply(store, _identity(store_path, key), D(2099, 1, 1), "destroy", "test sweep")
    assert refs[0] not in outcome.purged and refs[4] not in outcome.purged
    assert (store_path / refs[0] / "case.toml.age").exists() and (store_path / refs[4]).exists()
    assert [d.ref for d in plan(store, _identity(store_path, key), D(2099, 1, 1)).held()] == [refs[0]]
    remove_hold(session, refs[0], hold, "Review concluded")
    assert apply(store, _identity(store_path, key), D(2099, 1, 1), "destroy", "test sweep").purged == [
        refs[0]
    ]


def test_a_failure_on_one_case_does_not_stop_the_sweep(store_path, old_store):
    refs, key = old_store
    (store_path / refs[0] / "summary.toml.age").unlink()  # cannot be boiled down
    outcome = apply(Store(store_path), _identity(store_path, key), AS_OF, "boil-down", "test sweep")
    assert outcome.purged == [refs[1]] and [r for r, _ in outcome.failed] == [refs[0]]
    assert (store_path / refs[0] / "case.toml.age").exists()  # untouched
    assert refs[0] not in tombstones(store_path / ".dacli")


SWEEP = textwrap.dedent(
    """
    import sys, datetime as dt, time
    from pathlib import Path
    from dacli.services.retention import apply, retention_identity
    from dacli.store.store import Store
    root, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    store = Store(root)
    identity = retention_identity(store, Path(key), None)
    def announce(step):
        print(step, flush=True)
        time.sleep(0.02)
    apply(store, identity, dt.date(2030, 1, 1), mode, "killed sweep", announce=announce)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["destroy", "boil-down"])
def test_a_sweep_killed_at_any_step_leaves_each_case_whole_or_gone(
    session, store_path, old_store, tmp_path, mode
):
    refs, key = old_store
    template = tmp_path / "template"
    shutil.copytree(store_path, template)
    whole = {ref: sorted(p.name for p in (store_path / ref).iterdir()) for ref in refs}
    rng = random.Random(7)
    for attempt in range(6):
        root = tmp_path / f"run{attempt}"
        shutil.copytree(template, root)
        args = [sys.executable, "-c", SWEEP, str(root), str(key), mode]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        kill_after = rng.randint(1, 8)
        for seen, line in enumerate(proc.stdout, start=1):
            if seen == kill_after or line.strip() == "done":
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        gone = tombstones(root / ".dacli")
        for ref in refs:
            folder = root / ref
            names = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
            boiled = names is not None and [n for n in names if not n.startswith(".")] == [
                "keys.age", "summary.toml.age"]  # fmt: skip
            assert names is None or names == whole[ref] or (mode == "boil-down" and boiled), (ref, names)
            if names != whole[ref]:
                assert ref in gone  # anything not whole is tombstoned
        # the next sweep finishes the job
        finished = subprocess.run([sys.executable, "-c", SWEEP.replace("announce=announce", ""), str(root),
                                   str(key), mode], capture_output=True, text=True)  # fmt: skip
        assert finished.returncode == 0, finished.stderr
        assert set(tombstones(root / ".dacli")) == set(refs[:2])
        for ref in refs[:2]:
            assert (
                (not (root / ref).exists())
                if mode == "destroy"
                else (root / ref / "summary.toml.age").exists()
            )
            assert not (root / ".dacli" / "purging" / ref).exists()
        for ref in refs[2:]:
            assert sorted(p.name for p in (root / ref).iterdir()) == whole[ref]


def test_cli_plan_and_apply_unattended(run_dacli, session, store_path, old_store):
    refs, key = old_store
    env = {"DACLI_RETENTION_KEY": str(key), "DACLI_PASSPHRASE": "", "DACLI_USER": ""}
    planned = run_dacli("retain-purge", "--as-of", "2030-01-01", "--json", extra_env=env)
    assert planned.returncode == 0, planned.stderr
    doc = json.loads(planned.stdout)
    assert sorted(d["ref"] for d in doc["due"]) == sorted(refs[:2]) and doc["open"] == 1
    assert all((store_path / r).exists() for r in refs)  # planning changes nothing
    applied = run_dacli(
        "retain-purge", "--as-of", "2030-01-01", "--apply", "--mode", "destroy", extra_env=env
    )
    assert applied.returncode == 0, applied.stderr
    assert (
        "2 cases purged (destroy)" in applied.stdout
        and f"2/2 {refs[1]}" in applied.stderr
        or "2/2" in applied.stderr
    )
    assert not any((store_path / r).exists() for r in refs[:2])
    bad = run_dacli("retain-purge", "--as-of", "2033-02-30", extra_env=env)
    assert bad.returncode == 2 and "--as-of" in bad.stderr
