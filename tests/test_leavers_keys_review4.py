"""A fourth independent review's tests of sealed removals (issue 14, finding H1), each asserting the secure
or honest behaviour. At 729e8a7 two leavers who each back-dated a removal of the manager who removed them
held each other up on a new computer (a removal is now checked with its author's own view of the others
they removed: `leavers.sure_removals`)."""

from __future__ import annotations

import datetime as dt

from dacli.services.admin import add_user, remove_user
from dacli.store.staffevents import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_keys_that_merge import PW, _forge, _later, _unlock, office
from tests.test_leavers_keys import DAY, _removal_of, _who

two = test_keys_that_merge.two


def _two_leavers(a):
    """mgr.two and mgr.three (both added by the founder) are removed by the founder 3 days on; returns
    their sessions (kept from before) and the removals."""
    add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    l1, l2 = _unlock(a, "mgr.two"), _unlock(a, "mgr.three")
    with _later(DAY * 3):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 3 + 1):
        remove_user(_unlock(a, MANAGER), "mgr.three", "left the service (test)")
    return l1, l2, _removal_of(a, l1.member.id), _removal_of(a, l2.member.id)


def _both_remove_the_founder(a, l1, l2, at):
    founder = _unlock(a, MANAGER).member.id
    for leaver in (l1, l2):
        _forge(
            leaver,
            StaffEvent(kind="remove", at=at, author=leaver.member.id, staff=founder, seal=[], grace_hours=24),
        )


def test_two_leavers_each_back_date_a_removal_of_their_remover_on_a_new_computer(two, tmp_path, monkeypatch):
    """Two managers removed by the founder collude: each signs a removal of the founder dated 2 days before
    their own removal (far beyond the grace). `_sure` folds the founder's removal of mgr.two without
    mgr.two's changes, but WITH mgr.three's back-dated removal of the founder (and the other way round): so
    neither removal of a leaver is 'sure', no seal excludes the forged removals, and on a new computer the
    founder is removed and both leavers are current managers again."""
    a, _ = two
    l1, l2, r1, _r2 = _two_leavers(a)
    with _later(DAY * 10):
        _both_remove_the_founder(a, l1, l2, r1.at - dt.timedelta(days=2))
        with office(tmp_path, "new", monkeypatch):
            who = _who(a, "sen.ada")
            assert isinstance(who, list), who
            assert MANAGER in who and "mgr.two" not in who and "mgr.three" not in who, who


def test_two_leavers_back_dated_removals_of_their_remover_on_an_old_computer(two, tmp_path, monkeypatch):
    """The same, on a computer that had seen both removals: no one is locked out, the founder stays."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        l1, l2, r1, _r2 = _two_leavers(a)
        _unlock(a, "sen.ada")
    with _later(DAY * 10):
        _both_remove_the_founder(a, l1, l2, r1.at - dt.timedelta(days=2))
        with office(tmp_path, "old", monkeypatch):
            who = _who(a, "sen.ada")
            assert isinstance(who, list), who
            assert MANAGER in who and "mgr.two" not in who and "mgr.three" not in who, who


def test_two_offices_remove_the_same_manager_and_lose_no_one(two, tmp_path, monkeypatch):
    """Honest: the founder in office A and mgr.three in office B each remove mgr.two (neither knows of the
    other's), an hour apart; once merged, on both computers and a new one, mgr.two is removed, everyone
    else current, and nothing is listed as contradictory or refused."""
    a, b = two
    with office(tmp_path, "A", monkeypatch):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    import shutil

    shutil.rmtree(b)
    shutil.copytree(a, b, ignore=shutil.ignore_patterns(".lock", "*.lock", ".tmp-*"))
    with office(tmp_path, "B", monkeypatch):
        _unlock(b, "mgr.three")
    with office(tmp_path, "A", monkeypatch), _later(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left (test)")
    with office(tmp_path, "B", monkeypatch), _later(DAY + 60):
        remove_user(_unlock(b, "mgr.three"), "mgr.two", "left (test)")
    test_keys_that_merge._merge(a, b)
    for where, root in (("A", a), ("B", b), ("new", a)):
        with office(tmp_path, where, monkeypatch), _later(DAY + 120):
            assert _who(root, "sen.ada") == ["cw.bex", MANAGER, "mgr.three", "sen.ada"], where
            assert _unlock(root, MANAGER).staff_refused() == [], where


def test_timing_one_unlock_with_100_removed_managers(two, tmp_path, monkeypatch):
    """Measured (printed with -s): the seconds of one unlock (new computer, after the first). Bounded by what
    does not depend on the machine: the number of folds of the staff list, linear in the leavers."""
    import time

    from dacli import clock
    from dacli.store import staffevents
    from tests.test_leavers_keys_review3 import _many_leavers

    a, _ = two
    t = _many_leavers(a, 100, 3)
    folds: list[int] = []
    real = staffevents._fold_once
    monkeypatch.setattr(staffevents, "_fold_once", lambda *args: folds.append(1) or real(*args))
    with office(tmp_path, "new", monkeypatch), clock.pinned(t + dt.timedelta(days=1)):
        start = time.perf_counter()
        _unlock(a, MANAGER)
        first, first_folds = time.perf_counter() - start, len(folds)
        start = time.perf_counter()
        _unlock(a, MANAGER)
        again, again_folds = time.perf_counter() - start, len(folds) - first_folds
    print(
        f"\nunlock with 100 removed managers: first {first:.2f} s ({first_folds} folds), "
        f"again {again:.2f} s ({again_folds} folds)"
    )
    assert first_folds <= 2 * 100 + 10 and again_folds <= 2 * 100 + 10  # the machine's speed is not tested
