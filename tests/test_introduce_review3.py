"""Third independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 0d5f631, kept. Each test asserts the correct behaviour; G1 to G3
failed at 0d5f631 (now: an introduction naming a staff change this copy does not hold, or an id not on the
list it gives, is refused; differences are named from this computer's own reading too; a removal this
computer saw arrive after its first look is never excused by an introduction's "refused"). The earlier
reviews' attacks are in `test_introduce_review.py` (F1-F7) and `_review2.py` (R1-R5).

G1 and G2 share a root: `prepare_join` checks the introduced memory only against the staff files present
now, but the memory is kept and applied to every file that arrives later. A memory may name a staff change
that has not reached this copy yet (with any digest), or an id not on the list yet as "removed": at the
join both are invisible (`differences == []`, nothing asked), and when the file arrives the computer is
worse off than one reading the shared files alone. G3: a computer that has used the store since a first
look at a store with leavers (it does not "vouch", so it takes introductions) is compared only with the
files read alone, never with its own reading, so a leaver's introduction that lists their own honest
removal as "refused" is taken there without a question."""

from __future__ import annotations

import hashlib

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import memory_warning, prepare_join, take_join
from dacli.store import seen
from dacli.store.staffformat import EVENTS
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER, PASSPHRASE
from tests.test_introduce_review import _intro
from tests.test_keys_that_merge import PW, _later, _merge, _unlock, office
from tests.test_leavers_keys import DAY, _who
from tests.test_leavers_keys_review6 import _post_dated, _remove

two = test_keys_that_merge.two


def _joined(root, raw: bytes, user: str = "sen.ada"):
    """`sync join --yes` as ``user``: the checked introduction (taken), or the error that refused it."""
    store = Store(root)
    try:
        joining = prepare_join(store, *store.credentials(user, PASSPHRASE if user == MANAGER else PW), raw)
    except DacliError as exc:
        return exc
    take_join(joining)
    return joining


def _changes(root) -> dict[str, str]:
    folder = root / ".dacli" / EVENTS
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _files_alone_memory(root) -> dict:
    """The memory of a computer that has just read ``root``'s staff files alone (in the current office)."""
    _who(root, "sen.ada")
    kept = seen.remembered(Store(root).settings.store_id)
    return {k: kept[k] for k in seen.KEPT}


# -- G1: a memory naming a staff change not here yet makes an honest removal "tampered" when it arrives ----


def test_an_introduction_cannot_pre_refuse_a_removal_still_on_its_way(two, tmp_path, monkeypatch):
    """Office A's founder removes mgr.two; office B's copy has not synced yet. mgr.two (still current in
    B's copy, and able to see A's folder, or told the file name) signs an introduction of B's staff list
    whose memory also "believed" their removal's file name with a made-up SHA-256. A new computer in B
    joins it: nothing differs from the files, nothing is stale (the removal is not in B yet), so it is taken
    without a question. Once B syncs, the honest removal is "not the file this computer read under that
    name before (tampered)" on that computer: mgr.two stays a current manager there for good (their later
    changes believed), while any computer reading the shared files alone sees them removed. Severity: high
    (a leaver alone, or any current member, keeps a leaver on a computer's staff list, silently). Correct:
    a memory naming a change not in the store as read here, or with another digest, is refused (or those
    names are dropped before it is kept)."""
    a, b = two
    with office(tmp_path, "A", monkeypatch), _later(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    (removal,) = set(_changes(a)) - set(_changes(b))
    with office(tmp_path, "leaver", monkeypatch), _later(DAY + 5):
        leaver = _unlock(b, "mgr.two")  # B's copy: still current there
        memory = _files_alone_memory(b)
        memory["changes"][removal] = "0" * 64
        made = _intro(b, leaver.member.id, leaver.signer.seed, memory, "mgr.two")
    with office(tmp_path, "new", monkeypatch), _later(DAY + 10):
        joined = _joined(b, made)
        taken_silently = not isinstance(joined, DacliError) and joined.differences == []
    _merge(a, b)  # B syncs
    with office(tmp_path, "alone", monkeypatch), _later(DAY + 20):
        alone = _who(b, "sen.ada")
    assert isinstance(alone, list) and "mgr.two" not in alone, alone
    with office(tmp_path, "new", monkeypatch), _later(DAY + 20):
        after = _who(b, "sen.ada")
    assert not taken_silently or (isinstance(after, list) and "mgr.two" not in after), (
        getattr(joined, "differences", joined),
        after,
    )


# -- G2: a memory naming as removed an id not on the list yet locks the computer out when it arrives -------


def test_an_introduction_cannot_name_as_removed_someone_whose_addition_has_not_arrived(
    two, tmp_path, monkeypatch
):
    """Office A's founder adds cw.cal; office B's copy has not synced. cw.bex (a current caseworker: any
    member of staff will do) signs an introduction of B's staff list whose memory says cw.cal's id was seen
    removed. In B nobody by that id is on the list, so it "fits", differs from nothing, and is taken
    without a question. Once B syncs, cw.cal's addition is believed and every unlock on that computer, by
    anyone, is refused ("shows cw.cal as current, but this computer has seen them removed"), and a second
    introduction is refused too (it was "introduced already"). Severity: medium-high (a lasting lock-out
    of one computer by any member of staff; its data folder must be cleared by hand). Correct: an id the
    memory names as removed must be removed on the staff list it gives (refused otherwise)."""
    a, b = two
    with office(tmp_path, "A", monkeypatch), _later(DAY):
        cal_id = add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)[0].id
    with office(tmp_path, "bex", monkeypatch), _later(DAY + 5):
        bex = _unlock(b, "cw.bex")
        memory = _files_alone_memory(b)
        memory["removed"] = sorted({*memory["removed"], cal_id})
        made = _intro(b, bex.member.id, bex.signer.seed, memory, "cw.bex")
    with office(tmp_path, "new", monkeypatch), _later(DAY + 10):
        joined = _joined(b, made)
        taken_silently = not isinstance(joined, DacliError) and joined.differences == []
    _merge(a, b)  # B syncs
    with office(tmp_path, "new", monkeypatch), _later(DAY + 20):
        after = _who(b, "sen.ada")
    assert not taken_silently or (isinstance(after, list) and "cw.cal" in after), (
        getattr(joined, "differences", joined),
        after,
    )


