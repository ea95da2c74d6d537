"""A removal that was missing when a change was read (issue 14, the class behind review 16's L1 and L2).

A leaver (a removed manager, who keeps their key) hides the removal of them while a computer that has used
the store reads it, and plants a change dated before the removal. When the removal comes back, it calls
that change back-dated; the computer believed it because it read it first. Whatever the change is, the
computer must not keep it silently: it warns, vouches no more, and can take an honest introduction. A
computer that read the change before the removal was made is not warned (the removal cannot say it was
missing), nor is anything taken away from it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store import seen
from dacli.store.staffformat import StaffEvent
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review4 import _removal_of
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import PW, _forge, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who

two = test_keys_that_merge.two
R = 3 * DAY  # when mgr.three removes the leaver (minutes after the store was made)
BACK = dt.timedelta(days=1, hours=3)  # more than the grace (24 hours) before the removal


def _remove(leaver, staff_id: str, at) -> None:
    """A removal signed by ``leaver``, sealing none of the removed person's changes."""
    _forge(leaver, StaffEvent(kind="remove", at=at, author=leaver.member.id, staff=staff_id, seal=[]))


def _remove_the_remover(leaver, ids):
    _remove(leaver, ids["mgr.three"], clock.now() - BACK)


def _remove_the_founder(leaver, ids):
    _remove(leaver, ids[MANAGER], clock.now() - BACK)


def _add_a_crony(leaver, ids):
    _crony(leaver, clock.now() - BACK)


def _make_a_colleague_a_manager(leaver, ids):
    """The caseworker's own id added again as a manager, with keys the leaver holds."""
    _crony(leaver, clock.now() - BACK, username="cw.bex", member_id=ids["cw.bex"])


def _crony_then_remove_the_remover_within_grace(leaver, ids):
    """Review 16's L2: the removal of the remover is within the grace after the removal of the leaver, so it
    stands on every reading, and the back-dated crony is the change to hide."""
    _crony(leaver, clock.now() - BACK)
    _remove(leaver, ids["mgr.three"], clock.now())


FORGERIES = [
    _remove_the_remover,
    _remove_the_founder,
    _add_a_crony,
    _make_a_colleague_a_manager,
    _crony_then_remove_the_remover_within_grace,
]


