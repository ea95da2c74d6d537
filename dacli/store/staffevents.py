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
  the removal of the very manager who removed them made within the grace after it (two managers removing
  each other apart: both stand) (listed in ``late``); a file whose name does not carry its time is forged;
- a person's own changes never decide whether they are removed (`_sure`): a removal of X counts only if it
  stands in the staff list folded without X's changes other than those its seal names. So a leaver's
  back-dated removal of the manager who removed them, or an addition of that manager's id with keys the
  leaver holds, cannot stop their own removal, while a manager can remove the manager who added them;
- an event signed by someone this copy does not know yet (the event that added them has not arrived) waits,
  believed once it can be checked (``waiting``);
- a removal is permanent: nothing adds an id that was ever on the staff again, and a removal of someone not
  yet known here waits for their addition. Two managers' changes made apart both stand;
- a removal is sealed: it names (``seal``, SHA-256 of each file's bytes) every change signed by the person
  removed that its author believed, and the arrival grace then in force (``grace_hours``). A change signed by
  a removed person, dated more than that grace before a removal of them, and named by no removal's seal, was
  made with a leaver's key and back-dated (an office offline for longer than the grace has the same effect,
  which is why the grace must be at least that long): not believed, on every computer, a new one too.
  Every removal of X made more than the grace after such a change must name it (one removal cannot vouch
  for the addition of its own author).
  A change the leaver signed within the grace before their removal cannot be told from one still arriving
  from an office that was offline: it stands, and is listed for a manager to check (``doubts``);
- ``memory`` (this computer's own, `seen`): a change signed by someone this computer already knew had left,
  first seen here after that, and dated more than the grace before now, is not believed here either; a
  change it believed before is never taken away, and a file it read before under the same name with other
  content is tampered;
- one id added by changes that disagree: the one signed by someone removed does not stand in for another's.

``key_epoch`` of the folded list is the snapshot's plus one per removal: it only grows as copies merge (a
count of facts, never a number one office chose), so `seen` can still tell a list put back from an old copy.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError

from dacli.errors import IntegrityError
from dacli.schemas.common import Role, Strict
from dacli.schemas.store import StaffList, StaffMember
from dacli.store import signing
from dacli.store.documents import certificate_context, signed_context
from dacli.store.seen import Memory
from dacli.text import Refused, load_toml

EVENTS = "staff"
"""The folder in `.dacli/` that holds the staff events."""
EVENT_SCHEMA = "staff-event/1"
EVENT_RE = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}\.toml$")
MAX_EVENT_BYTES = 512 * 1024
"""A staff change larger than this is not read (a seal naming 5,000 changes is about 350 KB)."""
DIGEST_RE = r"^[0-9a-f]{64}$"
ROUNDS = 4
"""How many times the fold is taken again while the seals it believes change what it believes."""


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


def _parse(name: str, raw: bytes) -> tuple[StaffEvent, bytes, str, str, str]:
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


def fold(
    base: StaffList,
    events: list[tuple[str, bytes]],
    store_id: str,
    *,
    check: bool = True,
    memory: Memory | None = None,
) -> Fold:
    """The staff list: ``base`` (already verified by the caller when ``check``) and ``events`` (name, bytes)
    applied in order of time, then name. With ``check`` every rule in the module's notes is enforced; without
    it (who is who before anyone unlocks) the events are only parsed, and the ones that cannot apply skipped.
    """
    parsed, bad = [], []
    for name, raw in events:
        try:
            parsed.append((name, *_parse(name, raw)))
        except IntegrityError as exc:
            bad.append(f"{exc.message.rstrip('.')}: not believed")
    parsed.sort(key=lambda p: (p[1].at, p[0]))
    if not check:
        return _fold_once(base, parsed, store_id, False, {}, [])
    # Who is removed is decided without their own changes (`_sure`); the seals of those removals, and this
    # computer's memory, decide which of a leaver's changes are believed (`_excluded`); that may change the
    # removals again: decided again until nothing changes.
    excluded: dict[tuple[str, str], str] = {}
    seen: list[dict[tuple[str, str], str]] = []
    for _ in range(ROUNDS):
        sure = _sure(base, parsed, store_id, excluded)
        found = _excluded(parsed, sure, memory, _names(base, parsed))
        if found == excluded:
            break
        seen.append(found)
        excluded = found
    else:
        # It never settles (removals planted to contradict one another): a change stays refused only if
        # every reading refused it.
        excluded = {k: v for k, v in seen[-1].items() if all(k in other for other in seen)}
        sure = _sure(base, parsed, store_id, excluded)
    result = _fold_once(base, parsed, store_id, True, excluded, bad, sure)
    if len(seen) == ROUNDS:
        result.late.append(
            "The staff changes contradict one another (removals whose seals disagree): a manager checks "
            "the removals listed by `dacli sync status`: not settled"
        )
    result.sure = sure
    _doubts(parsed, result)
    return result


