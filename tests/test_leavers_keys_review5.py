"""A fifth adversarial review of sealed removals (issue 14, finding H1), at c003aac. Each test asserts the
secure or honest behaviour.

Finding: `_sure` gathers each author's "disowned" changes (`unknown`) from every removal whose signature
checks with its SIGNER's key, but files them under the author the removal NAMES (``event.author``), which
is never compared with the signer. So anyone holding any staff key (a leaver, a current caseworker) signs
one removal naming a current manager as its author and that manager's own adder (or the founder) as its
target: every genuine removal that manager made is then checked without the changes that added its
author, never applies, is not "sure", and is refused by the final fold."""

from __future__ import annotations

import datetime as dt

from dacli.services.admin import add_user, remove_user
from dacli.store.staffevents import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_keys_that_merge import PW, _forge, _later, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who

two = test_keys_that_merge.two


def _naming(signer, author_id: str, target_id: str, at: dt.datetime) -> None:
    """A removal signed by ``signer`` (their own, genuine key) that names ``author_id`` as its author."""
    _forge(
        signer,
        StaffEvent(kind="remove", at=at, author=author_id, staff=target_id, seal=[], grace_hours=24),
    )


def test_a_caseworker_undoes_a_current_managers_removal_on_a_new_computer(two, tmp_path, monkeypatch):
    """mgr.two (a current manager, added by the founder) removes sen.ada. Days later the current caseworker
    cw.bex signs, with their own key, one removal naming mgr.two as author and the founder as target. On a
    new computer sen.ada must stay removed."""
    a, _ = two
    cw = _unlock(a, "cw.bex")
    founder = _unlock(a, MANAGER).member.id
    mgr2 = _unlock(a, "mgr.two")
    with _later(DAY):
        remove_user(_unlock(a, "mgr.two"), "sen.ada", "left the service (test)")
    with _later(DAY * 3):
        _naming(cw, mgr2.member.id, founder, clock_now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 3 + 5):
        who = _who(a, MANAGER)
        assert isinstance(who, list), who
        assert "sen.ada" not in who, (who, _unlock(a, MANAGER).staff_notes())


def test_the_same_planted_file_locks_no_one_out_on_an_old_computer(two, tmp_path, monkeypatch):
    """The same, on a computer that saw sen.ada removed: the staff list must still unlock (at c003aac the
    fold shows sen.ada current again and `seen.check` refuses every unlock: 'put back from a copy')."""
    a, _ = two
    cw = _unlock(a, "cw.bex")
    founder = _unlock(a, MANAGER).member.id
    mgr2 = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _later(DAY):
        remove_user(_unlock(a, "mgr.two"), "sen.ada", "left the service (test)")
        _unlock(a, MANAGER)
    with _later(DAY * 3):
        _naming(cw, mgr2.member.id, founder, clock_now())
    with office(tmp_path, "old", monkeypatch), _later(DAY * 3 + 5):
        who = _who(a, MANAGER)
        assert isinstance(who, list), who
        assert "sen.ada" not in who, who


def test_a_leaver_stays_current_by_naming_their_remover_as_author(two, tmp_path, monkeypatch):
    """The founder removes mgr.two. Later (no back-dating) mgr.two signs with their own key one removal
    naming the founder as both author and target. On a new computer mgr.two must stay removed."""
    a, _ = two
    leaver = _unlock(a, "mgr.two")
    founder = _unlock(a, MANAGER).member.id
    with _later(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 3):
        _naming(leaver, founder, founder, clock_now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 3 + 5):
        who = _who(a, "sen.ada")
        assert isinstance(who, list), who
        assert "mgr.two" not in who and MANAGER in who, (who, _unlock(a, MANAGER).staff_notes())


def test_a_leaver_undoes_a_removal_made_by_a_manager_the_founder_added(two, tmp_path, monkeypatch):
    """Focus (2) with a leaver: mgr.x (added by the founder) is removed by mgr.two; mgr.x names mgr.two as
    the author of a removal of the founder (mgr.two's adder). mgr.x must stay removed on a new computer."""
    a, _ = two
    add_user(_unlock(a, MANAGER), "mgr.x", "manager", PW)
    leaver = _unlock(a, "mgr.x")
    founder, mgr2 = _unlock(a, MANAGER).member.id, _unlock(a, "mgr.two").member.id
    with _later(DAY):
        remove_user(_unlock(a, "mgr.two"), "mgr.x", "left the service (test)")
    with _later(DAY * 3):
        _naming(leaver, mgr2, founder, clock_now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 3 + 5):
        who = _who(a, "sen.ada")
        assert isinstance(who, list), who
        assert "mgr.x" not in who, (who, _unlock(a, MANAGER).staff_notes())


