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
- a person's own changes never decide whether they are removed (`leavers.sure_removals`): a removal of X
  counts only if it stands in the staff list folded without X's changes other than those its seal names. So
  a leaver's back-dated removal of the manager who removed them, or an addition of that manager's id with
  keys the leaver holds, cannot stop their own removal, while a manager can remove the manager who added them;
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

from datetime import timedelta

from dacli.errors import IntegrityError
from dacli.schemas.common import Role
from dacli.schemas.store import StaffList
from dacli.store import signing
from dacli.store.documents import certificate_context
from dacli.store.leavers import add_doubts, back_dated, held_against_seals, sure_removals
from dacli.store.seen import Memory
from dacli.store.staffformat import (  # noqa: F401  (the staff change's format, read from here too)
    DIGEST_RE,
    EVENT_RE,
    EVENT_SCHEMA,
    EVENTS,
    MAX_EVENT_BYTES,
    Fold,
    StaffEvent,
    event_context,
    event_name,
    event_names,
    parse_event,
)

_parse = parse_event  # the tests' name for it

ROUNDS = 4
"""How many times the fold is taken again while the seals it believes change what it believes."""


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
            parsed.append((name, *parse_event(name, raw)))
        except IntegrityError as exc:
            bad.append(f"{exc.message.rstrip('.')}: not believed")
    parsed.sort(key=lambda p: (p[1].at, p[0]))
    if not check:
        return _fold_once(base, parsed, store_id, False, {}, [])
    # Who is removed is decided without their own changes (`leavers.sure_removals`); the seals of those
    # removals, and this computer's memory, decide which of a leaver's changes are believed
    # (`leavers.back_dated`); that may change the removals again: decided again until nothing changes.
    names = _names(base, parsed)
    excluded, sure, unsettled = _settled(base, parsed, store_id, memory, names)
    result = _fold_once(base, parsed, store_id, True, excluded, bad, sure)
    if unsettled:
        result.late.append(
            "The staff changes contradict one another (removals whose seals disagree): a manager checks "
            "the removals listed by `dacli sync status`: not settled"
        )
    result.sure = sure
    add_doubts(parsed, result)
    alone = None

    def sure_alone():  # the removals that stand on the shared files alone (only when one is asked about)
        nonlocal alone
        if alone is None:
            alone = sure if memory is None else _settled(base, parsed, store_id, None, names)[1]
        return alone

    result.held = held_against_seals(parsed, result, memory, names, sure_alone)
    return result


def _settled(base, parsed, store_id: str, memory: Memory | None, names: dict[str, str]):
    """Which changes are not believed (`leavers.back_dated`) and which removals stand whatever their
    target signed (`leavers.sure_removals`), decided again until neither changes: (excluded, sure, whether
    it never settled)."""
    # the first reading is wary (each removal without every change any seal calls back-dated), so
    # removals held up only by back-dated changes count from the start
    seed = sure_removals(base, parsed, store_id, {}, _fold_once, wary=True)
    excluded = back_dated(parsed, seed, memory, names)
    seen: list[dict[tuple[str, str], str]] = []
    for _ in range(ROUNDS):
        sure = sure_removals(base, parsed, store_id, excluded, _fold_once)
        found = back_dated(parsed, sure, memory, names)
        if found == excluded:
            break
        seen.append(found)
        excluded = found
    else:
        # It never settles (removals planted to contradict one another): a change stays refused only if
        # every reading refused it.
        excluded = {k: v for k, v in seen[-1].items() if all(k in other for other in seen)}
        sure = sure_removals(base, parsed, store_id, excluded, _fold_once)
    return excluded, sure, len(seen) == ROUNDS


def _names(base: StaffList, parsed) -> dict[str, str]:
    """Staff id to username, from the snapshot and every addition (for sentences only)."""
    names = {m.id: m.username for m in base.staff}
    for _n, event, *_rest in parsed:
        if event.kind == "add" and event.member is not None:
            names.setdefault(event.member.id, event.member.username)
    return names


def _fold_once(base, parsed, store_id, check, excluded, bad, sure=None) -> Fold:
    """One fold of ``parsed`` over ``base``, less the ``excluded`` changes; with ``sure``, a removal counts
    only if it stands without its target's own changes (`leavers.sure_removals`)."""
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
