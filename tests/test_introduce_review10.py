"""Tenth independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at 782505d. Each test asserts the correct behaviour; the ones named
S1-S4 (the comment above each) fail at 782505d. The earlier reviews' attacks are in
`test_introduce_review.py` to `_review9.py`; these do not repeat them.

S1: the snapshot pin (`staff.pinned_snapshot`) believes the `snapshot` of EVERY believed removal, a
leaver's too: one removal the leaver signs dated within the grace before their own removal (believed
everywhere: the documented limit), naming any other digest, stops every unlock on every computer, and a
new computer can then take no introduction. S2: `add_doubts` measures "shortly before" with the grace the
removal itself names, which a leaver's removal chooses (up to 90 days): Q2's lock-out of honest
introducers comes back. S3: a leaver removed by a removal written before `snapshot` was recorded (an older
dacli) still puts a crony in a rewritten `staff.toml` unseen on a new computer (Q4). S4: a seal by a manager
the leaver once added honestly vouches for nothing: an honest removal lists a false doubt, and the person
added shortly before it cannot introduce."""

from __future__ import annotations

import datetime as dt

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store.staffevents import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review9 import _rewrite_snapshot_with_a_crony
from tests.test_keys_that_merge import PW, _forge, _later, _unlock, office
from tests.test_leavers_keys import DAY, _who

two = test_keys_that_merge.two

OTHER_SNAPSHOT = "0" * 64


def _id(a, username: str) -> str:
    return next(m.id for m in _unlock(a, MANAGER).staff().staff if m.username == username)