def test_a_stranger_with_no_staff_key_undoes_a_removal(two, tmp_path, monkeypatch):
    """Variant with no staff key at all (folder write access only): `_sure` takes every key ANY addition
    gives an id, checked or not. The stranger plants an addition of mgr.two's id with a key of their own,
    then a removal signed as mgr.two with it, naming the founder. mgr.two's genuine removal of sen.ada must
    still stand on a new computer (so checking author == signer alone is not the whole fix)."""
    from dacli.store import signing
    from tests.test_leavers_keys_review3 import _member, _write

    a, _ = two
    founder = _unlock(a, MANAGER).member.id
    mgr2 = _unlock(a, "mgr.two").member
    with _later(DAY):
        remove_user(_unlock(a, "mgr.two"), "sen.ada", "left the service (test)")
    with _later(DAY * 3):
        now = clock_now()
        seed, public = signing.generate()
        fake = signing.Signer(mgr2.id, seed)
        twin, _ = _member(a, fake, "mgr.two", "manager", now)
        twin = twin.model_copy(update={"id": mgr2.id, "signing_key": public})
        _write(a, fake, StaffEvent(kind="add", at=now, author=mgr2.id, member=twin))
        later = now + dt.timedelta(seconds=1)
        _write(a, fake, StaffEvent(kind="remove", at=later, author=mgr2.id, staff=founder, seal=[]))
    with office(tmp_path, "new", monkeypatch), _later(DAY * 3 + 5):
        who = _who(a, MANAGER)
        assert isinstance(who, list), who
        assert "sen.ada" not in who, (who, _unlock(a, MANAGER).staff_notes())


# -- honest offices (held at c003aac unless a test says otherwise) ---------------------------------------


def test_a_chain_of_removals_loses_no_one(two, tmp_path, monkeypatch):
    """The founder removes mgr.two; then mgr.three removes the founder (retiring). On old and new computers
    both are removed, everyone else current, nothing refused."""
    a, _ = two
    add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with office(tmp_path, "old", monkeypatch):
        with _later(DAY):
            remove_user(_unlock(a, MANAGER), "mgr.two", "left (test)")
        with _later(DAY * 2):
            remove_user(_unlock(a, "mgr.three"), MANAGER, "retired (test)")
    for where in ("old", "new"):
        with office(tmp_path, where, monkeypatch), _later(DAY * 5):
            assert _who(a, "sen.ada") == ["cw.bex", "mgr.three", "sen.ada"], where
            assert _unlock(a, "mgr.three").staff_refused() == [], where


def test_two_offices_each_remove_a_different_leaver_at_once(two, tmp_path, monkeypatch):
    """Office B's mgr.two removes cw.bex; half an hour later office A's founder, not knowing, removes
    mgr.two: after the merge both removals stand (mgr.two's is a change A's seal did not name, within the
    grace), everyone else current, on A, B and a new computer. (The other order, mgr.two's removal dated
    after their own, is refused by design: a change signed after its signer's removal.)"""
    a, b = two
    with office(tmp_path, "B", monkeypatch), _later(DAY):
        remove_user(_unlock(b, "mgr.two"), "cw.bex", "left (test)")
    with office(tmp_path, "A", monkeypatch), _later(DAY + 30):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left (test)")
    test_keys_that_merge._merge(a, b)
    for where, root in (("A", a), ("B", b), ("new", a)):
        with office(tmp_path, where, monkeypatch), _later(DAY + 120):
            assert _who(root, "sen.ada") == [MANAGER, "sen.ada"], where


def test_readding_a_removed_person_under_a_new_id_keeps_the_old_removal(two, tmp_path, monkeypatch):
    """cw.bex is removed; a manager adds them back as cw.bex2 (the name cw.bex is taken for ever): the new
    account unlocks, the old id stays removed, on a new computer."""
    a, _ = two
    with _later(DAY):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left (test)")
    with _later(DAY * 2):
        add_user(_unlock(a, "mgr.two"), "cw.bex2", "caseworker", PW)
    with office(tmp_path, "new", monkeypatch), _later(DAY * 3):
        assert _who(a, "cw.bex2") == ["cw.bex2", MANAGER, "mgr.two", "sen.ada"]


