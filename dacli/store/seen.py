"""What this computer has already seen of a store's staff list: a guard against putting an old one back.

A staff list is signed, but an older signed copy (from a backup, or git history) would still verify, and a
manager who has been removed still holds a key that signed lists once. So each person's computer keeps, in
their own data folder (never in the store), per store: the highest key epoch seen, who was seen removed,
who was seen at all, and the names of the staff changes believed. A list is refused if it goes back to a
lower epoch or shows someone seen removed as current; a staff change signed by someone this computer had
already seen removed, first seen after that and dated more than the arrival grace ago, is not believed
(`Memory`), nor one whose file changed since it was read here. Holds staff ids, staff-change
file names (a time and a random part) with their SHA-256 and when each was first believed here, and numbers
only. The first look at a store is
trusted (there is nothing to compare with yet), and remembered (``first_look``: when, and how many people
had been removed by then) unless another computer's memory was handed to this one (`introduce`), which
replaces this computer's own and is remembered as ``introduced`` (by whom, when).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dacli.errors import DacliError, IntegrityError, LockBusy, StoreError
from dacli.text import Refused, load_json


def _path(store_id: str) -> Path | None:
    from platformdirs import user_data_path

    if not store_id.isalnum():
        return None
    return user_data_path("dacli") / "seen" / f"{store_id}.json"


def _load(path: Path) -> dict:
    """What this computer remembers; a file of another shape (damaged, or edited by hand) is forgotten
    rather than a crash (whoever can write it can delete it)."""
    return _load_stamped(path)[0]


def _load_stamped(path: Path) -> tuple[dict, tuple | None]:
    """`_load`, and the file's `stamp` as it was read (None when there is none)."""
    import os

    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            raw = f.read()
    except OSError:
        return {}, None
    try:
        data = load_json(raw, "seen")
    except Refused:
        data = {}
    return (data if valid(data) else {}), (st.st_size, st.st_mtime_ns, st.st_ino)


def valid(data) -> bool:
    """Whether ``data`` has the shape of a computer's memory of a store (`_load`)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("key_epoch", 0), int)
        and all(isinstance(data.get(k, []), list) for k in ("removed", "members"))
        and all(isinstance(x, str) for k in ("removed", "members") for x in data.get(k, []))
        and isinstance(data.get("changes", {}), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in data.get("changes", {}).items())
        and isinstance(data.get("seen_at", {}), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in data.get("seen_at", {}).items())
        and all(
            isinstance(data.get(k, {}), dict)
            and all(
                isinstance(v, (str, int)) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                for v in data.get(k, {}).values()
            )
            for k in ("introduced", "first_look")
        )
    )


class MemoryReplaced(LockBusy):
    """A reading of the staff list made from a memory an introduction replaced meanwhile (`check`): the
    reader folds again with the memory taken (`staff.watched_fold`)."""


KEPT = ("key_epoch", "removed", "members", "changes", "seen_at")
"""What one computer's memory hands to another (`introduce`): not when or how it came by it. ``seen_at``
(when each change was first believed, by the clock of the computer that read it) is absent from memories
and introductions made before it was kept."""


def vouches(kept: dict) -> bool:
    """Whether a memory (`remembered`) can vouch for the staff list: its first look was at a store no one
    had left yet, or it was taken from an introduction (`introduce`). A first look at a store that already
    had leavers read the staff changes alone, and may have been fooled by one."""
    if not kept:
        return False
    if kept.get("introduced"):  # unless a removal dated before the introduction arrived since (`_merged`)
        return not kept["introduced"].get("missed")
    if "first_look" not in kept:  # kept by a dacli that did not record its first look: only if it never
        return not kept.get("removed")  # saw anyone removed can it not have been fooled by a leaver
    return not kept["first_look"].get("removed") and not kept["first_look"].get("missed")


def remembered(store_id: str) -> dict:
    """This computer's memory of the store as kept ({} when it has none)."""
    path = _path(store_id)
    return _load(path) if path is not None else {}


def stamp(store_id: str) -> tuple | None:
    """This computer's memory file as it stands (size, modification time, inode), or None: it changes
    whenever the memory is written, and an introduction taken (`adopt`) replaces it, so a session open
    meanwhile reads the staff list again (`StaffRoom._checked_staff` compares it with what `check`
    returned)."""
    path = _path(store_id)
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_size, st.st_mtime_ns, st.st_ino)


