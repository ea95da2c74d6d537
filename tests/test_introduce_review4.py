"""Fourth independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 010842a, kept. Each test asserts the correct behaviour; J1 to J4
failed at 010842a (now: a memory's removed set must equal the given list's, every change it believed be
believed there and none it refused; a removal seen after the first look that the introduction refused is
asked about, not refused for good; a memory kept before first looks were recorded vouches only if it saw no
one removed). The earlier reviews' attacks are in `test_introduce_review.py` (F1-F7), `_review2.py`
(R1-R5) and `_review3.py` (G1-G3); these do not repeat them.

J1 and J2 share a root with G1/G2: `prepare_join` compares the staff list the introduction GIVES with the
other readings, but what is kept is its MEMORY, which is only checked one way against that list. Its
`removed` may be a strict subset of who the given list shows removed, and its `changes` may name a change
the given list does not believe (one that waits): at the join both are invisible (`differences == []`), and
later arrivals are read differently from the files alone. J3: a computer fooled after its first look can
join no honest introduction, and is told to "make a newer one", which cannot help. J4: a memory written
before `first_look` existed vouches, whatever its first look was."""

from __future__ import annotations

import datetime as dt

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce, memory_warning
from dacli.store import seen
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review import _intro
from tests.test_introduce_review3 import _changes, _files_alone_memory, _joined
from tests.test_keys_that_merge import PW, _later, _merge, _unlock, office
from tests.test_leavers_keys import DAY, _who
from tests.test_leavers_keys_review6 import _post_dated, _remove

two = test_keys_that_merge.two


def _at(minutes: int):
    """The clock pinned ``minutes`` after the test's start (not nested: each call from the same base)."""
    return _later(minutes)


# -- J1: a memory that leaves out a removal the list it gives shows strips a used computer's protection ------


def test_an_introduction_cannot_silently_drop_a_removal_this_computer_believed(two, tmp_path, monkeypatch):
    """This computer's first look came after mgr.three removed mgr.two (so it does not vouch, and takes
    introductions, as its warning asks). It believed that removal at its first look; later it is not fooled
    by mgr.two's removal of mgr.three signed four days on (it remembers the removal). cw.bex (any current
    member, an accomplice of the leaver) signs an introduction whose staff list is exactly this computer's
    (and the files'), but whose memory leaves mgr.two out of `removed` and names mgr.three's removal of
    mgr.two as "refused". The forgetting check excuses it (believed at the first look, "refused"); the fit
    check only asks `memory.removed <= removed on the list` (not equal); the given list still shows mgr.two
    removed (the removal is folded as an arrival), so nothing differs: taken without a question. When the
    leaver's post-dated removal of mgr.three arrives, this computer reads it as the files alone do: mgr.two
    is a current manager again and mgr.three removed (locked out here). Severity: high (silent; the
    computers the feature is for; a leaver and any current member). Correct: refused, or named: a memory's
    `removed` must equal who the list it gives shows removed, and a change it calls "refused" must not be
    believed on that list (or this computer keeps the removals it saw that the given list still shows)."""
    a, _ = two
    leaver, three = _post_dated(a)  # mgr.three removes mgr.two at DAY
    with office(tmp_path, "used", monkeypatch), _at(DAY + 5):
        assert "mgr.two" not in _who(a, "sen.ada")  # first look: a store with a leaver
        assert memory_warning(Store(a)) is not None
    with office(tmp_path, "twin", monkeypatch), _at(DAY + 5):
        _who(a, "sen.ada")  # the same first look, never joined: the control
    with office(tmp_path, "accomplice", monkeypatch), _at(DAY + 10):
        memory = _files_alone_memory(a)
        removal = _removal_of(a, leaver.member.id)
        memory["removed"] = [i for i in memory["removed"] if i != leaver.member.id]
        digest = memory["changes"].pop(removal)
        bex = _unlock(a, "cw.bex")
        made = _intro(a, bex.member.id, bex.signer.seed, memory, "cw.bex", {removal: digest})
    with office(tmp_path, "used", monkeypatch), _at(DAY + 15):
        joined = _joined(a, made)
        taken_silently = not isinstance(joined, DacliError) and joined.differences == []
    with _at(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "twin", monkeypatch), _at(DAY * 5 + 5):
        twin = _who(a, "sen.ada")
    assert isinstance(twin, list) and "mgr.three" in twin and "mgr.two" not in twin, twin  # not fooled
    with office(tmp_path, "used", monkeypatch), _at(DAY * 5 + 5):
        after = _who(a, "sen.ada")
    assert not taken_silently or (
        isinstance(after, list) and "mgr.three" in after and "mgr.two" not in after
    ), (
        getattr(joined, "differences", joined),
        after,
    )


