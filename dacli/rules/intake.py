"""Checks on an intake form that need today's date or compare fields. Pure: ``today`` is a parameter."""

from __future__ import annotations

from datetime import date

from dacli.schemas.intake import IntakeForm


def intake_problems(form: IntakeForm, today: date) -> list[str]:
    """Every impossible value, each as a sentence naming the field. Empty when the form is sound."""
    problems: list[str] = []
    client = form.client
    if client.dob and client.dob > today:
        problems.append("client.dob is in the future.")
    if form.referral.date > today:
        problems.append("referral.date is in the future.")
    if client.dob and form.referral.date < client.dob:
        problems.append("referral.date is before client.dob.")
    if client.due_date and not client.pregnant:
        problems.append("client.due_date is given but client.pregnant is not true.")
    if client.due_date and client.due_date < today:
        problems.append("client.due_date is in the past.")
    for n, child in enumerate(form.children, start=1):
        if child.dob and client.dob and child.dob <= client.dob:
            problems.append(f"children[{n}].dob is before the client's own date of birth.")
        if child.dob and child.dob > today:
            problems.append(f"children[{n}].dob is in the future (record an unborn child as a due date).")
    for n, perp in enumerate(form.perpetrators, start=1):
        if perp.dob and perp.dob > today:
            problems.append(f"perpetrators[{n}].dob is in the future.")
    return problems
