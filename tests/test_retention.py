"""Retention: the six-year rule at its boundaries, holds, the least-privilege key, and a sweep that leaves
every case whole or gone, even when killed."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dacli import clock
from dacli.errors import IntegrityError
from dacli.rules.retention import add_years, retention
from dacli.schemas.review import is_summary
from dacli.services.intake import intake, parse_intake
from dacli.services.notes import add_note, parse_note
from dacli.services.retention import add_hold, init_retention, remove_hold, retention_identity
from dacli.services.review import close_case, parse_exit
from dacli.services.sweep import apply, plan
from dacli.store import audit as auditlog
from dacli.store import crypto
from dacli.store.retention import read_registers, tombstones
from dacli.store.store import Store

from .conftest import MANAGER, PASSPHRASE

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
    today = clock.today()
    now = clock.now()
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


GRACE = dt.timedelta(days=30)
"""The policy's default `retention.purge_grace_days`."""


def _intend(store_path: Path, key, mode: str = "destroy", day: dt.date = AS_OF):
    """The first sweep, a grace period before ``day``: it writes a purge intent for each case due then, and
    destroys nothing; a sweep on ``day`` carries them out."""
    identity = _identity(store_path, key) if isinstance(key, Path) else key
    before = day - GRACE
    outcome = apply(Store(store_path), identity, before, mode, "first sweep", today=before)
    assert outcome.purged == [] and outcome.failed == []
    return outcome


def test_plan_reads_only_the_register_which_holds_no_names(session, store_path, old_store):
    refs, key = old_store
    identity = _identity(store_path, key)
    aside = store_path.parent / "aside"
    aside.mkdir()
    for ref in refs:  # planning must not need a single case folder, let alone a record
        (store_path / ref).rename(aside / ref)
    p = plan(Store(store_path), identity, AS_OF)
    for ref in refs:
        (aside / ref).rename(store_path / ref)
    states = {d.ref: d.state for d in p.decisions}
    assert [states[r] for r in refs] == ["due", "due", "kept", "kept", "open"]
    register = json.dumps([w.cases for w in read_registers(store_path / ".dacli", identity)])
    for value in [*NAMES, *SAFE.values(), "Testcase"]:
        assert value not in register


def test_the_retention_key_opens_no_case_record(store_path, old_store):
    refs, key = old_store
    identity = _identity(store_path, key)
    files = [p for ref in refs for p in (store_path / ref).glob("*.age")]
    assert len(files) >= 5 * 4
    for path in files:
        with pytest.raises(IntegrityError):
            crypto.decrypt(path.read_bytes(), [identity.identity], str(path.name))
    from tests.conftest import local_index_files

    for path in [*local_index_files(store_path), store_path / ".dacli" / "store-keys.age"]:
        with pytest.raises(IntegrityError):
            crypto.decrypt(path.read_bytes(), [identity.identity], str(path.name))


def test_destroy_removes_the_case_and_keys_and_leaves_a_tombstone(session, store_path, old_store):
    from dacli.services.case_view import reindex
    from dacli.services.caseload import caseload

    refs, key = old_store
    store = Store(store_path)
    _intend(store_path, key)
    outcome = apply(store, _identity(store_path, key), AS_OF, "destroy", "test sweep", today=AS_OF)
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
    assert [e["case"] for e in entries if e["action"] == "retention-intent"] == sorted(refs[:2])
    assert [e["case"] for e in entries if e["action"] == "retention-purge"] == outcome.purged


def test_boil_down_keeps_only_a_summary_without_personal_data(session, store_path, old_store):
    refs, key = old_store
    _intend(store_path, key, "boil-down")
    apply(Store(store_path), _identity(store_path, key), AS_OF, "boil-down", "test sweep", today=AS_OF)
    for ref in refs[:2]:
        kept = sorted(p.name for p in (store_path / ref).iterdir() if not p.name.startswith("."))
        assert kept[0] == "keys.age" and len(kept) == 2 and is_summary(kept[1])
        summary = session.read_record(ref, kept[1])
        text = json.dumps(summary, default=str).lower()
        for value in [*NAMES, *SAFE.values(), NOTE_TEXT, "testcase", "aunt", "07700"]:
            assert value.lower() not in text
        assert summary["closure_reason"] == "client-request"


def test_a_hold_blocks_and_an_open_case_is_never_purged(session, store_path, old_store):
    refs, key = old_store
    hold = add_hold(session, refs[0], "Domestic homicide review")
    store = Store(store_path)
    later = D(2099, 1, 1)
    _intend(store_path, key, day=later)
    outcome = apply(store, _identity(store_path, key), later, "destroy", "test sweep", today=later)
    assert refs[0] not in outcome.purged and refs[4] not in outcome.purged
    assert sorted(outcome.purged) == sorted(refs[1:4])
    assert (store_path / refs[0] / "case.toml.age").exists() and (store_path / refs[4]).exists()
    assert [d.ref for d in plan(store, _identity(store_path, key), later).held()] == [refs[0]]
    remove_hold(session, refs[0], hold, "Review concluded")
    # the register still holds the folder as it was before the hold ended: kept until it is written again
    outcome = apply(store, _identity(store_path, key), later, "destroy", "test sweep", today=later)
    assert outcome.purged == [] and outcome.intended == []
    session.read_index()  # a listing (any member of staff) writes the register again
    outcome = apply(store, _identity(store_path, key), later, "destroy", "test sweep", today=later)
    assert outcome.purged == [] and outcome.intended == [(refs[0], "2099-01-31")]  # a grace period first
    after = later + GRACE
    outcome = apply(store, _identity(store_path, key), after, "destroy", "test sweep", today=after)
    assert outcome.purged == [refs[0]]


