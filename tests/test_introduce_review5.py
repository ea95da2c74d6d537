"""Fifth independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 8b9f511, kept. Each test asserts the correct behaviour; K1 to K3
failed at 8b9f511 (now: the differences name who is removed and who is on the list, and how many staff
changes the introduction believes that the other reading does not; the memory kept adds what the checked
list believed; a removal seen here whose files are gone is named and asked about). The earlier reviews'
attacks are in `test_introduce_review.py` (F1-F7), `_review2.py` (R1-R5),
`_review3.py` (G1-G3) and `_review4.py` (J1-J4); these do not repeat them.

K1: `prepare_join` names differences in who is CURRENT only. A memory may believe a leaver's back-dated
changes that leave the current list unchanged (an addition of a crony manager and that crony's removal),
and the crony's removal's seal can vouch in advance for a file not yet in the store: planted after the
join, it removes an honest person on the joined computer only. K2: `take` keeps the introduction's memory,
not what the checked list believed: a leaver's change made shortly before their removal, believed in the
list shown (no difference), is refused on the next read once the grace has passed. K3: a computer fooled
after its first look whose forged removal is then deleted from the folder is locked out, and can take no
honest introduction ("make a newer one", which cannot help)."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store import seen, signing
from dacli.store.staffformat import EVENTS, StaffEvent, parse_event
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review import _intro
from tests.test_introduce_review3 import _files_alone_memory, _joined
from tests.test_keys_that_merge import PW, _forge, _later, _merge, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who
from tests.test_leavers_keys_review6 import _remove

two = test_keys_that_merge.two


def _at(minutes: int):
    """The clock pinned ``minutes`` after the test's start (not nested: each call from the same base)."""
    return _later(minutes)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _removals_of(root, staff_id: str) -> list:
    folder = root / ".dacli" / EVENTS
    return [
        p
        for p in folder.iterdir()
        if (e := parse_event(p.name, p.read_bytes())[0]).kind == "remove" and e.staff == staff_id
    ]


# -- K1: a believed back-dated removal's seal vouches for a file planted after the join ------------------


def test_an_introduction_cannot_pre_seal_a_removal_planted_after_the_join(two, tmp_path, monkeypatch):
    """The founder adds cw.cal, then removes mgr.two (day 3; its seal names nothing of theirs). On day 4
    mgr.two, with the key they kept, plants two changes dated day 1: an addition of a crony manager
    (mgr.crony, keys mgr.two holds) and mgr.two's removal of mgr.crony two hours later, whose seal names
    the SHA-256 of a third file not planted yet: mgr.crony's removal of cw.cal, dated an hour before. Read
    alone, both planted changes are back-dated (refused); cw.cal is current. cw.bex (any current member,
    the leaver's accomplice, as in J1) signs an introduction whose memory believes both and shows mgr.crony
    removed: it is exactly what the list it gives shows, and that list has the same people CURRENT as the
    files alone (mgr.crony added and removed, absent alone): taken with no difference named. On day 5
    mgr.two plants the sealed removal of cw.cal: the files alone leave it waiting (mgr.crony was never
    added) and cw.cal current; on the joined computer the seal vouches for it and cw.cal is removed,
    silently. Severity: medium-high (silent; any honest person locked out on the joined computer, at a time
    the leaver chooses; a leaver and any current member). Correct: the differences name every change the
    introduction believes that the files alone do not (and who is removed or on the list at all, not only
    who is current), or such an introduction is refused."""
    a, _ = two
    with _at(5):
        cal = add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)[0].id
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with _at(DAY * 3):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY * 4):
        t1 = clock.now() - dt.timedelta(days=3)
        crony = _crony(leaver, t1, "mgr.crony")
        as_crony = SimpleNamespace(signer=signing.Signer(crony.id, leaver.signer.seed))
        later = StaffEvent(
            kind="remove", at=t1 + dt.timedelta(hours=1), author=crony.id, staff=cal, seal=[], grace_hours=24
        )
        planted = _forge(leaver, later, signer=as_crony)
        name, raw, sealed = planted.name, planted.read_bytes(), _digest(planted)
        planted.unlink()  # kept back: planted after the join
        _remove(leaver, crony.id, t1 + dt.timedelta(hours=2), seal=[sealed])
    with office(tmp_path, "accomplice", monkeypatch), _at(DAY * 4 + 5):
        memory = _files_alone_memory(a)
        assert "cw.cal" in _who(a, "sen.ada") and "mgr.crony" not in _who(a, "sen.ada")
        folder = a / ".dacli" / EVENTS
        for p in folder.iterdir():
            if p.name not in memory["changes"]:
                memory["changes"][p.name] = _digest(p)  # the two back-dated changes, believed
        memory["removed"] = sorted({*memory["removed"], crony.id})
        memory["members"] = sorted({*memory["members"], crony.id})
        memory["key_epoch"] += 1
        bex = _unlock(a, "cw.bex")
        made = _intro(a, bex.member.id, bex.signer.seed, memory, "cw.bex")
    with office(tmp_path, "new", monkeypatch), _at(DAY * 4 + 10):
        joined = _joined(a, made)
        taken_silently = not isinstance(joined, DacliError) and joined.differences == []
    with _at(DAY * 5):
        (a / ".dacli" / EVENTS / name).write_bytes(raw)
    with office(tmp_path, "alone", monkeypatch), _at(DAY * 5 + 5):
        alone = _who(a, "sen.ada")
    assert isinstance(alone, list) and "cw.cal" in alone and "mgr.two" not in alone, alone  # not fooled
    with office(tmp_path, "new", monkeypatch), _at(DAY * 5 + 5):
        after = _who(a, "sen.ada")
    assert not taken_silently or after == alone, (getattr(joined, "differences", joined), after)


