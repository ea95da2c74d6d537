"""Twenty-third security review (rev25w) of "a computer introduced by another" (issue 14, H1), at 868bad7.

Each test asserts the correct behaviour. All four failed at 868bad7. W2 passes since a removal no reading
could believe (unsigned, or a leaver's made after their removal) no longer makes an introduction stale. W1 and
W1b are kept as strict xfails (`HIDDEN_PAST_GRACE`): from the computer's own view they are the mirror of a
leaver's removal of another manager, dated within the grace before their own removal and planted a day
later, which the arrival rule rightly refuses; to warn there would let any leaver make every computer stop
vouching with one file."""

from __future__ import annotations

import shutil

import pytest

from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review4 import _removal_of
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import PW, _unlock, office
from tests.test_leavers_keys import DAY, _who
from tests.test_missing_when_read import R

two = test_keys_that_merge.two


def _hide_then_remover_leaves(a, tmp_path, monkeypatch, join_at: int, back_at: int, remover_out_at: int):
    """The founder's computer introduces a fresh computer (cw.bex) at ``join_at``; mgr.three removes the
    leaver mgr.two at R and the leaver moves that file aside at once (they forge NOTHING); the founder,
    who has not seen it, removes mgr.three honestly at ``remover_out_at`` (another reason); the removal of
    mgr.two is put back at ``back_at``. Returns (files-alone reading, the joined computer's, its state)."""
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    if join_at < R:
        with _at(join_at - 5):
            made = introduce(_unlock(a, MANAGER))
        with office(tmp_path, "fresh", monkeypatch), _at(join_at):
            joined = _joined(a, made, user="cw.bex")
            assert not isinstance(joined, DacliError), joined.message
    with office(tmp_path, "three", monkeypatch), _at(R):
        remove_user(_unlock(a, "mgr.three"), "mgr.two", "left the service (test)")
    name = _removal_of(a, leaver.member.id)
    folder = a / ".dacli" / "staff"
    shutil.move(folder / name, tmp_path / "aside")
    if join_at >= R:
        with _at(join_at - 5):
            made = introduce(_unlock(a, MANAGER))
        with office(tmp_path, "fresh", monkeypatch), _at(join_at):
            joined = _joined(a, made, user="cw.bex")
            assert not isinstance(joined, DacliError), joined.message
    with office(tmp_path, "fresh", monkeypatch), _at(remover_out_at - 30):
        assert "mgr.two" in _who(a, "cw.bex")
    with _at(remover_out_at):
        remove_user(_unlock(a, MANAGER), "mgr.three", "left the service (test)")
    with office(tmp_path, "fresh", monkeypatch), _at(remover_out_at + 10):
        assert "mgr.three" not in _who(a, "cw.bex")
    shutil.move(tmp_path / "aside", folder / name)
    with office(tmp_path, "alone", monkeypatch), _at(back_at + 5):
        alone = _who(a, "cw.bex")
    with office(tmp_path, "fresh", monkeypatch), _at(back_at + 10):
        after = _who(a, "cw.bex")
        state = _state(a)
    return alone, after, state


# -- (c) a leaver kept silently on an introduced computer, forging nothing -----------------------------------


HIDDEN_PAST_GRACE = pytest.mark.xfail(
    strict=True,
    reason=(
        "a known limit (review 23, W1): a removal of the leaver hidden for more than a day while the "
        "remover is removed (by anyone) arrives after the remover was seen removed, and the arrival rule "
        "refuses it; that is also how a leaver's planted, back-dated removal of a colleague arrives, so a "
        "warning here would be a warning every leaver could raise everywhere"
    ),
)


@HIDDEN_PAST_GRACE
@pytest.mark.parametrize(
    "join_at", [DAY, R + 60], ids=["introduced-before-the-removal", "introduced-while-it-was-hidden"]
)
def test_W1_a_leaver_who_only_hides_their_removal_past_the_grace_stays_current_silently(
    join_at, two, tmp_path, monkeypatch
):
    """W1: the leaver signs nothing at all. They keep mgr.three's removal of them (dated R) out of the
    folder for 30 hours; meanwhile the founder, who never saw it, honestly removes mgr.three at R + 2 h.
    When the removal comes back, the introduced computer refuses it by the arrival rule (its author was
    seen removed before it arrived, and it is dated more than the grace ago); the recount of removals
    before the join does not see it (it does not stand here), and `_missing_when_read` has no believed
    change of the leaver's to flag. On the shared files alone mgr.two is removed (mgr.three's removal is
    dated within the grace before his own). The introduced computer keeps the leaver a current manager,
    vouches, and warns of nothing."""
    a, _ = two
    alone, after, (warned, vouches) = _hide_then_remover_leaves(
        a, tmp_path, monkeypatch, join_at, back_at=R + 30 * 60, remover_out_at=R + 120
    )
    assert "mgr.two" not in alone and "mgr.three" not in alone, alone
    assert after == alone or (warned is not None and not vouches), (alone, after, warned, vouches)