def _names(base: StaffList, parsed) -> dict[str, str]:
    """Staff id to username, from the snapshot and every addition (for sentences only)."""
    names = {m.id: m.username for m in base.staff}
    for _n, event, *_rest in parsed:
        if event.kind == "add" and event.member is not None:
            names.setdefault(event.member.id, event.member.username)
    return names


def _sure(base, parsed, store_id, excluded) -> dict[str, list[tuple[StaffEvent, str]]]:
    """For each person removed: the removals of them (event, SHA-256) that stand without the person's own
    changes, less those its seal vouches for. A removal of X is folded with none of X's changes but the ones
    its seal names (what its author believed X had done: X's addition of the author, say) and that are not
    refused; it counts if it still removes X. So a leaver's back-dated removal of the manager who removed
    them, or an addition of that manager's id with the leaver's keys, cannot stop their own removal, while
    a manager can remove the manager who added them. (A removal written before seals vouches for every
    change X made before it.) Only removals signed by the author they name are folded for."""
    keys: dict[str, set[str]] = {}  # every key any addition gives an id (one may be a leaver's forgery)
    for m in base.staff:
        keys.setdefault(m.id, set()).add(m.signing_key)
    for p in parsed:
        if p[1].kind == "add" and p[1].member is not None:
            keys.setdefault(p[1].member.id, set()).add(p[1].member.signing_key)
    candidates = []
    for name, event, body, signer_id, sig, digest in parsed:
        target = event.staff
        if event.kind != "remove" or not target or target == signer_id or (name, digest) in excluded:
            continue
        message = event_context(store_id, name) + body
        if any(signing.verify_once(public, sig, message) for public in keys.get(signer_id, ())):
            candidates.append((event, digest))  # else not signed by whom it names: the fold refuses it
    # What each author's own removals say: the changes of the people they removed that they did not know of,
    # dated more than the grace before (a removal is checked with its author's view of the others they
    # removed, so two leavers' back-dated removals of the same manager cannot hold each other up).
    unknown: dict[str, set[str]] = {}
    for event, _digest in candidates:
        if event.seal is not None:
            sealed = set(event.seal)
            unknown.setdefault(event.author, set()).update(
                p[5]
                for p in parsed
                if p[3] == event.staff and p[5] not in sealed and _before_grace(p[1], event)
            )
    sure: dict[str, list[tuple[StaffEvent, str]]] = {}
    for event, digest in candidates:
        target = event.staff
        vouched = set(event.seal or ())
        disowned = unknown.get(event.author, set()) - {digest}
        kept = [
            p
            for p in parsed
            if (p[3] != target or (p[5] in vouched if event.seal is not None else p[1].at < event.at))
            and (p[3] == target or p[5] not in disowned)
        ]
        folded = _fold_once(base, kept, store_id, True, excluded, [])
        if any(d == digest for _e, d in folded.removals):
            sure.setdefault(target, []).append((event, digest))
    return sure


def _before_grace(event: StaffEvent, removal: StaffEvent) -> bool:
    return event.at < removal.at - timedelta(hours=removal.grace_hours or 24)