# -- K2: what is taken is less than what was shown: a change believed at the join is refused a day later ---


def test_join_keeps_what_the_list_it_showed_believed(two, tmp_path, monkeypatch):
    """Office B's copy: mgr.two adds cw.dan an hour before the founder, in office A, removes mgr.two (the
    seal cannot name it: not synced yet; honest, within the grace: `doubts`). The old computer (first look
    before anyone left) reads A after the removal and makes its introduction before the offices sync. Then
    they sync, and a new computer joins an hour later: the list shown believes the addition (within the
    grace of now) as the files alone do: no difference. But `take` keeps the introduction's memory, which
    does not name it; the next read a day later refuses it ("reached this computer after it knew mgr.two had
    left"): cw.dan cannot unlock on the joined computer, while the files alone, and a computer that read
    the list when the join did, show them current; nothing was named (the introducing computer, not used
    since, refuses it too: the memory's ordinary arrival race; but the join showed it believed).
    Severity: low (an honest person locked out on the joined computer, silently; needs a removal while
    another office's change is arriving). Correct: `take` keeps what the checked list believed (the
    memory's changes and the names the fold believed at the check, as `seen.check` would on a read then)."""
    a, b = two
    with _at(10):
        b_leaver = _unlock(b, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")  # before anyone left: it vouches
    with office(tmp_path, "B", monkeypatch), _at(DAY - 60):
        add_user(b_leaver, "cw.dan", "caseworker", PW)
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 30):
        made = introduce(_unlock(a, "sen.ada"))
    _merge(a, b)
    with office(tmp_path, "new", monkeypatch), _at(DAY + 90):
        joined = _joined(a, made)
        assert not isinstance(joined, DacliError), joined.message
        shown_silently = joined.differences == []
    with office(tmp_path, "reader", monkeypatch), _at(DAY + 90):
        _who(a, "sen.ada")  # a computer (not vouching) that read the list when the join did
    with office(tmp_path, "alone", monkeypatch), _at(DAY * 2 + 120):
        alone = _who(a, "sen.ada")
    assert isinstance(alone, list) and "cw.dan" in alone, alone
    with office(tmp_path, "reader", monkeypatch), _at(DAY * 2 + 120):
        assert "cw.dan" in _who(a, "sen.ada")
    with office(tmp_path, "new", monkeypatch), _at(DAY * 2 + 120):
        after = _who(a, "sen.ada")
    assert not shown_silently or after == alone, (joined.differences, after)


# -- K3: a forged removal deleted after it fooled this computer: locked out, and no introduction helps -------


def test_a_computer_whose_forged_removal_was_deleted_can_take_an_honest_introduction(
    two, tmp_path, monkeypatch
):
    """J3's computer (first look after the founder removed mgr.two; then fooled by mgr.two's removal of
    mgr.three dated an hour before their own, within the grace, listed for a manager to check). The manager
    checks it, finds it forged and deletes the file (or the leaver deletes it, having write access). This
    computer now refuses the staff list ("shows mgr.three as current, but this computer has seen them
    removed"): no one can work here. The old computer (it vouches; it never held the forged file) makes an
    honest introduction showing mgr.three current; `sync join` refuses it for good ("has seen someone
    removed (mgr.three) whom the introduction does not know as removed: make a newer one"): the removal
    behind it is not in the store, so no introduction can name it as refused. The only way out is deleting
    the memory file in the data folder by hand, written nowhere. Severity: medium (a whole computer locked
    out; the honest path the refusal offers cannot work). Correct: a removal this computer saw whose every
    file is gone from the store is asked about like a refused one, named ("this computer saw mgr.three
    removed; that removal is no longer in the store"), and the honest introduction taken on yes."""
    a, _ = two
    with _at(5):
        three = add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)[0].id
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 30):
        assert "mgr.two" not in _who(a, "sen.ada")
    with office(tmp_path, "here", monkeypatch), _at(DAY + 60):
        _who(a, "sen.ada")  # first look: a store with a leaver
    with _at(DAY + 120):
        _remove(leaver, three, clock.now() - dt.timedelta(hours=3))
    with office(tmp_path, "here", monkeypatch), _at(DAY + 180):
        assert "mgr.three" not in _who(a, "sen.ada")  # fooled
    with _at(DAY + 240):
        (forged,) = _removals_of(a, three)
        forged.unlink()  # the manager who checked it, or the leaver
    with office(tmp_path, "here", monkeypatch), _at(DAY + 300):
        locked = _who(a, "sen.ada")
    assert isinstance(locked, str), locked  # the memory's guard: no one works here
    with office(tmp_path, "old", monkeypatch), _at(DAY * 3):
        old = _who(a, "sen.ada")
        made = introduce(_unlock(a, "sen.ada"))
    assert isinstance(old, list) and "mgr.three" in old and "mgr.two" not in old, old
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 10):
        joined = _joined(a, made)
        after = _who(a, "sen.ada")
    assert not isinstance(joined, DacliError), joined.message
    assert after == old and any("mgr.three" in d for d in joined.differences), (joined.differences, after)


# -- what held -----------------------------------------------------------------------------------------


def test_held_a_join_then_a_read_keeps_introduced_and_no_first_look_is_added(two, tmp_path, monkeypatch):
    """Held: after a join, the first read rewrites the memory (new names) and keeps `introduced`, and adds
    no `first_look` (`seen.check` only adds one to an empty memory)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch), _at(5):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _at(10):
        assert not isinstance(_joined(a, made), DacliError)
    with _at(15):
        add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)
    with office(tmp_path, "new", monkeypatch), _at(20):
        assert "cw.cal" in _who(a, "sen.ada")
        kept = seen.remembered(Store(a).settings.store_id)
    assert kept.get("introduced") and "first_look" not in kept and seen.vouches(kept)
