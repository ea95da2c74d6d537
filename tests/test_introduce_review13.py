"""Thirteenth security review of "a computer introduced by another" (issue 14, H1), written at edecc46.
Each test asserts the correct behaviour; the ones named X... fail at edecc46. The earlier reviews' attacks
are in `test_introduce_review.py` to `_review12.py`; these do not repeat them."""

from __future__ import annotations

import datetime as dt
import shutil

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import remove_user
from dacli.services.sync import introduce, memory_warning
from dacli.store import seen
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review4 import _removal_of
from tests.test_keys_that_merge import _later, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who

two = test_keys_that_merge.two


def _at(minutes: int):
    return _later(minutes)


def _hidden_removal_crony(a, tmp_path, monkeypatch):
    """W1's set-up up to the hiding: mgr.two removed on day 1 (sealed), then a back-dated "rogue" signed with
    the key they kept; returns (leaver's removal file name, where it is moved aside)."""
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        assert "mgr.two" in _who(a, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY + 60):
        _crony(leaver, clock.now() - dt.timedelta(days=1, hours=3))
    with office(tmp_path, "old", monkeypatch), _at(DAY + 70):
        assert "rogue" not in _who(a, "sen.ada")  # held on the old computer
    return _removal_of(a, leaver.member.id), tmp_path / "aside"


# -- X1: W1 through an introduction: the computer introduced by the fooled one never recounts ---------------


def test_a_computer_introduced_while_the_removal_was_aside_does_not_keep_vouching_for_the_crony(
    two, tmp_path, monkeypatch
):
    """X1. W1's leaver moves their removal aside; while it is out a new computer takes its first look (rogue
    believed, nobody removed: it vouches) and, still in those minutes, introduces a colleague's new computer
    (no difference from the files alone: the removal is not there). The removal is put back. The first
    computer now recounts its first look (the twelfth review's fix) and stops vouching, with a warning; the
    computer introduced by it does not: `_first_look_seen_again` runs only when not `introduced`, and
    `adopt` drops `first_look`. It keeps rogue (a manager with the leaver's keys) current, shows no
    warning, still vouches, and introduces further computers with rogue believed. Worse than the files
    alone (which refuse rogue), nothing named after the removal arrives. Severity: high (a leaver alone,
    the same minutes W1 needs). Correct: an introduced memory is recounted too (a removal dated before the
    introduction was made that it did not know of makes it not vouch and warn), or the crony is no longer
    believed."""
    a, _ = two
    name, aside = _hidden_removal_crony(a, tmp_path, monkeypatch)
    folder = a / ".dacli" / "staff"
    shutil.move(folder / name, aside)
    with office(tmp_path, "new", monkeypatch), _at(DAY + 80):
        assert "rogue" in _who(a, "cw.bex")  # the first look believed it (the removal was not there)
        made = introduce(_unlock(a, "cw.bex"))
    with office(tmp_path, "third", monkeypatch), _at(DAY + 85):
        joined = _joined(a, made, user="sen.ada")
        assert not isinstance(joined, DacliError), joined
        assert joined.differences == [], joined.differences  # nothing to name: the files alone agree
    shutil.move(aside, folder / name)
    with office(tmp_path, "new", monkeypatch), _at(DAY + 90):
        _who(a, "cw.bex")
        assert memory_warning(Store(a)) is not None  # the twelfth review's fix: the introducer warns
    with office(tmp_path, "third", monkeypatch), _at(DAY + 95):
        after = _who(a, "sen.ada")
        warned = memory_warning(Store(a))
        vouches = seen.vouches(seen.remembered(Store(a).settings.store_id))
    assert "rogue" not in after or (warned is not None and not vouches), (after, warned, vouches)


# -- held: the computers W1/X1 fooled can each take an honest introduction, the crony named, then gone ---


def test_held_the_fooled_computers_take_an_honest_introduction_and_lose_the_crony(two, tmp_path, monkeypatch):
    """Held at edecc46 (kept as a guard): after X1's set-up, the old computer (vouching since before anyone
    left) introduces; the W1-fooled first look (no longer vouching) and the X1-introduced computer (still
    vouching, as introduced) both take it, rogue named as a difference, and neither shows rogue after."""
    a, _ = two
    name, aside = _hidden_removal_crony(a, tmp_path, monkeypatch)
    folder = a / ".dacli" / "staff"
    shutil.move(folder / name, aside)
    with office(tmp_path, "new", monkeypatch), _at(DAY + 80):
        made = introduce(_unlock(a, "cw.bex"))
    with office(tmp_path, "third", monkeypatch), _at(DAY + 85):
        assert not isinstance(_joined(a, made, user="sen.ada"), DacliError)
    shutil.move(aside, folder / name)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 100):
        honest = introduce(_unlock(a, "sen.ada"))
    for where, user in (("new", "cw.bex"), ("third", "sen.ada")):
        with office(tmp_path, where, monkeypatch), _at(DAY + 110):
            _who(a, user)
            joined = _joined(a, honest, user=user)
            assert not isinstance(joined, DacliError), (where, joined)
            assert any("rogue" in d for d in joined.differences), (where, joined.differences)
        with office(tmp_path, where, monkeypatch), _at(DAY + 120):
            assert "rogue" not in _who(a, user), where
