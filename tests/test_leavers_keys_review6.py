"""A sixth adversarial review of sealed removals (issue 14, finding H1), at 48d5a2a, and what it led to.

Its finding (two leavers removed by different managers each back-date a removal of the other's remover) is
fixed. One found while fixing it is not: a leaver who signs, days after their removal and dated then, a
removal of the manager who removed them (when that manager did not add them) is current again on a computer
set up afterwards. The same files are what a removed manager would write to back-date a removal of the
person who removed them, the case the seals are for, so a computer that did not see the files arrive cannot
tell the two apart: the test is marked as the known failure it is (README, "A removal is sealed")."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.services.admin import add_user, remove_user
from dacli.store.staffevents import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_keys_that_merge import PW, _forge, _later, _unlock, office
from tests.test_leavers_keys import DAY, _who

two = test_keys_that_merge.two


def _remove(leaver, target_id: str, at: dt.datetime, seal=(), grace_hours: int = 24) -> None:
    """A removal the leaver signs with their own key, dated ``at``, sealing ``seal``."""
    _forge(
        leaver,
        StaffEvent(
            kind="remove",
            at=at,
            author=leaver.member.id,
            staff=target_id,
            seal=sorted(seal),
            grace_hours=grace_hours,
        ),
    )


def _crossed(a):
    """mgr.l1 and mgr.l2 (managers the founder added) leave: mgr.two removes mgr.l1, mgr.three removes
    mgr.l2, three days on. Returns the two leavers' sessions (kept from before) and the removers' ids."""
    mgr = _unlock(a, MANAGER)
    for user in ("mgr.three", "mgr.l1", "mgr.l2"):
        add_user(mgr, user, "manager", PW)
    l1, l2 = _unlock(a, "mgr.l1"), _unlock(a, "mgr.l2")
    r1, r2 = _unlock(a, "mgr.two").member.id, _unlock(a, "mgr.three").member.id
    with _later(DAY * 3):
        remove_user(_unlock(a, "mgr.two"), "mgr.l1", "left the service (test)")
    with _later(DAY * 3 + 1):
        remove_user(_unlock(a, "mgr.three"), "mgr.l2", "left the service (test)")
    return l1, l2, r1, r2


def test_two_leavers_removed_by_different_managers_cross_back_date_on_a_new_computer(
    two, tmp_path, monkeypatch
):
    """Finding: review 4's fix (each removal read with its author's view of the others THEY removed) covers
    two leavers removed by the same manager only. mgr.l1 (removed by mgr.two) and mgr.l2 (removed by
    mgr.three) each sign, days later, a removal of the OTHER's remover dated ~3 days before (far beyond the
    grace). At 48d5a2a both leavers were current managers on a new computer: each removal of a leaver is now
    first read without every change any seal calls back-dated (`leavers.sure_removals`, ``wary``)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        l1, l2, r1, r2 = _crossed(a)
    back = clock.now() + dt.timedelta(hours=2)  # ~70 hours before either removal
    with _later(DAY * 10):
        _remove(l1, r2, back)
        _remove(l2, r1, back + dt.timedelta(minutes=1))
        with office(tmp_path, "new", monkeypatch):
            who = _who(a, "sen.ada")
            assert isinstance(who, list), who
            assert {"mgr.two", "mgr.three"} <= set(who) and not {"mgr.l1", "mgr.l2"} & set(who), (
                who,
                _unlock(a, "sen.ada").staff_notes(),
            )


