"""Second independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 8a6a819, where each of R1 to R5 failed; kept. Each test asserts the
correct behaviour: a computer that has used the store since before anyone left (or was introduced) takes
no introduction; one whose own first look had leavers makes none; differences are named by staff id;
`take` refuses if the memory changed since the check; the memory is written whole (fsynced)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os

import pytest

from dacli import clock
from dacli.errors import DacliError, InvalidInput
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce, memory_warning, prepare_join, take_join
from dacli.store import seen
from dacli.store.fsio import LOCK_NAME
from dacli.store.staffformat import EVENTS
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER, PASSPHRASE
from tests.test_introduce_review import _intro
from tests.test_keys_that_merge import PW, _later, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who
from tests.test_leavers_keys_review6 import _post_dated, _remove

two = test_keys_that_merge.two


def _prepare(a, raw: bytes, user: str = "sen.ada"):
    store = Store(a)
    return prepare_join(store, *store.credentials(user, PASSPHRASE if user == MANAGER else PW), raw)


def _joined(a, raw: bytes, user: str = "sen.ada"):
    """`sync join --yes`: the checked introduction (taken), or the error that refused it."""
    try:
        joining = _prepare(a, raw, user)
    except DacliError as exc:
        return exc
    take_join(joining)
    return joining


def _all_changes(a) -> dict[str, str]:
    folder = a / ".dacli" / EVENTS
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


# -- R1: a used computer takes a fooled (or the leaver's own) introduction without a word -----------------


def test_a_used_computer_is_not_silently_made_to_believe_a_leavers_removal(two, tmp_path, monkeypatch):
    """Review 6's case. The used computer saw mgr.three remove mgr.two, and does not believe mgr.two's
    removal of mgr.three signed days later. mgr.two signs, with the key they kept, the memory of a fresh
    computer reading the files alone: it believes the forgery and lists mgr.three's removal of them as
    "refused". On the used computer that passes the forgetting check (every removal of mgr.two is
    "refused"), fits, is signed by someone current on the list it gives (mgr.two), and differs in nothing
    from the files read alone: `differences == []`, so `sync join` takes it without asking, and the used
    computer shows the leaver as a current manager and mgr.three as removed (locked out there). Correct:
    refused, or at least the differences from THIS computer's reading named (it saw mgr.two removed, and
    refused the change the introduction believes), so the person is asked."""
    a, _ = two
    with office(tmp_path, "used", monkeypatch):
        leaver, three = _post_dated(a)
        with _later(DAY + 5):
            assert "mgr.two" not in _who(a, "sen.ada")
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "leavers-laptop", monkeypatch), _later(DAY * 5 + 5):
        assert "mgr.two" in _who(a, "sen.ada")  # files alone: the mirror image
        # the memory of a computer reading the files alone (dacli no longer makes an introduction of it:
        # the leaver writes it), signed by the leaver with the key they kept
        kept = seen.remembered(Store(a).settings.store_id)
        memory = {k: kept[k] for k in seen.KEPT}
        refused = {n: d for n, d in _all_changes(a).items() if n not in memory["changes"]}
        made = _intro(a, leaver.member.id, leaver.signer.seed, memory, "mgr.two", refused)
    with office(tmp_path, "used", monkeypatch), _later(DAY * 5 + 10):
        before = _who(a, "sen.ada")
        assert "mgr.three" in before and "mgr.two" not in before, before
        joined = _joined(a, made)
        after = _who(a, "sen.ada")
    warned = isinstance(joined, DacliError) or any("mgr.two" in d for d in joined.differences)
    assert warned, (joined.username, joined.differences, after)


def test_a_used_computer_does_not_take_a_fooled_colleagues_introduction_silently(two, tmp_path, monkeypatch):
    """The same with no one malicious at the join: a colleague (sen.ada) made her introduction on a
    computer set up after the forgery (fooled, as the README says such a computer is). The used computer
    joins it with no difference named and is fooled too. Correct: not without the person being told."""
    a, _ = two
    with office(tmp_path, "used", monkeypatch):
        leaver, three = _post_dated(a)
        with _later(DAY + 5):
            _who(a, "cw.bex")
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    # fixed: a computer whose first look had leavers makes no introduction
    shared_files_alone = pytest.raises(InvalidInput, match="from the shared files alone")
    with office(tmp_path, "fooled", monkeypatch), _later(DAY * 5 + 5), shared_files_alone:
        introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "used", monkeypatch), _later(DAY * 5 + 10):
        after = _who(a, "cw.bex")
    assert "mgr.three" in after and "mgr.two" not in after, after


# -- R2: a leaver's crony under a current person's username: the differences list is blind to it ----------


def _crony_as_cal(a):
    """The founder adds cw.cal (day 1) and removes mgr.two (day 3, sealed). On day 4 mgr.two signs an
    addition of a MANAGER called cw.cal (keys mgr.two holds), dated day 0.5: back-dated, refused on any
    computer reading the files alone."""
    leaver = _unlock(a, "mgr.two")
    with _later(DAY):
        add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)
    with _later(DAY * 3):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 4):
        crony = _crony(leaver, clock.now() - dt.timedelta(days=3, hours=12), username="cw.cal")
    return leaver, crony


def test_an_introduction_cannot_swap_a_current_person_for_a_leavers_crony_unnamed(two, tmp_path, monkeypatch):
    """mgr.two (a leaver, alone: no accomplice) signs an introduction AS the crony (its key is theirs, and
    `given_keys` gives it: a manager's key signed the addition) whose memory "believed" the back-dated
    addition. On a new computer the crony is folded first, the real cw.cal's addition becomes "a second
    user called cw.cal", and the list of current usernames is the same as the files read alone, so
    `differences == []`: no question asked, yet cw.cal is now a manager holding the leaver's keys, and the
    real cw.cal cannot unlock on that computer. Correct: refused (a memory's "believed" must not outweigh
    a seal for a change it cannot have believed honestly, as for removals), or the difference named (compare
    ids, roles and keys, not usernames)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, crony = _crony_as_cal(a)
    with office(tmp_path, "alone", monkeypatch), _later(DAY * 4 + 5):
        assert "cw.cal" in _who(a, "cw.cal")  # files alone: the real cw.cal, the crony refused
    memory = {"key_epoch": 1, "removed": [leaver.member.id], "changes": _all_changes(a)}
    made = _intro(a, crony.id, leaver.signer.seed, memory, "cw.cal")
    with office(tmp_path, "new", monkeypatch), _later(DAY * 4 + 10):
        joined = _joined(a, made)
        cal = _who(a, "cw.cal")
        roles = {m.username: m.role.value for m in _unlock(a, "sen.ada").staff().active()}
    refused_or_named = isinstance(joined, DacliError) or bool(joined.differences)
    assert refused_or_named or (isinstance(cal, list) and roles["cw.cal"] == "caseworker"), (
        getattr(joined, "differences", joined),
        cal,
        roles,
    )


# -- R3: the memory changes between `prepare_join` and `take` ----------------------------------------------


def test_take_does_not_forget_a_removal_seen_while_the_person_was_being_asked(two, tmp_path, monkeypatch):
    """`sync join` checks (forgetting check included) and then asks; meanwhile the store syncs and another
    dacli process on this computer (the dashboard, the unlock agent's user) sees mgr.two removed and
    refuses their later removal of mgr.three. `take` then replaces the memory with the one checked against
    the old state: the removal is forgotten and the leaver's removal of mgr.three believed. Correct: `take`
    checks again against the memory as it is then (or refuses if it changed)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch), _later(2):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _later(3):
        joining = _prepare(a, made)  # fine now: nothing since
        leaver, three = _post_dated(a)
        with _later(DAY + 5):
            assert "mgr.two" not in _who(a, "cw.bex")  # another process: the removal is seen here
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 5 + 5):
        with contextlib.suppress(DacliError):
            take_join(joining)  # the person says yes
        after = _who(a, "sen.ada")
    assert isinstance(after, list) and "mgr.three" in after and "mgr.two" not in after, after


# -- R4: the memory file is not written durably --------------------------------------------------------------


def test_the_memory_taken_is_fsynced_before_it_replaces_the_old_one(two, tmp_path, monkeypatch):
    """`seen._write` writes a temp file and renames it, without fsync (the project's `atomic_write` does):
    after a power cut the renamed file may be empty, and an empty memory is silently "forgotten" (`_load`
    -> {}), so the next look is a first look, and the join is undone without a word. Correct: fsync'd."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        made = introduce(_unlock(a, "sen.ada"))
    synced = []
    real = os.fsync
    with office(tmp_path, "new", monkeypatch):
        joining = _prepare(a, made)
        with monkeypatch.context() as m:
            m.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
            take_join(joining)
    assert synced, "the memory was replaced without an fsync"


def test_a_full_disk_during_join_leaves_no_temp_file_and_the_old_memory(two, tmp_path, monkeypatch):
    """A disk that fills while the memory is written: `sync join` says nothing was changed, the old memory
    stands, and no half-written temp file is left in the data folder. (Written at 8a6a819 against a write
    by `Path.write_text`; the memory is now written by `fsio.atomic_write`: the disk fills at its fsync.)"""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        made = introduce(_unlock(a, "sen.ada"))
    remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with office(tmp_path, "new", monkeypatch):
        _who(a, "sen.ada")  # a first look at a store with a leaver: an introduction is for it
        with pytest.raises(InvalidInput, match="made before a staff removal"):
            _prepare(a, made)
        with office(tmp_path, "old", monkeypatch):
            made = introduce(_unlock(a, "sen.ada"))
        joining = _prepare(a, made)
        before = seen.remembered(joining.store_id)

        def full(fd):
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as m:
            m.setattr(os, "fsync", full)
            with pytest.raises(DacliError, match="nothing was changed"):
                take_join(joining)
        folder = seen._path(joining.store_id).parent
        assert seen.remembered(joining.store_id) == before
    left = [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != LOCK_NAME]
    assert not left, left  # the lock file of the memories (`seen._locked`) is not a temp file


# -- R5: an introduction from a computer whose own first look had leavers silences the warning -----------


def test_an_introduction_no_better_than_the_files_alone_does_not_silence_the_warning(
    two, tmp_path, monkeypatch
):
    """A computer whose first look came after mgr.two's removal and forgery reads the files alone (and
    warns so). Its introduction carries no trace of that: a new computer that joins it sees no difference
    and is told by `sync status` / `user list` / `unlock` that it "was introduced by sen.ada", the warning
    gone, although it is exactly as fooled. Correct: the warning stays (the introduction says its maker's
    memory began with a first look at a store with leavers, or `introduce` refuses to make one)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _post_dated(a)
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "late", monkeypatch), _later(DAY * 5 + 5):
        _who(a, "sen.ada")
        assert memory_warning(Store(a)) is not None
        # fixed: it makes no introduction (its own memory vouches for nothing)
        with pytest.raises(InvalidInput, match="reads the staff list from the shared files alone"):
            introduce(_unlock(a, "sen.ada"))
        assert memory_warning(Store(a)) is not None


# -- what held --------------------------------------------------------------------------------------------


def test_held_a_refused_join_keeps_the_warning_and_the_memory(two, tmp_path, monkeypatch):
    """Held: a stale introduction (made before mgr.two's removal) is refused on a computer whose first look
    had a leaver; its memory and its warning stay as they were."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        stale = introduce(_unlock(a, "sen.ada"))
    remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "late", monkeypatch), _later(5):
        _who(a, "sen.ada")
        before = seen.remembered(Store(a).settings.store_id)
        joined = _joined(a, stale)
        assert isinstance(joined, DacliError) and "made before a staff removal" in joined.message
        assert seen.remembered(Store(a).settings.store_id) == before
        assert "1 person had already been removed" in memory_warning(Store(a))