def test_a_failure_on_one_case_does_not_stop_the_sweep(store_path, old_store):
    refs, key = old_store
    for path in (store_path / refs[0]).glob("summary*"):
        path.unlink()  # cannot be boiled down
    Store(store_path).unlock(MANAGER, PASSPHRASE).read_index()  # listed since: the register is current
    _intend(store_path, key, "boil-down")
    outcome = apply(
        Store(store_path), _identity(store_path, key), AS_OF, "boil-down", "test sweep", today=AS_OF
    )
    assert outcome.purged == [refs[1]] and [r for r, _ in outcome.failed] == [refs[0]]
    assert (store_path / refs[0] / "case.toml.age").exists()  # untouched
    assert refs[0] not in tombstones(store_path / ".dacli")


SWEEP = textwrap.dedent(
    """
    import sys, datetime as dt, time
    from pathlib import Path
    from dacli.services.retention import retention_identity
    from dacli.services.sweep import apply
    from dacli.store.store import Store
    root, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    store = Store(root)
    identity = retention_identity(store, Path(key), None)
    def announce(step):
        print(step, flush=True)
        time.sleep(0.02)
    day = dt.date(2030, 1, 1)
    apply(store, identity, day, mode, "killed sweep", announce=announce, today=day)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["destroy", "boil-down"])
def test_a_sweep_killed_at_any_step_leaves_each_case_whole_or_gone(
    session, store_path, old_store, tmp_path, mode
):
    refs, key = old_store
    _intend(store_path, key, mode)
    template = tmp_path / "template"
    shutil.copytree(store_path, template)
    whole = {ref: sorted(p.name for p in (store_path / ref).iterdir()) for ref in refs}
    steps = {"destroy": 3, "boil-down": 5}[mode] * 2  # announced steps for the two due cases
    for attempt, kill_after in enumerate(range(1, steps + 1)):  # a kill after every single step
        root = tmp_path / f"run{attempt}"
        shutil.copytree(template, root)
        args = [sys.executable, "-c", SWEEP, str(root), str(key), mode]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seen, line in enumerate(proc.stdout, start=1):
            if seen == kill_after or line.strip() == "done":
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        gone = tombstones(root / ".dacli")
        for ref in refs:
            folder = root / ref
            names = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
            left = [n for n in names or [] if not n.startswith(".")]
            boiled = len(left) == 2 and left[0] == "keys.age" and is_summary(left[1])
            assert names is None or names == whole[ref] or (mode == "boil-down" and boiled), (ref, names)
            if names != whole[ref]:
                assert ref in gone  # anything not whole is tombstoned
        # the next sweep finishes the job
        finished = subprocess.run([sys.executable, "-c", SWEEP.replace("announce=announce, ", ""), str(root),
                                   str(key), mode], capture_output=True, text=True)  # fmt: skip
        assert finished.returncode == 0, finished.stderr
        assert set(tombstones(root / ".dacli")) == set(refs[:2])
        for ref in refs[:2]:
            assert (
                (not (root / ref).exists())
                if mode == "destroy"
                else any(map(is_summary, os.listdir(root / ref)))
            )
            assert not (root / ".dacli" / "purging" / ref).exists()
        for ref in refs[2:]:
            assert sorted(p.name for p in (root / ref).iterdir()) == whole[ref]


def test_cli_plan_and_apply_unattended(run_dacli, session, store_path, old_store):
    refs, key = old_store
    env = {"DACLI_RETENTION_KEY": str(key), "DACLI_PASSPHRASE": "", "DACLI_USER": ""}
    planned = run_dacli("retain-purge", "--json", extra_env=env)  # today: the 2019 cases are due
    assert planned.returncode == 0, planned.stderr
    doc = json.loads(planned.stdout)
    assert sorted(d["ref"] for d in doc["due"]) == sorted(refs[:2]) and doc["open"] == 1
    assert all((store_path / r).exists() for r in refs)  # planning changes nothing
    future = run_dacli("retain-purge", "--as-of", "2099-01-01", "--apply", extra_env=env)
    assert future.returncode == 2 and "after today" in future.stderr
    assert all((store_path / r).exists() for r in refs)
    assert all(d["goes_from"] is None for d in doc["due"]) and doc["grace_days"] == 30
    _intend(store_path, key, day=clock.today())  # a sweep a grace period ago wrote the intents
    text = run_dacli("retain-purge", extra_env=env).stdout
    assert f"intended: goes from {clock.today()}" in text and "2 intended, a grace of 30 days" in text
    applied = run_dacli("retain-purge", "--apply", "--mode", "destroy", extra_env=env)
    assert applied.returncode == 0, applied.stderr
    assert "2 cases purged (destroy)" in applied.stdout
    assert "2/2 DA-" in applied.stderr  # plain progress lines, not a progress bar, without a terminal
    assert not any((store_path / r).exists() for r in refs[:2])
    bad = run_dacli("retain-purge", "--as-of", "2033-02-30", extra_env=env)
    assert bad.returncode == 2 and "--as-of" in bad.stderr


def test_a_hold_placed_during_a_sweep_is_honoured(session, store_path, old_store, monkeypatch):
    from dacli.services import sweep

    # cases are destroyed in batches, each decided again under the store lock, which a hold also takes: a
    # hold placed while a batch goes waits for it, and one placed between batches is honoured (here each
    # batch is one case, so the hold lands between the two)
    monkeypatch.setattr(sweep, "BATCH", 1)
    refs, key = old_store
    first, second = sorted(refs[:2])

    def meanwhile(n: int, total: int, ref: str) -> None:
        if n == 1:  # a manager places a hold while the sweep is running
            add_hold(session, second, "Serious case review starting")

    _intend(store_path, key)
    outcome = apply(
        Store(store_path), _identity(store_path, key), AS_OF, "destroy", "test", meanwhile, today=AS_OF
    )
    assert outcome.purged == [first] and [r for r, _ in outcome.failed] == [second]
    assert "no longer due" in outcome.failed[0][1]
    assert (store_path / second / "case.toml.age").exists()


def test_a_tombstone_written_by_hand_destroys_and_hides_nothing(session, store_path, old_store):
    from dacli.services.caseload import caseload
    from dacli.store.retention import append_tombstone

    refs, key = old_store
    append_tombstone(store_path / ".dacli", {"ref": refs[4], "mode": "destroy", "by": "someone"})
    assert refs[4] in {r.ref for r in caseload(session)}  # still listed: its folder is whole
    # not signed by the sweep: the sweep destroys nothing at all until the register is restored
    with pytest.raises(IntegrityError, match="line 2 is not signed by the retention sweep"):
        apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "test", today=AS_OF)
    assert all((store_path / ref / "case.toml.age").exists() for ref in refs)


def test_a_torn_tombstone_line_is_cut_away(store_path, old_store):
    refs, key = old_store
    path = store_path / ".dacli" / "tombstones.jsonl"
    path.write_bytes(b'{"ref": "DA-TORN')  # a crash in the middle of the first line
    _intend(store_path, key)
    outcome = apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "test", today=AS_OF)
    assert sorted(outcome.purged) == sorted(refs[:2])
    assert set(tombstones(store_path / ".dacli")) == set(refs[:2])
    assert b"DA-TORN" not in path.read_bytes()


def test_nothing_can_be_added_to_a_boiled_down_case(session, store_path, old_store):
    from dacli.errors import StoreError

    refs, key = old_store
    _intend(store_path, key, "boil-down")
    apply(Store(store_path), _identity(store_path, key), AS_OF, "boil-down", "test", today=AS_OF)
    before = sorted(p.name for p in (store_path / refs[0]).iterdir())
    now = clock.now()
    note = {"at": now, "initials": "QT", "contact_type": "telephone", "contact_with": "client", "facts": "x"}
    with pytest.raises(StoreError, match="boiled down"):
        add_note(session, refs[0], parse_note(note, now))
    assert sorted(p.name for p in (store_path / refs[0]).iterdir()) == before


@pytest.mark.parametrize(
    "signed_by, message",
    [
        ("nobody", "not signed by any member of staff"),
        ("an outsider's key", "does not match its signature"),
        ("a leaver", "who is not on the staff list"),
    ],
)
def test_a_forged_register_destroys_nothing(session, store_path, old_store, signed_by, message):
    """The retention key's public half is in store.toml: anyone can encrypt a register to it. The sweep
    destroys on the register's word, so only one signed by a current member of staff is believed."""
    from dacli.services.admin import add_user, remove_user
    from dacli.store import signing
    from dacli.store.documents import signed_context

    from .conftest import MANAGER, PASSPHRASE

    refs, key = old_store
    sid = session.store.settings.store_id
    forged = {
        "schema": "retention-register/1",
        "updated": "2026-01-01T00:00:00+00:00",
        "cases": {
            ref: {
                "status": "closed",
                "last_contact": "2001-01-01",
                "referral_date": "2001-01-01",
                "closed_on": "2001-01-02",
                "youngest_child_dob": None,
                "held": False,
            }  # fmt: skip
            for ref in refs
        },
    }
    body = json.dumps(forged).encode()
    if signed_by == "an outsider's key":
        body = signing.Signer(session.member.id, signing.generate()[0]).seal(
            signed_context("register", sid), body
        )
    elif signed_by == "a leaver":
        add_user(session, "cw", "caseworker", "another pass phrase")
        leaver = Store(store_path).unlock("cw", "another pass phrase")
        remove_user(Store(store_path).unlock(MANAGER, PASSPHRASE), "cw", "left")
        body = leaver._sign_register(body)
    recipient = session.store.settings.retention_recipient
    (store_path / ".dacli" / "retention.json.age").write_bytes(crypto.encrypt(body, [recipient]))
    with pytest.raises(IntegrityError, match=f"retention register.*{message}"):
        plan(Store(store_path), _identity(store_path, key), AS_OF)
    with pytest.raises(IntegrityError, match=f"retention register.*{message}"):
        apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    assert all((store_path / ref).is_dir() for ref in refs)


def test_a_register_put_back_from_before_a_hold_or_reopening_destroys_nothing(session, store_path, old_store):
    """An older, genuinely signed register would say 'due' for a case since held or reopened: the sweep
    reads the case folder's record names (plain, no key) and keeps it."""
    from dacli.services.review import reopen

    refs, key = old_store
    folder = store_path / ".dacli" / "retention"
    before = {p: p.read_bytes() for p in folder.iterdir()}
    assert sorted(d.ref for d in plan(Store(store_path), _identity(store_path, key), AS_OF).due()) == sorted(
        refs[:2]
    )
    add_hold(session, refs[0], "domestic homicide review")
    reopen(session, refs[1], "the client came back")
    for path, data in before.items():
        path.write_bytes(data)
    current = plan(Store(store_path), _identity(store_path, key), AS_OF)
    assert current.due() == []
    kept = {d.ref: d.rule for d in current.held()}
    assert "hold in force" in kept[refs[0]] and "reopened" in kept[refs[1]]
    outcome = apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    assert outcome.purged == []
    assert all((store_path / ref).is_dir() for ref in refs)


def test_the_sweep_destroys_nothing_under_a_policy_no_manager_accepted(session, store_path, old_store):
    refs, key = old_store
    path = store_path / ".dacli" / "policy.toml"
    path.write_text(path.read_text().replace('action = "destroy"', 'action = "boil-down"'))
    with pytest.raises(IntegrityError, match="dacli policy accept"):
        plan(Store(store_path), _identity(store_path, key), AS_OF)
    with pytest.raises(IntegrityError, match="dacli policy accept"):
        apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    assert all((store_path / ref).is_dir() for ref in refs)
    Store(store_path).unlock(MANAGER, PASSPHRASE).accept_policy()
    assert plan(Store(store_path), _identity(store_path, key), AS_OF).due()


def _staff_readable(session, root: Path) -> dict[str, bytes]:
    """Every file under the store as a member of staff can read it: plain files as they are, age files
    decrypted with the store key ring or the case's own ring (audit logs: their plain lines; the reasons in
    them are shown through `audit show`, checked apart)."""
    out = {}
    rings = [session.store_ring().identities]
    for ref in Store(root).case_refs():
        rings.append(session.case_ring(ref).identities)
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.name.endswith(".age") and path.parent.name != "identities":
            for identities in rings:
                try:
                    data = crypto.decrypt(data, identities, path.name)
                    break
                except IntegrityError:
                    continue
        out[str(path.relative_to(root))] = data
    return out


def test_right_after_a_boil_down_nothing_staff_read_holds_its_personal_data(session, store_path, old_store):
    """Issue 13, 5.4: the index kept the name and date of birth of a boiled-down case until the next write."""
    from dacli.services.admin import audit_entries, verify_audit
    from dacli.services.caseload import caseload

    refs, key = old_store
    for ref in refs[:3]:
        session.audit("disclosure", case=ref, reason=f"to PC Testcase: about {NAMES[refs.index(ref)]}")
    before = b"".join(_staff_readable(session, store_path).values())
    assert NAMES[0].encode() in before  # the index holds it until the sweep
    _intend(store_path, key, "boil-down")
    apply(Store(store_path), _identity(store_path, key), AS_OF, "boil-down", "test sweep", today=AS_OF)
    fresh = Store(store_path).unlock(MANAGER, PASSPHRASE)
    readable = _staff_readable(fresh, store_path)
    for name, data in readable.items():
        for n in (0, 1):
            for value in (NAMES[n], f"1980-01-0{1 + n}"):  # (safe values and notes are shared by the others)
                assert value.encode() not in data, (name, value)
    # the reasons in the audit trail go with the case too
    reasons = [e["reason"] for e in audit_entries(fresh) if e.get("case") in refs[:2] and e.get("reason")]
    assert reasons and all(r == "(withheld: the case was purged)" for r in reasons)
    # and not only from the display: encrypted to the case's own reason keys, which the purge removed, no
    # key staff hold opens them any more (the other cases' reasons still open)
    raw = [e for p in (store_path / ".dacli" / "audit").glob("*.jsonl") for e in auditlog.iter_entries(p)]
    for entry in (e for e in raw if e.get("reason") and e.get("case") in refs):
        opened = fresh.decrypt_reason(entry["reason"], entry["case"])
        assert (opened == "(unreadable)") == (entry["case"] in refs[:2]), (entry["case"], opened)
    # the audit anchors outlived the index: a log cut now (before any staff write) still shows
    assert not (store_path / ".dacli" / "index.json.age").exists()
    log = next(p for p in (store_path / ".dacli" / "audit").glob("s-*.jsonl"))
    whole = log.read_text()
    log.write_text("\n".join(whole.splitlines()[:3]) + "\n")
    check = verify_audit(fresh.store, Store(store_path).unlock(MANAGER, PASSPHRASE))
    assert any("cut from its end" in p for r in check.logs for p in r.problems)
    log.write_text(whole)
    # the next command rebuilds the index from the records, without the purged cases
    later = Store(store_path).unlock(MANAGER, PASSPHRASE)
    add_note(later, refs[2], parse_note({"at": clock.now(), "initials": "QT", "contact_type": "telephone",
                                         "contact_with": "client", "facts": "-"}, clock.now()))  # fmt: skip
    assert {r.ref for r in caseload(later)} == set(refs[2:])
    assert verify_audit(later.store, later).ok


def test_a_contact_that_arrives_after_the_register_was_written_keeps_the_case(session, store_path, old_store):
    """Store format 3: the register is written from a person's caseload index, not on every write. A call
    taken in another office reaches this store after the register was written, which still says 'due':
    the register holds each case folder's fingerprint, so the sweep keeps a folder that no longer matches
    it; once a listing writes the register again, the new contact starts the six years again."""
    refs, key = old_store
    assert sorted(d.ref for d in plan(Store(store_path), _identity(store_path, key), AS_OF).due()) == sorted(
        refs[:2]
    )
    note = {"at": clock.now(), "initials": "QT", "contact_type": "telephone", "contact_with": "client",
            "facts": "The client rang the office again."}  # fmt: skip
    add_note(session, refs[0], parse_note(note, clock.now()))
    current = plan(Store(store_path), _identity(store_path, key), AS_OF)
    assert [d.ref for d in current.due()] == [refs[1]]
    assert (
        "its folder changed since the retention register was written"
        in {d.ref: d.rule for d in current.held()}[refs[0]]
    )
    outcome = apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    assert outcome.purged == [] and (store_path / refs[0]).is_dir()  # two-phase: an intent first
    assert outcome.intended == [(refs[1], (AS_OF + GRACE).isoformat())]
    Store(store_path).unlock(MANAGER, PASSPHRASE).read_index()  # a listing writes the register again
    states = {d.ref: d.state for d in plan(Store(store_path), _identity(store_path, key), AS_OF).decisions}
    assert states[refs[0]] == "kept"


# --- the sweep signs its work (issue 14: an insider's forgeries) -------------------------------------------


def _caseworker(session, store_path):
    from dacli.services.admin import add_user

    add_user(session, "cw", "caseworker", "another pass phrase")
    return Store(store_path).unlock("cw", "another pass phrase")


def _chain(meta: Path, entry: dict, sign=None) -> None:
    """Append ``entry`` to the tombstone chain as someone with folder access would: the chain hash
    recomputed, and (with ``sign``) a `sig` of their own making."""
    from dacli.store.tombstones import Tombstones, line_hash

    book = Tombstones(meta)
    entry = {**entry, "prev": book.last}
    entry["hash"] = line_hash(entry)
    if sign:
        entry["sig"] = sign(entry["hash"])
    with open(meta / "tombstones.jsonl", "ab") as f:
        f.write(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode() + b"\n")


def _looks_boiled(store_path: Path, ref: str, aside: Path) -> None:
    """What a purge by boil-down leaves, faked: no case.toml.age, a file called summary.toml.age."""
    (store_path / ref / "case.toml.age").rename(aside)
    (store_path / ref / "summary.toml.age").write_bytes(b"age-encryption.org/v1 made up")


@pytest.mark.parametrize("forgery", ["unsigned", "signed by the caseworker", "a key line of her own"])
def test_a_tombstone_a_caseworker_chains_by_hand_hides_no_case(session, store_path, old_store, forgery):
    """Someone with folder access recomputes the chain hash (it is not keyed) and appends a tombstone for an
    open case whose folder she made look boiled down: no reader believes the line, so the case is still
    listed, its reasons still shown, `audit verify` names the line and the sweep destroys nothing."""
    from dacli.services.admin import audit_entries, verify_audit
    from dacli.services.case_view import reindex
    from dacli.services.caseload import caseload
    from dacli.store.documents import signed_context
    from dacli.store.tombstones import key_context, purge_context

    refs, key = old_store
    _intend(store_path, key)
    apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    session.audit("disclosure", case=refs[4], reason="to PC Testcase")
    cw = _caseworker(session, store_path)
    meta, sid = store_path / ".dacli", session.store.settings.store_id
    tomb = {"ref": refs[4], "mode": "boil-down", "rule": "six years", "keep_until": None,
            "as_of": "2030-01-01", "purged_at": "2030-01-01T02:30:00+00:00", "by": "retention sweep",
            "id": "0badf00d"}  # fmt: skip
    if forgery == "unsigned":
        _chain(meta, tomb)
    elif forgery == "signed by the caseworker":
        _chain(meta, tomb, lambda h: cw.signer.sign(purge_context(sid, h)))
    else:  # she names her own key as the sweep's, signs that line herself, then the tombstone with it
        _chain(meta, {"signing_key": cw.member.signing_key, "by": cw.member.id, "at": "2030-01-01"},
               lambda h: cw.signer.sign(key_context(sid, h)))  # fmt: skip
        _chain(meta, tomb, lambda h: cw.signer.sign(purge_context(sid, h)))
    assert signed_context  # (the contexts are the real ones: only the key is wrong)
    assert refs[4] in {r.ref for r in caseload(Store(store_path).unlock(MANAGER, PASSPHRASE))}
    _looks_boiled(store_path, refs[4], store_path.parent / "case-aside")
    fresh = Store(store_path).unlock(MANAGER, PASSPHRASE)
    assert refs[4] not in fresh.tombstones()
    # not taken for a purged case: the index names it as a case that cannot be read, not silently dropped
    assert refs[4] in dict(reindex(fresh).skipped)
    reasons = [e["reason"] for e in audit_entries(fresh, refs[4]) if e.get("reason")]
    assert reasons == ["to PC Testcase"]
    check = verify_audit(fresh.store, fresh)
    assert not check.ok and any("tombstone register's line" in p for p in check.files), check.files
    with pytest.raises(IntegrityError, match="tombstone register's line"):
        apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)