def _removal_of(a, staff_id: str) -> str:
    """The file name of the (one) staff change in ``a`` that removes ``staff_id``."""
    from dacli.store.staffformat import EVENTS, parse_event

    folder = a / ".dacli" / EVENTS
    (name,) = [
        p.name
        for p in folder.iterdir()
        if (e := parse_event(p.name, p.read_bytes())[0]).kind == "remove" and e.staff == staff_id
    ]
    return name


# -- J2: a memory that "believed" a change still waiting makes a back-dated removal stick when it arrives ----


def test_an_introduction_cannot_pre_believe_a_change_that_waits_here(two, tmp_path, monkeypatch):
    """Office A's founder adds cw.cal (day 1) and removes mgr.two (day 3, sealed: nothing of theirs known);
    office B has synced neither. On day 4 mgr.two, with the key they kept, signs a removal of cw.cal dated
    day 1.5 (more than the grace before their removal: back-dated, refused on every computer once the
    removal is there) and puts it in B's copy, where it waits (cw.cal is not there yet). mgr.two is still
    current in B's copy and signs an introduction of B's staff list whose memory "believed" that waiting
    file (no honest computer remembers a change that waits). It names a file B holds with its digest, it is
    not stale, the list it gives equals the files': taken without a question. Once B syncs, the files read
    alone refuse the removal (back-dated), but this computer "believed it before": cw.cal is removed here and
    cannot unlock. Severity: medium-high (a leaver alone, silent; any person added in another office since).
    Correct: refused: every change a memory calls believed must be believed on the staff list it gives (a
    change that waits, or is refused there, is not)."""
    a, b = two
    with office(tmp_path, "A", monkeypatch), _at(DAY):
        cal = add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)[0].id
    with office(tmp_path, "leaver", monkeypatch), _at(10):
        leaver = _unlock(b, "mgr.two")  # B's copy
    with office(tmp_path, "A", monkeypatch), _at(DAY * 3):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY * 4):
        _remove(leaver, cal, clock.now() - dt.timedelta(days=2, hours=12))  # into B's copy
    with office(tmp_path, "leavers-laptop", monkeypatch), _at(DAY * 4 + 5):
        memory = _files_alone_memory(b)
        waiting = {n: d for n, d in _changes(b).items() if n not in memory["changes"]}
        assert len(waiting) == 1  # the forged removal, waiting for cw.cal's addition
        memory["changes"].update(waiting)
        made = _intro(b, leaver.member.id, leaver.signer.seed, memory, "mgr.two")
    with office(tmp_path, "new", monkeypatch), _at(DAY * 4 + 10):
        joined = _joined(b, made)
        taken_silently = not isinstance(joined, DacliError) and joined.differences == []
    _merge(a, b)  # B syncs
    with office(tmp_path, "alone", monkeypatch), _at(DAY * 4 + 20):
        alone = _who(b, "cw.cal")
    assert isinstance(alone, list) and "cw.cal" in alone and "mgr.two" not in alone, alone
    with office(tmp_path, "new", monkeypatch), _at(DAY * 4 + 20):
        after = _who(b, "cw.cal")
    assert not taken_silently or after == alone, (getattr(joined, "differences", joined), after)


# -- J3: a computer fooled after its first look can join no honest introduction ----------------------------


