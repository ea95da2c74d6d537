"""The retention sweep (`retain-purge`): it plans from the retention registers, and destroys in two phases.

The first sweep that finds a case due writes a signed purge intent and destroys nothing (store/intents.py).
A later sweep carries the intent out only once `retention.purge_grace_days` have passed since it was written,
and only if the case is still due, by the registers merged most cautiously (store/registers.py), and its
folder still matches the fingerprint the intent recorded; otherwise it cancels the intent (a signed,
audited cancellation) and the case waits to become due again. Files that arrive in a purged case's folder
afterwards (an office offline for longer than the grace period) are reported by name and left alone.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from dacli import clock
from dacli.errors import DacliError, InvalidInput, StoreError
from dacli.rules.retention import Decision, retention
from dacli.services.retention import trusted
from dacli.store import intents as intent_files
from dacli.store import registers
from dacli.store import retention as reg
from dacli.store.store import Store

MODES = ("destroy", "boil-down")
STALE = "its folder changed since the retention register was written (a listing writes it again)"


@dataclass
class Plan:
    as_of: dt.date
    decisions: list[Decision]
    pending: list[str] = field(default_factory=list)
    """Purges started by an earlier sweep and not finished (the next --apply finishes them)."""
    intents: dict[str, dict] = field(default_factory=dict)
    """The purge intents in force: {case: intent}."""
    cancels: list[tuple[str, dict, str]] = field(default_factory=list)
    """Intents the next --apply cancels: (case, intent, why)."""
    late: dict[str, list[str]] = field(default_factory=dict)
    """Files that arrived in a purged case's folder after its purge: {case: file names}."""
    problems: list[str] = field(default_factory=list)
    """Files in `.dacli/intents/` that are not believed (named; they carry nothing out)."""
    grace_days: int = 30
    rows: dict[str, dict] = field(default_factory=dict)
    """Each case's registers merged (what an intent records as the facts it was decided on)."""

    def due(self) -> list[Decision]:
        return [d for d in self.decisions if d.state == "due"]

    def held(self) -> list[Decision]:
        return [d for d in self.decisions if d.state == "held"]

    def goes_from(self, ref: str) -> dt.date | None:
        """The first day the intent in force for ``ref`` may be carried out (None: no intent yet)."""
        intent = self.intents.get(ref)
        return goes_from(intent, self.grace_days) if intent else None


def goes_from(intent: dict, grace_days: int) -> dt.date:
    """The intent's own date, or later if the policy's grace period was lengthened since."""
    noted = dt.date.fromisoformat(intent["noted_on"]) + dt.timedelta(days=grace_days)
    return max(dt.date.fromisoformat(intent["goes_from"]), noted)


def _decide(store: Store, ref: str, row: dict, as_of: dt.date) -> Decision:
    policy = store.policy.retention
    day = dt.date.fromisoformat
    return retention(
        ref,
        status=row["status"],
        last_contact=day(row["last_contact"]) if row.get("last_contact") else None,
        referral_date=day(row["referral_date"]),
        held=row.get("held", False),
        as_of=as_of,
        years=policy.years_from_last_contact,
        youngest_child_dob=day(row["youngest_child_dob"]) if row.get("youngest_child_dob") else None,
        children_until_age=policy.children_until_age,
    )


def decide(store: Store, ref: str, rows: list[dict], as_of: dt.date) -> tuple[Decision, dict]:
    """One case decided from every register's row (merged most cautiously) and its folder's record names."""
    folder = store.root / ref
    row, stale = registers.merge_rows(rows, None)  # every register judging: the most cautious
    d = _decide(store, ref, row, as_of)
    agree = len({(r.get("status"), bool(r.get("held"))) for r in rows}) == 1
    if (d.state == "due" or not agree) and any(r.get("status") == "closed" for r in rows) and folder.is_dir():
        # only the registers that saw the folder as it is now judge its status and holds (a stale one
        # saying open must not keep a case for ever); its fingerprint is read only when that can matter
        row, stale = registers.merge_rows(rows, reg.folder_print(folder))
        d = _decide(store, ref, row, as_of)
    if d.state == "due" and (why := reg.folder_says_keep(folder) or (STALE if stale else None)):
        d = Decision(ref, "held", f"{d.rule}; kept: {why} (the register is older)", d.keep_until)
    return d, row


