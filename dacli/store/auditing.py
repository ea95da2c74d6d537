"""A session's audit entries (signed, hash-chained, one log per person and computer), checking them, and
the per-case reason keys that what people type into reasons is encrypted to."""

from __future__ import annotations

import contextlib
from pathlib import Path

from dacli import clock
from dacli.errors import (
    DacliError,
    StoreError,
)
from dacli.schemas.common import is_case_ref
from dacli.store import audit as auditlog
from dacli.store import crypto, signing
from dacli.store.fsio import (
    atomic_write,
    make_dir,
)
from dacli.store.layout import CASE_KEYS, boiled
from dacli.store.tombstones import Tombstones, Trust
from dacli.text import neutralise


class AuditRoom:
    """The part of a `Session` that writes and reads the audit trail."""

    def _sign_audit(self, entry_hash: str) -> str:
        return self.signer.sign(self._context("audit", entry_hash))

    def tombstone_book(self) -> Tombstones:
        """The tombstone register, each line checked against store.toml's sweep key and the managers' keys
        (`problems` names a line that is not believed; `audit verify` reports it)."""
        staff = self._checked_staff()
        managers = {m.id: m.signing_key for m in staff.staff if m.role.value == "manager"}
        settings = self.store.settings
        return Tombstones(self.store.meta, Trust(settings.store_id, settings.retention_signing_key, managers))

    def tombstones(self) -> dict[str, dict]:
        """The purged cases, from the tombstone lines that are believed only: a forged line hides nothing."""
        return self.tombstone_book().entries

    def _sweep_entry_problem(self, entry_hash: str, sig: str) -> str | None:
        """Why an entry naming the retention sweep is not its own: it must be signed by a sweep key a manager
        recorded (store.toml's, or one the tombstone register's key lines named), or be an unsigned entry
        from before format 3 that the first key line vouched for."""
        if self._sweep_keys is None:
            book = self.tombstone_book()
            keys = {*book.keys, *filter(None, [self.store.settings.retention_signing_key])}
            self._sweep_keys = (keys, self._vouched_sweep_entries(book.sweep_logs))
        keys, vouched = self._sweep_keys
        context = self._context("audit", entry_hash)
        if sig and any(signing.verify(key, sig, context) for key in keys):
            return None
        if not sig and entry_hash in vouched:
            return None
        return "names the retention sweep but is not signed by a sweep key a manager recorded (forged)"

    def _vouched_sweep_entries(self, heads: dict) -> set[str]:
        """The hashes of the sweep's entries up to the heads a manager vouched for (the chain links them)."""
        vouched: set[str] = set()
        for name, head in heads.items():
            path = self.store.audit_dir() / str(name)
            if not (isinstance(head, list) and len(head) == 2 and path.name.startswith("retention-")):
                continue
            chain = [e for e in auditlog.iter_entries(path) if isinstance(e.get("seq"), int)]
            if any(e["seq"] == head[0] and e.get("hash") == head[1] for e in chain):
                vouched |= {str(e.get("hash")) for e in chain if e["seq"] <= head[0]}
        return vouched

    def audit_signature_problem(self, staff: str, entry_hash: str, sig: str) -> str | None:
        """Why an audit entry is not signed by the member of staff it names (or the sweep), or None."""
        if staff == "retention":
            return self._sweep_entry_problem(entry_hash, sig)
        self._checked_staff()
        member = self._authors.get(staff)
        if member is None:
            return f"names {staff}, who is not on the staff list (forged)"
        if not sig or not signing.verify(member.signing_key, sig, self._context("audit", entry_hash)):
            return f"is not signed by {member.username}, whom it names (forged, or changed by hand)"
        return None

    def _audit_path(self) -> Path:
        return self.store.audit_dir() / f"{self.member.id}-{self.machine}.jsonl"

    def audit(
        self,
        action: str,
        *,
        case: str | None = None,
        record: str | None = None,
        reason: str | None = None,
        detail: dict | None = None,
    ) -> dict | None:
        """Append an entry to this person's log; inside a change (`unit`), once its records are saved."""
        entry = {"action": action, "case": case, "record": record, "reason": reason, "detail": detail}
        if self._unit_depth:
            self._unit_audits.append(entry)
            return None
        return self._write_audit(**entry)

    def _write_audit(
        self,
        action: str,
        *,
        case: str | None,
        record: str | None,
        reason: str | None,
        detail: dict | None,
    ) -> dict:
        if clock.pinned_by_environment():  # a moved clock is not hidden: the computer's own time is kept
            computer = clock.computer_now().isoformat(timespec="seconds")
            detail = {**(detail or {}), "clock": f"set by DACLI_NOW; the computer's was {computer}"}
        reason_enc = None
        if reason:
            key = self._reason_key(case) if case else None
            if key is None:
                key = self._store_ring_for_write().current.public  # never a key a leaver held
            reason_enc = crypto.encrypt(reason.encode(), [key])
        path = self._audit_path()
        make_dir(path.parent)
        lock = path.with_suffix(".lock")
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(lock), timeout=self.store.lock_timeout(), mode=0o600):
                return auditlog.append(
                    path,
                    staff=self.member.id,
                    user=self.member.username,
                    machine=self.machine,
                    action=action,
                    case=case,
                    record=record,
                    reason_enc=reason_enc,
                    detail=detail,
                    sign=self._sign_audit,
                )
        except Timeout:
            raise StoreError("The audit log is held by another dacli process; try again.") from None

    def decrypt_reason(self, encoded: str | None, case: str | None = None) -> str | None:
        """An audit entry's reason: a case's reasons open with that case's reason keys (gone with the case
        once the retention sweep purged it), others (and entries written before reason keys) with the store
        key."""
        import base64

        if not encoded:
            return None
        if not isinstance(encoded, str):  # a line written by hand
            return "(unreadable)"
        identities = list(self.store_ring().identities)
        if isinstance(case, str) and is_case_ref(case):
            # the case's keys cannot be read (gone, damaged): the store key may still open it
            with contextlib.suppress(DacliError):
                identities = self._reason_identities(case) + identities
        try:
            reason = crypto.decrypt(base64.b64decode(encoded), identities, "An audit reason")
            return neutralise(reason.decode())  # typed by a person: shown, never sent to a terminal raw
        except (DacliError, ValueError):
            return "(unreadable)"

    def _reason_file(self, ref: str, epoch: int) -> Path:
        # one file per person, computer and key epoch: written once, by one writer (safe under a sync engine)
        return self.store.case_dir(ref) / f"reasons-e{epoch}-{self.member.id}-{self.machine}.age"

    def _reason_key(self, ref: str) -> str | None:
        """The public key a reason typed about case ``ref`` is encrypted to: a key of the case's own
        (`reasons-e<epoch>-<staff>-<machine>.age`, an age identity encrypted to the case key and signed),
        made on first use for the case key's current epoch. The retention sweep's purge removes it with the
        case (destroy removes the folder; a boil-down keeps only the key ring and the summary), so reasons
        that name people go with the case although the audit logs they sit in are kept. None when the case
        folder is missing or boiled down (the store key is used)."""
        folder = self.store.case_dir(ref)
        if not (folder / CASE_KEYS).is_file() or boiled(folder):
            return None
        ring = self.case_ring(ref)
        path = self._reason_file(ref, ring.epoch)
        cached = self._reason_keys.get(f"{ref}/{path.name}")
        if cached is not None:
            return cached.public
        if path.exists():
            identity = self._read_reason_file(ref, path)
        else:
            identity = crypto.Identity.generate()
            body = self._signed("reason-key", identity.secret.encode(), ref, path.name)
            try:  # written once: a second process of the same person making it at once keeps the first
                atomic_write(path, crypto.encrypt(body, [ring.current.public]), replace=False)
            except FileExistsError:
                identity = self._read_reason_file(ref, path)
        self._reason_keys[f"{ref}/{path.name}"] = identity
        return identity.public

    def _read_reason_file(self, ref: str, path: Path) -> crypto.Identity:
        what = f"The reason key {ref}/{path.name}"
        try:
            sealed = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"Cannot read {what} ({exc.strerror}).") from None
        plain = crypto.decrypt(sealed, self.case_ring(ref).identities, what)
        body, _ = self._checked("reason-key", plain, what, ref, path.name)
        return crypto.Identity(body.decode())

    def _reason_identities(self, ref: str) -> list[crypto.Identity]:
        folder = self.store.case_dir(ref)
        found = []
        for path in sorted(folder.glob("reasons-e*.age")) if folder.is_dir() else []:
            identity = self._reason_keys.get(f"{ref}/{path.name}")
            if identity is None:
                with contextlib.suppress(DacliError):
                    identity = self._reason_keys[f"{ref}/{path.name}"] = self._read_reason_file(ref, path)
            if identity is not None:
                found.append(identity)
        return found