def _excluded(parsed, sure, memory: Memory | None, names: dict[str, str]) -> dict[tuple[str, str], str]:
    """The changes ((file name, SHA-256) to a sentence) not believed:
    - a file this computer read before under the same name with other content (written once: tampered);
    - back-dated with a leaver's key: signed by someone removed, dated more than the grace before a sealed
      removal of them and named by no seal of one (never one this computer believed before); or first seen
      here after this computer knew of their removal, dated more than the grace before now, and sealed by
      no removal of them."""
    seals = {who: [e for e, _d in rs if e.seal is not None] for who, rs in sure.items()}
    seals = {who: rs for who, rs in seals.items() if rs}
    grace = {who: max((e.grace_hours or 24 for e, _d in rs), default=24) for who, rs in sure.items()}
    remembered = memory.changes if memory is not None and memory.changes is not None else None
    found = {}
    # One id added by changes that disagree (an id is made once, at random, by the manager who adds the
    # person): the addition signed by someone removed does not stand in for the one by someone who is not.
    adds: dict[str, list] = {}
    for p in parsed:
        if p[1].kind == "add" and p[1].member is not None:
            adds.setdefault(p[1].member.id, []).append(p)
    for entries in adds.values():
        if len({e[1].member.model_dump_json() for e in entries}) > 1:
            kept = [e for e in entries if e[3] not in sure or not sure[e[3]]]
            for name, event, _body, signer_id, _sig, digest in entries if kept else ():
                if (name, digest) not in {(k[0], k[5]) for k in kept}:
                    found[name, digest] = (
                        f"The staff list change {EVENTS}/{name} adds {event.member.username}'s id again, "
                        f"with other details, signed by {names.get(signer_id, signer_id)}, who has been "
                        "removed (forged)"
                    )
    for name, event, _body, signer_id, _sig, digest in parsed:
        if (name, digest) in found:
            continue
        what = f"The staff list change {EVENTS}/{name}, dated {event.at:%Y-%m-%d %H:%M} UTC,"
        who = names.get(signer_id, signer_id)
        before = remembered.get(name) if remembered is not None else None
        if before is not None and before != digest:
            found[name, digest] = (
                f"{what} is not the file this computer read under that name before (tampered)"
            )
        elif before is not None:
            continue  # believed here before: no removal planted since takes it away on this computer
        elif signer_id in seals and any(
            _before_grace(event, r) and digest not in r.seal for r in seals[signer_id]
        ):
            # every removal of them made more than the grace after it must seal it: one removal cannot
            # vouch for the change that made its own author (a crony's removal of the leaver who added them)
            found[name, digest] = (
                f"{what} is signed by {who} before their removal, but the manager who removed them did not "
                "know of it: back-dated with a leaver's key"
            )
        elif signer_id in seals and any(digest in r.seal for r in seals[signer_id]):
            continue  # known to a manager who removed them
        elif (
            remembered is not None
            and signer_id in memory.removed
            and event.at < memory.now - timedelta(hours=grace.get(signer_id, 24))
        ):
            found[name, digest] = (
                f"{what} reached this computer after it knew {who} had left, more than the arrival grace "
                "after its date: back-dated with a leaver's key"
            )
    return found


def _doubts(parsed, result: Fold) -> None:
    """List the believed changes of a leaver that no removal of them sealed (made within the grace before
    it): for a manager to check, as they may be back-dated with the leaver's key."""
    names = {m.id: m.username for m in result.staff.staff}
    for name, event, _body, signer_id, _sig, digest in parsed:
        rs = [e for e, _d in result.sure.get(signer_id, ()) if e.seal is not None]
        if not rs or digest not in result.believed.get(signer_id, ()):
            continue
        if any(digest in r.seal for r in rs):
            continue
        what = "adds " + event.member.username if event.kind == "add" and event.member else event.kind
        result.doubts.append(
            f"The staff list change {EVENTS}/{name} ({what}) was made by {names.get(signer_id, signer_id)} "
            f"shortly before their removal and was not known to {names.get(rs[0].author, rs[0].author)} "
            "who removed them: it is believed (it may have been arriving from an office offline), and a "
            "manager checks it"
        )


def _fold_once(base, parsed, store_id, check, excluded, bad, sure=None) -> Fold:
    """One fold of ``parsed`` over ``base``, less the ``excluded`` changes; with ``sure``, a removal counts
    only if it stands without its target's own changes (`_sure`)."""
    # copies one level deep: a member's fields are plain values, and only the fold's own copies change
    staff = base.model_copy(update={"staff": [m.model_copy() for m in base.staff]})
    staff.rewrap_pending = False  # derived now (`KeyRoom.rekey_due`): never a shared rewritten field
    result = Fold(staff, {m.id for m in staff.staff})
    if check:
        result.late.extend(bad)  # not believed, and named: one bad file in the folder stops no one's work
    by_id = {m.id: m for m in staff.staff}
    usernames = {m.username for m in staff.staff}
    # In order of time, then name; an event that needs another (its signer's addition, or the addition of
    # whom it removes) waits for it, and is applied after it (a clock between offices may disagree). Each
    # pass goes over what still waits only once something it waited for was added.
    while parsed:
        before = len(by_id)
        waiting = [p for p in parsed if _apply(p, by_id, usernames, store_id, check, result, excluded, sure)]
        if len(waiting) == len(parsed) or len(by_id) == before:
            parsed = waiting
            break
        parsed = waiting
    for name, event, body, signer_id, sig, digest in parsed:
        what = f"The staff list change {EVENTS}/{name}"
        whom = signer_id if signer_id not in by_id else event.staff
        result.waiting.append(f"{what} waits for the staff change that added {whom} to arrive")
        signer = by_id.get(signer_id)
        if signer is not None and signing.verify_once(
            signer.signing_key, sig, event_context(store_id, name) + body
        ):
            result.sealable.setdefault(signer_id, []).append(digest)  # a removal of them seals it too
        if event.kind == "add" and event.member is not None:
            result.unadded.setdefault(event.member.id, f"{what} waits for the change that added its author")
    return result


