"""Seventh independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 07409cc. Each test asserts the correct behaviour; the ones named
N... failed at 07409cc. The earlier reviews' attacks are in `test_introduce_review.py` (F1-F7) to
`_review6.py` (M1-M2); these do not repeat them.

N1: `prepare_join` checks the signature against EVERY key `given_keys` ever handed the signer's id, also a
key a leaver gave a current colleague's id in a planted (refused) re-addition; the name shown is then that
colleague's. A leaver alone makes an introduction that `sync join` says is signed by a current colleague.
N2: `seen.check` merges a fold that began before a join into the memory the join took (keeping
`introduced`): a dacli process unlocking while `sync join` takes puts the fooled reading back, silently.
N3: a removal seen here that the introduction refused is described as "no removal of them is in the store
now" although the file is there (a false sentence in what the person is asked to judge)."""

from __future__ import annotations

import datetime as dt

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce, memory_warning, prepare_join, staff_memory, take_join
from dacli.store import seen
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER, PASSPHRASE
from tests.test_introduce_review import _intro
from tests.test_introduce_review3 import _files_alone_memory, _joined
from tests.test_keys_that_merge import PW, _later, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who
from tests.test_leavers_keys_review6 import _post_dated, _remove

two = test_keys_that_merge.two


def _at(minutes: int):
    """The clock pinned ``minutes`` after the test's start (not nested: each call from the same base)."""
    return _later(minutes)


def _prepare(root, raw: bytes, user: str = "sen.ada"):
    store = Store(root)
    return prepare_join(store, *store.credentials(user, PASSPHRASE if user == MANAGER else PW), raw)


# -- N1: a leaver signs an introduction as a current colleague ------------------------------------------


def test_a_leaver_cannot_sign_an_introduction_as_a_current_colleague(two, tmp_path, monkeypatch):
    """mgr.two is removed. With the key they kept they plant one staff change: an addition of sen.ada's
    staff id (same username, role senior) whose signing key is mgr.two's own, certified by mgr.two. Every
    fold refuses it (made after their removal; an id added again), but `given_keys` gives that key to
    sen.ada's id (a manager's key signed the addition), and `prepare_join` accepts a signature by any key
    given to the id; the signer check asks only that sen.ada is current (she is). mgr.two then signs, as
    sen.ada, an introduction of the files-alone memory: `sync join` on a new computer says "An introduction
    signed by sen.ada (senior)", names no difference, takes it, and the computer says it "was introduced
    to the store by sen.ada": its warning (first look at a store with leavers) is gone, and it now vouches
    (makes introductions for others) though it is exactly as fooled as the files alone. With a crafted
    memory (J1/G3's), the differences are named, but as sen.ada's, which is what the person is told to
    check. Severity: high (a leaver alone, no accomplice; defeats the one check the README asks a person to
    make). Correct: refused: the signature must verify under the signer's key on the staff list the
    introduction gives (the key that list holds for that id), not any key ever given to the id."""
    a, _ = two
    with _at(10):
        leaver = _unlock(a, "mgr.two")
        ada = _unlock(a, "sen.ada").member
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY * 2):
        _crony(leaver, clock.now(), username="sen.ada", member_id=ada.id)  # refused by every fold
    with office(tmp_path, "leaver", monkeypatch), _at(DAY * 2 + 5):
        memory = _files_alone_memory(a)
        made = _intro(a, ada.id, leaver.signer.seed, memory, "sen.ada")  # the leaver's key, as sen.ada
    with office(tmp_path, "new", monkeypatch), _at(DAY * 2 + 10):
        _who(a, "cw.bex")  # its first look: a store with a leaver
        assert memory_warning(Store(a)) is not None
        joined = _joined(a, made, user="cw.bex")
        said = staff_memory(Store(a))
    assert isinstance(joined, DacliError), (joined.username, joined.differences, said)


# -- N2: a fold that began before the join is merged into the memory it took --------------------------------


