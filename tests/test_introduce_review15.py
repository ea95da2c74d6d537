"""Fifteenth security review of "a computer introduced by another" (issue 14, H1), written at 9941941.
Each test asserts the correct behaviour; the ones named Z... fail at 9941941. The earlier reviews' attacks
are in `test_introduce_review.py` to `_review14.py`; these do not repeat them."""

from __future__ import annotations

import datetime as dt
import shutil
from types import SimpleNamespace

from dacli import clock
from dacli.services.admin import add_user, remove_user
from dacli.store import signing
from dacli.store.staffformat import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review4 import _removal_of
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import PW, _forge, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who

two = test_keys_that_merge.two


def _rogue_removes_the_remover(a, tmp_path, monkeypatch, target=None):
    """Y1's set-up (the old computer, first look before anyone left, reads the leaver's back-dated crony
    "rogue" while the leaver's removal is out of the folder); mgr.three, a second honest manager, removed
    the leaver. Then the crony (the leaver's key) removes ``target`` (mgr.three), dated now; the old
    computer reads that too before the leaver's removal is put back. Returns (leaver, rogue)."""
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        assert "mgr.two" in _who(a, "sen.ada")
    with _at(DAY):
        remover = _unlock(a, "mgr.three")
        remover_id = remover.member.id
        remove_user(remover, "mgr.two", "left the service (test)")
    with _at(DAY + 60):
        rogue = _crony(leaver, clock.now() - dt.timedelta(days=1, hours=3))
    name = _removal_of(a, leaver.member.id)
    folder = a / ".dacli" / "staff"
    aside = tmp_path / "aside"
    shutil.move(folder / name, aside)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 70):
        assert "rogue" in _who(a, "sen.ada")
    target = remover_id if target is None else target
    with _at(DAY + 75):
        # signed with the leaver's key, which the leaver's addition gave rogue
        event = StaffEvent(kind="remove", at=clock.now(), author=rogue.id, staff=target)
        as_rogue = SimpleNamespace(signer=signing.Signer(rogue.id, leaver.signer.seed))
        _forge(leaver, event, as_rogue)
    if target == remover_id:
        with office(tmp_path, "old", monkeypatch), _at(DAY + 80):
            assert "mgr.three" not in _who(a, "sen.ada")
    shutil.move(aside, folder / name)
    return leaver, rogue


# -- Z1: the crony removes the remover before the removal comes back: the held check counts no seal ------


def test_a_crony_that_removed_the_remover_is_not_kept_silently_by_the_old_computer(
    two, tmp_path, monkeypatch
):
    """Z1 (Y1 with one more file). `held_against_seals` counts only seals of removals whose author is
    current here; the leaver's crony rogue, believed on the old computer because it read it while the
    leaver's removal was out, removes mgr.three (who removed the leaver) before that removal comes back. On
    the old computer mgr.three is then removed (by rogue), so their seal, which calls rogue back-dated,
    counts for nothing: no `held`, no `missed`, the old computer still vouches, warns nothing, shows rogue
    current and mgr.three removed (locked out there), while a fresh computer reading the files alone
    refuses rogue and rogue's removal of mgr.three. Severity: high (a leaver alone with write access to
    the folder, against the computer every new one is told to be set up from). Correct: the memory is
    flagged (warns, stops vouching) or rogue is not believed. Fix direction: count a seal whose author was
    removed only by someone whose own standing rests on a held change (or: count every sure, sealed removal
    whose author was current when it was made; let `held` chain through changes resting on held ones)."""
    a, _ = two
    _rogue_removes_the_remover(a, tmp_path, monkeypatch)
    with office(tmp_path, "fresh", monkeypatch), _at(DAY + 85):
        alone = _who(a, "cw.bex")
    assert "rogue" not in alone and "mgr.three" in alone, alone  # the files alone: rogue refused
    with office(tmp_path, "old", monkeypatch), _at(DAY + 90):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    assert "rogue" not in after or (warned is not None and not vouches), (after, warned, vouches)


# -- held: the crony removes the founder: the old computer is locked out, not stuck ----------------


def test_held_an_old_computer_whose_crony_removed_the_founder_can_take_an_honest_introduction(
    two, tmp_path, monkeypatch
):
    """Held (checked in the fifteenth review). Z1's set-up with rogue removing the founding manager, who
    signed the store's settings: on the old computer nobody can unlock ("The store settings is not signed by
    a current manager"), loudly, while every other computer refuses rogue. It is not stuck: an honest
    introduction from the computer that made the store is taken, every difference named (rogue current
    here, the founder removed here, a removal seen here that the introduction refuses), and rogue is gone."""
    from dacli.errors import DacliError
    from dacli.services.sync import introduce
    from tests.test_introduce_review3 import _joined

    a, _ = two
    with _at(1):
        founder = _unlock(a, MANAGER).member.id
    _rogue_removes_the_remover(a, tmp_path, monkeypatch, target=founder)
    with office(tmp_path, "fresh", monkeypatch), _at(DAY + 85):
        alone = _who(a, "cw.bex")
    assert "rogue" not in alone and MANAGER in alone, alone
    with _at(DAY + 86):
        honest = introduce(_unlock(a, MANAGER))  # the computer that made the store (first look: no leavers)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 90):
        after = _who(a, "sen.ada")
        if isinstance(after, list):
            return  # usable; Z1 covers whether it warns
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), (after, joined)
        assert "rogue" not in _who(a, "sen.ada")
