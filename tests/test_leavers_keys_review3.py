"""A third independent review's tests of sealed removals (issue 14, finding H1), each asserting the secure
or honest behaviour: at 292670b a manager could not remove the manager who had added them (a removal was
decided without every change of its target, the addition of its own author too), and planted removals
cost one fold each. Times are measured by hand (one unlock with 100 removed managers: 0.73 s; with 1,000
planted removals besides: 1.04 s, on the shared 2-core machine); the tests count folds instead."""

from __future__ import annotations

import datetime as dt

from dacli import clock
from dacli.errors import AuthError
from dacli.services.admin import add_user, remove_user
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_keys_that_merge import PW, _later, _unlock, office
from tests.test_leavers_keys import DAY, _who

two = test_keys_that_merge.two


# -- 1. honest: a manager removes the manager who added them ---------------------------------------------


def test_a_manager_removes_the_manager_who_added_them(two, tmp_path, monkeypatch):
    """mgr.y was added by mgr.x; mgr.x leaves, and mgr.y (a current manager) removes them. No leaver's key is
    at work: the removal must stand, and mgr.x (who kept a copy of their identity file) must not read a case
    note written after it. At 292670b `remove_user` returns as if done, the audit says user-remove, yet the
    fold refuses the removal ('does not stand without changes it cannot rest on'): mgr.x stays a current
    manager, on every computer, and the rings are re-wrapped to them."""
    a, _ = two
    add_user(_unlock(a, MANAGER), "mgr.x", "manager", PW)
    with _later(5):
        add_user(_unlock(a, "mgr.x"), "mgr.y", "manager", PW)
    x = _unlock(a, "mgr.x").member.id
    kept = (a / ".dacli" / "identities" / f"{x}.age").read_bytes()
    with _later(DAY):
        remove_user(_unlock(a, "mgr.y"), "mgr.x", "left the service (test)")
    (a / ".dacli" / "identities" / f"{x}.age").write_bytes(kept)  # the leaver's copy
    for where in ("old", "new"):
        with office(tmp_path, where, monkeypatch), _later(DAY + 5):
            assert "mgr.x" not in _who(a, MANAGER), (where, _unlock(a, MANAGER).staff_notes())
            try:
                _unlock(a, "mgr.x")
            except AuthError:
                continue
            raise AssertionError(f"{where}: the removed mgr.x still unlocks")


def test_a_manager_removes_the_founder_who_added_them(two, tmp_path, monkeypatch):
    """The founder retires; mgr.two, whom the founder added, removes them (remove_user signs the settings
    over first). The founder must not stay a current manager."""
    a, _ = two
    with _later(DAY):
        remove_user(_unlock(a, "mgr.two"), MANAGER, "retired (test)")
    with office(tmp_path, "new", monkeypatch), _later(DAY + 5):
        assert MANAGER not in _who(a, "mgr.two")


# -- 2. cost: an unlock with many removals ---------------------------------------------------------------


def _write(store_root, signer, event) -> str:
    """A staff change signed by ``signer`` (a `signing.Signer`), written as dacli writes one; its SHA-256."""
    import hashlib

    from dacli.store.documents import dump_plain_toml
    from dacli.store.staffevents import EVENTS, event_context, event_name
    from dacli.store.store import Store

    store_id = Store(store_root).settings.store_id
    name = event_name(event.at)
    raw = signer.seal(event_context(store_id, name), dump_plain_toml(event))
    (store_root / ".dacli" / EVENTS / name).write_bytes(raw)
    return hashlib.sha256(raw).hexdigest()


def _member(store_root, adder, username, role, at):
    from dacli.schemas.store import StaffMember
    from dacli.store import crypto, signing
    from dacli.store.documents import certificate_context
    from dacli.store.store import Store

    seed, public = signing.generate()
    member = StaffMember(
        id=f"s-{abs(hash(username)) % 16**12:012x}",
        username=username,
        role=role,
        recipient=crypto.Identity.generate().public,
        signing_key=public,
        certificate="",
        added=at,
        added_by=adder.staff_id,
    )
    member.certificate = adder.sign(certificate_context(Store(store_root).settings.store_id, member))
    return member, signing.Signer(member.id, seed)