def adopt(store_id: str, kept: dict, introduced: dict[str, str], expect: dict | None = None) -> None:
    """Replace this computer's memory of the store with another computer's (``kept``: its `KEPT` fields,
    shape checked by the caller), remembering who ``introduced`` it. Its own memory is not merged in: a
    change it believed on a first look that a leaver had planted would stay believed. ``expect``: the memory
    the introduction was checked against; if it changed meanwhile, nothing is written (LockBusy)."""
    path = _path(store_id)
    if path is None:
        raise IntegrityError("The store's id is not one this computer can keep a memory for.")
    try:
        with _locked(path):
            if expect is not None and _load(path) != expect:
                raise LockBusy(
                    "This computer's memory of the staff list changed while the introduction was being "
                    "checked (dacli ran meanwhile): nothing was changed; run `dacli sync join` again."
                )
            _write(path, {**{k: kept[k] for k in KEPT if k in kept}, "introduced": introduced}, strict=True)
    except LockBusy:
        raise
    except (OSError, DacliError):
        raise StoreError(
            f"Cannot keep this computer's memory of the store in {path.parent} (a full disk, or a folder "
            "that cannot be written): nothing was changed."
        ) from None


@dataclass(frozen=True)
class Memory:
    """What this computer remembers of a store's staff changes, for the fold (`staffevents.fold`): who it
    already knew had left, the changes it has believed (file name to SHA-256; None when it kept none yet),
    and now."""

    removed: frozenset[str]
    changes: dict[str, str] | None
    now: datetime
    introduced: str = ""
    """Which introduction the memory was read from (`introduced_mark`): `check` refuses to keep a reading
    made from a memory an introduction has replaced since."""
    seen_at: dict[str, str] | None = None
    """When each believed change was first believed (file name to ISO time; `first_seen`)."""

    def first_seen(self, name: str) -> datetime | None:
        """When the change ``name`` was first believed here (None when not kept, or not a time with its
        zone): a removal of its signer dated before that, which calls it back-dated, was missing then."""
        try:
            when = datetime.fromisoformat((self.seen_at or {})[name])
        except (KeyError, TypeError, ValueError):
            return None
        return when if when.tzinfo is not None else None


def introduced_mark(kept: dict) -> str:
    """What tells one introduction taken from another, or from none ("")."""
    made = kept.get("introduced")
    return json.dumps(made, sort_keys=True) if made else ""


def memory(store_id: str, now) -> Memory:
    """What this computer remembers of the store's staff changes."""
    path = _path(store_id)
    seen = _load(path) if path is not None else {}
    changes = seen.get("changes")
    return Memory(
        frozenset(seen.get("removed", [])),
        None if changes is None else dict(changes),
        now,
        introduced_mark(seen),
        dict(seen.get("seen_at", {})),
    )


def check(
    store_id: str,
    staff,
    names: dict[str, str] | None = None,
    added: set[str] = frozenset(),
    read_with: Memory | None = None,
    fooled: bool = False,
) -> tuple | None:
    """Refuse ``staff`` (a verified StaffList) if it is older than what this computer has seen, or names
    someone new in its snapshot certified by someone who has left; else remember it, and ``names``, the
    staff changes believed (file name to SHA-256). ``added``: who a staff change believed added (the fold
    has checked those against the removals' seals and this computer's memory). ``read_with``: the memory
    the reading was made with; if an introduction (`adopt`) has replaced it since, the reading is refused,
    not merged into the memory taken. A home folder that cannot be written only loses the memory, never
    blocks work. Returns the memory file's `stamp` as this reading compared against it or left it."""
    path = _path(store_id)
    if path is None:
        return None
    seen, read = _load_stamped(path)
    if _merged(seen, staff, names, added, read_with, fooled) is None:
        return read  # nothing new to remember: no lock taken (every unlock reads this)
    try:
        with _locked(path):  # read again: an introduction (`adopt`) or another reading may have written
            seen, read = _load_stamped(path)
            state = _merged(seen, staff, names, added, read_with, fooled)
            if state is not None:
                _write(path, state)
                read = stamp(store_id)  # under the lock: as this reading left it
            return read
    except LockBusy:
        raise
    except (OSError, DacliError):  # the home folder cannot be written: only the memory is lost (and the
        return read  # file as read stands: the next look does not read the staff list again for it)


def refuse(store_id: str, staff, names: dict[str, str] | None = None, added: set[str] = frozenset()) -> None:
    """`check`'s refusals only (a list older than one this computer has seen, someone it saw removed shown as
    current, someone new added by a leaver), writing nothing: for a reader that must not change the memory
    (the unattended retention sweep)."""
    path = _path(store_id)
    if path is not None:
        _merged(_load(path), staff, names, added, None)


