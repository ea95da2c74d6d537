"""Sync status: the conflict copies a file-sync engine left in the store, each checked under its original
name, the derived files a format-2 store still holds, and the engines' ignore files (`dacli.store.sync`).
Nothing here deletes anything; `write_ignore_files` only adds lines to an engine's ignore file."""

from __future__ import annotations

from dataclasses import dataclass, field

from dacli.store import sync
from dacli.store.store import Session, Store
from dacli.store.sync import Copy, CopyCheck, case_copies, find_copies, ignore_files_missing, legacy_files

ATTENTION_EXIT = 11
"""`dacli sync status` exits with this when a conflict copy differs from the file it copies or does not
verify (README 'Errors and exit codes')."""


@dataclass
class SyncStatus:
    copies: list[CopyCheck] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)
    """Derived files of a format-2 store in `.dacli/` (index.json.age, anchors.json.age): no longer used."""
    ignore_missing: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """(engine, ignore file, lines it lacks) where an engine's marker is in the store's folder."""
    late: dict[str, list[str]] = field(default_factory=dict)
    """Files that arrived in a purged case's folder after the retention sweep purged it (an office that was
    offline for longer than the grace period synced them since): {case: file names}. Left for a manager."""

    staff_waiting: list[str] = field(default_factory=list)
    """Staff changes waiting for another to arrive (the addition of their author, or of whom they remove)."""
    staff_to_check: list[str] = field(default_factory=list)
    """Staff changes believed that a manager checks: a leaver's, made shortly before their removal and not
    known to the manager who removed them (listed on every look, with no exit code of their own: most are a
    manager's genuine last change, still on its way when the removal was made)."""

    memory: str | None = None
    """How this computer came to its memory of the staff list, when that is worth saying: introduced by
    another computer, or a first look at a store that already had leavers (`staff_memory`)."""

    @property
    def to_look_at(self) -> list[CopyCheck]:
        return [c for c in self.copies if c.to_look_at]

    @property
    def attention(self) -> bool:
        return bool(self.to_look_at or self.late)


def sync_status(session: Session) -> SyncStatus:
    from dacli.errors import DacliError
    from dacli.store.retention import late_arrivals

    root = session.store.root
    try:
        late = late_arrivals(root, session.store.meta, session.tombstone_book().entries)
    except DacliError:  # a damaged tombstone register: `audit verify` names it; the copies still show
        late = {}
    return SyncStatus(
        session.conflict_checks(),
        legacy_files(root),
        ignore_files_missing(root),
        late,
        session.staff_waiting(),
        session.staff_doubts(),
        staff_memory(session.store),
    )


def staff_memory(store: Store) -> str | None:
    """One sentence on this computer's memory of the staff list: who introduced it (`dacli sync join`), or,
    when its first look was at a store that already had leavers, that it reads the shared files alone."""
    from dacli.store import seen

    kept = seen.remembered(store.settings.store_id)
    made = kept.get("introduced")
    if made and made.get("missed"):
        return (
            f"This computer was introduced to the store by {made.get('username')} (their computer's memory"
            f" as at {_shown(made.get('at'))}), but a removal dated before it was taken has arrived since, "
            "or a change it believes is called back-dated by one: a leaver's forged change could be "
            "believed here. Run `dacli sync "
            "introduce --out FILE` on another computer that has used the store since before anyone left, "
            "then `dacli sync join FILE` here."
        )
    if made:
        return (
            f"This computer was introduced to the store by {made.get('username')} (their computer's memory"
            f" of the staff list as at {_shown(made.get('at'))}, joined {_shown(made.get('joined'))})."
        )
    first = kept.get("first_look") or {}
    if kept and not seen.vouches(kept) and "first_look" not in kept:
        return (
            "This computer's memory of the staff list was kept by an earlier dacli, which did not record "
            "whether anyone had left before its first look: a leaver's forged change could be believed "
            "here. Run `dacli sync introduce --out FILE` on a computer that has used the store since before "
            "anyone left (or was introduced), then `dacli sync join FILE` here."
        )
    if first.get("missed"):
        return (
            "This computer believes a staff change that a removal which arrived later calls back-dated (it "
            "read the change while the removal was missing): a leaver's forged change could be believed "
            "here. Run `dacli sync introduce --out FILE` on another computer that has used the store since "
            "before anyone left, then `dacli sync join FILE` here."
        )
    if first.get("removed"):
        return (
            f"This computer first read the staff list on {_shown(first.get('at'))}, when {first['removed']} "
            f"{'person' if first['removed'] == 1 else 'people'} had already been removed, from the shared "
            "files alone: a leaver's forged change could be believed here. Run `dacli sync introduce --out "
            "FILE` on a computer that has used the store since before anyone left (or was introduced), then "
            "`dacli sync join FILE` here."
        )
    return None


def _shown(at) -> str:
    """A time this computer's memory keeps (ISO text), as a person reads it; as kept if it is not one."""
    from datetime import datetime

    from dacli import clock

    try:
        return clock.show(datetime.fromisoformat(at))
    except (TypeError, ValueError):
        return "an unknown time"


def memory_warning(store: Store) -> str | None:
    """`staff_memory`'s sentence when it warns: a first look at a store with leavers, not introduced."""
    from dacli.store import seen

    made = seen.remembered(store.settings.store_id).get("introduced")
    if made and not made.get("missed"):
        return None
    return staff_memory(store)


def introduce(session: Session) -> bytes:
    """This computer's memory of the staff list, signed by the person unlocked (`store.introduce`)."""
    from dacli.store.introduce import introduction

    return introduction(session)


def prepare_join(store: Store, member, creds, raw: bytes):
    """Check the introduction ``raw`` for this computer, for ``member`` (their identity, ``creds``, anchors
    the staff list): what taking it would change (`store.introduce.Joining`). Changes nothing."""
    from dacli.store.introduce import prepare_join as prepare

    return prepare(store, member, creds, raw)


def take_join(joining) -> None:
    """Make a checked introduction (`prepare_join`) this computer's memory of the staff list."""
    from dacli.store.introduce import take

    take(joining)


def conflict_copies(session: Session, ref: str | None = None) -> list[Copy]:
    """The conflict copies in the store, or in one case's folder (by name only: nothing is opened)."""
    root = session.store.root
    return case_copies(root, ref) if ref else find_copies(root)


def write_ignore_files(store: Store) -> list[str]:
    """Add dacli's lock and temp files to the ignore file of each engine whose marker is in the store's
    folder; the ignore files written."""
    return sync.write_ignore_files(store.root)


def copy_json(check: CopyCheck) -> dict:
    c = check.copy
    return {
        "case": c.case,
        "file": c.shown,
        "engine": c.engine,
        "original": c.original,
        "kind": c.kind,
        "verifies": check.verifies,
        "problem": check.problem,
        "identical": check.same,
        "note": check.note,
        "to_look_at": check.to_look_at,
    }