def _many_leavers(a, count: int, changes: int):
    """``count`` managers added by the founder, each adding ``changes`` caseworkers, then each removed by
    the founder (sealing what they added), all by genuine signatures, a minute apart."""
    from dacli.store.staffevents import StaffEvent

    founder = _unlock(a, MANAGER)
    f = founder.signer
    t = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    t = max(t, _unlock(a, MANAGER).staff().by_username("cw.bex").added + dt.timedelta(minutes=1))
    leavers = []
    for i in range(count):
        t += dt.timedelta(minutes=1)
        m, s = _member(a, f, f"mgr.l{i}", "manager", t)
        _write(a, f, StaffEvent(kind="add", at=t, author=f.staff_id, member=m))
        leavers.append((m, s, []))
    for m, s, seal in leavers:
        for j in range(changes):
            t += dt.timedelta(minutes=1)
            cw, _ = _member(a, s, f"cw.{m.username}.{j}", "caseworker", t)
            seal.append(_write(a, s, StaffEvent(kind="add", at=t, author=m.id, member=cw)))
    t += dt.timedelta(days=2)
    for m, _s, seal in leavers:
        t += dt.timedelta(minutes=1)
        _write(
            a,
            f,
            StaffEvent(kind="remove", at=t, author=f.staff_id, staff=m.id, seal=sorted(seal), grace_hours=24),
        )
    return t


def test_an_unlock_with_100_removed_managers_folds_once_per_removal(two, tmp_path, monkeypatch):
    """100 removed managers, each with 3 changes (400 changes, 100 removals)."""
    from dacli.store import staffevents

    a, _ = two
    t = _many_leavers(a, 100, 3)
    calls = []
    real = staffevents._fold_once
    monkeypatch.setattr(staffevents, "_fold_once", lambda *a, **k: calls.append(1) or real(*a, **k))
    with office(tmp_path, "new", monkeypatch), clock.pinned(t + dt.timedelta(days=1)):
        _unlock(a, MANAGER)  # first look: parse and verify every signature once
        calls.clear()
        session = _unlock(a, MANAGER)
        assert len(session.staff().active()) == 4 + 300
    assert len(calls) <= 2 * 100 + 10  # one round of 100 removals, one to find nothing changed, and a few


def test_planted_removals_with_no_key_are_not_folded_for(two, tmp_path, monkeypatch):
    """Anyone who can write the folder (no key: the signature is a stranger's, so nothing is believed) plants
    1,000 small removals, each naming another made-up staff id. Each id removed is folded again (`_sure`),
    though no such removal can ever be believed: one unlock should still cost about what it did."""
    from dacli.store import signing
    from dacli.store.staffevents import StaffEvent

    a, _ = two
    t = _many_leavers(a, 100, 3)
    founder = _unlock(a, MANAGER).member.id
    stranger = signing.Signer(founder, signing.generate()[0])
    for i in range(1_000):
        at = dt.datetime(2031, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i)
        _write(a, stranger, StaffEvent(kind="remove", at=at, author=founder, staff=f"s-{i:012x}", seal=[]))
    from dacli.store import staffevents

    calls = []
    real = staffevents._fold_once
    monkeypatch.setattr(staffevents, "_fold_once", lambda *a, **k: calls.append(1) or real(*a, **k))
    with office(tmp_path, "new", monkeypatch), clock.pinned(t + dt.timedelta(days=1)):
        _unlock(a, MANAGER)
        calls.clear()
        session = _unlock(a, MANAGER)
        assert len(session.staff_refused()) >= 1_000
    assert len(calls) <= 2 * 100 + 10  # as many as without the planted files
