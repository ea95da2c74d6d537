"""`dacli upgrade`: a store of an earlier format becomes the current one (store format 3), with nothing lost.

Format 2 to 3: every record stays as it is (record names and contents are signed; an `intake-<n>` record and
a `case.toml` that was rewritten in place still read, and their facts mean the same), so the upgrade
- reads every record whole first (decrypted, signature, schema) and counts them and hashes their files;
- removes the derived files format 2 kept in the shared folder (`.dacli/index.json.age`,
  `.dacli/anchors.json.age`: each computer keeps its own now), and the one retention register every writer
  rewrote (`.dacli/retention.json.age`), once the manager's own register (`.dacli/retention/`) is written;
- marks the store format 3 (store.toml, signed by the manager), after which a dacli older than format 3
  refuses the store rather than writing files the others could not follow;
- counts and hashes again, and audits what it did. Run again after a stop, it finishes what is left.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from dacli.errors import IntegrityError, StoreError
from dacli.schemas.common import Role
from dacli.schemas.store import STORE_FORMAT
from dacli.store.store import Session

LEGACY_DERIVED = ("index.json.age", "anchors.json.age")


@dataclass
class UpgradeResult:
    was: str
    records: int
    removed: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.was != STORE_FORMAT or bool(self.removed)


def _census(session: Session) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Every record's file hash by `case/name`, and the records that cannot be read whole (with why)."""
    from dacli.errors import DacliError

    found: dict[str, str] = {}
    unreadable: list[tuple[str, str]] = []
    for ref in session.store.case_refs():
        try:
            names = session.record_names(ref)
        except DacliError as exc:
            unreadable.append((ref, str(exc)))
            continue
        for name in names:
            path = session.store.case_dir(ref) / name
            try:
                found[f"{ref}/{name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                raise StoreError(f"Cannot read {ref}/{name} ({exc.strerror}).") from None
        for name, why in session.unreadable(ref):
            unreadable.append((f"{ref}/{name}", why))
    return found, unreadable


def upgrade(session: Session) -> UpgradeResult:
    """Bring the store to the current format (managers only); see the module's notes."""
    session.require_role(Role.manager)
    settings = session.checked_settings()
    before, unreadable = _census(session)
    removed = []
    with session.store.meta_lock():
        for name in LEGACY_DERIVED:
            path = session.store.meta / name
            if path.exists():
                try:
                    path.unlink()
                except OSError as exc:
                    raise StoreError(f"Cannot remove .dacli/{name} ({exc.strerror}).") from None
                removed.append(f".dacli/{name}")
        if settings.schema_ != STORE_FORMAT:
            session.save_settings(settings.model_copy(update={"schema_": STORE_FORMAT}))
    register = session.store.meta / "retention.json.age"
    if register.exists() and settings.retention_recipient:
        # the one register every writer rewrote: this manager's own takes its place (the sweep merges every
        # writer's), and writing it removes the shared one
        session.write_register(session.read_index())
        if not register.exists():
            removed.append(".dacli/retention.json.age")
    after, _ = _census(session)
    if after != before:
        lost = sorted(set(before) - set(after)) or sorted(k for k in before if after.get(k) != before[k])
        raise IntegrityError(
            f"The upgrade found the records changed while it ran ({', '.join(lost[:3])}): nothing of theirs "
            "was touched by it; run `dacli upgrade` again once no one else is writing."
        )
    result = UpgradeResult(settings.schema_, len(after), removed, unreadable)
    if result.changed:
        session.audit(
            "store-upgrade",
            detail={"from": settings.schema_, "to": STORE_FORMAT, "records": len(after), "removed": removed},
        )
    return result
