"""Finding a case by name, aka or reference (issue 16): `rules.search` and `dacli case find`."""

from __future__ import annotations

import json
import tomllib
from datetime import date

import pytest

from dacli.rules.search import name_matches, words
from tests.conftest import SYNTHETIC_FORM


def test_words_fold_case_accents_and_punctuation():
    assert words("Zoë O'Brien-Testcase") == ["zoe", "obrien", "testcase"]
    assert words("  ") == []


@pytest.mark.parametrize(
    ("query", "name", "found"),
    [
        ("jo test", "Joanne Testcase-Pike", True),
        ("pike", "Joanne Testcase-Pike", True),
        ("JOANNE", "Joanne Testcase-Pike", True),
        ("zoe obr", "Zoë O'Brien-Testcase", True),
        ("obrientest", "Zoë O'Brien-Testcase", True),  # whole, inside the whole name
        ("ob", "Zoë O'Brien-Testcase", True),  # the start of a word
        ("rie", "Zoë O'Brien-Testcase", True),  # three characters inside the whole name
        ("ri", "Zoë O'Brien-Testcase", False),  # two inside a word: too loose
        ("jo smith", "Joanne Testcase-Pike", False),  # every word must begin one
        ("anne", "Joanne Testcase-Pike", True),
        ("", "Joanne Testcase-Pike", False),
        ("-'", "Joanne Testcase-Pike", False),
        ("jo", None, False),
        ("jo", "", False),
    ],
)
def test_name_matches_at_its_boundaries(query, name, found):
    assert name_matches(query, name) is found


@pytest.fixture
def three_cases(session):
    from dacli.services.intake import intake, parse_intake

    made = {}
    for name, aka in (
        ("Quorra Testperson-Alpha", None),
        ("Ismay Testperson-Delta", "Izzy Quorrel"),
        ("Odile Testperson-Epsilon", None),
    ):
        form = tomllib.loads(SYNTHETIC_FORM)
        form["client"] = {"name": name, "dob": date(1990, 1, 2), **({"aka": aka} if aka else {})}
        made[name] = intake(session, parse_intake(form, date(2026, 11, 23))).case
    return made


def test_case_find_by_name_aka_and_reference(cli, three_cases):
    found = json.loads(cli("case", "find", "quorr", "--json").stdout)
    assert [(f["client"], f["matched"]) for f in found] == [
        ("Ismay Testperson-Delta", "aka"),
        ("Quorra Testperson-Alpha", "name"),
    ]
    ref = three_cases["Odile Testperson-Epsilon"]
    by_ref = json.loads(cli("case", "find", ref[3:7].lower(), "--json").stdout)
    assert {f["ref"] for f in by_ref} >= {ref}
    assert [f["matched"] for f in by_ref if f["ref"] == ref] == ["reference"]
    text = cli("case", "find", "testperson delta")
    assert text.exit_code == 0
    assert three_cases["Ismay Testperson-Delta"] in text.stdout
    assert "Izzy Quorrel" in text.stdout
    assert text.stdout.rstrip().endswith("1 case.")
    none = cli("case", "find", "nobody here")
    assert none.exit_code == 0
    assert none.stdout.strip() == "No case matches."


def test_case_find_refuses_too_little_and_logs_no_name(cli, session, three_cases):
    from dacli.services.admin import audit_entries

    short = cli("case", "find", "q")
    assert short.exit_code == 2
    assert "at least 2 letters" in short.stderr
    assert cli("case", "find", "quorra").exit_code == 0
    entry = [e for e in audit_entries(session) if e["action"] == "case-find"][-1]
    assert entry["detail"] == {"found": 1}
    assert "quorra" not in json.dumps(entry).lower()


def test_case_find_shows_no_more_than_the_caseload_of_whoever_asks(cli, session, three_cases):
    from dacli.services.admin import add_user

    add_user(session, "cw.find", "caseworker", "another synthetic passphrase")
    as_cw = {"DACLI_USER": "cw.find", "DACLI_PASSPHRASE": "another synthetic passphrase"}
    found = cli("case", "find", "testperson", "--json", extra_env=as_cw)
    assert found.exit_code == 0, found.stderr
    listed = json.loads(cli("case", "list", "--json", extra_env=as_cw).stdout)
    assert (
        {f["ref"] for f in json.loads(found.stdout)}
        == {r["ref"] for r in listed}
        == set(three_cases.values())
    )


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("hous opt", "Housing options called back.", True),
        ("options housing", "Housing options called back.", True),  # any order
        ("housing refuge", "Housing options called back.", False),  # every word
        ("ousing", "Housing options", False),  # the start of a word, not its middle
        ("Zoë", "Spoke with zoe's sister", True),
        ("", "anything", False),
        ("word", "", False),
    ],
)
def test_text_matches_at_its_boundaries(query, text, found):
    from dacli.rules.search import text_matches

    assert text_matches(query, text) is found


def test_find_in_notes_looks_in_my_open_cases_or_every_case_and_logs_no_words(cli, session, three_cases):
    from dacli.services.admin import add_user, audit_entries
    from dacli.services.search import find_in_notes
    from tests.conftest import add_phone_note

    alpha, delta = three_cases["Quorra Testperson-Alpha"], three_cases["Ismay Testperson-Delta"]
    add_phone_note(session, alpha, "Housing options will call on Friday.\nSecond line.")
    add_phone_note(session, delta, "Spoke about the housing register.")
    hits = find_in_notes(session, "housing opt")
    assert [(h.ref, h.line) for h in hits] == [(alpha, "Housing options will call on Friday.")]
    assert {h.ref for h in find_in_notes(session, "housing")} == {alpha, delta}
    entry = [e for e in audit_entries(session) if e["action"] == "note-search"][-1]
    assert entry["detail"]["found"] == 2 and "housing" not in json.dumps(entry).lower()
    add_user(session, "cw.notes", "caseworker", "another synthetic passphrase")
    as_cw = {"DACLI_USER": "cw.notes", "DACLI_PASSPHRASE": "another synthetic passphrase"}
    mine = cli("case", "find", "housing", "--notes", "--json", extra_env=as_cw)
    assert mine.exit_code == 0 and json.loads(mine.stdout) == []  # none of these cases is theirs
    every = json.loads(cli("case", "find", "housing", "--notes", "--all", "--json", extra_env=as_cw).stdout)
    assert {h["ref"] for h in every} == {alpha, delta}
    shown = cli("case", "find", "friday", "--notes")
    assert alpha in shown.stdout and "Housing options will call on Friday." in shown.stdout