def test_a_tombstone_hiding_a_case_deleted_by_hand_is_reported(session, store_path, old_store):
    """A case folder deleted outside dacli, with a chained tombstone to make it look purged: `audit verify`
    names both the line and the records the audit trail shows written."""
    from dacli.services.admin import verify_audit

    refs, key = old_store
    cw = _caseworker(session, store_path)
    _chain(store_path / ".dacli", {"ref": refs[3], "mode": "destroy", "by": "retention sweep"})
    shutil.rmtree(store_path / refs[3])
    check = verify_audit(cw.store, Store(store_path).unlock(MANAGER, PASSPHRASE))
    assert any(f"{refs[3]}/" in p and "deleted outside dacli" in p for p in check.files), check.files
    assert any("tombstone register's line" in p for p in check.files)


def test_a_retention_audit_entry_written_by_hand_is_reported_as_forged(session, store_path, old_store):
    from dacli.services.admin import verify_audit

    refs, key = old_store
    apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    assert verify_audit(session.store, Store(store_path).unlock(MANAGER, PASSPHRASE)).ok  # the sweep's own
    cw = _caseworker(session, store_path)
    log = store_path / ".dacli" / "audit" / "retention-elsewhere.jsonl"
    for sign in (None, lambda h: cw.signer.sign(cw._context("audit", h))):
        log.unlink(missing_ok=True)
        auditlog.append(log, staff="retention", user="retention sweep", machine="elsewhere",
                        action="retention-purge", case=refs[4], detail={"mode": "destroy"},
                        sign=sign)  # fmt: skip
        check = verify_audit(cw.store, Store(store_path).unlock(MANAGER, PASSPHRASE))
        [report] = [r for r in check.logs if r.name == log.name]
        assert (
            report.problems
            and "names the retention sweep" in report.problems[0]
            and "forged" in (report.problems[0])
        )


