"""Sixth independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 46047be, kept. Each test asserts the correct behaviour; the ones
named M... failed at 46047be (now: the memory taken holds everyone on the list it gives as members, and a
computer introduced before may take a newer introduction, asked about every difference). The earlier
reviews' attacks are in `test_introduce_review.py` (F1-F7),
`_review2.py` (R1-R5), `_review3.py` (G1-G3), `_review4.py` (J1-J4) and `_review5.py` (K1-K3); these do
not repeat them.

M1: `prepare_join` checks an introduced memory's `members` only as a SUBSET of the list it gives, and the
differences never look at it; `seen.check` then refuses a staff list naming a snapshot member outside
`members` whose adder has left ("forged"): any current member can lock everyone out of a joined computer
with nothing named. M2: a computer that took an introduction vouches, so `sync join` refuses every later
one ("needs none"): a computer that took a bad one (M1, or a fooled colleague's, asked and answered yes)
cannot take an honest one, and nothing says how to get out."""

from __future__ import annotations

import shutil

from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store import seen
from dacli.store.documents import dump_plain_toml, signed_context
from dacli.store.store import Store
from tests.conftest import MANAGER, PASSPHRASE, identities_as_an_older_dacli_made_them
from tests.test_introduce_review import _intro
from tests.test_introduce_review3 import _files_alone_memory, _joined
from tests.test_keys_that_merge import PW, _later, _unlock, office
from tests.test_leavers_keys import DAY, _who


def _at(minutes: int):
    """The clock pinned ``minutes`` after the test's start (not nested: each call from the same base)."""
    return _later(minutes)


def _legacy_store_with_a_leavers_hire(session) -> str:
    """A store from before staff changes were events: the founder added mgr.two and sen.ada, mgr.two added
    cw.dee, and the whole list is one snapshot signed by the founder (as format 3 wrote it); then the founder
    removes mgr.two (an event). cw.dee, in the snapshot, was added by someone who has left. Returns the
    store's root."""
    add_user(session, "mgr.two", "manager", PW)
    add_user(session, "sen.ada", "senior", PW)
    root = session.store.root
    add_user(_unlock(root, "mgr.two"), "cw.dee", "caseworker", PW)
    founder = _unlock(root, MANAGER)
    staff = founder.staff()
    sid = founder.store.settings.store_id
    text = founder.signer.seal(signed_context("staff", sid), dump_plain_toml(staff))
    (founder.store.meta / "staff.toml").write_bytes(text)
    shutil.rmtree(founder.store.meta / "staff", ignore_errors=True)
    identities_as_an_older_dacli_made_them(root, (PASSPHRASE, PW))  # as the dacli of that format made them
    return root


# -- M1: a memory whose `members` leaves out a snapshot member hired by a leaver: everyone locked out -----


