"""Refusals in a person's words (issue 16): never pydantic's wording, every unanswered field at once, lists
counted from 1."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dacli.errors import InvalidInput
from dacli.services.forms import where_of
from dacli.services.notes import parse_note
from dacli.services.review import parse_review

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
PYDANTIC = re.compile(r"Input should|String should|Value error|List should|Field required|valid \w+,")


def _refusal(parse, data) -> str:
    with pytest.raises(InvalidInput) as refused:
        parse(data)
    message = refused.value.message
    assert not PYDANTIC.search(message), message
    return message


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"at": "yesterday"}, "at: is not a date and time (write it as YYYY-MM-DD HH:MM)"),
        ({"initials": "TOOLONGX"}, "initials: is longer than 5 characters"),
        ({"initials": "Q1"}, "initials: is not written as this field needs"),
        ({"contact_type": "pigeon"}, "contact_type: must be one of"),
        ({"activities": ["G", "ZZ"]}, "activities[2]: must be one of"),
        ({"successful": "perhaps"}, "successful: must be yes or no"),
        ({"colour": "blue"}, "colour: is not a field of this form"),
    ],
)
def test_a_notes_refusals_are_plain(change, says):
    data = {"at": NOW, "initials": "QT", "contact_type": "telephone", "contact_with": "client", "facts": "x"}
    assert says in _refusal(lambda d: parse_note(d, NOW), {**data, **change})


def test_every_unanswered_field_is_named_at_once():
    message = _refusal(lambda d: parse_review(d, NOW.date()), {"outcome": "continue", "reasons": [""]})
    assert message.startswith("Review refused, nothing written: ")
    for field in ("engaged", "new_concerns", "professional_judgement", "worker_perception"):
        assert field in message.split(" are not answered")[0], message


def test_places_count_from_one():
    assert where_of(("actions", 0, "action")) == "actions[1].action"
    assert where_of(("client", "name")) == "client.name"
    assert where_of(()) == ""