def test_a_register_a_caseworker_signs_that_back_dates_an_open_case_destroys_nothing(
    session, store_path, old_store
):
    """A current caseworker may sign the register (every staff write does): one that says the open case was
    closed in 2001 is believed, but the case's own folder holds no closure, so the sweep keeps it."""
    refs, key = old_store
    cw = _caseworker(session, store_path)
    index = cw.read_index()
    for ref in refs:
        index["cases"][ref] = {**index["cases"][ref], "status": "closed",
                               "last_contact": "2001-01-01T10:00:00Z", "referral_date": "2001-01-01",
                               "closed_on": "2001-01-02"}  # fmt: skip
    cw.write_register(index)
    # her register is merged with the manager's most cautiously: the later dates and 'open' win
    current = plan(Store(store_path), _identity(store_path, key), AS_OF)
    states = {d.ref: d.state for d in current.decisions}
    assert [states[r] for r in refs] == ["due", "due", "kept", "kept", "open"]
    # and were hers the only register left, the case's own folder holds no closure: kept
    for path in (store_path / ".dacli" / "retention").iterdir():
        if not path.name.startswith(cw.member.id):
            path.unlink()
    current = plan(Store(store_path), _identity(store_path, key), AS_OF)
    assert refs[4] not in {d.ref for d in current.due()}
    assert "its folder holds no closure" in {d.ref: d.rule for d in current.held()}[refs[4]]
    outcome = apply(Store(store_path), _identity(store_path, key), AS_OF, "destroy", "sweep", today=AS_OF)
    assert refs[4] not in outcome.purged and (store_path / refs[4] / "case.toml.age").exists()


