"""A new computer introduced by one that has used the store: its memory of the staff list, handed over.

A removed manager keeps their signing key. A computer that has used the store is not fooled by what they
sign afterwards (it never stops believing a change it believed, and does not believe a leaver's change that
reaches it long after its date: `seen`), but a computer set up later reads the staff changes alone, and a
removal a leaver signs after their own removal, dated then, reads exactly like the removal their remover
would have back-dated (the README's "A computer introduced by another"). So a new computer can take over
the memory of one that has used the store longer, from a person who works there:

- `introduction` (on the computer that has used the store): its memory of the store's staff changes (which
  it believed, with their SHA-256; who it saw removed; the key epoch) and the staff changes it holds and
  did not believe, signed by the person unlocked there. It holds staff ids, staff change file names and
  digests, and numbers: nothing about a client, and no secret.
- `prepare_join` (on the new computer, with the joining person's identity: the founding manager's key in it
  anchors the staff list, not a snapshot someone put in the folder) checks it and says what taking it would
  change; `take` makes it this computer's memory. Refused, with nothing changed:
  - a file changed since it was signed, for another store, or signed by a key no manager's signed addition
    gave anyone;
  - one older than a removal now in the store that it does not name (neither believed nor refused there):
    it cannot speak for the removals made since;
  - one that would make this computer forget a removal it has seen that it does not know of (one it
    refused, or one no longer in the store, is named and asked about instead);
  - one that does not fit the staff list it gives (someone it saw removed shown current, an older key
    epoch), signed by someone not current on that list, or on which the person joining is not current.
  The name shown is the signer's on the staff list, never the file's own words. Where the list it gives
  differs from the shared files read alone, the differences are named for the person to judge (an
  introduction is as trustworthy as the person who made it: the README says to take it only from a
  colleague in person).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from dacli import clock
from dacli.errors import IntegrityError, InvalidInput
from dacli.store import seen, signing
from dacli.store.leavers import given_keys, in_doubt
from dacli.store.seen import Memory
from dacli.store.staff import pinned_by_identity, pinned_snapshot, staff_sources, verify_staff
from dacli.store.staffevents import fold, parse_event
from dacli.text import Refused, load_json

SCHEMA = "dacli-introduction/1"
MAX_BYTES = 16 * 1024 * 1024
"""An introduction larger than this is not read (one naming 20,000 staff changes is about 2 MB)."""


_EMPTY = {"key_epoch": 0, "changes": {}, "seen_at": {}}
"""What a memory holds of each of `seen.KEPT` when it keeps none."""


def _context(store_id: str) -> bytes:
    return f"dacli introduction to store {store_id}\n".encode()


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def introduction(session) -> bytes:
    """This computer's memory of the store's staff list, and the staff changes it holds and does not
    believe, signed by ``session``'s person (the staff list is checked, and remembered, first)."""
    session.staff()
    store_id = session.store.settings.store_id
    kept = seen.remembered(store_id)
    if "changes" not in kept:
        raise IntegrityError(
            "This computer keeps no memory of the store's staff list (its data folder cannot be written): "
            "make the introduction on a computer that does."
        )
    if not seen.vouches(kept) and ((kept.get("introduced") or kept.get("first_look") or {}).get("missed")):
        raise InvalidInput(
            "This computer believes a staff change that a removal which arrived later calls back-dated (it "
            "may have been fooled: `dacli sync status` names the change): make the introduction on another "
            "computer that has used the store since before anyone left, or was introduced by one."
        )
    if not seen.vouches(kept):
        raise InvalidInput(
            "This computer itself reads the staff list from the shared files alone (its first look was at a "
            "store that already had leavers, and it was not introduced): make the introduction on a computer "
            "that has used the store since before anyone left, or was introduced by one."
        )
    believed = kept["changes"]
    refused = {n: _digest(raw) for n, raw in staff_sources(session.store.meta)[1] if n not in believed}
    body = {
        "schema": SCHEMA,
        "store_id": store_id,
        "by": session.member.id,
        "at": clock.now().isoformat(timespec="seconds"),
        "memory": {k: kept.get(k, _EMPTY.get(k, [])) for k in seen.KEPT},
        "refused": refused,
    }
    text = json.dumps(body, indent=1, sort_keys=True).encode()
    return session.signer.seal(_context(store_id), text)


