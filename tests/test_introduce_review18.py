"""Eighteenth security review of "a computer introduced by another" (issue 14, H1), written at ba3ba90:
attacks on the rule that a removal dated before a change was first read here was missing then
(`leavers._missing_when_read`), the snapshot pins and the join. Each test asserts the correct behaviour.
The earlier reviews' attacks are in `test_introduce_review.py` to `_review17.py` and
`test_missing_when_read.py`.

B1, B1b and B3 failed at ba3ba90 and pass since. B2 and B4 stay as strict xfails: each is the mirror image
of a leaver's forgery an honest computer must not doubt itself over (the docstrings say which). Their remedy
(B2b, B4b) is the README's: a manager who finds such a computer fooled deletes its memory of the store, then
it joins an honest introduction (a computer that vouches takes none as it is: review 21's U1 and U2)."""

from __future__ import annotations

import datetime as dt

import pytest

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store.staffformat import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import PW, _forge, _unlock, office
from tests.test_leavers_keys import DAY, _who

two = test_keys_that_merge.two


def _id(a, username: str) -> str:
    return next(m.id for m in _unlock(a, MANAGER).staff().staff if m.username == username)


def _short_grace_reply(a, tmp_path, monkeypatch, *, read_at: int, planted_at: int, grace: int = 1):
    """mgr.two removes mgr.three (honestly, on mgr.two's own computer) at DAY; the old computer and the
    founder's computer read that ``read_at`` minutes later. Much later (``planted_at``) the leaver mgr.three
    plants a removal of mgr.two dated just over ``grace`` hours after DAY, naming ``grace_hours=grace`` (a
    value the schema allows: 1 to 2160) and sealing nothing. Returns the old computer's reading and state."""
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        three = _unlock(a, "mgr.three")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
    with office(tmp_path, "two", monkeypatch), _at(DAY):
        two_id = next(m.id for m in _unlock(a, "mgr.two").staff().staff if m.username == "mgr.two")
        remove_user(_unlock(a, "mgr.two"), "mgr.three", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + read_at):
        assert "mgr.three" not in _who(a, "sen.ada")
    with _at(DAY + read_at):
        assert "mgr.three" not in _who(a, MANAGER)  # the founder's computer reads it as well
    with _at(planted_at):
        when = clock.now() - dt.timedelta(minutes=planted_at - DAY - grace * 60 - 1)
        _forge(
            three,
            StaffEvent(
                kind="remove", at=when, author=three.member.id, staff=two_id, seal=[], grace_hours=grace
            ),
        )
    with office(tmp_path, "old", monkeypatch), _at(planted_at + 10):
        return _who(a, "sen.ada"), _state(a)


def test_B1_a_leaver_shrinks_the_grace_of_a_planted_reply_to_flag_an_honest_computer(
    two, tmp_path, monkeypatch
):
    """B1: the old computer read mgr.two's honest removal of mgr.three five minutes after it was made (the
    class test's 'read at once' timing, never to be doubted). Days later the leaver mgr.three plants the
    mirror reply, naming a grace of one hour and dated 61 minutes after the removal of them: it calls the
    honest removal back-dated (dated more than ITS grace before it) and is dated before the old computer
    first read that removal (+ SKEW). It stands on the shared files alone (the known mirror), not here (the
    memory refuses it), yet `_missing_when_read` flags the honest removal: the old computer warns it may
    have been fooled and stops vouching, with nothing hidden. The grace a removal names is its author's to
    choose, so the 'honest timing' guarantee (read within the grace less SKEW) is worth one hour."""
    a, _ = two
    who, (warned, vouches) = _short_grace_reply(a, tmp_path, monkeypatch, read_at=5, planted_at=DAY * 4)
    assert "mgr.two" in who and "mgr.three" not in who, who
    assert warned is None and vouches, (warned, vouches)


def test_B1b_so_no_computer_in_the_store_can_introduce_any_more(two, tmp_path, monkeypatch):
    """B1b: the same single planted file flags every computer that read the honest removal a few minutes
    late, the founder's too: none vouches, so `sync introduce` refuses everywhere and a new (or fooled)
    computer has no introduction to take: the leaver switched the mechanism off for the whole store."""
    a, _ = two
    _short_grace_reply(a, tmp_path, monkeypatch, read_at=5, planted_at=DAY * 4)
    with _at(DAY * 4 + 20):
        assert "mgr.three" not in _who(a, MANAGER)
        made = introduce(_unlock(a, MANAGER))
    with office(tmp_path, "fresh", monkeypatch), _at(DAY * 4 + 30):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message