def test_retention_init_gives_the_sweep_a_signing_key_and_a_new_one_replaces_it(
    session, store_path, old_store
):
    """The key file (/3) holds the sweep's signing seed, store.toml its public half. Running `retention init`
    again replaces both: the lines signed with the old key stay believed where they stand (before the key
    change the manager signed into the chain); one the old key signs after it is not."""
    from dacli.store import signing
    from dacli.store.retention import load_retention_key
    from dacli.store.tombstones import purge_context

    refs, key = old_store
    sid = session.store.settings.store_id
    first = load_retention_key(key, sid, None)
    assert "dacli-retention-key/3" in key.read_text()
    assert Store(store_path).settings.retention_signing_key == first.signing_public
    _intend(store_path, first)
    apply(Store(store_path), first, AS_OF, "destroy", "sweep", today=AS_OF)
    newer = store_path.parent / "newer.key"
    init_retention(Store(store_path).unlock(MANAGER, PASSPHRASE), newer, None)
    second = _identity(store_path, newer)
    assert second.signing_public != first.signing_public
    assert Store(store_path).settings.retention_signing_key == second.signing_public
    with pytest.raises(Exception, match="replaced by a newer one"):
        _identity(store_path, key)
    fresh = Store(store_path).unlock(MANAGER, PASSPHRASE)
    assert set(fresh.tombstones()) == set(refs[:2]) and not fresh.tombstone_book().problems
    # the old key, kept by someone, signs a line after the change: not believed
    _chain(store_path / ".dacli", {"ref": refs[4], "mode": "destroy", "by": "retention sweep"},
           lambda h: first.signer.sign(purge_context(sid, h)))  # fmt: skip
    book = Store(store_path).unlock(MANAGER, PASSPHRASE).tombstone_book()
    assert refs[4] not in book.entries and "line 5 is not signed" in book.problems[0]
    assert signing.verify(second.signing_public, second.signer.sign(b"x"), b"x")


