"""A second independent review's attacks on sealed removals (issue 14, finding H1), each asserting the
secure or honest behaviour; the ones marked 'at e1e685f' failed there, before the removals were decided
without their target's own changes (`leavers.sure_removals`)."""

from __future__ import annotations

import datetime as dt
import hashlib

from dacli.errors import AuthError, IntegrityError
from dacli.store.staffevents import EVENTS, StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_keys_that_merge import _forge, _later, _unlock, office
from tests.test_leavers_keys import DAY, _left

two = test_keys_that_merge.two


def _events(root):
    return root / ".dacli" / EVENTS


def _digests(root, needle: bytes) -> list[str]:
    return [
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in _events(root).iterdir()
        if needle in p.read_bytes()
    ]


def _who(root, user):
    try:
        return sorted(m.username for m in _unlock(root, user).staff().active())
    except (AuthError, IntegrityError) as exc:
        return exc.message


# -- A. the remover's removal back-dated beyond the grace, with a seal that satisfies the chain rule -------


def test_a_leavers_back_dated_removal_of_their_remover_sealing_their_own_addition_is_not_believed(
    two, tmp_path, monkeypatch
):
    """The leaver (mgr.two, removed by the founder on day 3) signs on day 10 'remove the founder', dated
    day 1 (two days before their own removal, far beyond the 24 h grace), sealing the founder's changes
    (so the chain rule, 'must seal the change that added its author', is met: the digests are public in the
    folder). Believed, it removes the founder on day 1; the founder's removal of mgr.two (day 3) is then
    'made after the signer's removal', outside the new mutual grace: not believed. mgr.two is not removed,
    so no sealed removal of mgr.two exists and the seal rule never looks at the planted file. A new
    computer: the founder is removed, the leaver is a current manager."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, removal = _left(a)
        _unlock(a, "sen.ada")
    founder = _unlock(a, MANAGER).member.id
    seal = _digests(a, f'added_by = "{founder}"'.encode())
    assert seal  # the founder's additions (of mgr.two, sen.ada, cw.bex)
    with _later(DAY * 10):
        _forge(
            leaver,
            StaffEvent(
                kind="remove",
                at=removal.at - dt.timedelta(days=2),
                author=leaver.member.id,
                staff=founder,
                seal=sorted(set(seal)),
                grace_hours=24,
            ),
        )
        seen = {}
        for where in ("old", "new"):
            with office(tmp_path, where, monkeypatch):
                seen[where] = _who(a, "sen.ada")
        # at e1e685f, new: 'The store settings is not signed by a current manager' (the founder is removed:
        # no one unlocks on a computer set up after the plant); old: as it should be
        assert all(v == sorted([MANAGER, "cw.bex", "sen.ada"]) for v in seen.values()), seen


# -- B. "tampered" is keyed by SHA-256: a copy of a genuine change under a remembered name takes it away -----


def test_a_copy_of_a_genuine_change_under_a_remembered_name_takes_nothing_away_on_an_old_computer(
    two, tmp_path, monkeypatch
):
    """While still a manager, mgr.two writes a harmless change dated at the very microsecond of the
    founder's addition of sen.ada (any date may be chosen; the name then carries the same time). The old
    computer believes it and remembers its name. After mgr.two has left, anyone who can write the folder
    (no key needed) copies the bytes of the founder's addition of sen.ada over that remembered file: the
    name and date agree, so it parses; its SHA-256 differs from the remembered one, so `_excluded` marks
    that SHA-256 tampered, and `_apply` excludes by SHA-256: the GENUINE addition of sen.ada (the same
    bytes) is not believed either. sen.ada is locked out on every computer that had seen the store."""
    from tests.test_leavers_keys import _crony

    a, _ = two
    (genuine,) = [p for p in _events(a).iterdir() if b'username = "sen.ada"' in p.read_bytes()]
    at = dt.datetime.strptime(genuine.name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
    with office(tmp_path, "old", monkeypatch):
        leaver = _unlock(a, "mgr.two")
        decoy = _crony(leaver, at, username="cw.decoy")
        (planted,) = [p for p in _events(a).iterdir() if decoy.id.encode() in p.read_bytes()]
        assert planted.name[:22] == genuine.name[:22]
        _unlock(a, "sen.ada")  # the old computer believes both, and remembers their names
        with _later(DAY * 3):
            from dacli.services.admin import remove_user

            remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 10):
        planted.write_bytes(genuine.read_bytes())  # no key: a copy
        with office(tmp_path, "old", monkeypatch):
            # at e1e685f: IntegrityError 'sen.ada is not on the staff list as checked here: ... (tampered)'
            ada = _unlock(a, "sen.ada")
            assert ada.staff().by_username("sen.ada") is not None
            assert any(planted.name in n for n in ada.staff_refused())


# -- C. a back-dated re-addition of the remover's own id makes the removal forged by the chain rule --------


def test_a_leavers_back_dated_addition_of_their_removers_id_is_not_believed(two, tmp_path, monkeypatch):
    """mgr.three (added by the founder five minutes after mgr.two) removes mgr.two on day 3. On day 10
    mgr.two signs an addition of mgr.three's staff id and username, with keys mgr.two holds, dated one minute
    after mgr.two's own addition (ten days before the removal). Dated before the genuine addition, it is the
    one applied ('nothing adds an id again' makes the genuine one a no-op); mgr.three's removal of mgr.two
    then 'leaves out of its seal the change by which they added mgr.three' and is forged by the chain rule;
    mgr.two is not removed, so the seal rule never looks at the planted file. A new computer: mgr.two is a
    current manager, and mgr.three's staff id carries mgr.two's keys."""
    from dacli.services.admin import add_user, remove_user
    from tests.test_keys_that_merge import PW

    a, _ = two
    leaver = _unlock(a, "mgr.two")
    with _later(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with office(tmp_path, "old", monkeypatch), _later(DAY * 3):
        remove_user(_unlock(a, "mgr.three"), "mgr.two", "left the service (test)")
        _unlock(a, "sen.ada")
    three = _unlock(a, "mgr.three").member.model_copy(deep=True)
    with _later(DAY * 10):
        from dacli.store import crypto
        from dacli.store.documents import certificate_context

        three.added, three.added_by = leaver.member.added + dt.timedelta(minutes=1), leaver.member.id
        three.recipient, three.signing_key = crypto.Identity.generate().public, leaver.member.signing_key
        three.certificate = leaver.signer.sign(certificate_context(leaver.store.settings.store_id, three))
        _forge(leaver, StaffEvent(kind="add", at=three.added, author=leaver.member.id, member=three))
        seen = {}
        for where in ("old", "new"):
            with office(tmp_path, where, monkeypatch):
                seen[where] = _who(a, "mgr.three")
                seen[where, "sen.ada"] = _who(a, "sen.ada")
        # at e1e685f, new: 'The identity file for mgr.three does not match the staff list (tampered).'
        # and sen.ada's checked list there: ['cw.bex', 'mgr', 'mgr.three', 'mgr.two', 'sen.ada']
        want = sorted([MANAGER, "cw.bex", "mgr.three", "sen.ada"])
        assert all(v == want for v in seen.values()), seen


# -- D. honest: a leaver's removal still waiting on the remover's computer is left out of the seal ---------


def test_a_removal_waiting_on_the_removers_computer_is_not_lost_once_its_target_arrives(
    two, tmp_path, monkeypatch
):
    """Honest offices. In office B, mgr.three adds cw.kay and mgr.two removes cw.kay a minute later. The
    sync carries mgr.two's removal to office A before mgr.three's addition (a sync engine carries files in
    any order): on A it waits for the addition. Three days on, the founder removes mgr.two in A; the seal
    names the changes A believed, not the waiting one. When the addition arrives, mgr.two's removal of
    cw.kay is dated more than the grace before mgr.two's removal and sealed by none: not believed. cw.kay,
    removed, is current again and unlocks, on every computer."""
    import shutil

    from dacli.services.admin import add_user, remove_user
    from tests.test_keys_that_merge import PW, _merge

    a, b = two
    with office(tmp_path, "A", monkeypatch), _later(2):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    _merge(a, b)
    before = {p.name for p in _events(b).iterdir()}
    with office(tmp_path, "B", monkeypatch):
        with _later(5):
            add_user(_unlock(b, "mgr.three"), "cw.kay", "caseworker", PW)
        with _later(6):
            remove_user(_unlock(b, "mgr.two"), "cw.kay", "left the service (test)")
    new = {p.name for p in _events(b).iterdir()} - before
    (removal,) = [n for n in new if b'kind = "remove"' in (_events(b) / n).read_bytes()]
    shutil.copy2(_events(b) / removal, _events(a) / removal)  # the removal first
    with office(tmp_path, "A", monkeypatch), _later(DAY * 3):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 4):
        _merge(a, b)
        seen = {}
        for where, root in (("A", a), ("B", b), ("new", a)):
            with office(tmp_path, where, monkeypatch):
                kay = _unlock(root, MANAGER).staff().by_username("cw.kay")
                seen[where] = None if kay is None else kay.active
        # at e1e685f: {'A': True, 'B': None, 'new': True}: cw.kay, removed, is current again (B remembers)
        assert all(v in (None, False) for v in seen.values()), seen


# -- E. the non-convergence fallback: the union takes away a current manager's change ---------------------


def test_the_cautious_reading_keeps_the_changes_of_a_manager_it_shows_as_current(two, tmp_path, monkeypatch):
    """Two leavers, mgr.two (removed day 3) and mgr.y (removed day 6). On day 10 mgr.two signs A 'remove
    mgr.y' and P 'remove mgr.three' (seal empty), both dated day 1; mgr.y signs B 'remove mgr.two', dated an
    hour before mgr.y's removal (within the grace: believed on a new computer, as the README accepts),
    sealing A and P. Folded with nothing excluded, A stands, so B is made after mgr.y's removal and A and P
    are unsealed: excluded, and with them (P believed in that round) mgr.three's addition of cw.hal. Folded
    with those excluded, B stands and seals A and P: nothing is excluded. It never settles; the union of
    the rounds leaves A and P unbelieved (mgr.three is current) yet cw.hal's addition by mgr.three out:
    cw.hal is locked out by a removal that the reading itself does not believe."""
    from dacli.services.admin import add_user, remove_user
    from tests.test_keys_that_merge import PW

    a, _ = two
    mgr = _unlock(a, MANAGER)
    add_user(mgr, "mgr.y", "manager", PW)
    add_user(mgr, "mgr.three", "manager", PW)
    with _later(5):
        add_user(_unlock(a, "mgr.three"), "cw.hal", "caseworker", PW)
    two_, y = _unlock(a, "mgr.two"), _unlock(a, "mgr.y")
    ids = {u: _unlock(a, MANAGER).staff().by_username(u).id for u in ("mgr.y", "mgr.three")}
    with _later(DAY * 3):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 6):
        remove_user(_unlock(a, MANAGER), "mgr.y", "left the service (test)")
    t0 = two_.member.added
    with _later(DAY * 10):

        def plant(who, at, staff, seal, grace):
            ev = StaffEvent(
                kind="remove", at=at, author=who.member.id, staff=staff, seal=seal, grace_hours=grace
            )
            return hashlib.sha256(_forge(who, ev).read_bytes()).hexdigest()

        da = plant(two_, t0 + dt.timedelta(days=1), ids["mgr.y"], [], 1)
        dp = plant(two_, t0 + dt.timedelta(days=1, minutes=1), ids["mgr.three"], [], 1)
        plant(y, t0 + dt.timedelta(days=6, hours=-1), two_.member.id, sorted([da, dp]), 24)
        with office(tmp_path, "new", monkeypatch):
            session = _unlock(a, MANAGER)
            staff = {m.username for m in session.staff().active()}
            notes = session.staff_notes()
            # at e1e685f: mgr.three current, cw.hal not on the list ('not settled' in the notes)
            assert "mgr.three" not in staff or "cw.hal" in staff, (sorted(staff), notes)