def test_a_read_in_flight_during_a_join_does_not_put_the_fooled_reading_back(two, tmp_path, monkeypatch):
    """Review 4's J3 computer: its first look came after the founder removed mgr.two; two hours after
    their removal mgr.two planted a removal of mgr.three dated an hour before it (within the grace): this
    computer believes it (mgr.three removed here). The old computer's honest introduction refuses it; `sync
    join` names the difference and the person says yes. Meanwhile another dacli on the same computer (the
    dashboard, `dacli case list`, a second user) had begun unlocking: its fold read the memory before the
    join, and its `seen.check` runs after `take`. `check` loads the joined memory, keeps `introduced`, and
    merges the stale fold in: the forged removal's name into `changes` (believed before: never taken
    away) and mgr.three into `removed` (nothing in the stale fold is current that the joined memory saw
    removed, so nothing stops it). From the next read on mgr.three is removed again on this computer
    (locked out), which now vouches (no warning; its introductions carry the forgery); nothing was named.
    Severity: medium (needs a read in flight during the join: a window of one fold, seconds on a large
    staff list; undoes the join silently behind "introduced"). Correct: `seen.check` does not merge a
    fold made from a memory that has since been replaced (compare the memory the fold read with the one
    kept, and leave it or read again), or `take` and every memory write share a lock."""
    a, _ = two
    with _at(5):
        three = add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)[0].id
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")  # before anyone left: it vouches
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 30):
        _who(a, "sen.ada")
    with office(tmp_path, "here", monkeypatch), _at(DAY + 60):
        _who(a, "sen.ada")  # first look: a store with a leaver
    with _at(DAY + 120):
        _remove(leaver, three, clock.now() - dt.timedelta(hours=3))  # dated an hour before the removal
    with office(tmp_path, "here", monkeypatch), _at(DAY + 180):
        fooled = _who(a, "sen.ada")
    assert isinstance(fooled, list) and "mgr.three" not in fooled, fooled
    with office(tmp_path, "old", monkeypatch), _at(DAY * 3):
        old = _who(a, "sen.ada")
        made = introduce(_unlock(a, "sen.ada"))
    assert isinstance(old, list) and "mgr.three" in old, old
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 10):
        joining = _prepare(a, made)
        assert any("mgr.three" in d for d in joining.differences), joining.differences
        real = seen.check
        taken = []

        def racing(*args, **kwargs):  # the other process has folded; `sync join` takes meanwhile
            if not taken:
                taken.append(take_join(joining))
            return real(*args, **kwargs)

        with monkeypatch.context() as m:
            m.setattr(seen, "check", racing)
            _who(a, "cw.bex")  # the read in flight
        assert taken and seen.remembered(Store(a).settings.store_id).get("introduced")
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 20):
        after = _who(a, "sen.ada")
    assert after == old, after


# -- N3: a false sentence among the differences -----------------------------------------------------------


def test_a_refused_removal_in_the_store_is_not_called_gone(two, tmp_path, monkeypatch):
    """The same fooled computer joins the honest introduction, which refused mgr.two's removal of
    mgr.three (its file is in the store). Besides "Removed on this computer now, but not with it:
    mgr.three", `prepare_join` adds "This computer saw mgr.three removed, and no removal of them is in the
    store now" for every id seen removed here and not on the given list, also one whose removal is in the
    store and was excused only because the introduction refused it. The person deciding is told a file is
    gone that is there. Severity: low (a false sentence in what a person judges; the true difference is
    also named). Correct: that sentence only for an id no removal of whom is parsed in the store; for a
    refused one, say the introduction does not believe the removal of them in the store."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _post_dated(a)
        _who(a, "sen.ada")
    with _at(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "new", monkeypatch), _at(DAY * 5 + 5):
        _who(a, "sen.ada")
    with office(tmp_path, "old", monkeypatch), _at(DAY * 5 + 10):
        made = introduce(_unlock(a, "mgr.three"))
    with office(tmp_path, "new", monkeypatch), _at(DAY * 5 + 15):
        joining = _prepare(a, made)
    assert any("mgr.three" in d for d in joining.differences), joining.differences
    assert not any("no removal of them is in the store now" in d for d in joining.differences), (
        joining.differences
    )


# -- what held ---------------------------------------------------------------------------------------------


def test_held_a_leavers_re_addition_gives_no_key_to_an_id_on_the_list_for_a_join_by_the_real_person(
    two, tmp_path, monkeypatch
):
    """Held (N1's control): the real sen.ada's honest introduction from the old computer, with the
    leaver's re-addition of her id in the store, is taken and names her; the memory taken keeps
    `introduced`, and a read after it keeps it too (`seen.check`'s rewrite)."""
    a, _ = two
    with _at(10):
        leaver = _unlock(a, "mgr.two")
        ada = _unlock(a, "sen.ada").member
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY * 2):
        _crony(leaver, clock.now(), username="sen.ada", member_id=ada.id)
    with office(tmp_path, "old", monkeypatch), _at(DAY * 2 + 5):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _at(DAY * 2 + 10):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        assert joined.username == "sen.ada" and joined.differences == []
        _who(a, "cw.bex")
        kept = seen.remembered(Store(a).settings.store_id)
    assert kept.get("introduced", {}).get("username") == "sen.ada" and "first_look" not in kept
