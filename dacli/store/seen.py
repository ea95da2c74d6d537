"""What this computer has already seen of a store's staff list: a guard against putting an old one back.

A staff list is signed, but an older signed copy (from a backup, or git history) would still verify, and a
manager who has been removed still holds a key that signed lists once. So each person's computer keeps, in
their own data folder (never in the store), per store: the highest key epoch seen, who was seen removed,
and who was seen at all. A list is refused if it goes back to a lower epoch, shows someone seen removed as
current, or names someone new who was certified by a person no longer on the staff. Holds staff ids and
numbers only. The first look at a store is trusted (there is nothing to compare with yet).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dacli.errors import IntegrityError
from dacli.text import Refused, load_json


def _path(store_id: str) -> Path | None:
    from platformdirs import user_data_path

    if not store_id.isalnum():
        return None
    return user_data_path("dacli") / "seen" / f"{store_id}.json"


def _load(path: Path) -> dict:
    """What this computer remembers; a file of another shape (damaged, or edited by hand) is forgotten
    rather than a crash (whoever can write it can delete it)."""
    try:
        data = load_json(path.read_bytes(), "seen")
    except (OSError, Refused):
        return {}
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("key_epoch", 0), int)
        or not all(isinstance(data.get(k, []), list) for k in ("removed", "members"))
        or not all(isinstance(x, str) for k in ("removed", "members") for x in data.get(k, []))
    ):
        return {}
    return data


def check(store_id: str, staff, arriving: frozenset[str] = frozenset()) -> None:
    """Refuse ``staff`` (a verified StaffList) if it is older than what this computer has seen; else
    remember it. A home folder that cannot be written only loses the memory, never blocks work.
    ``arriving``: staff ids added by a recent staff change (within the arrival grace): one made by a manager
    removed meanwhile in another office is an addition still arriving (the staff changes checked that it was
    made before the removal), not forged."""
    path = _path(store_id)
    if path is None:
        return
    seen = _load(path)
    epoch = int(seen.get("key_epoch", 0))
    removed = set(seen.get("removed", []))
    members = set(seen.get("members", []))
    if staff.key_epoch < epoch:
        raise IntegrityError(
            f"The staff list is older than one this computer has already seen (key epoch {staff.key_epoch}, "
            f"not {epoch}): it was put back from a copy. A manager restores the current one."
        )
    by_id = {m.id: m for m in staff.staff}
    for m in staff.staff:
        if m.active and m.id in removed:
            raise IntegrityError(
                f"The staff list shows {m.username} as current, but this computer has seen them removed: it "
                "was put back from a copy or forged."
            )
        issuer = by_id.get(m.added_by) if m.added_by else None
        recent = m.id in arriving
        if members and m.id not in members and issuer is not None and not issuer.active and not recent:
            raise IntegrityError(
                f"The staff list names {m.username}, added by {issuer.username} who has left: forged."
            )
    state = {
        "key_epoch": max(epoch, staff.key_epoch),
        "removed": sorted(removed | {m.id for m in staff.staff if not m.active}),
        "members": sorted(members | set(by_id)),
    }
    if state == {"key_epoch": epoch, "removed": sorted(removed), "members": sorted(members)}:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(state))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        pass