def _apply(
    parsed, by_id: dict, usernames: set, store_id: str, check: bool, result: Fold, excluded, sure
) -> bool:
    """Apply one event to the staff list (``by_id``, ``usernames``): False when done (applied, or not
    believed and listed), True when it waits for another."""
    name, event, body, signer_id, signature, digest = parsed
    what = f"The staff list change {EVENTS}/{name}"
    signer = by_id.get(signer_id)
    if signer is None:
        return True
    if check:
        # A change that fails a check is not believed and is named (`audit verify`), never applied: one
        # forged or damaged file in the folder changes no one and stops no one's work.
        forged = None
        if not signing.verify_once(signer.signing_key, signature, event_context(store_id, name) + body):
            forged = f"{what} was changed outside dacli, or moved (it does not match its signature)"
        elif event.author != signer_id:
            forged = f"{what} names {event.author} as its author but is signed by {signer.username} (forged)"
        elif signer.role != Role.manager:
            forged = (
                f"{what} is signed by {signer.username}, a {signer.role.value}: only a manager changes staff "
                "(forged)"
            )
        elif event.kind == "remove" and event.staff == signer_id:
            forged = f"{what} removes its own author, {signer.username} (forged)"
        elif (name, digest) in excluded:
            forged = excluded[name, digest]
        elif (
            sure is not None
            and event.kind == "remove"
            and event.staff in by_id
            and digest not in {d for _e, d in sure.get(event.staff, ())}
        ):
            forged = (
                f"{what} removes {by_id[event.staff].username if event.staff in by_id else event.staff}, but "
                "does not stand without changes it cannot rest on (theirs that it does not name, or ones "
                "back-dated with a leaver's key): not a removal of them"
            )
        elif signer.removed is not None and signer.removed <= event.at:
            # made after the signer's removal: not believed, except the removal of the very manager who
            # removed them made within the grace after it (the two did not know of each other's; a removal is
            # permanent, so both stand). Later than that, a leaver's key is at work.
            grace = timedelta(hours=result.removal_grace.get(signer_id, 24))
            mutual = event.kind == "remove" and event.staff == signer.removed_by
            if not mutual or event.at > signer.removed + grace:
                forged = f"{what} was made by {signer.username} after their removal"
        if forged is not None:
            result.late.append(f"{forged}: not believed")
            if event.kind == "add" and event.member is not None:
                result.unadded.setdefault(event.member.id, forged)
            return False
    if event.kind == "add" and event.member is not None:
        m = event.member
        if m.id in by_id:
            _believed(result, signer_id, digest, name)
            return False  # nothing adds an id that was ever on the staff again (a removal is permanent)
        if check:
            problem = None
            if m.added_by != signer_id or m.removed is not None:
                problem = f"{what} adds {m.username} in another manager's name (forged)"
            elif not signing.verify_once(signer.signing_key, m.certificate, certificate_context(store_id, m)):
                problem = f"{what} adds {m.username} without a valid certificate (forged)"
            if problem is not None:
                result.late.append(f"{problem}: not believed")
                result.unadded.setdefault(m.id, problem)
                return False
        if m.username in usernames:
            if check:
                result.late.append(f"{what} adds a second user called {m.username}: not believed")
                result.unadded.setdefault(m.id, f"{what} adds a second user called {m.username}")
            else:
                result.aliases.append(m.model_copy())
            return False
        added = m.model_copy()
        result.staff.staff.append(added)
        by_id[m.id] = added
        usernames.add(m.username)
        result.added.add(m.id)
        result.adds[m.id] = (signer_id, digest)
    elif event.kind == "remove" and event.staff is not None:
        target = by_id.get(event.staff)
        if target is None:
            return True
        if target.removed is None:
            result.staff.key_epoch += 1
            target.removed, target.removed_by = event.at, signer_id
            target.removed_epoch = result.staff.key_epoch
            result.removal_grace[target.id] = event.grace_hours or 24
        result.removals.append((event, digest))
    _believed(result, signer_id, digest, name)
    return False


def _believed(result: Fold, signer_id: str, digest: str, name: str) -> None:
    result.believed.setdefault(signer_id, []).append(digest)
    result.names[name] = digest