def _crony_shown_only_to_the_old_computer(a, tmp_path, monkeypatch, reply: bool):
    """B2's set-up: (the files-alone reading, the old computer's, its warning, whether it vouches)."""
    import shutil

    from tests.test_introduce_review4 import _removal_of
    from tests.test_leavers_keys import _crony
    from tests.test_missing_when_read import _remove

    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        assert "mgr.two" in _who(a, "sen.ada")
    with _at(DAY):
        _crony(leaver, clock.now())
    folder = a / ".dacli" / "staff"
    (crony,) = [p.name for p in folder.iterdir() if p.name not in _names_before(a, leaver)]
    with office(tmp_path, "old", monkeypatch), _at(DAY + 10):
        assert "rogue" in _who(a, "sen.ada")
    shutil.move(folder / crony, tmp_path / "aside")
    with office(tmp_path, "three", monkeypatch), _at(3 * DAY):
        remover = _unlock(a, "mgr.three")
        three_id = remover.member.id
        remove_user(remover, "mgr.two", "left the service (test)")
    assert _removal_of(a, leaver.member.id)
    shutil.move(tmp_path / "aside", folder / crony)
    if reply:
        with _at(3 * DAY + 60):
            _remove(leaver, three_id, clock.now())
    with office(tmp_path, "fresh", monkeypatch), _at(3 * DAY + 80):
        alone = _who(a, "cw.bex")
    assert "rogue" not in alone and "mgr.two" not in alone and ("mgr.three" in alone) != reply, alone
    with office(tmp_path, "old", monkeypatch), _at(3 * DAY + 90):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    return alone, after, warned, vouches


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(
            True,
            marks=pytest.mark.xfail(
                strict=True,
                reason=(
                    "a known limit (review 18, B2): the mirror of a leaver who, removed, forges a removal of "
                    "their remover dated within the grace before their own removal and sealing nothing; were "
                    "such a removal's seal to count, one planted file would make every honest computer doubt "
                    "every older change of the remover and stop vouching (no introduction left anywhere). "
                    "The remedy is B2b: its memory deleted, the founder's introduction taken"
                ),
            ),
        ),
        False,
    ],
    ids=["with-the-leavers-reply", "control-without-it"],
)
def test_B2_the_leavers_own_removal_of_their_remover_switches_the_held_check_off(
    reply, two, tmp_path, monkeypatch
):
    """B2: while still a manager, mgr.two adds a crony manager ('rogue', keys mgr.two holds) and shows that
    file only to the old computer (moves it into the folder while it reads, then out again), so mgr.three,
    removing mgr.two two days later, seals nothing of it. The file is put back; within the grace after,
    mgr.two removes mgr.three (the mutual removal every reading believes). On the shared files alone the
    crony is back-dated (older than the grace before a sealed removal that does not name it). The old computer
    keeps it: `held_against_seals` does not count mgr.three's removal of mgr.two because mgr.three was
    removed 'by someone who stands on nothing held', i.e. by the very leaver that removal removed; and the
    crony was read before the removal's date, so `_missing_when_read` is silent too. The old computer shows
    a manager no other reading has, vouches, and warns of nothing. (With mgr.three current, the same
    file is flagged: the leaver's own reply is the switch.)"""
    a, _ = two
    alone, after, warned, vouches = _crony_shown_only_to_the_old_computer(a, tmp_path, monkeypatch, reply)
    assert after == alone or (warned is not None and not vouches), (alone, after, warned, vouches)


def test_B2b_the_old_computer_so_fooled_takes_the_founders_introduction_once_its_memory_is_deleted(
    two, tmp_path, monkeypatch
):
    """B2b: the old computer of B2 (the leaver's reply sent), fooled and vouching, takes no introduction
    ('takes none': review 21's U1 and U2 showed that a computer that vouches and takes one can be handed a
    fooled colleague's reading). Once a manager who finds it fooled deletes its memory of the store (the
    README's way), the founder's introduction is taken there and the two agree."""
    a, _ = two
    _crony_shown_only_to_the_old_computer(a, tmp_path, monkeypatch, True)
    with _at(3 * DAY + 95):
        honest = introduce(_unlock(a, MANAGER))
        alone = _who(a, MANAGER)
    assert "rogue" not in alone, alone
    with office(tmp_path, "old", monkeypatch), _at(3 * DAY + 100):
        refused = _joined(a, honest, user="sen.ada")
        assert isinstance(refused, DacliError) and "takes none" in refused.message
        forget(a)
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        assert _who(a, "sen.ada") == alone


def forget(a) -> None:
    """Delete this computer's memory of the store (`seen`), as the README tells a manager to do for a
    computer that vouches and was fooled all the same."""
    from dacli.store import seen
    from dacli.store.store import Store

    seen._path(Store(a).settings.store_id).unlink()


def _names_before(a, leaver) -> set[str]:
    """Every staff change file in ``a`` but the newest one (the crony just planted)."""
    folder = a / ".dacli" / "staff"
    names = sorted(p.name for p in folder.iterdir())
    return set(names[:-1])


