"""Seventeenth security review of "a computer introduced by another" (issue 14, H1), written at cf3336e:
attacks on the rule that a removal dated before a change was first read here was missing then
(`leavers._missing_when_read`) and on the join's new order. Each test asserts the correct behaviour; A1,
A1b and A2 fail at cf3336e. The earlier reviews' attacks are in `test_introduce_review.py` to
`_review16.py` and `test_missing_when_read.py`."""

from __future__ import annotations

from dacli.errors import DacliError
from dacli.services.sync import introduce
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import _unlock, office
from tests.test_leavers_keys import DAY, _who
from tests.test_missing_when_read import R, _hidden_while_old_reads, _remove_the_remover

two = test_keys_that_merge.two


def _hidden_for(a, tmp_path, monkeypatch, forge, old_reads_at: int, hidden_read_at: int = R + 70):
    """`test_missing_when_read._hidden_while_old_reads`, but the old computer reads the store again, with
    the removal of the leaver back, only at ``old_reads_at`` (minutes)."""
    meanwhile, _ids = _hidden_while_old_reads(a, tmp_path, monkeypatch, forge, hidden_read_at)
    assert "mgr.three" not in meanwhile  # fooled while the removal is out
    with office(tmp_path, "old", monkeypatch), _at(old_reads_at):
        return _who(a, "sen.ada"), _state(a)


def test_A1_a_removal_hidden_for_longer_than_the_grace_is_not_flagged(two, tmp_path, monkeypatch):
    """A1: the leaver keeps the removal of them out of the folder for a day and a half (the class test
    brings it back within minutes). The old computer, which read the leaver's back-dated removal of the
    remover first, now knows the remover as removed, so the remover's removal of the leaver, dated more than
    the grace ago, is refused by its memory ('reached this computer after it knew mgr.three had left'):
    it is not a sure removal there, so `_missing_when_read` never looks at it. The old computer keeps the
    leaver current and the remover removed, vouches, and does not warn."""
    a, _ = two
    later = R + DAY + 12 * 60
    after, (warned, vouches) = _hidden_for(a, tmp_path, monkeypatch, _remove_the_remover, later + 10)
    with office(tmp_path, "fresh", monkeypatch), _at(later + 20):
        alone = _who(a, "cw.bex")
    assert "mgr.two" not in alone and "mgr.three" in alone, alone
    assert after == alone or (warned is not None and not vouches), (alone, after, warned, vouches)


def test_A1b_the_computer_fooled_so_cannot_take_the_founders_honest_introduction(two, tmp_path, monkeypatch):
    """A1b: the same computer, fooled and still vouching, is told it 'needs none' when it tries the honest
    introduction of the computer that made the store (`here.held` is empty)."""
    a, _ = two
    later = R + DAY + 12 * 60
    _hidden_for(a, tmp_path, monkeypatch, _remove_the_remover, later + 10)
    with _at(later + 15):
        honest = introduce(_unlock(a, MANAGER))
        alone = _who(a, MANAGER)
    with office(tmp_path, "old", monkeypatch), _at(later + 20):
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        assert _who(a, "sen.ada") == alone


def test_A2_an_old_computer_whose_clock_is_behind_is_not_flagged(two, tmp_path, monkeypatch):
    """A2: the old computer's clock runs two hours slow. It reads the leaver's back-dated removal of the
    remover during a hide of about an hour (real R+70, its clock R-50): the time it keeps is before the
    removal's date, so when the removal is back (read at real R+90, its clock R-30) `_missing_when_read`
    says the removal was not missing. The old computer keeps the leaver current, vouches, and is silent."""
    a, _ = two
    after, (warned, vouches) = _hidden_for(
        a, tmp_path, monkeypatch, _remove_the_remover, R + 90 - 120, hidden_read_at=R + 70 - 120
    )
    with office(tmp_path, "fresh", monkeypatch), _at(R + 100):
        alone = _who(a, "cw.bex")
    assert "mgr.two" not in alone and "mgr.three" in alone, alone
    assert after == alone or (warned is not None and not vouches), (alone, after, warned, vouches)