def _rows(witnesses: list[registers.Witness]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for w in witnesses:
        for ref, row in w.cases.items():
            out.setdefault(ref, []).append({**row, "_senior": w.senior})
    return out


def plan(store: Store, identity, as_of: dt.date) -> Plan:
    """Read the registers and the intents (no case record is opened) and decide each case on ``as_of``."""
    witnesses = reg.read_registers(store.meta, identity)
    store._policy = reg.checked_policy(
        store.meta, identity
    )  # the retention dates, as a manager accepted them
    book = reg.Tombstones(store.meta, trusted(store, identity))
    gone = book.entries  # only lines believed (apply: all must be)
    decisions, merged = [], {}
    for ref, rows in sorted(_rows(witnesses).items()):
        if ref in gone:
            continue
        d, merged[ref] = decide(store, ref, rows, as_of)
        decisions.append(d)
    found = intent_files.read_intents(store.meta, store.settings.store_id, book.key_in_force)
    state = {d.ref: d for d in decisions}
    in_force, cancels = {}, []
    for ref in sorted(found.intents):
        intent = found.in_force(ref)
        if intent is None or ref in gone:
            continue
        d = state.get(ref)
        if d is None or d.state != "due":
            why = f"no longer due ({d.rule if d else 'no register lists it'})"
            cancels.append((ref, intent, why))
        elif reg.folder_print(store.root / ref) != intent.get("folder"):
            cancels.append((ref, intent, "its folder changed since the intent (a record arrived)"))
        else:
            in_force[ref] = intent
    late = reg.late_arrivals(store.root, store.meta, gone)
    unfinished = {*reg.pending(store.meta), *(r for r in gone if _unfinished(store, r, gone[r]))}
    return Plan(
        as_of,
        decisions,
        sorted(unfinished - set(late)),
        in_force,
        cancels,
        late,
        found.problems,
        store.policy.retention.purge_grace_days,
        merged,
    )


class _Register:
    """The registers as they stand now: read again (under the store lock, from the caller) only when a
    staff process has written one since, so a hold or a reopening made during a long sweep is seen."""

    def __init__(self, store: Store, identity, as_of: dt.date) -> None:
        self.store, self.identity, self.as_of = store, identity, as_of
        self.stamp: tuple | None = None
        self.rows: dict[str, list[dict]] = {}

    def still_due(self, ref: str) -> bool:
        stamp = registers.stamp(self.store.meta)
        if stamp != self.stamp:
            self.rows = _rows(reg.read_registers(self.store.meta, self.identity))
            self.store._policy = reg.checked_policy(self.store.meta, self.identity)
            self.stamp = stamp
        rows = self.rows.get(ref)
        return bool(rows) and decide(self.store, ref, rows, self.as_of)[0].state == "due"


def _unfinished(store: Store, ref: str, tomb: dict) -> bool:
    folder = store.root / ref
    if tomb.get("mode") == "destroy":
        return folder.exists()
    return folder.exists() and (folder / "case.toml.age").exists()


@dataclass
class Outcome:
    purged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    intended: list[tuple[str, str]] = field(default_factory=list)
    """Intents written by this sweep: (case, the first day it may go)."""
    waiting: list[tuple[str, str]] = field(default_factory=list)
    """Intents in their grace period: (case, the first day it may go)."""
    cancelled: list[tuple[str, str]] = field(default_factory=list)
    late: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def apply(
    store: Store,
    identity,
    as_of: dt.date,
    mode: str,
    actor: str,
    progress=None,
    announce=None,
    today: dt.date | None = None,
) -> Outcome:
    """Carry out the plan: finish any interrupted purge, cancel the intents overtaken by newer facts, write
    an intent for each case newly due, and purge each case whose intent's grace period is over. A failure on
    one case is reported and the sweep goes on; each case is purged wholly or left untouched, decided again
    under the store lock just before. Never for a date after today."""
    if mode not in MODES:
        raise InvalidInput(f"--mode must be destroy or boil-down, not {mode!r}.")
    if clock.ahead_of_computer():
        raise InvalidInput(
            "The clock dacli reads (DACLI_NOW) is set ahead of this computer's; the sweep destroys nothing "
            "by a moved clock."
        )
    today = today or clock.today()
    if as_of > today:
        raise InvalidInput("--apply cannot act for a date after today; plan future dates without --apply.")
    if identity.signer is None:
        raise StoreError(
            "This retention key is from before the sweep signed its work (it plans, but applies nothing): a "
            "manager runs `dacli retention init` again and gives the sweep the new key file."
        )
    book = reg.Tombstones(store.meta, trusted(store, identity), identity.signer)
    book.check()
    if book.key_in_force != identity.signing_public:
        raise StoreError(
            "The tombstone register does not name this sweep's signing key: a manager runs `dacli retention "
            "init` again."
        )
    register = _Register(store, identity, as_of)
    timeout = store.lock_timeout()
    gone = book.entries
    current = plan(store, identity, as_of)
    result = Outcome(late=current.late, problems=current.problems)
    sid, signer = store.settings.store_id, identity.signer
    for ref in current.pending:
        tomb = gone.get(ref)
        if tomb is None:  # moved aside but never tombstoned cannot happen (tombstone first); be safe
            continue
        try:
            # a purge already moved aside is finished; one only tombstoned must still be due in the
            # registers (a tombstone line alone, written by hand, destroys nothing)
            reg.purge(
                store.root, store.meta, ref, tomb["mode"], tomb, timeout, announce, book, register.still_due
            )
            result.resumed.append(ref)
            detail = {"mode": tomb["mode"], "rule": tomb.get("rule")}
            _audit(store, identity, actor, "retention-purge-resumed", ref, detail)
        except (DacliError, OSError) as exc:
            result.failed.append((ref, _why(exc)))

    def cancel(ref: str, intent: dict, why: str) -> None:
        intent_files.write_cancel(store.meta, sid, signer, intent, why, actor)
        result.cancelled.append((ref, why))
        _audit(
            store, identity, actor, "retention-intent-cancelled", ref, {"intent": intent["id"], "why": why}
        )

    for ref, intent, why in current.cancels:
        try:
            cancel(ref, intent, why)
        except (DacliError, OSError) as exc:
            result.failed.append((ref, _why(exc)))
    due = current.due()
    run = _Run(store, identity, current, mode, actor, today, book, register, announce, result, cancel)
    done = 0

    def told(ref: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(due), ref)

    for decision in due:
        try:
            if _one(run, decision) is not None:
                if len(run.batch) >= BATCH:
                    _destroy(run, told)
                continue  # in the batch: told when it is destroyed
        except (DacliError, OSError) as exc:
            _failed(run, decision.ref, exc)
        told(decision.ref)
    _destroy(run, told)
    return result


BATCH = 64
"""Cases destroyed in one hold of the store lock (`store.retention.destroy_many`): one tombstone write and
one fsync of each folder for them all, so each case costs its own deletion and little else."""


def _failed(run: _Run, ref: str, exc: BaseException) -> None:
    run.result.failed.append((ref, _why(exc)))
    _audit(
        run.store,
        run.identity,
        run.actor,
        "retention-purge-failed",
        ref,
        {"mode": run.mode, "why": _why(exc)},
    )


def _destroy(run: _Run, told) -> None:
    """Destroy the batch (mode destroy): each case purged is audited as one purge, each left alone as a
    failure, as the one-case path does."""
    batch, run.batch = run.batch, []
    if not batch:
        return
    store = run.store
    intents = {ref: intent for ref, _, intent, _ in batch}

    def still_due(r: str) -> bool:  # under the store lock: nothing newer arrived since the intent
        return run.register.still_due(r) and reg.folder_print(store.root / r) == intents[r].get("folder")

    try:
        wanted = [(ref, tomb) for ref, tomb, _, _ in batch]
        outcome = reg.destroy_many(
            store.root, store.meta, wanted, store.lock_timeout(), run.book, still_due, run.announce
        )
    except (DacliError, OSError) as exc:
        outcome = {ref: exc for ref, _, _, _ in batch}
    for ref, _, intent, rule in batch:
        exc = outcome.get(ref)
        if exc is None:
            run.result.purged.append(ref)
            _audit(store, run.identity, run.actor, "retention-purge", ref,
                   {"mode": run.mode, "rule": rule, "intent": intent["id"]})  # fmt: skip
        else:
            _failed(run, ref, exc)
        told(ref)


@dataclass
class _Run:
    """What one --apply works with, case after case."""

    store: Store
    identity: object
    current: Plan
    mode: str
    actor: str
    today: dt.date
    book: reg.Tombstones
    register: _Register
    announce: object
    result: Outcome
    cancel: object
    batch: list = field(default_factory=list)
    """Cases to destroy together: (case, tombstone entry, intent, rule)."""


def _one(run: _Run, decision: Decision) -> str | None:
    """One due case: an intent if none is in force, the purge once its grace period is over (in destroy
    mode, added to the batch: its case reference is returned)."""
    store, identity, current, mode, actor, today = (
        run.store, run.identity, run.current, run.mode, run.actor, run.today
    )  # fmt: skip
    result, cancel, register = run.result, run.cancel, run.register
    ref = decision.ref
    intent = current.intents.get(ref)
    if intent is not None and intent.get("mode") != mode:
        cancel(ref, intent, f"the sweep now runs with --mode {mode}, not {intent.get('mode')}")
        intent = None
    if intent is None:
        grace = current.grace_days
        written = intent_files.write_intent(
            store.meta, store.settings.store_id, identity.signer, ref=ref, mode=mode, rule=decision.rule,
            keep_until=decision.keep_until.isoformat() if decision.keep_until else None,
            facts=current.rows.get(ref, {}), folder=reg.folder_print(store.root / ref), noted_on=today,
            grace_days=grace, by=actor,
        )  # fmt: skip
        result.intended.append((ref, written["goes_from"]))
        _audit(store, identity, actor, "retention-intent", ref, {"intent": written["id"], "mode": mode,
               "rule": decision.rule, "goes_from": written["goes_from"]})  # fmt: skip
        return
    goes = goes_from(intent, current.grace_days)
    if today < goes:
        result.waiting.append((ref, goes.isoformat()))
        return
    tomb = {
        "ref": ref,
        "mode": mode,
        "rule": decision.rule,
        "keep_until": decision.keep_until.isoformat() if decision.keep_until else None,
        "as_of": current.as_of.isoformat(),
        "purged_at": clock.now().isoformat(timespec="seconds"),
        "by": actor,
        "id": secrets.token_hex(4),
        "intent": intent["id"],
    }
    if mode == "destroy":
        run.batch.append((ref, tomb, intent, decision.rule))
        return ref

    def still_due(r: str) -> bool:  # under the store lock: nothing newer arrived since the intent
        return register.still_due(r) and reg.folder_print(store.root / r) == intent.get("folder")

    reg.purge(
        store.root, store.meta, ref, mode, tomb, store.lock_timeout(), run.announce, run.book, still_due
    )
    result.purged.append(ref)
    _audit(store, identity, actor, "retention-purge", ref, {"mode": mode, "rule": decision.rule,
                                                           "intent": intent["id"]})  # fmt: skip


def _why(exc: BaseException) -> str:
    return (
        exc.message
        if isinstance(exc, DacliError)
        else f"{type(exc).__name__} ({getattr(exc, 'strerror', '')})"
    )


def _audit(store: Store, identity, actor: str, action: str, ref: str, detail: dict) -> None:
    """The sweep's own audit log (`audit/retention-<machine>.jsonl`), hash-chained like the staff logs and
    signed by the sweep's key (`audit verify` checks it against the keys its managers gave the sweep)."""
    from filelock import FileLock

    from dacli.store import audit as auditlog
    from dacli.store.documents import signed_context
    from dacli.store.fsio import make_dir
    from dacli.store.layout import machine_id

    machine = machine_id()
    store_id = store.settings.store_id
    path = store.audit_dir() / f"retention-{machine}.jsonl"
    make_dir(path.parent)
    with FileLock(str(path.with_suffix(".lock")), timeout=store.lock_timeout(), mode=0o600):
        auditlog.append(
            path,
            staff="retention",
            user=actor,
            machine=machine,
            action=action,
            case=ref,
            detail=detail,
            sign=lambda entry_hash: identity.signer.sign(signed_context("audit", store_id, entry_hash)),
        )
