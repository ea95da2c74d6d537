"""A key file's claims are its author's word (issue 14, from a security review): who holds its keys, when they
were made, whom its maker knew as removed. A member of staff who plants one (through dacli's Python API, with
their own keys) must not get a record written after their removal encrypted to a key they hold, nor take a
case from everyone with one bad file. Every person here is invented."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from dacli import clock
from dacli.errors import IntegrityError, NotArrived
from dacli.services.admin import remove_user, verify_audit
from dacli.store import crypto
from dacli.store.keys import Key, KeyRing
from dacli.store.layout import key_file_name
from dacli.store.store import Store
from tests import test_keys_that_merge as merging
from tests.conftest import MANAGER, first_intake

two = merging.two  # the fixture: offices A and B with a second manager, a senior and a caseworker
_later, _unlock = merging._later, merging._unlock

FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def _plant(session, ref: str, made: dt.datetime, holders: list[str], created: dt.datetime, removed=()):
    """A key file as its author could write it: any holders, dates and removals they like, signed by them and
    wrapped to every current member. Returns the planted key."""
    ident = crypto.Identity.generate()
    ring = KeyRing(f"case {ref}", [Key(created, 10**6, ident, frozenset(holders))])
    name = key_file_name(False, made)
    text = ring.dump_file(made, session.member.id, list(holders), list(removed))
    body = session._signed("keyring", text, ring.scope, name)
    path = session.store.root / ref / name
    path.write_bytes(crypto.encrypt(body, [m.recipient for m in session.staff().active()]))
    return ident


def _note(session, ref: str, name: str) -> bytes:
    session.write_record(ref, name, {"schema": "t/1", "case": ref})
    return (session.store.root / ref / name).read_bytes()


def test_a_key_planted_while_current_listing_others_as_holders_is_never_written_to_once_its_author_left(
    two,
):
    a, _ = two
    ref = Store(a).case_refs()[0]
    cw = _unlock(a, "cw.bex")
    others = [m.id for m in cw.staff().active() if m.id != cw.member.id]
    planted = _plant(cw, ref, clock.now(), others, FUTURE)  # 'made in 2099', 'held by everyone but me'
    with _later(5):
        mgr = _unlock(a, MANAGER)
        remove_user(mgr, "cw.bex", "left the service (test)")
        mgr.rewrap_all()
    with _later(10):
        sealed = _note(_unlock(a, MANAGER), ref, "note-after.toml.age")
        with pytest.raises(IntegrityError):
            crypto.decrypt(sealed, [planted], "the note")


def test_a_key_file_a_leaver_back_dates_is_never_written_to_and_one_dated_after_is_named(two):
    a, _ = two
    ref = Store(a).case_refs()[0]
    cw = _unlock(a, "cw.bex")
    with _later(5):
        remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    with _later(60 * 24 * 30):  # a month later, with the identity and signing key they kept
        others = [m.id for m in _unlock(a, MANAGER).staff().active()]
        back = _plant(cw, ref, clock.now() - dt.timedelta(days=31), others, FUTURE)
        after = _plant(cw, ref, clock.now(), others, FUTURE)
        mgr = _unlock(a, MANAGER)
        sealed = _note(mgr, ref, "note-after.toml.age")
        for key in (back, after):
            with pytest.raises(IntegrityError):
                crypto.decrypt(sealed, [key], "the note")
        # the case still reads, and the file made after the removal is named
        assert mgr.read_record(ref, first_intake(a / ref))["case"] == ref
        problems = verify_audit(mgr.store, mgr).files
        assert any("cw.bex after their removal: not believed" in p for p in problems)


def test_one_damaged_key_file_does_not_take_a_case_from_everyone(two):
    a, _ = two
    ref = Store(a).case_refs()[0]
    (a / ref / "keys-20261123T120000000000Z-deadbeef.age").write_bytes(b"not a key file")
    mgr = _unlock(a, MANAGER)
    assert mgr.read_record(ref, first_intake(a / ref))["case"] == ref
    _note(mgr, ref, "note-after.toml.age")
    assert any("keys-20261123T120000000000Z-deadbeef.age" in p for p in verify_audit(mgr.store, mgr).files)


def test_a_colleague_named_removed_by_a_key_file_is_named_and_the_case_stays_readable(two):
    """A caseworker's key file names the senior as removed: nothing new goes to a key the senior holds until a
    manager looks (confidentiality first), the case reads for everyone after the grace, and the file is
    named with its author, however far in the future it is dated."""
    a, _ = two
    ref = Store(a).case_refs()[0]
    cw = _unlock(a, "cw.bex")
    senior = cw.staff().by_username("sen.ada")
    _plant(cw, ref, FUTURE, [cw.member.id], clock.now(), removed=[senior.id])
    with _later(60 * 24 * 200):
        mgr = _unlock(a, MANAGER)
        assert mgr.read_record(ref, first_intake(a / ref))["case"] == ref
        problems = verify_audit(mgr.store, mgr).files
        assert any("names sen.ada as removed" in p and "made by cw.bex" in p for p in problems)
        assert any("in the future" in p for p in problems)


def test_a_modification_time_in_the_future_does_not_keep_tampering_not_arrived_yet(two):
    a, _ = two
    ref = Store(a).case_refs()[0]
    path = a / ref / first_intake(a / ref)
    path.write_bytes(crypto.encrypt(b"x", [crypto.Identity.generate().public]))
    os.utime(path, (4102444800, 4102444800))  # 2100-01-01
    mgr = _unlock(a, MANAGER)
    with pytest.raises(IntegrityError) as raised:
        mgr.read_record(ref, path.name)
    assert not isinstance(raised.value, NotArrived)
