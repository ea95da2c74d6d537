"""Checks on an intake form that need today's date or compare fields. Pure: ``today`` is a parameter."""

from __future__ import annotations

from datetime import date, datetime

from dacli.schemas.intake import IntakeForm


def intake_problems(form: IntakeForm, today: date, now: datetime | None = None) -> list[str]:
    """Every impossible value, each as a sentence naming the field. Empty when the form is sound. ``now``
    (local wall-clock time, as the referral's date and time are given) refuses a referral moment later than
    now today; without it only the date is checked."""
    problems: list[str] = []
    client = form.client
    if client.dob and client.dob > today:
        problems.append("client.dob is in the future.")
    if form.referral.date > today:
        problems.append("referral.date is in the future.")
    elif now is not None and form.referral.time is not None:
        moment = datetime.combine(form.referral.date, form.referral.time)
        if moment > now.replace(tzinfo=None):
            problems.append("referral.time is in the future.")
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
    for n, child in enumerate(form.children, start=1):
        if child.unborn and child.dob:
            problems.append(f"children[{n}].dob is given for an unborn child (give client.due_date).")
        if child.unborn and not client.pregnant:
            problems.append(f"children[{n}] is unborn but client.pregnant is not true.")
        for m, perp in enumerate(form.perpetrators, start=1):
            if child.perpetrator_is_parent and child.dob and perp.dob and child.dob <= perp.dob:
                problems.append(f"children[{n}].dob is before perpetrators[{m}].dob, who is named as parent.")
    for n, perp in enumerate(form.perpetrators, start=1):
        if perp.dob and perp.dob > today:
            problems.append(f"perpetrators[{n}].dob is in the future.")
    checklist = form.checklist
    for key in ("agreement_consented", "service_explained", "monitoring_consented"):
        if getattr(checklist, f"{key}_how") is not None and getattr(checklist, key) is not True:
            problems.append(f"checklist.{key}_how is given but checklist.{key} is not true.")
    if form.conflict_details and not form.conflict_of_interest:
        problems.append("conflict_details is given but conflict_of_interest is not true.")
    return problems
