"""Retention: the retention identity, holds, and the sweep (`retain-purge`) that plans and applies."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dacli import clock
from dacli.errors import DacliError, InvalidInput, NotFound, StoreError
from dacli.rules.retention import Decision, retention
from dacli.schemas.common import Role
from dacli.services.case_view import append_record, load_case
from dacli.services.forms import parse_form, stamp
from dacli.store import retention as reg
from dacli.store.layout import check_case_ref
from dacli.store.records import one_change
from dacli.store.store import Session, Store

MODES = ("destroy", "boil-down")


# -- the retention identity ----------------------------------------------------------------------------


def init_retention(session: Session, key_file: Path, passphrase: str | None, log_n: int = 17) -> str:
    """Create the retention identity: its key file goes where the manager says (never inside the store),
    its public key into store.toml, and the register is written at once. The key file also holds the sweep's
    new signing key: its public half goes into store.toml and into a key line of the tombstone register,
    signed by this manager (the first such line vouches for the unsigned lines from before format 3, and the
    sweep's audit entries up to now). Running it again replaces both keys. Returns the public key."""
    from dacli.store import crypto, signing
    from dacli.store.fsio import write_plaintext

    session.require_role(Role.manager)
    target = Path(key_file).resolve()
    if target.is_relative_to(session.store.root.resolve()):
        raise InvalidInput("The retention key must live outside the store (that is the point of it).")
    if target.exists():
        raise InvalidInput(f"{key_file} exists; choose a new file (an old key stops working anyway).")
    book = session.tombstone_book()
    if book.forged:  # a manager's key line must not vouch for a forged line
        book.check()
    identity = crypto.Identity.generate()
    seed, signing_key = signing.generate()
    data = reg.dump_retention_key(identity, session.store.settings.store_id, session.credentials.trust, seed)
    if passphrase:
        data = crypto.passphrase_encrypt(data, passphrase, log_n)
    write_plaintext(target, data)  # no temp copy of the key is left if this is killed
    with session.store.meta_lock():
        book = session.tombstone_book()
        if book.forged:
            book.check()
        book.append_key(signing_key, session.signer, session.store.settings.store_id, _sweep_heads(session))
        update = {"retention_recipient": identity.public, "retention_signing_key": signing_key}
        settings = session.store.settings.model_copy(update=update)
        session.save_settings(settings)
    session.write_register(session.read_index())  # the register, now to the new key too
    detail = {"recipient": identity.public, "signing_key": signing_key, "passphrase": bool(passphrase)}
    session.audit("retention-init", detail=detail)
    return identity.public


def _sweep_heads(session: Session) -> dict:
    """The heads of the sweep's audit logs: {log name: [seq, hash]}."""
    from dacli.store import audit as auditlog

    folder = session.store.audit_dir()
    logs = sorted(folder.glob("retention-*.jsonl")) if folder.is_dir() else []
    return {path.name: list(auditlog.head(path)) for path in logs}


def retention_identity(store: Store, key_file: Path, passphrase: str | None):
    if not store.settings.retention_recipient:
        raise StoreError("This store has no retention identity yet: a manager runs `dacli retention init`.")
    key = reg.load_retention_key(Path(key_file), store.settings.store_id, passphrase)
    if key.identity.public != store.settings.retention_recipient or (
        key.signer is not None and key.signing_public != store.settings.retention_signing_key
    ):
        raise StoreError("This retention key was replaced by a newer one (store.toml names another).")
    return key


def _trusted(store: Store, identity) -> reg.Trust:
    """The tombstone register's trust, from store.toml as a current manager signed it."""
    settings = reg.checked_settings(store.meta, identity)
    if settings.retention_recipient != identity.identity.public:
        raise StoreError("This retention key was replaced by a newer one (store.toml names another).")
    return reg.sweep_trust(store.meta, identity, settings)


# -- holds -----------------------------------------------------------------------------------------------


@one_change
def add_hold(session: Session, ref: str, reason: str) -> str:
    """A hold stops destruction until removed (seniors and managers)."""
    from dacli.schemas.review import HOLD_SCHEMA, HoldRecord

    session.require_role(Role.senior, Role.manager)
    check_case_ref(ref)
    if not reason.strip():
        raise InvalidInput("A hold needs a --reason (for example 'domestic homicide review').")
    now = clock.now()
    fields = {"schema": HOLD_SCHEMA, "case": ref, "reason": reason, "placed_by": session.member.id,
              "recorded_at": now}  # fmt: skip
    record = parse_form(HoldRecord, fields, "Hold")  # new text (the reason): checked as input
    name = f"hold-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
    with session.index_transaction() as idx:
        if ref in idx["cases"]:  # the register shows the hold before the hold record exists
            idx["cases"][ref] = {**idx["cases"][ref], "held": True}
            session.write_register(idx)
        session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="hold-add")
        idx["cases"][ref] = load_case(session, ref).summary.index_row()
    session.audit("decision", case=ref, record=name, reason=reason, detail={"decision": "retention-hold"})
    return name