def test_B3_a_planted_reply_with_a_false_snapshot_locks_every_new_computer_out_of_the_remedy(
    two, tmp_path, monkeypatch
):
    """B3: the known mirror (review 6/7's strict xfails): mgr.two removes mgr.three honestly; the removed
    mgr.three plants a reply removing mgr.two dated more than the grace after, sealing nothing, which stands
    on the shared files alone. The remedy for a new computer is an introduction from one that has used the
    store. But the reply also names a snapshot digest that is not staff.toml's: on the files alone its
    author is current and not in doubt, so `pinned_snapshot(alone, ...)`, which `prepare_join` runs on the
    files-alone fold, refuses the honest founder's introduction. No new computer can unlock (files alone:
    refused) or join (refused): a lock-out of every new computer from one planted file. The pin of a
    reading the introduction is there to overrule should not refuse the introduction."""
    a, _ = two
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        three = _unlock(a, "mgr.three")
    with _at(DAY):
        two_id = next(m.id for m in _unlock(a, "mgr.two").staff().staff if m.username == "mgr.two")
        remove_user(_unlock(a, "mgr.two"), "mgr.three", "left the service (test)")
    with _at(DAY + 26 * 60):
        when = clock.now() - dt.timedelta(hours=1)
        _forge(
            three,
            StaffEvent(
                kind="remove",
                at=when,
                author=three.member.id,
                staff=two_id,
                seal=[],
                grace_hours=24,
                snapshot="ab" * 32,
            ),
        )
    with _at(DAY + 27 * 60):
        assert "mgr.two" in _who(a, MANAGER) and "mgr.three" not in _who(a, MANAGER)
        made = introduce(_unlock(a, MANAGER))
    with office(tmp_path, "fresh", monkeypatch), _at(DAY + 28 * 60):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        assert "mgr.two" in _who(a, "cw.bex")


@pytest.mark.xfail(
    strict=True,
    reason=(
        "a known limit (review 18, B4): the mirror of a leaver's removal of the person who removed them, "
        "back-dated and arriving late, which the memory rule rightly refuses; the remedy is B4b"
    ),
)
def test_B4_a_removal_hidden_past_the_grace_then_a_removal_of_the_remover_dated_now(
    two, tmp_path, monkeypatch
):
    """B4 (A1's class, not back-dated): mgr.three removes the leaver mgr.two at R; the leaver keeps that
    file out of the folder for a day and more, then signs a removal of mgr.three dated NOW (not back-dated:
    `_missing_when_read` looks only for changes a removal calls back-dated), which the old computer reads;
    the removal of the leaver is put back. The old computer, which saw mgr.three removed first, refuses the
    removal of the leaver (memory rule) and keeps the leaver current and the remover removed; it vouches and
    warns of nothing, while the founder's computer (which read the removal at once) has the leaver removed.
    Its introductions hand the leaver's reading on with no difference from the files alone (the known mirror
    reads the same there), and, vouching, it would be told it 'needs none' of the founder's. (The old
    computer cannot tell this from the honest mirror, in which the remover is the leaver who back-dated the
    removal: a warning here costs a false alarm there, as B1 shows such warnings can be.)"""
    a, _ = two
    founder, after, warned, vouches = _b4(a, tmp_path, monkeypatch)
    assert after == founder or (warned is not None and not vouches), (founder, after, warned, vouches)


def test_B4b_the_computer_so_fooled_takes_the_founders_introduction_once_its_memory_is_deleted(
    two, tmp_path, monkeypatch
):
    """B4's remedy: the old computer vouches, but the founder's computer reads the staff list otherwise. It
    takes no introduction as it is ('takes none', review 21's U1); once its memory of the store is deleted,
    the founder's introduction is taken there (each difference named), and the two then agree."""
    from tests.test_missing_when_read import R

    a, _ = two
    founder, after, _warned, _vouches = _b4(a, tmp_path, monkeypatch)
    assert after != founder
    with _at(R + 25 * 60 + 40):
        honest = introduce(_unlock(a, MANAGER))
    with office(tmp_path, "old", monkeypatch), _at(R + 25 * 60 + 50):
        refused = _joined(a, honest, user="sen.ada")
        assert isinstance(refused, DacliError) and "takes none" in refused.message
        assert _who(a, "sen.ada") == after  # nothing changed
        forget(a)
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        assert any("mgr.two" in d for d in joined.differences), joined.differences
        assert _who(a, "sen.ada") == founder


def _b4(a, tmp_path, monkeypatch):
    """B4's set-up: (the founder's reading, the old computer's, its warning, whether it vouches)."""
    from tests.test_missing_when_read import R, _hidden_while_old_reads, _remove

    def remove_the_remover(leaver, ids):  # dated now, a day and an hour after the removal of them
        _remove(leaver, ids["mgr.three"], clock.now())

    at = R + 25 * 60
    meanwhile, _ids = _hidden_while_old_reads(
        a, tmp_path, monkeypatch, remove_the_remover, read_at=at + 10, forge_at=at, founder_reads=True
    )
    assert "mgr.three" not in meanwhile
    with _at(R + 25 * 60 + 20):
        founder = _who(a, MANAGER)
    assert "mgr.two" not in founder and "mgr.three" in founder, founder
    with office(tmp_path, "old", monkeypatch), _at(R + 25 * 60 + 30):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    return founder, after, warned, vouches
