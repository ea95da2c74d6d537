"""Who a leaver's changes cannot speak for: the rules `staffevents.fold` applies to removed managers.

A removed manager (a leaver) keeps their signing key. These rules decide, from the staff changes alone (and
this computer's memory), which removals stand whatever the leaver signed afterwards (`sure_removals`), which
of a leaver's changes were back-dated (`back_dated`), and which believed ones a manager should check
(`add_doubts`). The module notes of `staffevents` state them in full; the README's "A removal is sealed"
says what they cannot tell apart.
"""

from __future__ import annotations

from datetime import timedelta

from dacli.schemas.common import Role
from dacli.store import signing
from dacli.store.documents import certificate_context
from dacli.store.seen import Memory
from dacli.store.staffformat import EVENTS, Fold, StaffEvent, event_context


def sure_removals(
    base, parsed, store_id, excluded, fold_once, *, wary: bool = False
) -> dict[str, list[tuple[StaffEvent, str]]]:
    """For each person removed: the removals of them (event, SHA-256) that stand without the person's own
    changes, less those its seal vouches for. A removal of X is folded with none of X's changes but the ones
    its seal names (what its author believed X had done: X's addition of the author, say) and that are not
    refused; it counts if it still removes X. So a leaver's back-dated removal of the manager who removed
    them, or an addition of that manager's id with the leaver's keys, cannot stop their own removal, while
    a manager can remove the manager who added them. (A removal written before seals vouches for every
    change X made before it.) Only removals signed by the author they name, under a key a manager gave them
    (`given_keys`), are folded for; what one says of its author's view counts only for that key's removals.
    ``wary`` (the first reading, `staffevents.fold`): each removal is also folded without every change any
    removal's seal says is back-dated, except its own author's, so leavers removed by different managers
    cannot hold up each other's removals with back-dated removals of the other's remover."""
    keys = given_keys(base, parsed, store_id)
    candidates = []
    for name, event, body, signer_id, sig, digest in parsed:
        target = event.staff
        if event.kind != "remove" or not target or target == signer_id or (name, digest) in excluded:
            continue
        if event.author != signer_id:
            continue  # names another author: the fold refuses it, and it says nothing of theirs
        message = event_context(store_id, name) + body
        key = next((k for k in keys.get(signer_id, ()) if signing.verify_once(k, sig, message)), None)
        if key is not None:
            candidates.append((event, digest, key))  # else not signed by whom it names: the fold refuses it
    # What each author's own removals say: the changes of the people they removed that they did not know of,
    # dated more than the grace before (a removal is checked with its author's view of the others they
    # removed, so two leavers' back-dated removals of the same manager cannot hold each other up). Kept per
    # signing key: a key a leaver gave the author's id in an addition of their own speaks for no removal
    # signed with the author's real key.
    unknown: dict[tuple[str, str], set[str]] = {}
    for event, _digest, key in candidates:
        if event.seal is not None:
            sealed = set(event.seal)
            unknown.setdefault((event.author, key), set()).update(
                p[5]
                for p in parsed
                if p[3] == event.staff and p[5] not in sealed and before_grace(p[1], event)
            )
    suspect = set().union(*unknown.values()) if wary else set()
    sure: dict[str, list[tuple[StaffEvent, str]]] = {}
    for event, digest, key in candidates:
        target = event.staff
        vouched = set(event.seal or ())
        disowned = unknown.get((event.author, key), set()) - {digest}
        kept = [
            p
            for p in parsed
            if (p[3] != target or (p[5] in vouched if event.seal is not None else p[1].at < event.at))
            and (p[3] == target or p[5] not in disowned)
            and (p[5] not in suspect or p[3] == event.author or p[5] == digest)
        ]
        folded = fold_once(base, kept, store_id, True, excluded, [])
        if any(d == digest for _e, d in folded.removals):
            sure.setdefault(target, []).append((event, digest))
    return sure