def test_the_crossed_back_dated_removals_on_an_old_computer(two, tmp_path, monkeypatch):
    """The same on a computer that saw both removals: refused there (they arrive after the grace)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        l1, l2, r1, r2 = _crossed(a)
        _unlock(a, "sen.ada")
    back = clock.now() + dt.timedelta(hours=2)
    with _later(DAY * 10):
        _remove(l1, r2, back)
        _remove(l2, r1, back + dt.timedelta(minutes=1))
        with office(tmp_path, "old", monkeypatch):
            who = _who(a, "sen.ada")
            assert isinstance(who, list), who
            assert {"mgr.two", "mgr.three"} <= set(who) and not {"mgr.l1", "mgr.l2"} & set(who), who


def _reverse_chain(a, count: int, start: dt.datetime):
    """``count`` managers in a chain, each added by the one before (the first by the founder), each addition
    dated a minute BEFORE the addition of its author (clocks apart, or planted): every fold waits and goes
    over the whole list once per link."""
    from tests.test_leavers_keys_review3 import _member, _write

    adder = _unlock(a, MANAGER).signer
    t = start
    for i in range(count):
        m, s = _member(a, adder, f"mgr.r{i}", "manager", t)
        _write(a, adder, StaffEvent(kind="add", at=t, author=adder.staff_id, member=m))
        adder, t = s, t - dt.timedelta(minutes=1)
    return adder


def test_timing_300_chained_additions_in_reverse_order_and_100_leavers(two, tmp_path, monkeypatch):
    """100 managers removed by the founder (3 changes each), then a chain of 300 managers each added by the
    one before, dated in reverse: one unlock on a new computer. Measured (printed with -s), and bounded by
    what does not depend on the machine: the number of folds of the staff list, linear in the leavers (two
    readings of each removal, and the final fold), where a225ed4 folded it over and over (22 s). A wall-clock
    bound failed here on a busy shared machine (5.08 s against 5); the benchmarks measure time."""
    import time

    from dacli.store import staffevents
    from tests.test_leavers_keys_review3 import _many_leavers

    a, _ = two
    t = _many_leavers(a, 100, 3)
    _reverse_chain(a, 300, t + dt.timedelta(days=1))
    folds: list[int] = []
    real = staffevents._fold_once
    monkeypatch.setattr(staffevents, "_fold_once", lambda *args: folds.append(1) or real(*args))
    with office(tmp_path, "new", monkeypatch), clock.pinned(t + dt.timedelta(days=2)):
        start = time.perf_counter()
        session = _unlock(a, MANAGER)
        first, first_folds = time.perf_counter() - start, len(folds)
        start = time.perf_counter()
        _unlock(a, MANAGER)
        again, again_folds = time.perf_counter() - start, len(folds) - first_folds
        active = {m.username for m in session.staff().active()}
    print(
        f"\nunlock, 100 leavers + 300 reverse-chained additions: first {first:.2f} s ({first_folds} folds), "
        f"again {again:.2f} s ({again_folds} folds)"
    )
    assert "mgr.r299" in active and not any(f"mgr.l{i}" in active for i in range(100))
    assert first_folds <= 2 * 100 + 10 and again_folds <= 2 * 100 + 10


def _post_dated(a):
    """mgr.three (added by the founder) removes mgr.two; four days later mgr.two signs, with the key they
    kept and dated then, a removal of mgr.three naming nothing of theirs."""
    with _later(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _later(10):
        leaver = _unlock(a, "mgr.two")
        three = _unlock(a, "mgr.three").member.id
    with _later(DAY):
        remove_user(_unlock(a, "mgr.three"), "mgr.two", "left the service (test)")
    return leaver, three


@pytest.mark.xfail(
    strict=True,
    reason="on a computer not introduced (`dacli sync join`, test_introduce.py): "
    "a removal post-dated by a leaver mirrors one back-dated by their remover; "
    "a new computer follows the seals, which side with the later removal",
)
def test_a_leaver_who_removes_their_remover_later_is_not_current_on_a_new_computer(
    two, tmp_path, monkeypatch
):
    """Found fixing the above: the removal mgr.two signs four days after their own (not even back-dated)
    makes them a current manager again on a new computer, and mgr.three removed: its seal makes mgr.three's
    earlier removal of mgr.two look back-dated. An old computer is not fooled."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _post_dated(a)
        _unlock(a, "sen.ada")
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    for computer in ("new", "old"):
        with office(tmp_path, computer, monkeypatch), _later(DAY * 5 + 5):
            who = _who(a, "sen.ada")
            assert isinstance(who, list), who
            assert "mgr.two" not in who and MANAGER in who, (computer, who)
            # a computer that saw the removal first keeps mgr.three; a new one cannot tell the mirror apart
            assert ("mgr.three" in who) == (computer == "old"), (computer, who)


def test_a_leaver_takes_no_one_else_with_them(two, tmp_path, monkeypatch):
    """Outside a circle, nothing changes: mgr.two back-dates a removal of mgr.three (the circle) and signs
    later removals of the founder and of sen.ada. On a new computer the founder and sen.ada stay current."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _post_dated(a)
    founder = _unlock(a, MANAGER).member.id
    ada = _unlock(a, "sen.ada").member.id
    with _later(DAY * 5):
        _remove(
            leaver, three, clock.now() - dt.timedelta(days=4, hours=12)
        )  # back-dated before their removal
        _remove(leaver, founder, clock.now())
        _remove(leaver, ada, clock.now() - dt.timedelta(days=4, hours=11))
    with office(tmp_path, "new", monkeypatch), _later(DAY * 5 + 5):
        who = _who(a, MANAGER)
        assert isinstance(who, list), who
        assert "mgr.two" not in who and {MANAGER, "sen.ada", "cw.bex"} <= set(who), who


def test_a_back_dated_removal_of_someone_else_is_refused_on_a_new_computer(two, tmp_path, monkeypatch):
    """Not a circle: mgr.two, removed by mgr.three, back-dates a removal of the founder to days before their
    own removal. No story has the founder removed without a removal not knowing of it: refused."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, _three = _post_dated(a)
    founder = _unlock(a, MANAGER).member.id
    with _later(DAY * 5):
        _remove(leaver, founder, clock.now() - dt.timedelta(days=4, hours=12))
    with office(tmp_path, "new", monkeypatch), _later(DAY * 5 + 5):
        who = _who(a, "sen.ada")
        assert isinstance(who, list), who
        assert "mgr.two" not in who and {MANAGER, "mgr.three"} <= set(who), who


def test_the_post_dated_removal_leaves_a_sign_on_the_new_computer(two, tmp_path, monkeypatch):
    """What the README tells a manager to look for while the above is open: `audit verify` on the new
    computer names the honest removal as not believed (and exits 6)."""
    from dacli.services.admin import verify_audit

    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _post_dated(a)
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 5 + 5):
        session = _unlock(a, "sen.ada")
        problems = verify_audit(session.store, session).files
        assert any("signed by mgr.three" in p and "not believed" in p for p in problems), problems