def _hidden_while_old_reads(
    a,
    tmp_path,
    monkeypatch,
    forge,
    read_at: int = R + 70,
    forge_at: int = R + 60,
    founder_reads: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """mgr.three removes the leaver (mgr.two) at R (the founder's computer reads it at once, if
    ``founder_reads``); the leaver moves that removal out of the folder, plants ``forge``'s change
    (``forge(leaver's session, {username: staff id})``, at ``forge_at`` minutes), and the old computer (first
    look before anyone left) reads the store (at ``read_at``); the removal is put back. Returns who the old
    computer read as current meanwhile, and the staff ids."""
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        assert "mgr.two" in _who(a, "sen.ada")
    with _at(R):
        remover = _unlock(a, "mgr.three")
        ids = {m.username: m.id for m in remover.staff().staff}
        remove_user(remover, "mgr.two", "left the service (test)")
    if founder_reads:
        with _at(R + 10):
            assert "mgr.two" not in _who(a, MANAGER)
    name = _removal_of(a, leaver.member.id)
    folder = a / ".dacli" / "staff"
    shutil.move(folder / name, tmp_path / "aside")
    with _at(forge_at):
        forge(leaver, ids)
    with office(tmp_path, "old", monkeypatch), _at(read_at):
        meanwhile = _who(a, "sen.ada")
    shutil.move(tmp_path / "aside", folder / name)
    return meanwhile, ids


@pytest.mark.parametrize("forge", FORGERIES, ids=lambda f: f.__name__.strip("_"))
def test_a_change_read_while_the_removal_was_missing_is_not_kept_silently(forge, two, tmp_path, monkeypatch):
    a, _ = two
    _hidden_while_old_reads(a, tmp_path, monkeypatch, forge)
    with office(tmp_path, "fresh", monkeypatch), _at(R + 85):
        alone = _who(a, "cw.bex")
    assert "mgr.two" not in alone and "rogue" not in alone, alone
    with office(tmp_path, "old", monkeypatch), _at(R + 90):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    assert after == alone or (warned is not None and not vouches), (alone, after, warned, vouches)
    if warned is None:
        return  # not fooled (the change was never believed there): it needs no introduction
    # and the computer that made the store, which never read the forged change first, puts it right
    with _at(R + 95):
        honest = introduce(_unlock(a, MANAGER))
    with office(tmp_path, "old", monkeypatch), _at(R + 100):
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        assert _who(a, "sen.ada") == alone
        assert _state(a) == (None, True)


@pytest.mark.parametrize("forge", [_remove_the_remover, _add_a_crony], ids=lambda f: f.__name__.strip("_"))
def test_the_old_computer_may_take_an_introduction_before_it_reads_again(forge, two, tmp_path, monkeypatch):
    """The removal is back, but the old computer has not read the store since: `sync join` reads it first
    (its memory still says it vouches), so the join is not refused as 'needs none'."""
    a, _ = two
    _hidden_while_old_reads(a, tmp_path, monkeypatch, forge)
    with _at(R + 95):
        honest = introduce(_unlock(a, MANAGER))
        alone = _who(a, MANAGER)
    with office(tmp_path, "old", monkeypatch), _at(R + 100):
        assert seen.vouches(seen.remembered(Store(a).settings.store_id))
        joined = _joined(a, honest, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        assert any("mgr.two" in d or "mgr.three" in d or "rogue" in d for d in joined.differences)
        assert _who(a, "sen.ada") == alone


def test_an_introduction_made_while_the_removal_was_missing_is_not_taken_after_it_is_back(
    two, tmp_path, monkeypatch
):
    """The old computer, fooled but not knowing it yet, introduces a new one after the removal is back:
    read with the introduction's own memory, the removal calls a change it believed back-dated."""
    a, _ = two
    _hidden_while_old_reads(a, tmp_path, monkeypatch, _add_a_crony)
    folder = a / ".dacli" / "staff"
    name = _removal_of(a, _leaver_id(a))
    shutil.move(folder / name, tmp_path / "aside")
    with office(tmp_path, "old", monkeypatch), _at(R + 75):
        fooled = introduce(_unlock(a, "sen.ada"))
    shutil.move(tmp_path / "aside", folder / name)
    with office(tmp_path, "fresh", monkeypatch), _at(R + 80):
        refused = _joined(a, fooled, user="cw.bex")
    assert isinstance(refused, DacliError), "a fooled computer's introduction was taken"


def _leaver_id(a) -> str:
    return next(m.id for m in _unlock(a, MANAGER).staff().staff if m.username == "mgr.two")


# -- no false alarm ------------------------------------------------------------------------------------


def _honest_removal_then_forged_reply(a, tmp_path, monkeypatch, read_at: int, reply_at: int = DAY + 25 * 60):
    """mgr.two removes mgr.three (honestly) at DAY; the old computer first reads that at ``read_at``; the
    removed mgr.three then signs a removal of mgr.two dated ``reply_at``, more than the grace after, sealing
    nothing (the mirror of L1: on the shared files alone it would stand, and call the honest removal
    back-dated). The old computer reads the store again an hour after both."""
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        three = _unlock(a, "mgr.three")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
    with _at(DAY):
        two_id = _leaver_id(a)
        remove_user(_unlock(a, "mgr.two"), "mgr.three", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(read_at):
        assert "mgr.three" not in _who(a, "sen.ada")
    with _at(max(read_at, reply_at) + 5):
        _remove(three, two_id, clock.now() - dt.timedelta(minutes=max(read_at, reply_at) + 5 - reply_at))
    with office(tmp_path, "old", monkeypatch), _at(max(read_at, reply_at) + 60):
        return _who(a, "sen.ada"), _state(a)


@pytest.mark.parametrize(
    ("read_at", "reply_at"),
    [(DAY + 5, DAY + 25 * 60), (DAY + 22 * 60 + 59, DAY + 24 * 60 + 1)],
    ids=["read-at-once", "read-just-within-the-grace-less-the-skew"],
)
def test_a_removal_read_before_the_reply_was_dated_is_not_doubted(
    read_at, reply_at, two, tmp_path, monkeypatch
):
    """Read less than the grace less `leavers.SKEW` after it was made, the honest removal can never be
    called missing-when-read: any reply that calls it back-dated is dated more than the grace after it."""
    a, _ = two
    who, (warned, vouches) = _honest_removal_then_forged_reply(a, tmp_path, monkeypatch, read_at, reply_at)
    assert "mgr.two" in who and "mgr.three" not in who, who
    assert warned is None and vouches


@pytest.mark.parametrize(
    "read_at",
    [DAY + 26 * 60 - 30, DAY + 25 * 60 - 50],
    ids=["read-after-the-reply-date", "read-50-minutes-before-it-by-a-slow-clock"],
)
def test_a_removal_read_after_the_reply_was_dated_is_warned_of(read_at, two, tmp_path, monkeypatch):
    """The old computer was away for a day and more: it read mgr.two's removal of mgr.three after the time
    the reply is dated (or less than `leavers.SKEW` before it: its clock may run slow). It cannot tell a
    hidden removal from a late one, so a manager checks; nothing it believed is taken away meanwhile."""
    a, _ = two
    who, (warned, vouches) = _honest_removal_then_forged_reply(a, tmp_path, monkeypatch, read_at)
    assert "mgr.two" in who and "mgr.three" not in who, who
    assert warned is not None and not vouches


# -- what the memory keeps -----------------------------------------------------------------------------


def test_the_memory_keeps_when_each_change_was_first_believed(two, tmp_path, monkeypatch):
    a, _ = two
    store_id = Store(a).settings.store_id
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
        first = dict(seen.remembered(store_id)["seen_at"])
    assert first and set(first) == set(seen.remembered(store_id)["changes"])
    with _at(20):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with office(tmp_path, "old", monkeypatch), _at(30):
        read_at = clock.now().isoformat(timespec="seconds")
        _who(a, "sen.ada")
        kept = seen.remembered(store_id)
    (new,) = set(kept["changes"]) - set(first)
    assert kept["seen_at"][new] == read_at
    assert {k: kept["seen_at"][k] for k in first} == first  # the first time is kept, not the latest


def test_a_memory_an_earlier_dacli_kept_without_times_is_read_as_before(two, tmp_path, monkeypatch):
    """No time kept for a change: no removal can be said to have been missing when it was read."""
    a, _ = two
    store_id = Store(a).settings.store_id
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
        path = seen._path(store_id)
        kept = json.loads(path.read_text())
        kept.pop("seen_at")
        path.write_text(json.dumps(kept))
        assert "mgr.two" in _who(a, "sen.ada")
        assert seen.remembered(store_id).get("seen_at", {}) == {}
        assert seen.vouches(seen.remembered(store_id))


def test_an_introduction_hands_on_the_times_and_one_without_them_is_taken(two, tmp_path, monkeypatch):
    from dacli.store import signing
    from dacli.store.introduce import _context

    a, _ = two
    store_id = Store(a).settings.store_id
    with _at(15):
        manager = _unlock(a, MANAGER)
        raw = introduce(manager)
        given = seen.remembered(store_id)["seen_at"]
    body = json.loads(signing.split(raw, "the introduction")[0])
    assert given and body["memory"]["seen_at"] == given
    with office(tmp_path, "fresh", monkeypatch), _at(20):
        joined = _joined(a, raw, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        assert seen.remembered(store_id)["seen_at"] == given
    # as an earlier dacli made it: no times; the changes it names are first read here, at the join
    del body["memory"]["seen_at"]
    older = manager.signer.seal(_context(store_id), json.dumps(body, indent=1, sort_keys=True).encode())
    with office(tmp_path, "fresh2", monkeypatch), _at(25):
        joined_at = clock.now().isoformat(timespec="seconds")
        joined = _joined(a, older, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        kept = seen.remembered(store_id)
        assert kept["seen_at"] == dict.fromkeys(kept["changes"], joined_at)


def test_a_computer_that_says_it_may_have_been_fooled_makes_no_introduction_and_says_why(
    two, tmp_path, monkeypatch
):
    from dacli.errors import InvalidInput

    a, _ = two
    _hidden_while_old_reads(a, tmp_path, monkeypatch, _add_a_crony)
    with office(tmp_path, "old", monkeypatch), _at(R + 90):
        _who(a, "sen.ada")
        with pytest.raises(InvalidInput, match="may have been fooled") as refused:
            introduce(_unlock(a, "sen.ada"))
    assert "first look" not in str(refused.value)


def test_the_times_an_introduction_hands_on_are_bounded(two, tmp_path, monkeypatch):
    """Only for the changes it names; never later than the join nor earlier than the change's own date; a
    time without its zone is taken as the join's (as for an earlier dacli's introduction, which has none)."""
    from dacli.store.staffformat import EVENTS, parse_event
    from tests.test_introduce_review19 import _resigned

    a, _ = two
    store_id = Store(a).settings.store_id
    folder = a / ".dacli" / EVENTS
    dated = {p.name: parse_event(p.name, p.read_bytes())[0].at for p in folder.iterdir()}
    first, second, third = sorted(dated)[:3]

    def times(data):
        data["memory"]["seen_at"] = {
            first: "2099-01-01T00:00:00+00:00",  # ahead of the join
            second: "2000-01-01T00:00:00+00:00",  # before the change was made
            third: "2026-01-01T00:00:00",  # no zone
            "99990101T000000Z-unknown.toml": "2026-01-01T00:00:00+00:00",  # a change it does not name
        }

    with _at(10):
        manager = _unlock(a, MANAGER)
        raw = _resigned(introduce(manager), manager, times)
    with office(tmp_path, "fresh", monkeypatch), _at(20):
        joined_at = clock.now()
        joined = _joined(a, raw, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        kept = seen.remembered(store_id)["seen_at"]
    assert kept[first] == joined_at.isoformat(timespec="seconds")
    assert kept[second] == dated[second].isoformat(timespec="seconds")
    assert kept[third] == joined_at.isoformat(timespec="seconds")  # no zone: first read here, at the join
    assert "99990101T000000Z-unknown.toml" not in kept