def given_keys(base, parsed, store_id) -> dict[str, set[str]]:
    """Every signing key a manager's key gives an id: the snapshot's, then each addition signed (and its
    certificate) by a key already given a manager, whenever made (one may be a leaver's addition of another's
    id with keys they hold: `sure_removals` keeps what each key's removals say apart). A key no manager
    signed for, planted by someone with only the folder, gives nobody anything."""
    keys: dict[str, set[str]] = {}
    managers: set[tuple[str, str]] = set()  # (id, key) given the manager's role
    for m in base.staff:
        keys.setdefault(m.id, set()).add(m.signing_key)
        if m.role == Role.manager:
            managers.add((m.id, m.signing_key))
    adds = [p for p in parsed if p[1].kind == "add" and p[1].member is not None]
    while adds:
        left = []
        for p in adds:
            name, event, body, signer_id, sig, _digest = p
            m = event.member
            message = event_context(store_id, name) + body
            by = [
                k
                for k in keys.get(signer_id, ())
                if (signer_id, k) in managers and signing.verify_once(k, sig, message)
            ]
            if not by:
                left.append(p)
            elif m.added_by == signer_id and any(
                signing.verify_once(k, m.certificate, certificate_context(store_id, m)) for k in by
            ):
                keys.setdefault(m.id, set()).add(m.signing_key)
                if m.role == Role.manager:
                    managers.add((m.id, m.signing_key))
        if len(left) == len(adds):
            break
        adds = left
    return keys


def held_against_seals(
    parsed, result: Fold, memory: Memory | None, names: dict[str, str], sure_alone=None
) -> list[str]:
    """The changes `back_dated` lets stand only because this computer believed them before, which a sealed
    removal of their signer calls back-dated (dated more than the grace before it, named by no seal): one
    sentence each.

    A removal that stands here counts if its author is current here and not in doubt, or was removed here
    only by people who stand on such held changes themselves (the leaver's crony, read before the leaver's
    removal arrived, removing the manager who removed the leaver): the largest set that settles. A leaver's
    own removal of an honest manager, sealing none of their changes, does not count, since its author was
    removed by someone who stands on nothing held: an honest computer does not doubt itself over it.

    Whoever made it, a removal dated before this computer first believed the change also counts
    (`_missing_when_read`; ``sure_alone()``: the removals that stand on the shared files alone)."""
    remembered = memory.changes if memory is not None and memory.changes is not None else None
    if not remembered:
        return []
    current = {m.id for m in result.staff.staff if m.active}
    gone = {m.id for m in result.staff.staff if not m.active}
    removals = [
        (who, e) for who, rs in result.sure.items() if who in gone for e, _d in rs if e.seal is not None
    ]
    removers = {who: {e.author for e, _d in rs} for who, rs in result.sure.items()}
    held: dict[str, tuple[str, str]] = {}  # digest: (file name, signer)
    for name, event, _body, signer_id, _sig, digest in parsed:
        if remembered.get(name) == digest and any(
            before_grace(event, r) and digest not in r.seal for who, r in removals if who == signer_id
        ):
            held[digest] = (name, signer_id)

    def counts(r: StaffEvent, suspect: set[str]) -> bool:
        if in_doubt(result, r.author):
            return False
        if r.author in current:
            return True
        by = removers.get(r.author, set())
        return bool(by) and all(_chain_in(result.adds, x, suspect) for x in by)

    while True:  # keep only what removals that count call back-dated, until nothing changes
        suspect = set(held)
        kept = {}
        for _name, event, _body, signer_id, _sig, digest in parsed:
            if digest in held and any(
                before_grace(event, r) and digest not in r.seal and counts(r, suspect)
                for who, r in removals
                if who == signer_id
            ):
                kept[digest] = held[digest]
        if kept == held:
            break
        held = kept
    held.update(_missing_when_read(parsed, result, memory, sure_alone or (lambda: result.sure)))
    return [
        f"The staff list change {EVENTS}/{name} is believed on this computer because it read it before "
        f"{names.get(signer_id, signer_id)}'s removal arrived, and that removal calls it back-dated: this "
        "computer may have been fooled, and a manager checks it"
        for name, signer_id in held.values()
    ]