@dataclass
class Joining:
    """An introduction checked for this computer (`prepare_join`), to take (`take`) or leave."""

    store_id: str
    by: str
    username: str
    """The signer's username on the staff list the introduction gives (never the file's own words)."""
    role: str
    at: str
    memory: dict
    differences: list[str]
    """How the staff list read with it differs from the shared files read alone (one sentence each)."""
    unknown: int
    """Staff changes in the store it does not name (additions made since: believed as any arrival)."""
    own: dict
    """This computer's memory when it was checked: `take` refuses if it changed meanwhile."""
    removed_times: tuple = ()
    """When each person removed on the list it gives was removed: `take` records how many before the
    moment it is taken (this computer's clock, not the introduction's own time, which its signer chose),
    and a removal dated before that which arrives later means the memory was made without it (`seen`)."""


def prepare_join(store, member, creds, raw: bytes, what: str = "The introduction") -> Joining:
    """Check the introduction ``raw`` for ``store``, for ``member`` (whose identity, ``creds``, anchors
    the staff list): anything wrong is one IntegrityError (InvalidInput for a file that is not an
    introduction at all). Changes nothing."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"{what} is larger than {MAX_BYTES // (1024 * 1024)} MB: not an introduction.")
    store_id = store.settings.store_id
    if f'"schema": "{SCHEMA}"'.encode() not in raw[:4096]:
        raise InvalidInput(f"{what} is not an introduction made by `dacli sync introduce`.")
    body, author, signature = signing.split(raw, what)
    try:
        data = load_json(body, what)
    except Refused as exc:
        raise InvalidInput(f"{what} is not an introduction made by `dacli sync introduce` ({exc}).") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InvalidInput(f"{what} is not an introduction made by `dacli sync introduce`.")
    if data.get("store_id") != store_id:
        raise IntegrityError(f"{what} was made for another store, not this one.")
    memory, refused = data.get("memory"), data.get("refused")
    try:
        at = datetime.fromisoformat(data.get("at")).isoformat(timespec="minutes")
    except (TypeError, ValueError):
        at = None
    if (
        set(data) != {"schema", "store_id", "by", "at", "memory", "refused"}
        or data.get("by") != author
        or at is None
        or not isinstance(memory, dict)
        or not set(seen.KEPT) - {"seen_at"} <= set(memory) <= set(seen.KEPT)
        or not seen.valid(memory)
        or not isinstance(refused, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in refused.items())
    ):
        raise IntegrityError(f"{what} is damaged (changed outside dacli).")
    snapshot, events = staff_sources(store.meta)
    pinned_by_identity(snapshot, creds)
    base = verify_staff(snapshot, store_id, creds.trust)  # the founder in the person's own identity file
    parsed = []
    for name, event_raw in events:
        try:
            parsed.append((name, *parse_event(name, event_raw)))
        except IntegrityError:
            continue
    keys = given_keys(base, parsed, store_id)
    if not any(signing.verify(k, signature, _context(store_id) + body) for k in keys.get(author, ())):
        raise IntegrityError(
            f"{what} does not match its signature: changed since it was made, or signed by someone no "
            "manager added to this store."
        )
    own = seen.remembered(store_id)
    now = clock.now()
    here = None
    if own.get("changes") is not None:  # this computer's own reading, where it has one
        mine = Memory(frozenset(own.get("removed", [])), dict(own["changes"]), now, "", own.get("seen_at"))
        here = fold(base, events, store_id, memory=mine)
    # one introduced may take a newer one (asked); one that reads now that it was fooled may take one; one
    # that vouches takes none: a colleague's computer fooled in a way it cannot see (review 18's B2, B4)
    # would otherwise hand its reading on to the honest one (review 21's U1, U2)
    if seen.vouches(own) and not own.get("introduced") and not (here is not None and here.held):
        raise InvalidInput(
            "This computer has used the store since before anyone left: it reads the staff list as well as "
            "an introduction could, and takes none: nothing was changed. (If a manager finds it was fooled "
            "all the same, its memory of the store is deleted by hand first: see the README.)"
        )
    _check_same_files(what, memory, refused, events)
    alone = fold(base, events, store_id, memory=None)  # its pins are not checked: the reading to overrule
    kept = Memory(frozenset(memory["removed"]), memory["changes"], now, "", memory.get("seen_at"))
    given = fold(base, events, store_id, memory=kept)
    believable = _believable(parsed, keys, alone, store_id) | _believable(parsed, keys, given, store_id)
    _check_not_stale(what, memory, refused, parsed, believable)
    _check_forgets_nothing(what, own, memory, refused, parsed)
    pinned_snapshot(given, snapshot)
    staff = given.staff
    by_id = {m.id: m for m in staff.staff}
    removed = {m.id for m in staff.staff if not m.active}
    if (
        staff.key_epoch < memory["key_epoch"]
        or set(memory["removed"]) != removed
        or not set(memory["members"]) <= set(by_id)
        or not set(memory["changes"]) <= set(given.names)
        or set(refused) & set(given.names)
    ):
        # each thing a memory says must be what the list it gives says: who is removed, exactly; every
        # change it believed believed there (not waiting, not refused), and none it refused believed
        raise IntegrityError(
            f"{what} does not fit the staff list as it reads here (who it saw removed, or the changes it "
            "believed or refused, are not what that list shows): not taken."
        )
    if given.held:  # read here, its own memory calls a change it believed back-dated: its maker was fooled
        raise IntegrityError(
            f"{what} believes a staff change that a removal in the store calls back-dated, which it read "
            "before that removal arrived (the computer that made it may have been fooled): not taken."
        )
    signer = by_id.get(author)
    if signer is None or not signer.active:
        raise IntegrityError(
            f"{what} is signed by someone who is not a current member of staff on the staff list it gives: "
            "not taken."
        )
    _check_signer_key(what, signer, signature, _context(store_id) + body, [alone, *([here] if here else [])])
    _check_signer_not_doubted(what, signer, given)  # as it gives it: another reading may be the fooled one
    listed = by_id.get(member.id)
    if listed is None or not listed.active:
        raise IntegrityError(
            f"{what} gives a staff list on which {member.username} is not current: not taken (you could "
            "not unlock here with it)."
        )
    differences = _differences(given, alone, signer.id, "reading the shared files alone")
    if here is not None:  # and from this computer's own reading
        differences += _differences(given, here, signer.id, "on this computer now")
    names = {m.id: m.username for m in staff.staff}
    for staff_id in sorted(set(own.get("removed", [])) - removed):  # seen removed here, not with it
        held = [p[0] for p in parsed if p[1].kind == "remove" and p[1].staff == staff_id]
        who = names.get(staff_id, staff_id)
        if held:
            differences.append(
                f"This computer saw {who} removed, and the introduction does not believe the removal of "
                "them that is in the store"
            )
        else:
            differences.append(f"This computer saw {who} removed, and no removal of them is in the store now")
    unknown = sum(1 for name, _raw in events if name not in memory["changes"] and name not in refused)
    # what the list it gives believes, and who is on it, is kept, as a read of it now would keep it
    # (`seen.check`): a later read finds nothing in it that the join did not show
    members = sorted(set(memory["members"]) | set(by_id))
    # a change the introducer did not name is first believed here now (`seen.Memory.first_seen`)
    first = {n: now.isoformat(timespec="seconds") for n in given.names if n not in memory["changes"]}
    memory = {
        **memory,
        "changes": {**memory["changes"], **given.names},
        "members": members,
        "seen_at": {**_first_read_times(memory, parsed, now), **first},
    }
    return Joining(
        store_id,
        author,
        signer.username,
        signer.role.value,
        at,
        {k: memory[k] for k in seen.KEPT},
        differences,
        unknown,
        own,
        tuple(m.removed for m in staff.staff if m.removed is not None),
    )


def _first_read_times(memory: dict, parsed, now: datetime) -> dict[str, str]:
    """When the introducer first read each staff change it names, as this computer keeps it: only for those
    changes, and never later than now (the introducer read it before this join) nor earlier than the
    change's own date (it was not read before it was made). A time in the future would make a leaver's
    later reply look like a removal missing when the change was read (a false alarm there). A change it
    gives no time for (an earlier dacli's introduction keeps none; a time without its zone) is first read
    here, at the join: a removal dated before the join that arrives later was missing then."""
    dated = {p[0]: p[1].at for p in parsed}
    given = memory.get("seen_at", {})
    kept = {}
    for name in memory["changes"]:
        try:
            when = datetime.fromisoformat(given[name])
        except (KeyError, ValueError):
            when = None
        if when is None or when.tzinfo is None:  # none kept (an earlier dacli's): first read here, now
            when = now
        kept[name] = max(min(when, now), dated.get(name, when)).isoformat(timespec="seconds")
    return kept


def _check_signer_key(what, signer, signature: str, message: bytes, others: list) -> None:
    """Refuse an introduction not signed with the key the staff list it gives holds for its signer, or whose
    signer that list gives another key than a reading of this computer's does (a leaver can plant an
    addition of a current colleague's id with a key of their own: no reading believes it, but it must not
    sign for them)."""
    if not signing.verify(signer.signing_key, signature, message):
        raise IntegrityError(
            f"{what} is not signed with the key {signer.username} holds on the staff list it gives: "
            "not taken."
        )
    for other in others:
        listed = next((m for m in other.staff.staff if m.id == signer.id), None)
        if listed is not None and listed.signing_key != signer.signing_key:
            raise IntegrityError(
                f"{what} is signed with a key the staff list read here does not give {signer.username}: "
                "not taken."
            )


def _check_signer_not_doubted(what, signer, given) -> None:
    """Refuse an introduction whose signer was added, or has an adder who was added, by a change the staff
    list it gives asks a manager to check (made by a leaver shortly before their removal, sealed by no
    removal of them: it may be back-dated with the leaver's key, `leavers.add_doubts`)."""
    if in_doubt(given, signer.id):
        raise IntegrityError(
            f"{what} is signed by {signer.username}, whose addition (or that of the person who added them) "
            "was made by a manager shortly before their removal and is for a manager to check (`dacli sync "
            "status` names it): not taken; ask another member of staff for one."
        )


def _check_same_files(what, memory, refused, events) -> None:
    """Refuse an introduction that names a staff change this copy of the store does not hold, or holds with
    other content: it would speak for a file before it arrives (and call the real one tampered)."""
    here = {name: _digest(raw) for name, raw in events}
    named = {**memory["changes"], **refused}
    if any(here.get(name) != digest for name, digest in named.items()):
        raise IntegrityError(
            f"{what} names staff changes this copy of the store does not hold, or holds with other content: "
            "let the sync finish on both computers and make it again: not taken."
        )


def _believable(parsed, keys: dict[str, set[str]], reading, store_id: str) -> set[str]:
    """The staff changes (file names) ``reading`` (a `Fold`: the shared files alone, or the list an
    introduction gives) could believe: those it believes, and those signed by their author with a key a
    manager gave them, who is current on it. A file anyone with the folder planted (not signed so), or a
    leaver's dated after their removal, is neither."""
    from dacli.store.staffformat import event_context

    current = {m.id for m in reading.staff.staff if m.active}
    found = set(reading.names)
    for name, event, body, signer_id, sig, _digest in parsed:
        if name in found or event.author != signer_id or signer_id not in current:
            continue
        message = event_context(store_id, name) + body
        if any(signing.verify(k, sig, message) for k in keys.get(signer_id, ())):
            found.add(name)
    return found


def _check_not_stale(what, memory, refused, parsed, believable: set[str]) -> None:
    """Refuse an introduction made before a removal now in the store (it names the change neither as
    believed nor as refused), counting only a removal some reading could believe (``believable``): a file
    planted between the introduction and the join that no one believes refuses no honest join."""
    later = [
        p[0]
        for p in parsed
        if p[1].kind == "remove"
        and p[0] not in memory["changes"]
        and p[0] not in refused
        and p[0] in believable
    ]
    if later:
        removals = "a staff removal" if len(later) == 1 else f"{len(later)} staff removals"
        raise InvalidInput(
            f"{what} was made before {removals} now in the store: make a new one on that computer (once it "
            "has synced): not taken."
        )


def _check_forgets_nothing(what, own, memory, refused, parsed) -> None:
    """Refuse an introduction that would make this computer (``own``: its memory, one that does not vouch)
    forget a removal it has seen that the introduction does not know of. One the introduction names as
    refused (its maker saw the change and did not believe it), or one no longer in the store, is not
    refused here: the person joining is asked, with the difference named (`prepare_join`)."""
    for staff_id in set(own.get("removed", [])) - set(memory["removed"]):
        behind = [p[0] for p in parsed if p[1].kind == "remove" and p[1].staff == staff_id]
        # none left in the store (deleted since): asked about, named (`prepare_join`)
        if behind and not all(name in refused for name in behind):
            raise InvalidInput(
                f"This computer has seen someone removed ({staff_id}) whom {what[0].lower()}{what[1:]} does "
                "not know as removed: make a newer one: not taken."
            )


def _differences(given, other, signer: str, reading: str) -> list[str]:
    """How the staff list an introduction gives (``given``, a `Fold`) differs from another reading
    (``other``: the shared files alone, or this computer's own): who is current, who is removed, who is on
    the list at all (each by staff id, shown with their username and role, so a person added again under a
    current person's username is named too), whether its signer is current, and how many staff changes one
    believes and the other does not (a change believed there may decide a removal that arrives later)."""

    def people(listed, active: bool | None) -> dict[str, str]:
        return {
            m.id: f"{m.username} ({m.role.value})"
            for m in listed.staff.staff
            if active is None or m.active == active
        }

    found = []
    for what, active in (("Current", True), ("Removed", False), ("On the staff list", None)):
        with_it, without = people(given, active), people(other, active)
        if set(with_it) - set(without):
            shown = sorted(with_it[i] for i in set(with_it) - set(without))
            found.append(f"{what} with it, but not {reading}: " + ", ".join(shown))
        if set(without) - set(with_it):
            shown = sorted(without[i] for i in set(without) - set(with_it))
            found.append(f"{what} {reading}, but not with it: " + ", ".join(shown))
    if signer not in people(other, True):
        found.append(f"Its signer, {people(given, True)[signer]}, is not current {reading}")
    more, fewer = set(given.names) - set(other.names), set(other.names) - set(given.names)
    if more:
        found.append(f"It believes {len(more)} staff change(s) not believed {reading}")
    if fewer:
        found.append(f"It does not believe {len(fewer)} staff change(s) believed {reading}")
    return found


def take(joining: Joining) -> None:
    """Make the checked introduction this computer's memory of the staff list."""
    made = {"by": joining.by, "username": joining.username, "at": joining.at}
    joined = clock.now().isoformat(timespec="minutes")
    before = sum(1 for t in joining.removed_times if t < datetime.fromisoformat(joined))
    # a random mark tells this join from any other (`seen.introduced_mark`: readings made before it are
    # refused, not merged into it)
    seen.adopt(
        joining.store_id,
        joining.memory,
        {**made, "joined": joined, "mark": secrets.token_hex(8), "removed": before},
        joining.own,
    )