@one_change
def remove_hold(session: Session, ref: str, hold: str, reason: str) -> str:
    from dacli.schemas.review import HOLD_END_SCHEMA, HoldEndRecord

    session.require_role(Role.senior, Role.manager)
    check_case_ref(ref)
    if not reason.strip():
        raise InvalidInput("Removing a hold needs a --reason.")
    view = load_case(session, ref)
    if hold not in {n for n, _ in view.holds}:
        held = ", ".join(n for n, _ in view.holds) or "none"
        raise NotFound(f"Case {ref} has no hold {hold} in force (holds: {held}).")
    now = clock.now()
    fields = {"schema": HOLD_END_SCHEMA, "hold": hold, "reason": reason, "removed_by": session.member.id,
              "recorded_at": now}  # fmt: skip
    name, _ = append_record(
        session, ref, kind="holdend", at=now, model=HoldEndRecord, fields=fields, action="hold-remove"
    )
    session.audit("decision", case=ref, record=name, reason=reason, detail={"decision": "retention-hold-end"})
    return name


# -- the sweep -------------------------------------------------------------------------------------------


@dataclass
class Plan:
    as_of: dt.date
    decisions: list[Decision]
    pending: list[str] = field(default_factory=list)
    """Purges started by an earlier sweep and not finished (the next --apply finishes them)."""

    def due(self) -> list[Decision]:
        return [d for d in self.decisions if d.state == "due"]

    def held(self) -> list[Decision]:
        return [d for d in self.decisions if d.state == "held"]


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


def plan(store: Store, identity, as_of: dt.date) -> Plan:
    """Read the register only (no case is opened) and decide each case on ``as_of``."""
    register = reg.read_register(store.meta, identity)
    store._policy = reg.checked_policy(
        store.meta, identity
    )  # the retention dates, as a manager accepted them
    gone = reg.tombstones(store.meta, _trusted(store, identity))  # only lines believed (apply: all must be)
    decisions = [
        _decide(store, ref, row, as_of) for ref, row in sorted(register["cases"].items()) if ref not in gone
    ]
    for n, d in enumerate(decisions):  # the folder's own record names overrule the register
        if d.state == "due" and (
            why := reg.folder_says_keep(store.root / d.ref, register["cases"][d.ref].get("folder"))
        ):
            decisions[n] = Decision(
                d.ref, "held", f"{d.rule}; kept: {why} (the register is older)", d.keep_until
            )
    unfinished = sorted({*reg.pending(store.meta), *(r for r in gone if _unfinished(store, r, gone[r]))})
    return Plan(as_of, decisions, unfinished)