@HIDDEN_PAST_GRACE
def test_W1b_the_same_hide_keeps_the_leaver_on_the_founders_own_computer_too(two, tmp_path, monkeypatch):
    """W1b (sizing W1): the founder's computer (first look before anyone left, never fooled by any file:
    nothing was forged) is in the same state: it removed mgr.three without having seen his removal of
    mgr.two, refuses that removal when it comes back, and keeps the leaver current, vouching, silent.
    The README's B4 names 'a removal of the leaver hidden for more than a day, then the remover removed'
    with the removal of the remover forged by the leaver; here no file is forged at all."""
    a, _ = two
    _hide_then_remover_leaves(a, tmp_path, monkeypatch, DAY, back_at=R + 30 * 60, remover_out_at=R + 120)
    with office(tmp_path, "alone2", monkeypatch), _at(R + 30 * 60 + 20):
        alone = _who(a, "cw.bex")
    with _at(R + 30 * 60 + 30):
        founder = _who(a, MANAGER)
        warned, vouches = _state(a)
    assert founder == alone or (warned is not None and not vouches), (alone, founder, warned, vouches)


# -- (a) an honest join refused by a file the leaver plants ------------------------------------------------


def test_W2_a_leavers_unbelievable_removal_planted_before_the_join_refuses_an_honest_introduction(
    two, tmp_path, monkeypatch
):
    """W2 (low): the leaver, removed days ago on every reading, plants between `sync introduce` and `sync
    join` a removal signed with their own key and dated now (of cw.bex, say): no reading believes it (made
    after their removal). `_check_not_stale` counts every parseable removal file, so the honest
    introduction is refused as 'made before a staff removal now in the store'; planting one per attempt
    (or a folder-writer's junk removal that is not even signed) keeps a new computer from joining."""
    from dacli import clock
    from tests.test_missing_when_read import _remove

    a, _ = two
    with _at(10):
        leaver = _unlock(a, "mgr.two")
        bex = next(m.id for m in leaver.staff().staff if m.username == "cw.bex")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(3 * DAY):
        made = introduce(_unlock(a, MANAGER))
    with _at(3 * DAY + 2):
        _remove(leaver, bex, clock.now())
    with _at(3 * DAY + 3):
        assert "cw.bex" in _who(a, MANAGER)
    with office(tmp_path, "fresh", monkeypatch), _at(3 * DAY + 5):
        joined = _joined(a, made, user="sen.ada")
    assert not isinstance(joined, DacliError), joined.message


def test_a_removal_file_no_one_signed_planted_before_the_join_refuses_no_honest_introduction(
    two, tmp_path, monkeypatch
):
    """W2's other form: someone with only the folder writes a removal of cw.bex in the founder's name,
    signed with a key no manager gave anyone: not counted as a removal the introduction missed."""
    from types import SimpleNamespace

    from dacli import clock
    from dacli.store import signing
    from dacli.store.staffformat import StaffEvent
    from tests.test_keys_that_merge import _forge

    a, _ = two
    with _at(10):
        founder = _unlock(a, MANAGER)
        ids = {m.username: m.id for m in founder.staff().staff}
    with _at(DAY):
        remove_user(founder, "mgr.two", "left the service (test)")
    with _at(3 * DAY):
        made = introduce(_unlock(a, MANAGER))
    with _at(3 * DAY + 2):
        stranger = SimpleNamespace(signer=signing.Signer(ids[MANAGER], signing.generate()[0]))
        event = StaffEvent(kind="remove", at=clock.now(), author=ids[MANAGER], staff=ids["cw.bex"], seal=[])
        _forge(founder, event, stranger)
    with office(tmp_path, "fresh", monkeypatch), _at(3 * DAY + 5):
        joined = _joined(a, made, user="sen.ada")
        assert not isinstance(joined, DacliError), joined.message
        assert "cw.bex" in _who(a, "sen.ada")