def _merged(seen: dict, staff, names, added, read_with: Memory | None, fooled: bool = False) -> dict | None:
    """`check`'s memory after ``staff`` is read against ``seen`` (None if nothing changes), or the refusal."""
    if read_with is not None and introduced_mark(seen) != read_with.introduced:
        raise MemoryReplaced(
            "This computer's memory of the staff list was replaced by an introduction (`dacli sync join`) "
            "while the staff list was being read: nothing was changed; run the command again."
        )
    epoch = int(seen.get("key_epoch", 0))
    removed = set(seen.get("removed", []))
    members = set(seen.get("members", []))
    changes = dict(seen.get("changes", {}))
    seen_at = dict(seen.get("seen_at", {}))
    if staff.key_epoch < epoch:
        raise IntegrityError(
            f"The staff list is older than one this computer has already seen (key epoch {staff.key_epoch}, "
            f"not {epoch}): a removal it believed is missing or no longer believed (its file deleted or "
            "put back from a copy, or a staff change planted since). A manager checks .dacli/staff against a "
            "backup."
        )
    by_id = {m.id: m for m in staff.staff}
    for m in staff.staff:
        if m.active and m.id in removed:
            raise IntegrityError(
                f"The staff list shows {m.username} as current, but this computer has seen them removed: "
                "their removal is missing or no longer believed (deleted, put back from a copy, or a staff "
                "change planted since). A manager checks .dacli/staff against a backup."
            )
        issuer = by_id.get(m.added_by) if m.added_by else None
        if members and m.id not in members and m.id not in added and issuer is not None and not issuer.active:
            raise IntegrityError(
                f"The staff list names {m.username}, added by {issuer.username} who has left: forged."
            )
    state = {
        "key_epoch": max(epoch, staff.key_epoch),
        "removed": sorted(removed | {m.id for m in staff.staff if not m.active}),
        "members": sorted(members | set(by_id)),
        "changes": {**changes, **(names or {})},
        "seen_at": {**_now_for(set(names or {}) - set(changes)), **seen_at},
    }
    old = {
        "key_epoch": epoch,
        "removed": sorted(removed),
        "members": sorted(members),
        "changes": changes,
        "seen_at": seen_at,
    }
    look = seen.get("first_look")
    look_now = _first_look_seen_again(look, staff) if look and not seen.get("introduced") else look
    made = seen.get("introduced")
    made_now = _introduction_seen_again(made, staff) if made else made
    if fooled:  # it believes a change a removal's seal calls back-dated: it vouches no more
        if made_now:
            made_now = made_now if made_now.get("missed") else {**made_now, "missed": 1}
        elif look_now:
            look_now = look_now if look_now.get("missed") else {**look_now, "missed": 1}
    if state == old and "changes" in seen and look_now == look and made_now == made:
        return None
    for kept in ("introduced", "first_look"):
        if kept in seen:
            state[kept] = seen[kept]
    if look_now is not None and "first_look" in seen:
        state["first_look"] = look_now
    if made_now is not None and "introduced" in seen:
        state["introduced"] = made_now
    if not seen:
        from dacli import clock

        removed_now = sum(1 for m in staff.staff if not m.active)
        state["first_look"] = {"at": clock.now().isoformat(timespec="seconds"), "removed": removed_now}
    return state


def _now_for(names: set[str]) -> dict[str, str]:
    """Each of ``names`` first believed now (this computer's clock)."""
    if not names:
        return {}
    from dacli import clock

    now = clock.now().isoformat(timespec="seconds")
    return dict.fromkeys(names, now)


def removed_before(staff, at) -> int:
    """How many on ``staff`` were removed before ``at`` (ISO text; 0 if it is not a time with its zone)."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(str(at))
        return sum(1 for m in staff.staff if m.removed is not None and m.removed < when)
    except (TypeError, ValueError):
        return 0


def _introduction_seen_again(made: dict, staff) -> dict:
    """An introduction taken (``made``, `adopt`'s record) counted again against ``staff``: a removal dated
    before it was taken (by this computer's clock: the introduction's own time is its signer's to choose)
    that its memory did not hold (the file was out of the folder) means it was made without it: the memory
    vouches no more (`vouches`), and says so."""
    if not isinstance(made.get("removed"), int) or made.get("missed"):
        return made  # taken by a dacli that did not count (nothing to compare), or already marked
    if removed_before(staff, made.get("joined")) > made["removed"]:
        return {**made, "missed": 1}
    return made


def _first_look_seen_again(look: dict, staff) -> dict:
    """A first look (``look``) counted again against ``staff``: a removal dated before it that this
    computer did not see then (its file was missing: taken out for a while, or not yet synced) means it
    looked at a store someone had already left, so it vouches no more (`vouches`) and says so."""
    from datetime import datetime

    try:
        at = datetime.fromisoformat(str(look.get("at")))
    except ValueError:
        return look
    try:
        earlier = sum(1 for m in staff.staff if m.removed is not None and m.removed < at)
    except TypeError:  # a time without its zone (written by hand): left as it was
        return look
    return {**look, "removed": earlier} if earlier > int(look.get("removed") or 0) else look


def _locked(path: Path):
    """The lock of this computer's memories (held by every writer of them: `check`, `adopt`)."""
    from dacli.store.fsio import folder_lock

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder_lock(path.parent, 10.0, "this computer's memory of the staff list")


def _write(path: Path, state: dict, strict: bool = False) -> None:
    """Keep ``state`` as this computer's memory, whole or not at all (fsynced; no temp file left behind): a
    home folder that cannot be written only loses it, unless ``strict``."""
    from dacli.store.fsio import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(path, json.dumps(state).encode())
    except (OSError, DacliError):
        if strict:
            raise
