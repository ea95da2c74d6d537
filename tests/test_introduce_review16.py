"""Sixteenth security review of "a computer introduced by another" (issue 14, H1), written at 4a8537b.
Each test asserts the correct behaviour; the ones named L... fail at 4a8537b and pass since a removal
dated before this computer first believed a change it calls back-dated flags that change
(`leavers._missing_when_read`). The earlier reviews' attacks are in `test_introduce_review.py` to
`_review15.py`; these do not repeat them."""

from __future__ import annotations

import datetime as dt

from dacli import clock
from dacli.store.staffformat import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import _forge, _unlock, office
from tests.test_leavers_keys import DAY, _who
from tests.test_missing_when_read import _hidden_while_old_reads

two = test_keys_that_merge.two
R = 3 * DAY  # the removal of the leaver: late enough that a back-dated change is after the first look


def _leaver_removes_the_remover(a, tmp_path, monkeypatch, seal=()):
    """The old computer (first look before anyone left) reads, while mgr.three's removal of the leaver is
    out of the folder, the leaver's OWN removal of mgr.three, back-dated more than the grace before it.
    The removal is put back. Returns (leaver id, remover id)."""

    def forge(leaver, ids):
        at = clock.now() - dt.timedelta(days=1, hours=3)
        event = StaffEvent(
            kind="remove", at=at, author=leaver.member.id, staff=ids["mgr.three"], seal=list(seal)
        )
        _forge(leaver, event)

    meanwhile, ids = _hidden_while_old_reads(a, tmp_path, monkeypatch, forge)
    assert "mgr.three" not in meanwhile
    return ids["mgr.two"], ids["mgr.three"]


# -- L1: the leaver removes the remover themselves (no crony): the held check counts no seal ---------


def test_l1_a_leavers_own_back_dated_removal_of_the_remover_is_not_kept_silently(two, tmp_path, monkeypatch):
    """L1 (Z1 without the crony). The leaver signs, with their own key, a removal of mgr.three (who removed
    them) dated a day and three hours before that removal; the old computer reads it while mgr.three's
    removal is out of the folder. Put back: the files alone refuse the leaver's removal (back-dated: the
    seal of mgr.three's removal does not name it), so mgr.three is current and mgr.two removed. On the old
    computer mgr.three stays removed (the leaver's removal was 'believed here before'); mgr.three's seal
    does not count in `held_against_seals` since mgr.three was removed by the leaver, whose addition chain
    rests on no held change (the held change is the removal itself, not an addition). Worse: on the old
    computer mgr.three's removal of the leaver is refused ("made by mgr.three after their removal"), so the
    LEAVER is a current manager there, mgr.three is locked out, no note names it, the memory still vouches
    (it cannot take an honest introduction, and introduces others with the leaver current). Severity:
    critical (a leaver alone, one file, and a window in which their file reaches the old computer before
    the removal does). Correct: warned and not vouching, or mgr.three current and mgr.two removed. Fix
    direction: flag (`held`) every remembered change the files-alone reading refuses as back-dated (run
    `back_dated` with no memory over the final sure removals), not only additions up a chain."""
    a, _ = two
    _leaver_removes_the_remover(a, tmp_path, monkeypatch)
    with office(tmp_path, "fresh", monkeypatch), _at(R + 85):
        alone = _who(a, "cw.bex")
    assert "mgr.three" in alone and "mgr.two" not in alone, alone
    with office(tmp_path, "old", monkeypatch), _at(R + 90):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    assert ("mgr.three" in after and "mgr.two" not in after) or (warned is not None and not vouches), (
        after,
        warned,
        vouches,
    )


def test_l1b_the_old_computer_fooled_by_l1_can_take_an_honest_introduction(two, tmp_path, monkeypatch):
    """L1b (what a person can do on the old computer after L1). The computer that made the store (first
    look before anyone left, never held the leaver's back-dated removal) introduces; the old computer joins
    with --yes. At 4a8537b the old computer still vouches, so it refuses ("needs none") and stays with the
    leaver current until someone deletes its memory by hand (the README's way for a fooled computer that
    knows it is fooled; nothing here tells it). Severity: high (with L1). Correct: the join is taken (every
    difference named) and mgr.three is current, mgr.two removed, after it."""
    from dacli.errors import DacliError
    from dacli.services.sync import introduce
    from tests.test_introduce_review3 import _joined

    a, _ = two
    _leaver_removes_the_remover(a, tmp_path, monkeypatch)
    with _at(R + 86):
        honest = introduce(_unlock(a, MANAGER))
        assert "mgr.three" in _who(a, MANAGER)
    with office(tmp_path, "old", monkeypatch), _at(R + 90):
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        after = _who(a, "sen.ada")
    assert "mgr.three" in after and "mgr.two" not in after, after


# -- L2: Z1 reopened: the leaver's own removal of the remover within the grace (mutual: it stands) ----------


def test_l2_a_crony_is_not_kept_silently_when_the_leaver_also_removes_the_remover_within_grace(
    two, tmp_path, monkeypatch
):
    """L2 (Y1/Z1 with the mutual removal). mgr.three removes the leaver; the leaver, within the grace after
    it, removes mgr.three (a removal of the very manager who removed them: it stands on every reading) and
    adds a back-dated crony "rogue"; the old computer reads rogue while mgr.three's removal is out of the
    folder. Put back: the files alone refuse rogue (mgr.three's seal does not name it). On the old computer
    mgr.three is removed, by the leaver, whose addition chain rests on no held change, so the fixed point of
    `held_against_seals` does not count mgr.three's seal: rogue is a current manager there, silently, and
    the memory still vouches. Severity: high (a leaver alone; the mutual removal is always open to them).
    Correct: rogue not current there, or warned and not vouching. Fix direction: count every sure sealed
    removal whose author was current when it was made (a remover removed only within the grace after their
    removal of the leaver, by the leaver, still speaks), or flag any remembered change the files-alone
    reading refuses."""
    from tests.test_missing_when_read import _crony_then_remove_the_remover_within_grace as forge

    a, _ = two
    meanwhile, _ids = _hidden_while_old_reads(a, tmp_path, monkeypatch, forge)
    assert "rogue" in meanwhile
    with office(tmp_path, "fresh", monkeypatch), _at(R + 85):
        alone = _who(a, "cw.bex")
    assert "rogue" not in alone, alone
    with office(tmp_path, "old", monkeypatch), _at(R + 90):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    assert "rogue" not in after or (warned is not None and not vouches), (alone, after, warned, vouches)
