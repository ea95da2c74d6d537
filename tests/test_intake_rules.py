"""Intake checks at their boundaries, with a fixed today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dacli.errors import InvalidInput
from dacli.rules.intake import intake_problems
from dacli.schemas.intake import IntakeForm
from dacli.services.intake import parse_intake

TODAY = date(2026, 11, 23)


def _form(**client) -> dict:
    return {"client": {"name": "Zed Testcase", **client}, "referral": {"date": date(2026, 11, 1)}}


@pytest.mark.parametrize(
    "dob, ok", [(TODAY - timedelta(days=1), True), (TODAY, True), (TODAY + timedelta(days=1), False)]
)
def test_dob_cannot_be_in_the_future(dob, ok):
    form = _form(dob=dob)
    form["referral"]["date"] = TODAY
    assert (intake_problems(IntakeForm.model_validate(form), TODAY) == []) is ok


@pytest.mark.parametrize(
    "due, ok", [(TODAY - timedelta(days=1), False), (TODAY, True), (TODAY + timedelta(days=200), True)]
)
def test_due_date_cannot_be_in_the_past(due, ok):
    problems = intake_problems(IntakeForm.model_validate(_form(pregnant=True, due_date=due)), TODAY)
    assert (problems == []) is ok


def test_due_date_needs_pregnant():
    problems = intake_problems(IntakeForm.model_validate(_form(due_date=TODAY)), TODAY)
    assert problems == ["client.due_date is given but client.pregnant is not true."]


@pytest.mark.parametrize("child_dob, ok", [(date(1990, 1, 1), False), (date(1990, 1, 2), True)])
def test_child_born_before_or_on_parent_is_refused(child_dob, ok):
    form = _form(dob=date(1990, 1, 1))
    form["children"] = [{"name": "Kid Testcase", "dob": child_dob}]
    assert (intake_problems(IntakeForm.model_validate(form), TODAY) == []) is ok


def test_referral_in_the_future_is_refused():
    form = _form()
    form["referral"]["date"] = TODAY + timedelta(days=1)
    with pytest.raises(InvalidInput, match="referral.date"):
        parse_intake(form, TODAY)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"client": {"name": ""}, "referral": {"date": TODAY}}, "client.name"),
        ({"client": {"name": "Zed"}, "referral": {"date": "someday"}}, "referral.date"),
        ({"client": {"name": "Zed", "pregnant": "maybe"}, "referral": {"date": TODAY}}, "client.pregnant"),
        ({"client": {"name": "Zed"}, "referral": {"date": TODAY}, "extra": 1}, "extra"),
    ],
)
def test_schema_errors_name_the_field(data, field):
    with pytest.raises(InvalidInput, match=field.replace(".", r"\.")):
        parse_intake(data, TODAY)
