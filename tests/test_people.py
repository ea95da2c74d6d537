"""The people file (`dacli/store/people.py`): an intake matches a referral against the cases holding its
dates of birth without reading the whole caseload index, and finds what the index would have found: cases
changed or arrived since the file was saved are read from their records, gone ones left out, and a missing,
damaged or stale file sends it to the index."""

from __future__ import annotations

import shutil

import pytest

from dacli.services.caseload import listing
from dacli.services.intake import intake, parse_intake
from dacli.store import people
from dacli.store.store import Session


@pytest.fixture
def index_reads(monkeypatch) -> list[int]:
    """Counts the reads of the whole index (`IndexRoom._load_index`)."""
    calls: list[int] = []
    real = Session._load_index

    def counted(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Session, "_load_index", counted)
    return calls


def _repeats(result) -> list[str]:
    return sorted(m.case for m in result.matches if m.kind == "repeat")


def test_an_intake_matches_from_the_people_file_without_reading_the_index(session, form, index_reads):
    first = intake(session, form).case
    listing(session)  # saves the index, the listing and the people file
    index_reads.clear()
    second = intake(session, form, new_case=True)
    assert _repeats(second) == [first] and index_reads == []
    # the second case arrived after the file was saved: read from its records
    third = intake(session, form, new_case=True)
    assert _repeats(third) == sorted([first, second.case]) and index_reads == []


def test_a_perpetrator_known_as_a_client_elsewhere_is_found_from_the_people_file(session, form, index_reads):
    first = intake(session, form).case
    listing(session)
    index_reads.clear()
    data = form.model_dump(mode="json", exclude_none=True)
    data["client"], data["perpetrators"] = (
        {
            "name": form.perpetrators[0].name,
            "dob": str(form.perpetrators[0].dob),
            "safe_number": "07700900123",
        },
        [{"name": form.client.name, "dob": str(form.client.dob)}],
    )
    other = parse_intake(data, form.referral.date, None)
    kinds = {(m.kind, m.case) for m in intake(session, other).matches}
    assert ("client-is-perpetrator", first) in kinds and ("perpetrator-is-client", first) in kinds
    assert index_reads == []


def test_a_case_gone_since_is_not_matched(session, form, index_reads):
    first = intake(session, form).case
    second = intake(session, form, new_case=True).case
    listing(session)
    shutil.rmtree(session.store.case_dir(second))
    index_reads.clear()
    assert _repeats(intake(session, form, new_case=True)) == [first] and index_reads == []


@pytest.mark.parametrize("spoil", ["missing", "damaged", "too many changed"])
def test_without_a_people_file_to_believe_the_index_is_read_and_finds_the_same(
    session, form, index_reads, monkeypatch, spoil
):
    first = intake(session, form).case
    second = intake(session, form, new_case=True).case
    listing(session)
    path = session._people_path()
    if spoil == "missing":
        path.unlink()
    elif spoil == "damaged":
        path.write_bytes(path.read_bytes()[:-20] + b"x" * 20)
    else:
        monkeypatch.setattr(people, "MAX_CHANGED", 0)
        intake(session, form, new_case=True)  # one folder changed since the file was saved
    index_reads.clear()
    found = intake(session, form, new_case=True)
    assert index_reads == [1]
    assert {first, second} <= set(_repeats(found))


def test_the_people_file_holds_only_what_matching_reads(session, form):
    intake(session, form)
    listing(session)
    text = session._load_people()
    assert text is not None and text.startswith(people.PEOPLE_SCHEMA)
    assert form.client.name in text  # encrypted on disk: it is case data
    assert form.client.name.encode() not in session._people_path().read_bytes()
    assert "safe_number" not in text and "07700" not in text and "code_word" not in text


def test_an_intake_that_read_the_index_saves_the_people_file_for_the_next(session, form, index_reads):
    first = intake(session, form).case
    listing(session)
    session._people_path().unlink()
    index_reads.clear()
    intake(session, form, new_case=True)
    assert index_reads == [1] and session._people_path().is_file()
    index_reads.clear()
    assert first in _repeats(intake(session, form, new_case=True)) and index_reads == []