SKEW = timedelta(hours=1)
"""How far behind the others' this computer's clock may run and `_missing_when_read` still see a removal was
missing: a change first read here up to this long before a removal's date (by this computer's clock) counts
as read after it. A computer that read a change less than the grace less this after the change's date can
still never be called fooled by a removal dated later."""


def _missing_when_read(parsed, result: Fold, memory: Memory, sure_alone) -> dict[str, tuple[str, str]]:
    """The believed changes a sure, sealed removal of their signer calls back-dated and that this computer
    first believed after that removal's date (digest to (file name, signer)): the removal was missing when
    the change was read (out of the folder, or not synced yet), so the change was believed only because it
    arrived first. Whether or not the removal stands here (a leaver's back-dated removal of their remover,
    read first, refuses it) or even would (refused by this computer's memory: the remover was seen removed,
    by that very change, before the removal arrived), so long as it stands on the shared files alone
    (``sure_alone()``, asked only then), and whoever signed it: a removal dated after the change was read
    cannot say it was missing. A change read within the grace of its date (less `SKEW`; the grace never less
    than 24 hours for a removal a removed manager could have made: `_floor`) can never be called so (the
    removal would have to be dated within the grace after it); one that arrived late, with such a removal,
    may have been either, and a manager checks it."""
    found = {}
    here = {d for rs in result.sure.values() for _e, d in rs}
    current = {m.id for m in result.staff.staff if m.active}
    trusted = {  # removals whose grace is their author's to name: standing here, by a current manager
        d
        for rs in result.sure.values()
        for e, d in rs
        if e.author in current and not in_doubt(result, e.author)
    }
    removals: dict[str, list[tuple[StaffEvent, str]]] = {}
    for _n, event, _body, _signer, _sig, digest in parsed:
        if event.kind == "remove" and event.staff and event.seal is not None and digest not in here:
            removals.setdefault(event.staff, []).append((event, digest))
    for name, event, _body, signer_id, _sig, digest in parsed:
        first = memory.first_seen(name) if memory.changes.get(name) == digest else None
        if first is None:
            continue

        def missing(rs, event=event, digest=digest, first=first) -> bool:
            return any(
                r.seal is not None
                and event.at < r.at - timedelta(hours=_floor(r, d in trusted))
                and digest not in r.seal
                and r.at < first + SKEW
                for r, d in rs
            )

        if missing(result.sure.get(signer_id, ())) or (
            missing(removals.get(signer_id, ()))  # one that does not stand here: on the files alone?
            and missing(sure_alone().get(signer_id, ()))
        ):
            found[digest] = (name, signer_id)
    return found


def _floor(removal: StaffEvent, trusted: bool) -> int:
    """The grace (hours) `_missing_when_read` measures with: the one ``removal`` names, but never less than
    24 hours unless it is ``trusted`` (stands here, by a current manager not in doubt): a removal that does
    not could be a removed manager's, naming an hour to call the honest changes it does not seal
    back-dated and make every computer that read them a few minutes late doubt itself."""
    named = removal.grace_hours or 24
    return named if trusted else max(named, 24)


def before_grace(event: StaffEvent, removal: StaffEvent) -> bool:
    return event.at < removal.at - timedelta(hours=removal.grace_hours or 24)


def back_dated(parsed, sure, memory: Memory | None, names: dict[str, str]) -> dict[tuple[str, str], str]:
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
            before_grace(event, r) and digest not in r.seal for r in seals[signer_id]
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