class _Register:
    """The register as it stands now: re-read (under the store lock, from the caller) only when a staff
    process has rewritten it since, so a hold or a reopening made during a long sweep is seen."""

    def __init__(self, store: Store, identity, as_of: dt.date) -> None:
        self.store, self.identity, self.as_of = store, identity, as_of
        self.stamp: tuple[int, int] | None = None
        self.cases: dict = {}

    def still_due(self, ref: str) -> bool:
        path = self.store.meta / reg.REGISTER
        st = path.stat()
        if (st.st_mtime_ns, st.st_size) != self.stamp:
            self.cases = reg.read_register(self.store.meta, self.identity)["cases"]
            self.store._policy = reg.checked_policy(self.store.meta, self.identity)
            self.stamp = (st.st_mtime_ns, st.st_size)
        row = self.cases.get(ref)
        if row is None or _decide(self.store, ref, row, self.as_of).state != "due":
            return False
        return reg.folder_says_keep(self.store.root / ref, row.get("folder")) is None


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
    """Carry out the plan: finish any interrupted purge, then purge each due case. A failure on one case
    is reported and the sweep goes on; each case is purged wholly or left untouched. Each case is decided
    again under the store lock just before it is purged. Never for a date after today."""
    if mode not in MODES:
        raise InvalidInput(f"--mode must be destroy or boil-down, not {mode!r}.")
    if clock.ahead_of_computer():
        raise InvalidInput(
            "The clock dacli reads (DACLI_NOW) is set ahead of this computer's; the sweep destroys nothing "
            "by a moved clock."
        )
    if as_of > (today or clock.today()):
        raise InvalidInput("--apply cannot act for a date after today; plan future dates without --apply.")
    if identity.signer is None:
        raise StoreError(
            "This retention key is from before the sweep signed its work (it plans, but applies nothing): a "
            "manager runs `dacli retention init` again and gives the sweep the new key file."
        )
    book = reg.Tombstones(store.meta, _trusted(store, identity), identity.signer)
    book.check()
    if book.key_in_force != identity.signing_public:
        raise StoreError(
            "The tombstone register does not name this sweep's signing key: a manager runs `dacli retention "
            "init` again."
        )
    register = _Register(store, identity, as_of)
    result = Outcome()
    timeout = store.lock_timeout()
    gone = book.entries
    current = plan(store, identity, as_of)
    for ref in current.pending:
        tomb = gone.get(ref)
        if tomb is None:  # moved aside but never tombstoned cannot happen (tombstone first); be safe
            continue
        try:
            # a purge already moved aside is finished; one only tombstoned must still be due in the
            # register (a tombstone line alone, written by hand, destroys nothing)
            reg.purge(
                store.root, store.meta, ref, tomb["mode"], tomb, timeout, announce, book, register.still_due
            )
            result.resumed.append(ref)
            detail = {"mode": tomb["mode"], "rule": tomb.get("rule")}
            _audit(store, identity, actor, "retention-purge-resumed", ref, detail)
        except (DacliError, OSError) as exc:
            result.failed.append((ref, _why(exc)))
    due = current.due()
    for n, decision in enumerate(due, start=1):
        tomb = {
            "ref": decision.ref,
            "mode": mode,
            "rule": decision.rule,
            "keep_until": decision.keep_until.isoformat() if decision.keep_until else None,
            "as_of": as_of.isoformat(),
            "purged_at": clock.now().isoformat(timespec="seconds"),
            "by": actor,
            "id": secrets.token_hex(4),
        }
        try:
            reg.purge(
                store.root, store.meta, decision.ref, mode, tomb, timeout, announce, book, register.still_due
            )
            result.purged.append(decision.ref)
            _audit(
                store, identity, actor, "retention-purge", decision.ref, {"mode": mode, "rule": decision.rule}
            )
        except (DacliError, OSError) as exc:
            result.failed.append((decision.ref, _why(exc)))
            _audit(
                store,
                identity,
                actor,
                "retention-purge-failed",
                decision.ref,
                {"mode": mode, "why": _why(exc)},
            )
        if progress:
            progress(n, len(due), decision.ref)
    return result


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