def clock_now():
    from dacli import clock

    return clock.now()


def test_timing_100_leavers_and_20_removals_among_managers(two, tmp_path, monkeypatch):
    """Measured (printed with -s): 100 managers removed by the founder, each with 3 changes, then 21
    managers where each of the first 20 is removed by the next (a chain): one unlock on a new computer."""
    import time

    from dacli import clock
    from dacli.store import staffevents
    from tests.test_leavers_keys_review3 import _many_leavers, _member, _write

    a, _ = two
    t = _many_leavers(a, 100, 3)
    f = _unlock(a, MANAGER).signer
    chain = []
    for i in range(21):
        t += dt.timedelta(minutes=1)
        m, s = _member(a, f, f"mgr.c{i}", "manager", t)
        _write(a, f, StaffEvent(kind="add", at=t, author=f.staff_id, member=m))
        chain.append((m, s))
    t += dt.timedelta(days=2)
    for (m, _s), (_n, s) in zip(chain, chain[1:], strict=False):
        t += dt.timedelta(minutes=1)
        _write(a, s, StaffEvent(kind="remove", at=t, author=s.staff_id, staff=m.id, seal=[], grace_hours=24))
    folds: list[int] = []
    real = staffevents._fold_once
    monkeypatch.setattr(staffevents, "_fold_once", lambda *args: folds.append(1) or real(*args))
    with office(tmp_path, "new", monkeypatch), clock.pinned(t + dt.timedelta(days=1)):
        start = time.perf_counter()
        _unlock(a, MANAGER)
        first, first_folds = time.perf_counter() - start, len(folds)
        start = time.perf_counter()
        session = _unlock(a, MANAGER)
        again, again_folds = time.perf_counter() - start, len(folds) - first_folds
        active = {m.username for m in session.staff().active()}
    print(
        f"\nunlock, 100 leavers + 20 chained removals: first {first:.2f} s ({first_folds} folds), "
        f"again {again:.2f} s ({again_folds} folds)"
    )
    assert "mgr.c20" in active and not any(f"mgr.c{i}" in active for i in range(20))
    assert first_folds <= 2 * 120 + 10 and again_folds <= 2 * 120 + 10  # the machine's speed is not tested


def test_a_key_a_leaver_gave_their_removers_id_speaks_for_none_of_their_removals(two, tmp_path, monkeypatch):
    """Found while fixing the above: a leaver (mgr.y, added by mgr.x, added by the founder) adds the founder's
    id again with the leaver's own key, then signs with it a removal 'by the founder' of mgr.x, dated within
    the grace before their own removal. Read as the founder's, its seal would disown mgr.x's addition of
    mgr.y when the founder's real removal of mgr.y is checked, which would then not stand. What a removal
    says of its author's view counts only for removals signed with the same key."""
    from dacli import clock
    from dacli.store import signing

    a, _ = two
    with _later(DAY):
        add_user(_unlock(a, MANAGER), "mgr.x", "manager", PW)
    with _later(DAY * 2):
        add_user(_unlock(a, "mgr.x"), "mgr.y", "manager", PW)
    with _later(DAY * 2 + 5):
        leaver = _unlock(a, "mgr.y")
        founder = _unlock(a, MANAGER).member
        mgr_x = _unlock(a, "mgr.x").member.id
    with _later(DAY * 5):
        remove_user(_unlock(a, MANAGER), "mgr.y", "left the service (test)")
    with _later(DAY * 6):
        at = clock.now() - dt.timedelta(days=1, hours=2)  # two hours before the removal
        _crony(leaver, at, "founder.again", member_id=founder.id)
        as_founder = signing.Signer(founder.id, leaver.signer.seed)
        removal = StaffEvent(
            kind="remove",
            at=at + dt.timedelta(minutes=1),
            author=founder.id,
            staff=mgr_x,
            seal=[],
            grace_hours=24,
        )
        _forge(leaver, removal, signer=type("S", (), {"signer": as_founder})())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 6 + 5):
        who = _who(a, MANAGER)
        assert isinstance(who, list), who
        assert "mgr.y" not in who and "mgr.x" in who, who