def _bex_then_leaver_removed(a):
    """cw.bex is removed by the founder 3 hours before DAY, mgr.two at DAY; returns (the leaver's session
    kept from before, cw.bex's id)."""
    with _later(10):
        leaver = _unlock(a, "mgr.two")
        bex = _id(a, "cw.bex")
    with _later(DAY - 180):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with _later(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    return leaver, bex


def _old_looks(a, tmp_path, monkeypatch) -> None:
    """The old computer reads the store half an hour after the removal: it knows mgr.two has left."""
    with office(tmp_path, "old", monkeypatch), _later(DAY + 30):
        assert "mgr.two" not in _who(a, "sen.ada")


def _pin_breaker(leaver, bex: str, removed_at: dt.datetime) -> None:
    """The leaver's removal of cw.bex (already removed: it changes no one), dated two hours before their
    own removal (``removed_at``: within the grace before it), naming a snapshot digest no one read."""
    _forge(
        leaver,
        StaffEvent(
            kind="remove",
            at=removed_at - dt.timedelta(hours=2),
            author=leaver.member.id,
            staff=bex,
            seal=[],
            grace_hours=24,
            snapshot=OTHER_SNAPSHOT,
        ),
    )


# -- S1: a leaver's believed removal naming another snapshot locks every computer out ------------------------


def test_a_leavers_removal_naming_another_snapshot_locks_no_one_out(two, tmp_path, monkeypatch):
    """S1. The founder removes cw.bex, then mgr.two at DAY. An hour later mgr.two, with the key they kept,
    signs a removal of cw.bex (already removed: no one changes) dated two hours before their own removal,
    with ``snapshot`` = a digest nobody read. Within the grace: believed on the old computer (it arrived in
    time) and on a new one; `pinned_snapshot` then refuses the untouched `staff.toml` on both ("written
    again since ... a manager puts it back from a backup": nothing was written, no backup helps). A leaver
    alone stops every unlock on every computer. Severity: high. Correct: a snapshot named by a removal
    whose author is removed (or doubted) does not pin (or the removal is not believed); the store opens."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch), _later(15):
        assert "sen.ada" in _who(a, "sen.ada")  # first look before anyone left: it vouches
    leaver, bex = _bex_then_leaver_removed(a)
    with _later(DAY):
        removed_at = clock.now()
    _old_looks(a, tmp_path, monkeypatch)
    with _later(DAY + 60):
        _pin_breaker(leaver, bex, removed_at)
    with office(tmp_path, "old", monkeypatch), _later(DAY + 90):
        old = _who(a, "sen.ada")
    with office(tmp_path, "new", monkeypatch), _later(DAY + 100):
        new = _who(a, "sen.ada")
    assert isinstance(old, list) and "sen.ada" in old, old
    assert isinstance(new, list) and "sen.ada" in new, new


def test_a_leavers_late_removal_naming_another_snapshot_leaves_new_computers_a_way_in(
    two, tmp_path, monkeypatch
):
    """S1, months on. The same removal planted ten days after the leaver's removal: the old computer does
    not believe it (it arrived after the grace, `seen`), but every new computer reads the files alone and
    believes it (dated within the grace), so refuses the staff list, and `sync join` of the old computer's
    honest introduction is refused by the same pin (`prepare_join` folds the files alone): a new computer
    is stuck with no way in. Correct: the new computer opens, or at least takes the honest introduction."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch), _later(15):
        assert "sen.ada" in _who(a, "sen.ada")
    leaver, bex = _bex_then_leaver_removed(a)
    with _later(DAY):
        removed_at = clock.now()
    _old_looks(a, tmp_path, monkeypatch)
    with _later(DAY * 10):
        _pin_breaker(leaver, bex, removed_at)
    with office(tmp_path, "old", monkeypatch), _later(DAY * 10 + 30):
        old = _who(a, "sen.ada")
        made = introduce(_unlock(a, "sen.ada"))
    assert isinstance(old, list) and "sen.ada" in old, old  # held: the old computer is not fooled
    with office(tmp_path, "new", monkeypatch), _later(DAY * 10 + 60):
        joined = _joined(a, made, user="sen.ada")
        new = _who(a, "sen.ada")
    assert not isinstance(joined, DacliError), joined.message
    assert isinstance(new, list) and "sen.ada" in new, new


# -- S2: the leaver's removal chooses the grace that decides what is "shortly before" -----------------------


def test_a_leavers_removal_with_a_long_grace_does_not_doubt_an_old_addition(two, tmp_path, monkeypatch):
    """S2 (Q2's fix bypassed). mgr.three (added by the founder) adds cw.cal in the first minutes; the old
    computer vouches and believes it from then on. The founder removes mgr.two two days later; mgr.two then
    signs a removal of mgr.three dated an hour before their own (within the grace: believed everywhere, the
    documented limit) with an empty seal and ``grace_hours`` = 2160 (90 days, the most the format allows).
    `add_doubts` asks whether cw.cal's addition is within THAT removal's grace: it is, so on the old
    computer it is listed as "made by mgr.three shortly before their removal" (two days before: false) and
    `_check_signer_not_doubted` refuses cw.cal's honest introduction. Severity: low-medium (honest
    introducers locked out, a false doubt listed). Correct: "shortly before" is measured with the grace of
    the removals of the leaver whose change it is, or the policy's, never one a removed author chose."""
    a, _ = two
    with _later(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _later(8):
        add_user(_unlock(a, "mgr.three"), "cw.cal", "caseworker", PW)
        leaver = _unlock(a, "mgr.two")
        three = _unlock(a, "mgr.three").member.id
    with office(tmp_path, "old", monkeypatch), _later(15):
        assert "cw.cal" in _who(a, "cw.cal")
    with _later(2 * DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(2 * DAY + 120):
        _forge(
            leaver,
            StaffEvent(
                kind="remove",
                at=clock.now() - dt.timedelta(hours=3),
                author=leaver.member.id,
                staff=three,
                seal=[],
                grace_hours=24 * 90,
            ),
        )
    with office(tmp_path, "old", monkeypatch), _later(2 * DAY + 150):
        doubts = _unlock(a, MANAGER).staff_doubts()
        made = introduce(_unlock(a, "cw.cal"))
    with office(tmp_path, "new", monkeypatch), _later(2 * DAY + 170):
        joined = _joined(a, made, user="sen.ada")
    assert not isinstance(joined, DacliError), joined.message
    assert not any("adds cw.cal" in d for d in doubts), doubts


# -- S3: a removal written before `snapshot` pins nothing: Q4 on a store upgraded with leavers ---------------


def test_a_leaver_removed_before_snapshots_were_recorded_cannot_put_a_crony_in_the_snapshot(
    two, tmp_path, monkeypatch
):
    """S3. mgr.two was removed by the founder with a removal an older dacli wrote (a seal, a grace, no
    ``snapshot``). The leaver writes a new `staff.toml` (Q4's: the founder, mgr.two, and "sen-ada", a
    manager mgr.two certifies with keys they hold, signed by mgr.two): `pinned_snapshot` has nothing to
    compare with, so a new computer shows sen-ada as a current manager with no doubt listed. Severity:
    medium (stores whose leavers left before the upgrade: every new computer). Correct: a snapshot that
    is not the store's first is refused there too (e.g. the snapshot's digest pinned by a signed change a
    current manager writes on upgrade, or held in each identity file). Fixed: each identity file pins the
    snapshot's SHA-256 as it is made (`Credentials.snapshot`), and `user passwd` adds it to an older one."""

    a, _ = two
    with _later(10):
        leaver = _unlock(a, "mgr.two")
        listed = leaver.staff()
    with _later(DAY):
        founder = _unlock(a, MANAGER)
        _forge(
            founder,
            StaffEvent(
                kind="remove",
                at=clock.now(),
                author=founder.member.id,
                staff=leaver.member.id,
                seal=[],
                grace_hours=24,
            ),
        )
    with office(tmp_path, "before", monkeypatch), _later(DAY + 60):
        assert "mgr.two" not in _who(a, "sen.ada")  # the old-format removal stands
    with _later(DAY + 120):
        _rewrite_snapshot_with_a_crony(a, leaver, listed)
    with office(tmp_path, "new", monkeypatch), _later(DAY + 170):
        seen_new = _who(a, "cw.bex")
        doubts = [] if not isinstance(seen_new, list) else _unlock(a, "cw.bex").staff_doubts()
    assert not (isinstance(seen_new, list) and "sen-ada" in seen_new and not doubts), seen_new


# -- S4: an honest remover whom the leaver once added: their seal is ignored, a false doubt, a lock-out ------


def test_an_honest_removal_by_a_manager_the_leaver_added_lists_no_false_doubt(two, tmp_path, monkeypatch):
    """S4. mgr.two (the leaver-to-be) adds mgr.three in the first minutes, and cw.cal two hours before
    mgr.three removes mgr.two, three days on (honestly, with `dacli user remove`: its seal names cw.cal's
    addition). No leaver's key is used at all. `add_doubts` ignores the seal because mgr.three
    "descends" from mgr.two (Q1's fix), so every computer lists cw.cal's addition as "not known to
    mgr.three who removed them" (false: mgr.three sealed it), and cw.cal's honest introduction from a
    computer that vouches is refused. Severity: low (a false sentence; an honest introducer locked out:
    another can introduce). Correct: a seal vouches unless its author's own addition (or an adder's up to
    the leaver) is itself in doubt or dated after the leaver's removal; an honest seal clears the doubt."""
    a, _ = two
    with _later(5):
        add_user(_unlock(a, "mgr.two"), "mgr.three", "manager", PW)
    with office(tmp_path, "old", monkeypatch), _later(15):
        assert "sen.ada" in _who(a, "sen.ada")  # first look before anyone left: it vouches
    with _later(3 * DAY - 120):
        add_user(_unlock(a, "mgr.two"), "cw.cal", "caseworker", PW)
    with _later(3 * DAY):
        remove_user(_unlock(a, "mgr.three"), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _later(3 * DAY + 30):
        doubts = _unlock(a, MANAGER).staff_doubts()
        made = introduce(_unlock(a, "cw.cal"))
    with office(tmp_path, "new", monkeypatch), _later(3 * DAY + 60):
        joined = _joined(a, made, user="sen.ada")
    assert not any("adds cw.cal" in d for d in doubts), doubts
    assert not isinstance(joined, DacliError), joined.message


def test_an_identity_file_pins_the_snapshot_and_user_passwd_pins_one_made_by_an_older_dacli(two):
    """S3 as fixed: the store's maker's identity file and a new member's carry `# snapshot:` (what
    `pinned_by_identity` compares); one made by an older dacli has none, and `user passwd` adds it."""
    import hashlib

    from dacli.store import crypto
    from dacli.store.keys import load_identity
    from dacli.store.store import Store
    from tests.conftest import PASSPHRASE

    a, _ = two
    store = Store(a)
    pinned = hashlib.sha256((a / ".dacli" / "staff.toml").read_bytes()).hexdigest()
    for user, pw in ((MANAGER, PASSPHRASE), ("cw.bex", PW)):
        member = store.member(user)
        plain = crypto.passphrase_decrypt(store.identity_path(member.id).read_bytes(), pw, user)
        assert load_identity(plain, member.id, user).snapshot == pinned, user
    bex = store.member("cw.bex")
    path = store.identity_path(bex.id)
    plain = crypto.passphrase_decrypt(path.read_bytes(), PW, "cw.bex")
    older = b"".join(line for line in plain.splitlines(keepends=True) if not line.startswith(b"# snapshot:"))
    path.write_bytes(crypto.passphrase_encrypt(older, PW, 10))  # as an older dacli made it
    session = _unlock(a, "cw.bex")
    assert session.credentials.snapshot is None
    session.change_passphrase(PW)
    plain = crypto.passphrase_decrypt(path.read_bytes(), PW, "cw.bex")
    assert load_identity(plain, bex.id, "cw.bex").snapshot == pinned