def test_an_introduction_with_fewer_members_does_not_lock_everyone_out(session, tmp_path, monkeypatch):
    """A legacy store (one snapshot) holds cw.dee, added by mgr.two; the founder then removes mgr.two. A new
    computer (never used: it does not vouch) joins an introduction signed by sen.ada (any current member)
    whose memory is exactly a files-alone memory but with `members` cut to the founder and sen.ada. The fit
    check only asks `members <= on the list`; the differences compare folds, which never read `members`:
    taken with nothing named. The next unlock on that computer: `seen.check` finds cw.dee on the list, not in
    `members`, not added by a staff change this read, and added by mgr.two who has left: "names cw.dee,
    added by mgr.two who has left: forged". No one can work on that computer, and (M2) it can take no
    honest introduction. Severity: medium (any current member locks a colleague's new computer out, with no
    question asked; legacy stores with a snapshot member hired by a leaver). Correct: a memory's `members`
    is refused unless it holds everyone on the list it gives (or `take` keeps the given list's ids as
    `members`, as `seen.check` would on a read)."""
    root = _legacy_store_with_a_leavers_hire(session)
    with _at(DAY):
        remove_user(_unlock(root, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "accomplice", monkeypatch), _at(DAY + 5):
        memory = _files_alone_memory(root)
        alone = _who(root, "sen.ada")
        assert isinstance(alone, list) and "cw.dee" in alone and "mgr.two" not in alone, alone
        ada = _unlock(root, "sen.ada")
        founder = Store(root).member(MANAGER).id
        memory["members"] = sorted({founder, ada.member.id})
        made = _intro(root, ada.member.id, ada.signer.seed, memory, "sen.ada")
    with office(tmp_path, "new", monkeypatch), _at(DAY + 10):
        joined = _joined(root, made)
        taken_silently = not isinstance(joined, DacliError) and joined.differences == []
        after = _who(root, "sen.ada")
    assert not taken_silently or after == alone, (getattr(joined, "differences", joined), after)


# -- M2: a computer that took an introduction can never take another ---------------------------------------


def test_a_computer_locked_out_by_a_join_can_take_an_honest_introduction(session, tmp_path, monkeypatch):
    """M1's computer, locked out after the join. An old computer (first look before anyone left: it vouches)
    makes an honest introduction; `sync join` on the locked computer refuses it: "This computer has used
    the store since before anyone left (or was introduced already) ... needs none". The same holds for a
    computer that took a fooled colleague's introduction after being asked (the README's own warning case):
    it now vouches for a fooled list, says nothing in `sync status`, and can make introductions of it.
    Neither `sync join` nor the README says how to get out (deleting the memory file in the data folder by
    hand, written nowhere). Severity: low-medium (a computer locked out or fooled for good; recovery
    undocumented). Correct: an introduced computer can take a newer introduction (with the differences from
    its own reading named, as for any join), or `sync join` names the way out."""
    root = _legacy_store_with_a_leavers_hire(session)
    with office(tmp_path, "old", monkeypatch), _at(5):
        _who(root, "sen.ada")  # before anyone left: it vouches
    with _at(DAY):
        remove_user(_unlock(root, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "accomplice", monkeypatch), _at(DAY + 5):
        memory = _files_alone_memory(root)
        ada = _unlock(root, "sen.ada")
        memory["members"] = sorted({Store(root).member(MANAGER).id, ada.member.id})
        made = _intro(root, ada.member.id, ada.signer.seed, memory, "sen.ada")
    with office(tmp_path, "new", monkeypatch), _at(DAY + 10):
        _joined(root, made)
    with office(tmp_path, "old", monkeypatch), _at(DAY + 20):
        old = _who(root, "sen.ada")
        honest = introduce(_unlock(root, "sen.ada"))
    assert isinstance(old, list) and "cw.dee" in old, old
    with office(tmp_path, "new", monkeypatch), _at(DAY + 30):
        locked = _who(root, "sen.ada")
        again = _joined(root, honest)
        after = _who(root, "sen.ada")
    assert locked == old or (not isinstance(again, DacliError) and after == old), (locked, again, after)


# -- what held -----------------------------------------------------------------------------------------


def test_held_a_full_members_list_is_read_as_the_files_alone(session, tmp_path, monkeypatch):
    """Held (M1's control): the same legacy store, an honest introduction from the old computer: taken, and
    everyone unlocks on the joined computer; `seen.check`'s rewrite keeps `introduced`."""
    root = _legacy_store_with_a_leavers_hire(session)
    with office(tmp_path, "old", monkeypatch), _at(5):
        _who(root, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(root, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 5):
        made = introduce(_unlock(root, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _at(DAY + 10):
        joined = _joined(root, made)
        assert not isinstance(joined, DacliError), joined.message
        after = _who(root, "sen.ada")
        kept = seen.remembered(Store(root).settings.store_id)
    assert isinstance(after, list) and "cw.dee" in after and "mgr.two" not in after, after
    assert kept.get("introduced") and "first_look" not in kept