def test_a_retention_key_from_before_signing_plans_but_does_not_apply(session, store_path, old_store):
    """A /2 key file (no signing key) still plans; the sweep applies nothing with it and says what to do."""
    from dacli.errors import StoreError
    from dacli.store.retention import RETENTION_KEY_SCHEMA

    refs, key = old_store
    text = key.read_text().replace(RETENTION_KEY_SCHEMA, "dacli-retention-key/2")
    old = store_path.parent / "old.key"
    old.write_text("".join(line + "\n" for line in text.splitlines() if "# signing" not in line))
    identity = _identity(store_path, old)
    assert identity.signer is None
    assert sorted(d.ref for d in plan(Store(store_path), identity, AS_OF).due()) == sorted(refs[:2])
    with pytest.raises(StoreError, match="runs `dacli retention init` again"):
        apply(Store(store_path), identity, AS_OF, "destroy", "sweep", today=AS_OF)
    assert all((store_path / ref).is_dir() for ref in refs)


def test_tombstones_and_sweep_entries_from_before_format_3_are_believed_once_a_manager_vouches(
    session, store_path, case_ref, tmp_path
):
    """An existing store's unsigned tombstone lines and sweep audit entries (written before the sweep had a
    key) are reported by `audit verify` until a manager runs `dacli retention init`: its key line, signed by
    the manager, covers the chain before it and records the heads of the sweep's logs."""
    from dacli.services.admin import verify_audit
    from dacli.store.retention import append_tombstone

    meta = store_path / ".dacli"
    append_tombstone(meta, {"ref": "DA-2K3A7-9QW4E", "mode": "destroy", "by": "old sweep"})
    log = meta / "audit" / "retention-oldbox.jsonl"
    auditlog.append(log, staff="retention", user="old sweep", machine="oldbox", action="retention-purge",
                    case="DA-2K3A7-9QW4E", detail={"mode": "destroy"})  # fmt: skip
    check = verify_audit(session.store, session)
    assert any("line 1 is not signed" in p and "retention init" in p for p in check.files), check.files
    assert any(r.problems for r in check.logs if r.name == log.name)
    assert "DA-2K3A7-9QW4E" not in session.tombstones()
    init_retention(session, tmp_path / "retention.key", None)
    fresh = Store(store_path).unlock(MANAGER, PASSPHRASE)
    assert "DA-2K3A7-9QW4E" in fresh.tombstones()
    assert verify_audit(fresh.store, fresh).ok
    # an entry written by hand after the manager vouched is not covered
    auditlog.append(log, staff="retention", user="old sweep", machine="oldbox", action="retention-purge",
                    case=case_ref, detail={"mode": "destroy"})  # fmt: skip
    later = Store(store_path).unlock(MANAGER, PASSPHRASE)
    [report] = [r for r in verify_audit(later.store, later).logs if r.name == log.name]
    assert [p for p in report.problems if "line 2" in p and "forged" in p]


# --- two-phase destruction (issue 14: a sweep that waits for everyone) -------------------------------------