def test_a_computer_fooled_after_its_first_look_can_take_an_honest_introduction(two, tmp_path, monkeypatch):
    """The founder removes mgr.two at DAY. An old computer (first look before anyone left: it vouches) sees
    the removal, then is offline. This computer's first look comes after the removal (it does not vouch).
    Two hours after their removal mgr.two plants a removal of mgr.three dated an hour before it (within the
    grace: a computer cannot tell it from a late arrival): this computer believes it (mgr.three locked out
    here, as on the files alone); the old one, back two days later, refuses it (it knew mgr.two had left
    and it arrived after the grace). The old computer's honest introduction names the forgery as refused,
    and shows mgr.three current. `sync join` here refuses it for good ("has seen someone removed
    (mgr.three) ... make a newer one"): a removal seen after the first look is never excused, so no
    introduction, however new or honest, can ever be taken here, and nothing says what to do (deleting the
    memory file in the data folder by hand is the only way out, and is written nowhere). Severity: medium
    (a lasting lock-out of mgr.three on that computer; no repair). Correct: the honest introduction is
    taken once the person says yes, the difference (mgr.three) named from this computer's own reading (the
    G3 check then still asks about a leaver's introduction), or the refusal says how to start afresh."""
    a, _ = two
    with _at(5):
        three = add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)[0].id
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")  # before anyone left: it vouches
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 30):
        assert "mgr.two" not in _who(a, "sen.ada")
    with office(tmp_path, "here", monkeypatch), _at(DAY + 60):
        _who(a, "sen.ada")  # first look: a store with a leaver
    with _at(DAY + 120):
        _remove(leaver, three, clock.now() - dt.timedelta(hours=3))  # dated an hour before the removal
    with office(tmp_path, "here", monkeypatch), _at(DAY + 180):
        fooled = _who(a, "sen.ada")
    assert isinstance(fooled, list) and "mgr.three" not in fooled, fooled
    with office(tmp_path, "old", monkeypatch), _at(DAY * 3):
        old = _who(a, "sen.ada")
        made = introduce(_unlock(a, "sen.ada"))
    assert isinstance(old, list) and "mgr.three" in old and "mgr.two" not in old, old
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 10):
        joined = _joined(a, made)
        after = _who(a, "sen.ada")
    assert not isinstance(joined, DacliError), joined.message
    assert after == old and any("mgr.three" in d for d in joined.differences), (joined.differences, after)


# -- J4: a memory kept before `first_look` existed vouches ---------------------------------------------------


def test_a_memory_without_a_first_look_does_not_vouch(two, tmp_path, monkeypatch):
    """A computer whose memory was written before `first_look` was kept (dacli before 4799265: key epoch,
    removed, members, changes only) first read the store after mgr.two had left and forged (review 6's
    case: it believes the leaver's removal of mgr.three). `seen.vouches` reads a missing `first_look` as a
    first look before anyone left: no warning, and `sync introduce` makes an introduction of its fooled
    memory, which a new computer takes without a difference named (it matches the files alone) and with
    no warning left ("introduced by ..."). Severity: low (only memories kept before 4799265; no worse than
    the files alone, but the warning the README relies on is silenced). Correct: a memory with neither
    `first_look` nor `introduced` does not vouch (or warns until a person says when it began)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _post_dated(a)
    with _at(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "upgraded", monkeypatch), _at(DAY * 5 + 5):
        assert "mgr.three" not in _who(a, "sen.ada")  # fooled, as any computer reading the files alone
        sid = Store(a).settings.store_id
        kept = seen.remembered(sid)
        seen._write(seen._path(sid), {k: kept[k] for k in seen.KEPT})  # as dacli wrote it before 4799265
        _who(a, "sen.ada")  # used since (the rewrite keeps no first look it does not have)
        assert "first_look" not in seen.remembered(sid)
        assert not seen.vouches(seen.remembered(sid))
        assert memory_warning(Store(a)) is not None


# -- what held ---------------------------------------------------------------------------------------------


def test_held_the_memorys_rewrite_keeps_introduced_and_first_look(two, tmp_path, monkeypatch):
    """Held: `seen.check` rewrites the memory when a staff change arrives, keeping `introduced` (after a
    join) and `first_look` (its `believed` names unchanged, the new change not added to them)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch), _at(5):
        made = introduce(_unlock(a, "sen.ada"))
    with _at(10):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with office(tmp_path, "late", monkeypatch), _at(15):
        _who(a, "sen.ada")
        sid = Store(a).settings.store_id
        first = seen.remembered(sid)["first_look"]
    with office(tmp_path, "old", monkeypatch), _at(20):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _at(25):
        assert not isinstance(_joined(a, made), DacliError)
        introduced = seen.remembered(sid)["introduced"]
    with _at(30):
        add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)
    for name, key, was in (("late", "first_look", first), ("new", "introduced", introduced)):
        with office(tmp_path, name, monkeypatch), _at(35):
            assert "cw.cal" in _who(a, "sen.ada")
            kept = seen.remembered(sid)
            assert kept["changes"] == _changes(a) and kept[key] == was, (name, kept)
