"""One bad record never locks a case: a record that cannot be read (damaged, forged, of an unknown schema) is
named, the rest of the case still shows marked incomplete, and every command that would change the case
refuses with that same sentence (exit 6) and writes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli import clock
from dacli.errors import IntegrityError
from dacli.services.case_view import show_case
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import finish_intake, intake
from dacli.services.notes import add_contact, add_note, parse_contact, parse_note
from dacli.services.soag import parse_soag, record_soag
from dacli.store import crypto
from dacli.store.documents import encode_document
from dacli.store.store import Store
from tests.conftest import MANAGER, PASSPHRASE

NOTE = {"at": dt.datetime(2026, 11, 23, 9, 0), "initials": "QT", "contact_type": "telephone",
        "contact_with": "client", "facts": "Spoke at the safe time."}  # fmt: skip


def _fresh(session):
    return Store(session.store.root).unlock(MANAGER, PASSPHRASE)


def _damage(session, ref: str, how: str) -> str:
    """Put one bad record into the case; returns its name."""
    folder = session.store.root / ref
    if how == "damaged":
        name = add_note(session, ref, parse_note(NOTE, clock.now()))
        data = bytearray((folder / name).read_bytes())
        data[-40] ^= 0xFF  # one flipped byte in the ciphertext
        (folder / name).write_bytes(bytes(data))
        return name
    # signed by a member of staff and encrypted to the case key, but of a schema this dacli does not know
    # (a newer version's record, or a forgery by someone holding a key)
    name = "note-20261123T090000-abcdef.toml.age"
    body = encode_document({"schema": "note/99", "case": ref, "text": "from the future"})
    sealed = session._signed("record", body, ref, name)
    (folder / name).write_bytes(crypto.encrypt(sealed, [session.case_ring(ref).current.public]))
    return name


@pytest.mark.parametrize("how", ["damaged", "unknown schema"])
def test_the_rest_of_the_case_shows_marked_incomplete(session, case_ref, how):
    add_note(session, case_ref, parse_note(NOTE, clock.now()))
    bad = _damage(session, case_ref, how)
    fresh = _fresh(session)
    view = show_case(fresh, case_ref)
    assert [n for n, _ in view.unreadable] == [bad]
    assert view.incomplete.startswith(f"Case {case_ref} is incomplete: {bad} cannot be read")
    assert "incomplete" in view.summary.flags
    assert len(view.notes) == 1 and view.intakes[0].client.name == "Quorra Testperson-Alpha"  # the rest


@pytest.mark.parametrize("how", ["damaged", "unknown schema"])
def test_every_write_to_an_incomplete_case_is_refused_with_that_sentence(session, case_ref, how, form):
    from dacli.services import marac, retention, review

    bad = _damage(session, case_ref, how)
    fresh = _fresh(session)
    sentence = show_case(fresh, case_ref).incomplete
    before = sorted(p.name for p in (session.store.root / case_ref).iterdir())
    today = clock.today()
    writes = [
        lambda s: add_note(s, case_ref, parse_note(NOTE, clock.now())),
        lambda s: add_contact(s, case_ref, parse_contact({"agency": "Police"})),
        lambda s: record_dash(s, case_ref, parse_dash({"answers": {"q1": "no"}}, today), today),
        lambda s: record_soag(s, case_ref, parse_soag({"physical": {"occurring": "no"}}, today), today),
        lambda s: finish_intake(s, case_ref, form),
        lambda s: intake(s, form, repeat_of=case_ref),
        lambda s: retention.add_hold(s, case_ref, "Review."),
        lambda s: review.close_case(s, case_ref, review.parse_exit(
            {"reason": "client-request", "follow_up_consent": False}, today), today),
        lambda s: marac.research(s, case_ref, marac.parse_research(
            {"researched_on": today, "name_and_agency": "I", "contact_details": "i@x.invalid"}, today),
            [], None),
    ]  # fmt: skip
    for write in writes:
        with pytest.raises(IntegrityError) as refused:
            write(_fresh(session))
        assert refused.value.message == sentence
    assert sorted(p.name for p in (session.store.root / case_ref).iterdir()) == before
    assert bad in sentence


def test_case_show_and_the_cli_mark_it_and_refuse_with_exit_6(cli, session, case_ref):
    bad = _damage(session, case_ref, "damaged")
    shown = cli("case", "show", case_ref)
    assert shown.exit_code == 0
    assert f"INCOMPLETE: Case {case_ref} is incomplete: {bad} cannot be read" in shown.stdout
    assert "Quorra Testperson-Alpha" in shown.stdout  # the rest still shows
    data = json.loads(cli("case", "show", case_ref, "--json").stdout)
    assert (
        data["incomplete"].startswith(f"Case {case_ref} is incomplete")
        and data["unreadable"][0]["record"] == bad
    )
    refused = cli("note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "x")
    assert refused.exit_code == 6
    assert refused.stderr.strip() == "dacli: " + data["incomplete"]
    assert cli("reindex").exit_code == 0  # the caseload flags it
    (row,) = json.loads(cli("case", "list", "--json").stdout)
    assert "incomplete" in row["flags"]


def test_the_dashboard_case_screen_marks_it_incomplete(tmp_path):
    import asyncio
    import shutil

    from textual.widgets import Static

    from dacli.tui.app import DacliApp
    from tests.test_tui import EXAMPLE, NOW, _open_case

    store = tmp_path / "store"
    shutil.copytree(EXAMPLE, store)
    for folder in store.glob("DA-*"):  # one damaged note in every case
        notes = sorted(folder.glob("note-*.toml.age"))
        if notes:
            data = bytearray(notes[0].read_bytes())
            data[-40] ^= 0xFF
            notes[0].write_bytes(bytes(data))

    async def run():
        app = DacliApp(store, "demo", idle_seconds=600, now=NOW)
        async with app.run_test(size=(120, 40)) as pilot:
            ref = await _open_case(app, pilot, "ailsa")
            safe = str(app.screen.query_one("#safe", Static).render())
            assert f"INCOMPLETE: Case {ref} is incomplete: note-" in safe
            assert "SAFE CONTACT" in safe  # the rest still shows

    asyncio.run(run())
