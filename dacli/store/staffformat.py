"""The staff change's format: one signed, write-once file per change (`staffevents` folds them).

A change is `.dacli/staff/<UTC stamp>-<random>.toml`, signed by its author for its own name; parsed once per
(name, SHA-256) in a process. `Fold` is what folding them gives: the staff list and what was not believed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError

from dacli.errors import IntegrityError
from dacli.schemas.common import Strict
from dacli.schemas.store import StaffList, StaffMember
from dacli.store import signing
from dacli.store.documents import signed_context
from dacli.text import Refused, load_toml

EVENTS = "staff"
"""The folder in `.dacli/` that holds the staff events."""
EVENT_SCHEMA = "staff-event/1"
EVENT_RE = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}\.toml$")
MAX_EVENT_BYTES = 512 * 1024
"""A staff change larger than this is not read (a seal naming 5,000 changes is about 350 KB)."""
DIGEST_RE = r"^[0-9a-f]{64}$"


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
    seal: list[Annotated[str, Field(pattern=DIGEST_RE)]] | None = Field(None, max_length=5_000)
    """remove: SHA-256 of each staff change signed by the person removed that the author believed (None in a
    removal written before seals: it seals nothing)."""
    grace_hours: int | None = Field(None, ge=1, le=24 * 90)
    """remove: the policy's arrival grace when the removal was made."""
    snapshot: str | None = Field(None, pattern=DIGEST_RE)
    """remove: SHA-256 of the staff list's snapshot (`staff.toml`) as the author read it. The snapshot is
    written once, when the store is made; one that differs from what a believed removal saw was written
    since (by a leaver, whose key still signs): refused (`staff.pinned_snapshot`). None in a removal made
    before this was recorded."""


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
    doubts: list[str] = field(default_factory=list)
    """Changes believed that a manager should check: made by a leaver shortly before their removal, and not
    known to the manager who removed them."""
    doubted: set[str] = field(default_factory=set)
    """The SHA-256 of each change in ``doubts``."""
    held: list[str] = field(default_factory=list)
    """Changes believed only because this computer believed them before, which a removal's seal now calls
    back-dated: it was fooled (it read them while the removal was missing), and vouches no more (`seen`)."""
    memory_stamp: tuple | None = None
    """This computer's memory file as the reading left it (`seen.check`, `staff.watched_fold`)."""
    believed: dict[str, list[str]] = field(default_factory=dict)
    """Signer's staff id to the SHA-256 of each of their changes believed (what a removal of them seals)."""
    names: dict[str, str] = field(default_factory=dict)
    """File name to SHA-256 of the changes believed (what a computer remembers it has seen, `seen`)."""
    added: set[str] = field(default_factory=set)
    """Staff ids added by a change believed (the rest come from the snapshot)."""
    removals: list[tuple[StaffEvent, str]] = field(default_factory=list)
    """Removals believed (applied, or of someone already removed), with their file's SHA-256."""
    adds: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Staff id added by a change believed, to (its signer's id, its SHA-256)."""
    unadded: dict[str, str] = field(default_factory=dict)
    """Staff id to the sentence saying why the change adding them is not believed."""
    aliases: list[StaffMember] = field(default_factory=list)
    """Unchecked fold only: people added under a username already taken (whoever has an identity file is
    who they are: a planted addition must not stand in for a real one before the list is checked)."""
    sealable: dict[str, list[str]] = field(default_factory=dict)
    """Signer's staff id to the SHA-256 of their changes that wait (their signature checked): sealed too."""
    sure: dict[str, list] = field(default_factory=dict)
    """Staff id to the removals of them that stand without their own changes (`_sure`)."""
    removal_grace: dict[str, int] = field(default_factory=dict)
    """Staff id removed, to the arrival grace (hours) its removal was made under."""

    def seal_of(self, staff_id: str) -> list[str]:
        return sorted({*self.believed.get(staff_id, ()), *self.sealable.get(staff_id, ())})


_PARSED: dict[tuple[str, str], tuple] = {}
"""(file name, SHA-256) to what `_parse` made of it: a store's changes are read by every command, twice."""


def parse_event(name: str, raw: bytes) -> tuple[StaffEvent, bytes, str, str, str]:
    what = f"The staff list change {EVENTS}/{name}"
    if len(raw) > MAX_EVENT_BYTES:
        raise IntegrityError(f"{what} is too large to be a staff change ({len(raw):,} bytes).")
    digest = hashlib.sha256(raw).hexdigest()
    done = _PARSED.get((name, digest))
    if done is None:
        done = _parse_new(name, raw, what, digest)
        if len(_PARSED) > 20_000:
            _PARSED.clear()
        _PARSED[(name, digest)] = done
    return done


def _parse_new(name: str, raw: bytes, what: str, digest: str) -> tuple[StaffEvent, bytes, str, str, str]:
    body, author, signature = signing.split(raw, what)
    try:
        event = StaffEvent.model_validate(load_toml(body.decode("utf-8"), what))
    except (UnicodeDecodeError, Refused, ValidationError):
        raise IntegrityError(f"{what} is damaged (edited by hand, or not dacli's).") from None
    if event.schema_ != EVENT_SCHEMA:
        raise IntegrityError(f"{what} is not a dacli staff change.")
    if not name.startswith(event_name(event.at)[:22]):
        raise IntegrityError(f"{what} is dated {event.at.isoformat()}, not the time its name gives (forged).")
    return event, body, author, signature, digest