# -- G3: a used computer that does not vouch takes a leaver's introduction that "refused" their removal ----


def test_a_used_computer_that_does_not_vouch_is_not_silently_turned_by_a_leavers_introduction(
    two, tmp_path, monkeypatch
):
    """R1 (review 2) on the computers it was not closed for. This computer's first look came after cw.bex
    left, so it does not vouch and takes introductions (as the README and its own warning ask). It has used
    the store since: it saw mgr.three remove mgr.two, and is not fooled by mgr.two's removal of mgr.three
    signed four days later. mgr.two signs, with the key they kept, the memory of a computer reading the
    files alone (it believes the forgery), listing mgr.three's removal of them as "refused". The forgetting
    check passes (every removal of mgr.two is "refused"), the signer is current on the list it gives, and
    the list equals the files read alone: `differences == []`, taken without a question (no --yes needed).
    The computer now shows the leaver as a current manager and mgr.three removed (locked out there); its
    warning is gone, and a colleague's honest introduction is then refused ("introduced already").
    Severity: high (the computers the feature is for; a leaver alone). Correct: refused, or the differences
    from THIS computer's own reading named (it saw mgr.two removed and refused the change the file
    believes), so the person is asked."""
    a, _ = two
    with _later(1):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with office(tmp_path, "used", monkeypatch), _later(2):
        _who(a, "sen.ada")  # first look: a store with a leaver
        assert memory_warning(Store(a)) is not None
        leaver, three = _post_dated(a)
        with _later(DAY + 5):
            assert "mgr.two" not in _who(a, "sen.ada")
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "used", monkeypatch), _later(DAY * 5 + 5):
        before = _who(a, "sen.ada")
    assert isinstance(before, list) and "mgr.three" in before and "mgr.two" not in before, before
    with office(tmp_path, "leavers-laptop", monkeypatch), _later(DAY * 5 + 5):
        memory = _files_alone_memory(a)
        assert leaver.member.id not in memory["removed"]  # files alone: the mirror image
        refused = {n: d for n, d in _changes(a).items() if n not in memory["changes"]}
        made = _intro(a, leaver.member.id, leaver.signer.seed, memory, "mgr.two", refused)
    with office(tmp_path, "used", monkeypatch), _later(DAY * 5 + 10):
        joined = _joined(a, made)
        after = _who(a, "sen.ada")
    warned = isinstance(joined, DacliError) or any("mgr.two" in d for d in joined.differences)
    assert warned, (joined.username, joined.differences, after)


# -- what held ---------------------------------------------------------------------------------------------


def test_held_a_removal_arriving_between_the_check_and_the_yes_is_read_as_any_arrival(
    two, tmp_path, monkeypatch
):
    """Held: the store changes between `prepare_join` and `take` (a sync while the person is asked), with
    no dacli process running (the memory is unchanged, so `take` proceeds). mgr.three's removal of mgr.two
    arrives then; it is believed at the next look like any arrival, remembered, and mgr.two's removal of
    mgr.three signed four days later is not believed on the joined computer."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch), _later(2):
        from dacli.services.sync import introduce

        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "new", monkeypatch), _later(3):
        store = Store(a)
        joining = prepare_join(store, *store.credentials("sen.ada", PW), made)
    leaver, three = _post_dated(a)  # arrives while the person is asked
    with office(tmp_path, "new", monkeypatch), _later(DAY + 5):
        take_join(joining)
        assert "mgr.two" not in _who(a, "sen.ada")
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 5 + 5):
        after = _who(a, "sen.ada")
    assert isinstance(after, list) and "mgr.three" in after and "mgr.two" not in after, after