def _descends(adds: dict[str, tuple[str, str]], staff_id: str, ancestor: str) -> bool:
    """Whether ``staff_id`` was added by ``ancestor``, or by someone ``ancestor`` added, and so on
    (``adds``: staff id to (its adder's id, the addition's SHA-256), `Fold.adds`)."""
    seen_ids = set()
    while staff_id in adds and staff_id not in seen_ids:
        seen_ids.add(staff_id)
        staff_id = adds[staff_id][0]
        if staff_id == ancestor:
            return True
    return False


def add_doubts(parsed, result: Fold) -> None:
    """List the believed changes of a leaver that no removal of them sealed (made within the grace before
    it): for a manager to check, as they may be back-dated with the leaver's key.

    Two things a leaver could bend are not taken from them. A seal in a removal by someone the leaver added
    (or someone they added, and so on) vouches only if that person's own addition is not itself in doubt:
    a crony would seal their own addition in a second removal of the leaver, while a manager the leaver
    added long before, who removes them honestly, seals as anyone does. And "shortly before" is measured
    with the grace a removal names only when its author is current: a removed author could name 90 days and
    put every old change of their victim in doubt (24 hours for theirs)."""
    names = {m.id: m.username for m in result.staff.staff}
    gone = {m.id for m in result.staff.staff if not m.active}
    found: list[tuple[str, StaffEvent, str, str, StaffEvent]] = []
    for name, event, _body, signer_id, _sig, digest in parsed:
        if signer_id not in gone:
            continue  # not removed on this reading (a removal of them not believed): not a leaver's change
        rs = [e for e, _d in result.sure.get(signer_id, ()) if e.seal is not None]
        if not rs or digest not in result.believed.get(signer_id, ()):
            continue
        if not any(event.at >= r.at - timedelta(hours=_grace(r, gone)) for r in rs):
            continue  # older than the grace before every removal: believed here as held before, not in doubt
        found.append((name, event, signer_id, digest, rs))
    plain = {
        f[3] for f in found if any(f[3] in r.seal for r in f[4] if not _descends(result.adds, r.author, f[2]))
    }
    first = {f[3] for f in found} - plain  # in doubt counting only the seals of no one the leaver added

    def vouches(r: StaffEvent, leaver: str) -> bool:
        return not _descends(result.adds, r.author, leaver) or not _chain_in(result.adds, r.author, first)

    for name, event, signer_id, digest, rs in found:
        if any(digest in r.seal for r in rs if vouches(r, signer_id)):
            continue
        what = "adds " + event.member.username if event.kind == "add" and event.member else event.kind
        result.doubted.add(digest)
        result.doubts.append(
            f"The staff list change {EVENTS}/{name} ({what}) was made by {names.get(signer_id, signer_id)} "
            f"shortly before their removal and was not known to {names.get(rs[0].author, rs[0].author)} "
            "who removed them: it is believed (it may have been arriving from an office offline), and a "
            "manager checks it"
        )


def _grace(removal: StaffEvent, gone: set[str]) -> int:
    """The hours before ``removal`` in which its target's changes are "shortly before" it: the grace it
    names, if its author is current; at most the default 24 hours if they have been removed since."""
    named = removal.grace_hours or 24
    return min(named, 24) if removal.author in gone else named


def _chain_in(adds: dict[str, tuple[str, str]], staff_id: str, digests: set[str]) -> bool:
    """Whether ``staff_id``'s addition, or any of their adders' up the chain, is one of ``digests``."""
    seen_ids = set()
    while staff_id in adds and staff_id not in seen_ids:
        seen_ids.add(staff_id)
        adder, digest = adds[staff_id]
        if digest in digests:
            return True
        staff_id = adder
    return False


def in_doubt(result: Fold, staff_id: str) -> bool:
    """Whether ``staff_id`` was added, or has an adder up the chain who was added, by a change in doubt
    (`add_doubts`): a manager checks it before such a person vouches for anything."""
    return _chain_in(result.adds, staff_id, result.doubted)
