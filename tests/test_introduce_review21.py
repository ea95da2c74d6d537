"""Twenty-first security review (rev25u) of "a computer introduced by another" (issue 14, H1), at e8bc4d2.

Each test asserts the correct behaviour. U1, U2 and U3 failed at e8bc4d2. U1 and U2 pass since a computer that
vouches takes no introduction again (a manager who finds it fooled deletes its memory first); U3 since a
change an introduction names without a time is first read at the join."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store import signing
from dacli.store.introduce import _context
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review4 import _removal_of
from tests.test_introduce_review14 import _at, _state
from tests.test_introduce_review18 import _b4, _crony_shown_only_to_the_old_computer
from tests.test_keys_that_merge import PW, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who
from tests.test_missing_when_read import R

two = test_keys_that_merge.two


# -- (a) the relaxed join of a computer that vouches, the other way round ---------------------------------


def test_U1_a_fooled_colleagues_introduction_puts_the_leaver_back_on_the_founders_computer(
    two, tmp_path, monkeypatch
):
    """U1 (B4 the other way round): mgr.three removes the leaver mgr.two at R; the leaver hides that file
    for a day and signs a removal of mgr.three dated now, which sen.ada's old computer reads first (it keeps
    mgr.two current and mgr.three removed, vouches and warns of nothing: B4's documented limit). The
    founder's computer read the removal at once (R + 10 min): honest timing. sen.ada, current and not in
    doubt on the founder's reading, honestly hands over her computer's introduction; the founder's
    computer, which vouches, takes it (every difference named, answered yes: it comes from a named current
    colleague) and now shows the leaver current and the honest remover removed. It believed the removal of
    mgr.two ten minutes after its date, long before the removal of its author (mgr.three) is dated: no
    introduction should make it unbelieve that."""
    a, _ = two
    founder, after, _warned, vouches = _b4(a, tmp_path, monkeypatch)
    assert vouches and after != founder
    with office(tmp_path, "old", monkeypatch), _at(R + 25 * 60 + 40):
        fooled = introduce(_unlock(a, "sen.ada"))
    with _at(R + 25 * 60 + 50):
        joined = _joined(a, fooled, user=MANAGER)
        shown = repr(getattr(joined, "differences", joined))
        assert _who(a, MANAGER) == founder, "the founder's computer took the fooled introduction: " + shown


def test_U2_a_fooled_colleagues_introduction_hands_the_leavers_crony_to_the_founders_computer(
    two, tmp_path, monkeypatch
):
    """U2 (B2 the other way round): the leaver's crony 'rogue', shown only to sen.ada's old computer, kept
    there (B2's documented limit); sen.ada's honest introduction is taken by the founder's computer, which
    vouches and never believed the crony (unsealed, older than the grace before the removal of its author
    on every other reading): it now shows a manager with the leaver's keys."""
    a, _ = two
    alone, after, _warned, vouches = _crony_shown_only_to_the_old_computer(a, tmp_path, monkeypatch, True)
    assert vouches and "rogue" in after and "rogue" not in alone
    with office(tmp_path, "old", monkeypatch), _at(3 * DAY + 95):
        fooled = introduce(_unlock(a, "sen.ada"))
    with _at(3 * DAY + 96):
        before = _who(a, MANAGER)
    assert "rogue" not in before
    with _at(3 * DAY + 100):
        joined = _joined(a, fooled, user=MANAGER)
        assert "rogue" not in _who(a, MANAGER), repr(getattr(joined, "differences", joined))


# -- (b) an introduction without `seen_at` ------------------------------------------------------------------


def _without_seen_at(session, raw: bytes) -> bytes:
    """``raw`` as an earlier dacli would have made it: the same memory with no ``seen_at``, signed by the
    same person."""
    body, _author, _sig = signing.split(raw, "x")
    data = json.loads(body)
    data["memory"].pop("seen_at", None)
    text = json.dumps(data, indent=1, sort_keys=True).encode()
    return session.signer.seal(_context(session.store.settings.store_id), text)


@pytest.mark.parametrize("strip", [False, True], ids=["control-with-seen_at", "earlier-dacli-without"])
def test_U3_an_introduction_without_first_read_times_never_flags_a_crony_read_while_the_removal_was_hidden(
    strip, two, tmp_path, monkeypatch
):
    """U3 (lead 1 of the twentieth): mgr.three removes the leaver mgr.two at R and the leaver moves that file
    aside at once. An hour later the leaver plants a crony dated R - 25 h (unsealed: back-dated), which
    sen.ada's old computer reads at R + 1 h 10 (while the removal is hidden). At R + 2 h the founder removes
    mgr.three (honestly, for another reason: within the grace after R, so the removal of mgr.two still
    stands on the files alone). sen.ada's computer (an earlier dacli: its introduction keeps no
    first-read times) introduces a new computer at R + 3 h. The removal of mgr.two comes back at R + 30 h:
    the new computer refuses it (its author was seen removed before it arrived, more than the grace after
    its date), so the recount of removals before the join does not see it either; the files alone have
    mgr.two removed and no crony. With the first-read times (the control) the new computer flags the crony
    (`_missing_when_read`); without them, never: the README says such an introduction's changes count as
    first read at the join."""
    a, _ = two
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        assert "mgr.two" in _who(a, "sen.ada")
    with office(tmp_path, "three", monkeypatch), _at(R):
        remove_user(_unlock(a, "mgr.three"), "mgr.two", "left the service (test)")
    name = _removal_of(a, leaver.member.id)
    folder = a / ".dacli" / "staff"
    shutil.move(folder / name, tmp_path / "aside")
    with _at(R + 60):
        _crony(leaver, clock.now() - dt.timedelta(hours=26))
    with office(tmp_path, "old", monkeypatch), _at(R + 70):
        assert "rogue" in _who(a, "sen.ada")
    with office(tmp_path, "founder", monkeypatch), _at(R + 120):
        remove_user(_unlock(a, MANAGER), "mgr.three", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(R + 130):
        assert "mgr.three" not in _who(a, "sen.ada")
        ada = _unlock(a, "sen.ada")
        made = introduce(ada)
        if strip:
            made = _without_seen_at(ada, made)
    with office(tmp_path, "fresh", monkeypatch), _at(R + 180):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        assert "rogue" in _who(a, "cw.bex")
    shutil.move(tmp_path / "aside", folder / name)
    alone_here = None
    with office(tmp_path, "alone", monkeypatch), _at(R + 30 * 60):
        alone = _who(a, "cw.bex")
    assert "rogue" not in alone and "mgr.two" not in alone, alone
    with office(tmp_path, "fresh", monkeypatch), _at(R + 30 * 60 + 10):
        after = _who(a, "cw.bex")
        warned, vouches = _state(a)
    assert after == alone or (warned is not None and not vouches), (alone_here, after, warned, vouches)


def test_U4_a_leaver_who_removes_every_manager_on_the_fooled_computer_leaves_a_way_to_repair_it(
    two, tmp_path, monkeypatch
):
    """U4 (what held): B4, and the leaver also removes the founder (dated now), which sen.ada's old computer
    reads first: no manager is current there. Its memory deleted (the README's way for a computer that
    vouches and was fooled), it takes the founder's introduction all the same (the signer must be current on
    the list the introduction gives, not on the fooled reading)."""
    from tests.test_introduce_review18 import forget
    from tests.test_missing_when_read import _remove

    a, _ = two
    with _at(1):
        founder_id = _unlock(a, MANAGER).member.id
        leaver = _unlock(a, "mgr.two")
    founder, _after, _warned, _vouches = _b4(a, tmp_path, monkeypatch)
    with _at(R + 25 * 60 + 32):
        _remove(leaver, founder_id, clock.now())
    with office(tmp_path, "old", monkeypatch), _at(R + 25 * 60 + 35):
        assert MANAGER not in _who(a, "sen.ada")
    with _at(R + 25 * 60 + 40):
        honest = introduce(_unlock(a, MANAGER))
    with office(tmp_path, "old", monkeypatch), _at(R + 25 * 60 + 50):
        forget(a)
        joined = _joined(a, honest, user="sen.ada")
    assert not isinstance(joined, DacliError), joined.message
    with office(tmp_path, "old", monkeypatch), _at(R + 25 * 60 + 65):
        assert _who(a, "sen.ada") == founder