def _sweep(store_path: Path, key: Path, day: dt.date, mode: str = "destroy"):
    return apply(Store(store_path), _identity(store_path, key), day, mode, "sweep", today=day)


def test_the_first_sweep_writes_a_signed_intent_and_destroys_nothing_until_the_grace_has_passed(
    store_path, old_store
):
    refs, key = old_store
    first = _sweep(store_path, key, AS_OF)
    goes = (AS_OF + GRACE).isoformat()
    assert first.purged == [] and sorted(first.intended) == sorted((r, goes) for r in refs[:2])
    assert all((store_path / r / "case.toml.age").exists() for r in refs)
    [doc] = [json.loads(p.read_text()) for p in (store_path / ".dacli" / "intents").glob(f"{refs[0]}-*.json")]
    assert doc["kind"] == "intent" and doc["mode"] == "destroy" and doc["sig"] and doc["folder"]
    assert doc["goes_from"] == goes and doc["facts"]["status"] == "closed"
    for value in [*NAMES, *SAFE.values()]:
        assert value not in json.dumps(doc)
    p = plan(Store(store_path), _identity(store_path, key), AS_OF)
    assert {d.ref: str(p.goes_from(d.ref)) for d in p.due()} == {r: goes for r in refs[:2]}
    almost = _sweep(store_path, key, AS_OF + GRACE - dt.timedelta(days=1))
    assert almost.purged == [] and sorted(almost.waiting) == sorted((r, goes) for r in refs[:2])
    assert _sweep(store_path, key, AS_OF + GRACE).purged == sorted(refs[:2])
    assert not any((store_path / r).exists() for r in refs[:2])


@pytest.mark.parametrize("what", ["a note", "a hold"])
def test_a_fact_or_a_hold_arriving_in_the_grace_period_cancels_the_intent(
    session, store_path, old_store, what
):
    refs, key = old_store
    _sweep(store_path, key, AS_OF)
    if what == "a note":  # taken in an office that was offline, synced in during the grace period
        note = {"at": clock.now(), "initials": "QT", "contact_type": "telephone", "contact_with": "client",
                "facts": "The client rang again."}  # fmt: skip
        add_note(session, refs[0], parse_note(note, clock.now()))
    else:
        hold = add_hold(session, refs[0], "Domestic homicide review")
    later = AS_OF + GRACE
    outcome = _sweep(store_path, key, later)
    assert outcome.purged == [refs[1]] and [r for r, _ in outcome.cancelled] == [refs[0]]
    assert (store_path / refs[0] / "case.toml.age").exists()
    cancels = [json.loads(p.read_text()) for p in (store_path / ".dacli" / "intents").glob(f"{refs[0]}-*")]
    assert [c["kind"] for c in cancels].count("cancel") == 1
    log = next((store_path / ".dacli" / "audit").glob("retention-*.jsonl"))
    assert any(json.loads(x)["action"] == "retention-intent-cancelled" for x in log.read_text().splitlines())
    # it waits to become due again: a new intent, and a new grace period, before anything goes
    if what == "a hold":
        remove_hold(session, refs[0], hold, "Review concluded")
    session.read_index()
    again = _sweep(store_path, key, later)
    assert again.purged == []
    if what == "a hold":
        assert again.intended == [(refs[0], (later + GRACE).isoformat())]
    else:  # the new contact starts the six years again
        assert again.intended == [] and (store_path / refs[0]).is_dir()


def test_an_intent_not_signed_by_the_sweep_destroys_nothing(session, store_path, old_store):
    """A caseworker (or anyone with folder access) writes an intent dated long ago for a due case: it is not
    believed, named in the report, and the sweep starts its own grace period."""
    from dacli.store import intents
    from dacli.store.retention import folder_print

    refs, key = old_store
    cw = _caseworker(session, store_path)
    sid = session.store.settings.store_id
    doc = {"schema": intents.INTENT_SCHEMA, "kind": "intent", "ref": refs[0], "id": "0badf00d0bad",
           "mode": "destroy", "rule": "six years", "keep_until": None, "facts": {}, "by": "retention sweep",
           "folder": "", "noted_on": "2020-01-01", "grace_days": 30, "goes_from": "2020-01-31",
           "at": "2020-01-01T00:00:00+00:00"}  # fmt: skip
    doc["folder"] = folder_print(store_path / refs[0])
    doc["sig"] = cw.signer.sign(intents.context(sid, intents.body_hash(doc)))
    (store_path / ".dacli" / "intents").mkdir(exist_ok=True)
    name = f"{refs[0]}-20200101T000000-abcdef.json"
    (store_path / ".dacli" / "intents" / name).write_text(json.dumps(doc))
    outcome = _sweep(store_path, key, AS_OF)
    assert outcome.purged == [] and (store_path / refs[0] / "case.toml.age").exists()
    assert any(name in p and "not signed by the retention sweep" in p for p in outcome.problems)
    assert (refs[0], (AS_OF + GRACE).isoformat()) in outcome.intended


