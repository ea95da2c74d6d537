"""Fourteenth security review of "a computer introduced by another" (issue 14, H1), written at 2f395d0.
Each test asserts the correct behaviour; the ones named Y... fail at 2f395d0. The earlier reviews' attacks
are in `test_introduce_review.py` to `_review13.py`; these do not repeat them."""

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


def _state(a):
    store_id = Store(a).settings.store_id
    return memory_warning(Store(a)), seen.vouches(seen.remembered(store_id))


def _old_computer_gets_the_crony_first(a, tmp_path, monkeypatch):
    """An old computer (first look before anyone left) that has not read the store since the leaver's
    removal reads it while the removal is out of the folder (moved aside by the leaver, or not synced yet):
    the leaver's back-dated crony "rogue" arrives there before the removal. Returns (name, aside)."""
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        assert "mgr.two" in _who(a, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY + 60):
        _crony(leaver, clock.now() - dt.timedelta(days=1, hours=3))
    name = _removal_of(a, leaver.member.id)
    folder = a / ".dacli" / "staff"
    aside = tmp_path / "aside"
    shutil.move(folder / name, aside)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 70):
        assert "rogue" in _who(a, "sen.ada")  # the removal is not there: nothing to tell it by
    return name, aside


# -- Y1: the computer that has used the store since before anyone left keeps the crony, silent, vouching ---


def test_an_old_computer_that_got_the_crony_before_the_removal_does_not_vouch_for_it_silently(
    two, tmp_path, monkeypatch
):
    """Y1 (W1/X1 on the computer the twelfth and thirteenth fixes do not recount). The old computer's first
    look was before anyone left; it had not read the store since the leaver's removal when the leaver's
    back-dated crony reached it without the removal (the file moved aside for minutes, or an office link
    that carried the leaver's file first). The removal arrives: its seal does not name rogue, dated more
    than the grace before it, so every reading of the files alone refuses rogue; the old computer keeps
    rogue ("believed here before"), names nothing (no doubt: older than the grace; `_first_look_seen_again`
    counts only removals before the first look), still vouches, cannot take an honest introduction ("needs
    none") and its introductions carry rogue. Severity: high (a leaver alone; rogue holds the leaver's key
    as a current manager on the computer every new one is told to be set up from). Correct: a believed
    change that an arriving sealed removal calls back-dated is named and makes the memory not vouch (and
    warn), or is no longer believed."""
    a, _ = two
    name, aside = _old_computer_gets_the_crony_first(a, tmp_path, monkeypatch)
    shutil.move(aside, a / ".dacli" / "staff" / name)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 90):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    with _at(DAY + 91):
        alone = _who(a, MANAGER)
    assert "rogue" not in alone, alone  # the computer that removed them refuses rogue
    assert "rogue" not in after or (warned is not None and not vouches), (after, warned, vouches)


def test_an_introduction_from_that_old_computer_names_nothing_and_keeps_its_maker_quiet(
    two, tmp_path, monkeypatch
):
    """Y1 through an introduction: while the removal is out, the old computer introduces a new one (no
    difference from the files alone: they agree then). The removal comes back: the introduced computer
    recounts (the thirteenth fix) and warns; its maker, the old computer, does not, and keeps vouching and
    introducing with rogue. Asserts the maker too is flagged (or has dropped rogue)."""
    a, _ = two
    name, aside = _old_computer_gets_the_crony_first(a, tmp_path, monkeypatch)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 75):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _at(DAY + 80):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined
        assert joined.differences == [], joined.differences
    shutil.move(aside, a / ".dacli" / "staff" / name)
    with office(tmp_path, "new", monkeypatch), _at(DAY + 90):
        new_after = _who(a, "cw.bex")
        new_state = _state(a)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 95):
        old_after = _who(a, "sen.ada")
        old_state = _state(a)
    assert "rogue" not in new_after or (new_state[0] is not None and not new_state[1]), new_state  # held
    assert "rogue" not in old_after or (old_state[0] is not None and not old_state[1]), old_state


# -- Y2: the thirteenth fix's recount rests on the time the introduction's signer wrote --------------------


def test_an_introduction_dated_long_ago_is_still_recounted_when_the_removal_arrives(
    two, tmp_path, monkeypatch
):
    """Y2. X1's set-up (the leaver's removal moved aside, rogue believed by every reading meanwhile, the
    leaver current on the files alone). The leaver signs, with the key they kept, an introduction of their
    own (a vouching computer's memory, re-signed) whose ``at`` says 2000-01-01 (or no zone at all): every
    check in `prepare_join` passes and no difference is named (the files alone agree). `take` records
    ``removed: 0`` removals before 2000; when the removal comes back `_introduction_seen_again` counts the
    removals before 2000 again (still 0), so the thirteenth fix never fires: the computer keeps rogue,
    vouches, warns nothing. An honest introducer whose clock is behind does the same. Severity: medium
    (the joiner takes a file from the leaver, or from a computer with a wrong clock; a leaver alone
    otherwise). Correct: ``at`` is bounded by what this copy holds (not before the latest staff change its
    memory believed, nor in the future), or the recount compares the set of removals the introduction knew
    (names), not a count before a time the signer chose."""
    import json

    from dacli.store import signing

    a, _ = two
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY + 60):
        _crony(leaver, clock.now() - dt.timedelta(days=1, hours=3))
    name = _removal_of(a, leaver.member.id)
    folder = a / ".dacli" / "staff"
    aside = tmp_path / "aside"
    shutil.move(folder / name, aside)
    with office(tmp_path, "new", monkeypatch), _at(DAY + 80):
        assert "rogue" in _who(a, "cw.bex")
        honest = introduce(_unlock(a, "cw.bex"))
    body, _author, _sig = signing.split(honest, "x")
    data = json.loads(body)
    data["by"], data["at"] = leaver.member.id, "2000-01-01T00:00:00+00:00"
    store_id = Store(a).settings.store_id
    crafted = leaver.signer.seal(
        f"dacli introduction to store {store_id}\n".encode(),
        json.dumps(data, indent=1, sort_keys=True).encode(),
    )
    with office(tmp_path, "third", monkeypatch), _at(DAY + 85):
        joined = _joined(a, crafted, user="sen.ada")
        assert not isinstance(joined, DacliError), joined
        assert joined.differences == [], joined.differences
    shutil.move(aside, folder / name)
    with office(tmp_path, "third", monkeypatch), _at(DAY + 95):
        after = _who(a, "sen.ada")
        warned, vouches = _state(a)
    assert "rogue" not in after or (warned is not None and not vouches), (after, warned, vouches)
