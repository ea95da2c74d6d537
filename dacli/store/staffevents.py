"""Staff changes as signed, write-once events, and the staff list as their fold.

`.dacli/staff.toml` is the starting snapshot (signed by a manager, as format 3 wrote it before events); it is
never rewritten. Each change after it is one file `.dacli/staff/<UTC stamp>-<random>.toml`, written once by
the manager who made it and signed by them for its own name, so a sync engine carries it between offices
and never has two versions of one file to choose between. The staff list is the snapshot with every event
applied in order of time, then name. Rules checked on every read:

- the signer is the author the event names (``author``; an added member's ``added_by``), and was a current
  manager at the event's time: an event signed by a caseworker, or naming another author, or whose signature
  fails, is forged: not believed, and named (`audit verify`), never stopping anyone's work; so is one signed
  by a manager after their removal (in an office that had not heard of it yet, or by a leaver's key), except
  the removal of the very manager who removed them: a removal is permanent, so a leaver who back-dates the
  removal of their remover does not undo their own, and both are removed (listed in ``late``);
- an event signed by someone this copy does not know yet (the event that added them has not arrived) waits,
  believed once it can be checked (``waiting``);
- a removal is permanent: nothing adds an id that was ever on the staff again, and a removal of someone not
  yet known here waits for their addition. Two managers' changes made apart both stand.

``key_epoch`` of the folded list is the snapshot's plus one per removal: it only grows as copies merge (a
count of facts, never a number one office chose), so `seen` can still tell a list put back from an old copy.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from dacli.errors import IntegrityError
from dacli.schemas.common import Role, Strict
from dacli.schemas.store import StaffList, StaffMember
from dacli.store import signing
from dacli.store.documents import certificate_context, signed_context
from dacli.text import Refused, load_toml

EVENTS = "staff"
"""The folder in `.dacli/` that holds the staff events."""
EVENT_SCHEMA = "staff-event/1"
EVENT_RE = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}\.toml$")


class StaffEvent(Strict):
    schema_: str = Field(EVENT_SCHEMA, alias="schema")
    kind: Literal["add", "remove"]
    at: datetime
    author: str
    """The manager who made the change (and signed this file)."""
    member: StaffMember | None = None
    """add: the new member, certified by the author."""
    staff: str | None = None
    """remove: the staff id removed."""


def event_name(at: datetime) -> str:
    return f"{at.astimezone(UTC).strftime('%Y%m%dT%H%M%S%f')}Z-{secrets.token_hex(4)}.toml"


def event_names(folder: Path) -> list[str]:
    """The event files in ``folder`` (dacli's names only: a conflict copy or a temp file is not an event)."""
    try:
        return sorted(n for n in (p.name for p in folder.iterdir()) if EVENT_RE.fullmatch(n))
    except (FileNotFoundError, NotADirectoryError):
        return []


def event_context(store_id: str, name: str) -> bytes:
    return signed_context("staff-event", store_id, name)


@dataclass
class Fold:
    staff: StaffList
    base_ids: set[str]
    """Who the snapshot names: the only people who may hold a key of a ring written before events."""
    late: list[str] = field(default_factory=list)
    """Events not believed (signed by a manager after their removal), one sentence each."""
    waiting: list[str] = field(default_factory=list)
    """Events that cannot be checked yet (their signer's own addition has not arrived)."""
    added_at: dict[str, datetime] = field(default_factory=dict)
    """Staff ids added by a staff change, and its time (checked to be before its signer's removal)."""

    def arriving(self, since: datetime) -> frozenset[str]:
        """Who was added by a staff change made since ``since`` (maybe still arriving in other offices)."""
        return frozenset(i for i, at in self.added_at.items() if at >= since)


def _parse(name: str, raw: bytes) -> tuple[StaffEvent, bytes, str, str]:
    what = f"The staff list change {EVENTS}/{name}"
    body, author, signature = signing.split(raw, what)
    try:
        event = StaffEvent.model_validate(load_toml(body.decode("utf-8"), what))
    except (UnicodeDecodeError, Refused, ValidationError):
        raise IntegrityError(f"{what} is damaged (edited by hand, or not dacli's).") from None
    if event.schema_ != EVENT_SCHEMA:
        raise IntegrityError(f"{what} is not a dacli staff change.")
    return event, body, author, signature


def fold(base: StaffList, events: list[tuple[str, bytes]], store_id: str, *, check: bool = True) -> Fold:
    """The staff list: ``base`` (already verified by the caller when ``check``) and ``events`` (name, bytes)
    applied in order of time, then name. With ``check`` every rule in the module's notes is enforced; without
    it (who is who before anyone unlocks) the events are only parsed, and the ones that cannot apply skipped.
    """
    staff = base.model_copy(deep=True)
    staff.rewrap_pending = False  # derived now (`KeyRoom.rekey_due`): never a shared rewritten field
    result = Fold(staff, {m.id for m in staff.staff})
    parsed = []
    for name, raw in events:
        try:
            parsed.append((name, *_parse(name, raw)))
        except IntegrityError as exc:
            if check:  # not believed, and named: one bad file in the folder stops no one's work
                result.late.append(f"{exc.message.rstrip('.')}: not believed")
    parsed.sort(key=lambda p: (p[1].at, p[0]))
    # In order of time, then name; an event that needs another (its signer's addition, or the addition of
    # whom it removes) waits for it, and is applied after it (a clock between offices may disagree).
    while True:
        waiting = [p for p in parsed if _apply(p, staff, store_id, check, result) == "wait"]
        if len(waiting) == len(parsed):
            break
        parsed = waiting
    for name, event, _body, signer_id, _sig in parsed:
        what = f"The staff list change {EVENTS}/{name}"
        whom = signer_id if signer_id not in {m.id for m in staff.staff} else event.staff
        result.waiting.append(f"{what} waits for the staff change that added {whom} to arrive")
    return result


def _apply(parsed, staff: StaffList, store_id: str, check: bool, result: Fold) -> str:
    """Apply one event to ``staff``: "done" (applied, or not believed and listed), or "wait"."""
    name, event, body, signer_id, signature = parsed
    what = f"The staff list change {EVENTS}/{name}"
    by_id = {m.id: m for m in staff.staff}
    signer = by_id.get(signer_id)
    if signer is None:
        return "wait"
    if check:
        # A change that fails a check is not believed and is named (`audit verify`), never applied: one
        # forged or damaged file in the folder changes no one and stops no one's work.
        forged = None
        if not signing.verify(signer.signing_key, signature, event_context(store_id, name) + body):
            forged = f"{what} was changed outside dacli, or moved (it does not match its signature)"
        elif event.author != signer_id:
            forged = f"{what} names {event.author} as its author but is signed by {signer.username} (forged)"
        elif signer.role != Role.manager:
            forged = (
                f"{what} is signed by {signer.username}, a {signer.role.value}: only a manager changes staff "
                "(forged)"
            )
        if forged is not None:
            result.late.append(f"{forged}: not believed")
            return "done"
        mutual = event.kind == "remove" and event.staff is not None and event.staff == signer.removed_by
        if signer.removed is not None and signer.removed <= event.at and not mutual:
            result.late.append(f"{what} was made by {signer.username} after their removal: not believed")
            return "done"
        # (a removal of the very manager who removed the signer stands, as a removal is permanent: a leaver
        # who back-dates the removal of their remover does not undo their own; both are removed)
    if event.kind == "add" and event.member is not None:
        m = event.member
        if m.id in by_id:
            return "done"  # nothing adds an id that was ever on the staff again (a removal is permanent)
        if check:
            if m.added_by != signer_id or m.removed is not None:
                result.late.append(
                    f"{what} adds {m.username} in another manager's name (forged): not believed"
                )
                return "done"
            if not signing.verify(signer.signing_key, m.certificate, certificate_context(store_id, m)):
                result.late.append(
                    f"{what} adds {m.username} without a valid certificate (forged): not believed"
                )
                return "done"
        if any(s.username == m.username for s in staff.staff):
            result.late.append(f"{what} adds a second user called {m.username}: not believed")
            return "done"
        staff.staff.append(m.model_copy(deep=True))
        result.added_at[m.id] = event.at
    elif event.kind == "remove" and event.staff is not None:
        target = by_id.get(event.staff)
        if target is None:
            return "wait"
        if target.removed is None:
            staff.key_epoch += 1
            target.removed, target.removed_by = event.at, signer_id
            target.removed_epoch = staff.key_epoch
    return "done"
