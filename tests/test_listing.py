"""The caseload listing (`store.listing`): what `case list`, the dashboard's caseload and `close --candidates`
show, read from a file of the listed columns alone. It must show what the full rows and the rules show, be
read without the index while no case folder changed, and be believed no further than the index is. Every
person here is synthetic."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from dacli import clock
from dacli.services.caseload import caseload, listing
from dacli.services.intake import intake
from dacli.store import crypto
from dacli.store.listing import project
from dacli.store.store import Session, Store
from tests.conftest import MANAGER, PASSPHRASE, SYNTHETIC_FORM, add_phone_note

OLD = (1_700_000_000, 1_700_000_000)  # a folder time long past: its stamp is trusted


def _cases(session, form) -> list[str]:
    """Four synthetic cases in different states: new, with a contact, closed-looking by policy, a repeat."""
    refs = [intake(session, form).case]
    for n in range(3):
        other = form.model_copy(deep=True)
        other.client.name = f"Quillon Testperson-{n}"
        refs.append(intake(session, other, new_case=True).case)
    add_phone_note(session, refs[1])
    for ref in refs:
        os.utime(session.store.root / ref, OLD)
    return refs


def _fresh(session) -> Session:
    return Store(session.store.root).unlock(MANAGER, PASSPHRASE)


@pytest.mark.parametrize("later", [dt.timedelta(0), dt.timedelta(days=3), dt.timedelta(weeks=9)])
def test_the_listing_shows_what_the_full_rows_show(session, form, later):
    """Same cases, same order, same next deadline, overdue and flags as the full rows under the rules, now
    and after the first-contact deadline and the closure-candidate threshold have passed."""
    _cases(session, form)
    with clock.pinned(clock.now() + later):
        now = clock.now()
        full = caseload(_fresh(session), now=now)
        listed = listing(_fresh(session), now=now)
        assert [r.ref for r in listed] == [r.ref for r in full]
        for a, b in zip(listed, full, strict=True):
            assert (a.client, a.worker, a.status, a.risk) == (b.client, b.worker, b.status, b.risk)
            assert (a.next_due, a.overdue, a.flags) == (b.next_due, b.overdue, b.flags)
            assert (a.contact_at, a.referral_date) == (b.contact_at, b.raw["referral_date"])
        assert all(a.next_due is not None for a in listed)
        for worker, risk, flag, only in [
            ("worker", None, None, False),
            (None, "none", "closure-candidate", True),
            (None, None, "no-dash", False),
        ]:
            options = dict(worker=worker, risk=risk, flag=flag, only_overdue=only, now=now)
            got = [r.ref for r in listing(_fresh(session), **options)]
            assert got == [r.ref for r in caseload(_fresh(session), **options)]


def test_answers_saved_with_the_listing_hold_only_while_they_are_true(session, form):
    """The listing is saved with each row's next deadline as it stood then (`store.listing.ANSWER`); read
    later with no folder changed, each row must still show what the rules show at the moment of reading:
    a microsecond before and after the first-contact deadline, the next day, and weeks on."""
    _cases(session, form)
    start = clock.now()
    listing(_fresh(session), now=start)  # saved now, with its answers
    due = min(r.next_due.due_at for r in listing(_fresh(session), now=start))
    for at in (
        start + dt.timedelta(minutes=1),
        due,
        due + dt.timedelta(microseconds=1),
        start + dt.timedelta(days=1),
        start + dt.timedelta(weeks=9),
        start - dt.timedelta(days=1),
    ):
        with clock.pinned(start):  # the clock the listing was saved under: nothing saves it again
            listed = listing(_fresh(session), now=at)
            full = {r.ref: r for r in caseload(_fresh(session), now=at)}
        for a in listed:
            b = full[a.ref]
            assert (a.next_due, a.overdue, a.flags) == (b.next_due, b.overdue, b.flags), (at, a.ref)


def test_the_listing_is_read_alone_while_no_folder_changes(session, form, monkeypatch):
    refs = _cases(session, form)
    listing(_fresh(session))
    real = Session._load_index
    loads: list[int] = []
    monkeypatch.setattr(Session, "_load_index", lambda s: loads.append(1) or real(s))
    assert sorted(r.ref for r in listing(_fresh(session))) == sorted(refs)
    assert loads == []  # no folder changed: the index is not read
    add_phone_note(_fresh(session), refs[2])
    os.utime(session.store.root / refs[2], (OLD[0] + 60, OLD[1] + 60))  # changed, and settled
    rows = {r.ref: r for r in listing(_fresh(session))}
    assert loads == [1] and rows[refs[2]].contact_at is not None  # the changed folder's row, rebuilt
    loads.clear()
    listing(_fresh(session))
    assert loads == []  # saved again with it


def test_a_listing_not_signed_by_its_owner_is_not_believed(session, case_ref):
    """Anyone can encrypt to a public key: a listing hiding a case, not signed by its owner, is made again."""
    os.utime(session.store.root / case_ref, OLD)
    session.read_listing()
    empty = {"schema": "caseload-listing/1", "schedule": None, "rows": [], "others": {}}
    path = session._listing_path()
    path.write_bytes(crypto.encrypt(json.dumps(empty).encode(), [session.identity.public]))
    assert [r.ref for r in listing(_fresh(session))] == [case_ref]


@pytest.mark.parametrize("damage", [b"", b"not age at all", b"age-encryption.org/v1\n"])
def test_a_damaged_listing_is_built_again(session, case_ref, damage):
    os.utime(session.store.root / case_ref, OLD)
    session.read_listing()
    session._listing_path().write_bytes(damage)
    assert [r.ref for r in listing(_fresh(session))] == [case_ref]


def test_a_listing_resolved_under_another_policy_is_not_used(session, case_ref):
    """Its deadlines were resolved under a policy: under another (a changed Dash interval, say) the listing
    made then is not used, even with every folder as it saw it."""
    os.utime(session.store.root / case_ref, OLD)
    index = session.read_index()
    stale = project(index)
    stale["schedule"] = "schedule/0:other policy"
    stale["rows"][0][9] = ""  # no deadline at all, were it believed
    body = session._signed("listing", json.dumps(stale).encode())
    session._listing_path().write_bytes(crypto.encrypt(body, [session.identity.public]))
    (row,) = listing(_fresh(session))
    assert row.next_due is not None


def test_a_case_from_another_computer_is_in_the_text_listing(cli, store_path, case_ref, tmp_path):
    """`case list` (the listing) shows a referral taken on another computer at its next run, and the note
    another office added (its last contact)."""
    other = {"XDG_CACHE_HOME": str(tmp_path / "cache-b"), "DACLI_MACHINE_ID": "officeb"}
    assert case_ref in cli("case", "list").stdout
    form = store_path.parent / "form.toml"
    form.write_text(SYNTHETIC_FORM.replace("Quorra", "Quillon").replace("1990", "1991"))
    taken = cli("intake", "--from", str(form), "--new-case", "--json", extra_env=other)
    assert taken.exit_code == 0, taken.stderr
    new = json.loads(taken.stdout)["case"]
    listed = cli("case", "list")
    assert listed.exit_code == 0 and new in listed.stdout and listed.stdout.endswith("2 cases.\n")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(case_ref))
    assert "  -  " in line  # no contact yet
    note = ["note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "From office B."]
    assert cli(*note, extra_env=other).exit_code == 0
    line = next(x for x in cli("case", "list").stdout.splitlines() if x.startswith(case_ref))
    assert clock.today().isoformat() in line.split("  ", 6)[-1]  # the last contact, today


def test_a_listing_naming_one_case_twice_does_not_hide_another(session, form):
    """Signed by its owner, but one row twice in place of another case's: the counts agree, the set of
    cases does not, and the listing is made again from the index."""
    refs = _cases(session, form)
    session.read_listing()
    saved = session._load_listing()
    rows = saved["rows"]
    hidden = rows[-1][0]
    rows[-1] = list(rows[0])
    body = session._signed("listing", json.dumps(saved).encode())
    session._listing_path().write_bytes(crypto.encrypt(body, [session.identity.public]))
    listed = [r.ref for r in listing(_fresh(session))]
    assert hidden in listed and sorted(listed) == sorted(refs)


def test_a_case_folder_gone_since_the_folders_were_looked_at_is_left_out_not_an_error(session, form):
    """The stamps taken as `case list` began name a case whose folder went before its row was rebuilt
    (another office's purge arriving; another reader saving a newer listing meanwhile): the case is left
    out, and the command does not fail."""
    import shutil

    from dacli.store import scan as scanning

    root = session.store.root
    a, b = _cases(session, form)[:2]
    listing(_fresh(session))
    with scanning.prestart(str(root)):
        early = scanning._early
        early[2].result()  # taken while the folder was there
        shutil.rmtree(root / b)
        scanning._early = None
        listing(_fresh(session))  # another reader saves a listing without it
        scanning._early = early
        refs = [r.ref for r in listing(_fresh(session))]
    assert a in refs and b not in refs