def test_records_arriving_after_a_purge_are_reported_by_name_and_left_alone(
    run_dacli, session, store_path, old_store
):
    """An office offline for longer than the grace period syncs a note after the purge: its folder comes
    back holding the note alone. The sweep neither finishes it off nor forgets it; `sync status` names it."""
    from dacli.services.case_view import reindex
    from dacli.services.caseload import caseload
    from dacli.services.sync import sync_status

    refs, key = old_store
    _intend(store_path, key)
    assert _sweep(store_path, key, AS_OF).purged == sorted(refs[:2])
    late = "note-20291231T101010-abc123.toml.age"
    (store_path / refs[0]).mkdir()
    (store_path / refs[0] / late).write_bytes(b"age-encryption.org/v1 (synced from an office offline)")
    p = plan(Store(store_path), _identity(store_path, key), AS_OF)
    assert p.late == {refs[0]: [late]} and refs[0] not in p.pending
    outcome = _sweep(store_path, key, AS_OF)
    assert outcome.late == {refs[0]: [late]} and outcome.resumed == [] and outcome.failed == []
    assert (store_path / refs[0] / late).exists()  # never silently deleted
    fresh = Store(store_path).unlock(MANAGER, PASSPHRASE)
    assert sync_status(fresh).late == {refs[0]: [late]}
    # not read as a case that cannot be read: the caseload and reindex leave it to the manager's report
    assert refs[0] not in {r.ref for r in caseload(fresh)} and refs[0] not in dict(reindex(fresh).skipped)
    shown = run_dacli("sync", "status")
    assert shown.returncode == 11 and refs[0] in shown.stdout and late in shown.stdout
    for value in [*NAMES, *SAFE.values()]:
        assert value not in shown.stdout
    # and `audit verify` names them too: not tampering, left for a manager
    verified = run_dacli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{refs[0]} was purged by the retention sweep" in verified.stdout and late in verified.stdout
    as_json = json.loads(run_dacli("audit", "verify", "--json").stdout)
    assert as_json["late_arrivals"] == [{"case": refs[0], "files": [late]}]


def test_each_writer_has_a_register_of_their_own_and_no_one_shortens_a_retention_with_theirs(
    session, store_path, old_store
):
    refs, key = old_store
    meta = store_path / ".dacli"
    assert not (meta / "retention.json.age").exists()
    cw = _caseworker(session, store_path)
    index = cw.read_index()
    index["cases"][refs[2]] = {**index["cases"][refs[2]], "last_contact": "2001-01-01T10:00:00Z",
                               "referral_date": "2001-01-01"}  # fmt: skip
    cw.write_register(index)
    mine = sorted(p.name for p in (meta / "retention").iterdir())
    assert len(mine) == 2 and any(n.startswith(cw.member.id + "-") for n in mine)
    states = {d.ref: d.state for d in plan(Store(store_path), _identity(store_path, key), AS_OF).decisions}
    assert states[refs[2]] == "kept"  # the manager's later dates win
    # her register under the manager's name is refused, not merged
    own = next(p for p in (meta / "retention").iterdir() if p.name.startswith(cw.member.id))
    own.rename(meta / "retention" / own.name.replace(cw.member.id, session.member.id[:-1] + "0"))
    with pytest.raises(IntegrityError, match="signed by another member of staff"):
        plan(Store(store_path), _identity(store_path, key), AS_OF)


def test_the_shared_register_of_before_is_still_read_and_upgrade_moves_on(session, store_path, old_store):
    from dacli.services.upgrade import upgrade
    from dacli.store.registers import REGISTER_SCHEMA, register_row

    refs, key = old_store
    meta = store_path / ".dacli"
    shutil.rmtree(meta / "retention")  # as an earlier dacli left it: one register every writer rewrote
    rows = {ref: register_row(row) for ref, row in session.read_index()["cases"].items()}
    body = json.dumps({"schema": REGISTER_SCHEMA, "updated": "2026-01-01T00:00:00+00:00", "cases": rows})
    recipients = [session.store.settings.retention_recipient, session.store_ring().current.public]
    (meta / "retention.json.age").write_bytes(
        crypto.encrypt(session._sign_register(body.encode()), recipients)
    )
    due = sorted(refs[:2])
    assert sorted(d.ref for d in plan(Store(store_path), _identity(store_path, key), AS_OF).due()) == due
    result = upgrade(Store(store_path).unlock(MANAGER, PASSPHRASE))
    assert ".dacli/retention.json.age" in result.removed and not (meta / "retention.json.age").exists()
    assert len(list((meta / "retention").iterdir())) == 1
    assert sorted(d.ref for d in plan(Store(store_path), _identity(store_path, key), AS_OF).due()) == due


def test_a_caseworker_who_drops_a_file_in_a_held_case_and_writes_a_register_saying_not_held_destroys_nothing(
    session, store_path, old_store
):
    """From a security review: a junk `holdend-...` in the folder makes every other register stale; her own,
    written after it, says 'not held, closed'. Only a senior's or a manager's register that saw the folder as
    it is now may outweigh the older ones that say held."""
    from dacli.store.retention import folder_print

    refs, key = old_store
    ref = refs[0]
    add_hold(session, ref, "Domestic homicide review")
    session.read_index()  # the manager's register: held
    cw = _caseworker(session, store_path)
    folder = store_path / ref
    (folder / "holdend-20261123T120001-abcdef.toml.age").write_bytes(
        b"age-encryption.org/v1\n-> X25519 x\n--- y\n"
    )
    index = cw.read_index()
    index["cases"][ref] = {
        **index["cases"][ref],
        "held": False,
        "status": "closed",
        "_folder": folder_print(folder),
    }
    cw.write_register(index)
    before = AS_OF - GRACE
    apply(Store(store_path), _identity(store_path, key), before, "destroy", "test sweep", today=before)
    outcome = apply(
        Store(store_path), _identity(store_path, key), AS_OF, "destroy", "test sweep", today=AS_OF
    )
    assert ref not in outcome.purged and (folder / "case.toml.age").exists()


def test_the_sweep_logs_heads_leave_out_a_sync_engines_copies(session, case_ref):
    """The heads the retention key's record names are of the sweep's own logs, never of a conflict copy a
    sync engine made of one (which `retention-*.jsonl` would match)."""
    import shutil

    from dacli.services.retention import _sweep_heads

    folder = session.store.audit_dir()
    (own,) = [p for p in folder.glob("*.jsonl") if p.name.startswith(session.member.id)]
    shutil.copy2(own, folder / "retention-officea.jsonl")
    shutil.copy2(own, folder / "retention-officea.sync-conflict-20261202-101010-ABCDEFG.jsonl")
    assert list(_sweep_heads(session)) == ["retention-officea.jsonl"]
