"""A case's timeline holds every fact on file (issue 16): each record kind a person writes shows as an entry
of its own, in `case show` too, and a note shows its text."""

from __future__ import annotations

import json

import pytest

from dacli.services.case_view import show_case
from tests.conftest import MANAGER, PASSPHRASE
from tests.test_record_kinds import WRITERS, _empty_case

SHOWN = {
    "note/1": "note",
    "dash/1": "dash",
    "soag/1": "soag",
    "issp/1": "issp",
    "agreement/1": "consent",
    "share-without-consent/1": "share",
    "share-sign-off/1": "sign-off",
    "disclosure/1": "share",
    "marac-referral/1": "marac",
    "marac-decline/1": "marac",
    "court-criminal/1": "court",
    "court-civil/1": "court",
    "csc-referral/1": "children",
    "case-review/1": "review",
    "case-exit/1": "closure",
    "follow-up/1": "follow-up",
    "case-reopen/1": "reopen",
    "retention-hold/1": "hold",
}
"""Each record kind a person writes, and the timeline kind it shows as."""
NOT_SHOWN = {
    "case/1": "the case's own status: its changes are the closures and reopenings",
    "intake/1": "shown as the referral (one entry per intake, not per version)",
    "contact/1": "a case contact is listed with the case, not an event in it",
    "issp-copy/1": "a copy given to the client is in the audit trail",
    "marac-research/1": "the research form goes with the Marac referral",
    "csc-confirm/1": "shown on the referral it confirms",
    "boil-down/1": "what retention keeps of a closed case",
    "retention-hold-end/1": "the hold leaves the timeline when it ends",
}


def test_every_record_kind_is_either_shown_or_said_why_not():
    assert sorted({**SHOWN, **NOT_SHOWN}) == sorted(WRITERS)


@pytest.mark.parametrize("schema", sorted(SHOWN))
def test_each_kind_has_its_entry(store, session, schema):
    ref = _empty_case(session)
    WRITERS[schema](session, ref, store)
    fresh = store.unlock(MANAGER, PASSPHRASE)
    written = [n for n in fresh.record_names(ref) if fresh.read_record(ref, n)["schema"] == schema]
    entries = {e.record: e for e in show_case(fresh, ref).timeline()}
    for name in written:
        assert name in entries, f"{schema}: {name} is not in the timeline"
        assert entries[name].kind == SHOWN[schema]
        assert entries[name].summary


def test_a_note_shows_its_text_in_case_show(cli, case_ref):
    added = cli(
        "note", "add", case_ref, "--type", "telephone", "--with", "client",
        "--text", "Spoke to the client.\nShe is staying with her sister.", "--opinion", "Risk is rising.",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    shown = cli("case", "show", case_ref)
    assert "telephone with client" in shown.stdout
    assert "        Spoke to the client." in shown.stdout
    assert "        She is staying with her sister." in shown.stdout
    assert "        Opinion: Risk is rising." in shown.stdout
    entries = json.loads(cli("case", "show", case_ref, "--json").stdout)["timeline"]
    note = [e for e in entries if e["kind"] == "note"][-1]
    assert note["detail"] == "Spoke to the client.\nShe is staying with her sister.\nOpinion: Risk is rising."


def test_a_closed_case_says_when_and_why(cli, session, case_ref):
    from tests.test_record_kinds import _close

    _close(session, case_ref)
    shown = cli("case", "show", case_ref, "--all").stdout
    assert "closure   case closed 2026-11-23: client-request" in shown


def test_a_long_note_is_wrapped_in_case_show_never_cut(cli, case_ref):
    words = " ".join(f"word{n}" for n in range(60))  # some 400 characters on one line
    assert cli("note", "add", case_ref, "--type", "text", "--with", "client", "--text", words).exit_code == 0
    shown = cli("case", "show", case_ref).stdout
    assert "…" not in "".join(line for line in shown.splitlines() if line.startswith("        word"))
    assert " ".join(line.strip() for line in shown.splitlines() if line.startswith("        word")) == words
