"""Retention: the retention identity and holds (the sweep that plans and applies: `services.sweep`)."""

from __future__ import annotations

import secrets
from pathlib import Path

from dacli import clock
from dacli.errors import InvalidInput, NotFound, StoreError
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
    from dacli.store.sync import audit_logs

    folder = session.store.audit_dir()
    logs = [p for p in audit_logs(folder) if p.name.startswith("retention-")] if folder.is_dir() else []
    return {path.name: list(auditlog.head(path)) for path in logs}  # a sync engine's copies left out


def retention_identity(store: Store, key_file: Path, passphrase: str | None):
    if not store.settings.retention_recipient:
        raise StoreError("This store has no retention identity yet: a manager runs `dacli retention init`.")
    key = reg.load_retention_key(Path(key_file), store.settings.store_id, passphrase)
    if key.identity.public != store.settings.retention_recipient or (
        key.signer is not None and key.signing_public != store.settings.retention_signing_key
    ):
        raise StoreError("This retention key was replaced by a newer one (store.toml names another).")
    return key


def trusted(store: Store, identity) -> reg.Trust:
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
