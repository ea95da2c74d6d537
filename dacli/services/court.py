"""Court summaries as an export: the pack's Criminal and Civil Case Summary forms, one per hearing, in date
order, for a pre-sentence report, a bail hearing or the CPS. Safe fields are withheld unless released."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput
from dacli.services.case_view import append_record, load_case
from dacli.services.exports import Deliver, case_safe_values, redact
from dacli.services.forms import not_future, parse_form
from dacli.services.marac import check_release, exported
from dacli.store.layout import check_case_ref
from dacli.store.store import Session


def summary(
    session: Session, ref: str, release: list[str], reason: str | None, deliver: Deliver | None = None
) -> str:
    """Render every hearing, hand the text to ``deliver`` and audit the export once delivered."""
    check_case_ref(ref)
    check_release(release, reason)
    view = load_case(session, ref)
    text, found = redact(render(view), case_safe_values(view), release)
    detail = {"form": "court-summary", "hearings": [n for n, _ in view.hearings], "redacted": found}
    exported(session, ref, None, text, deliver, release, reason, detail)
    return text


def render(view) -> str:
    intake = view.intakes[-1]
    lines = [
        "# Criminal and civil case summaries",
        "",
        f"- Client name/ref no.: {intake.client.name} / {view.summary.ref}",
        f"- Intake date: {intake.referral.date}",
        "",
    ]
    if not view.hearings:
        lines.append("No hearings on file.")
    for _, h in view.hearings:
        title = "Criminal Case Summary" if h.kind == "criminal" else "Civil Case Summary"
        lines += [
            f"## {title}: {h.hearing_date}, {h.court}",
            "",
            f"- Type of hearing: {h.type_of_hearing}",
            f"- Victim(s): {', '.join(h.victims) or '-'}",
            f"- Defendant(s) / respondent(s): {', '.join(h.defendants) or '-'}",
        ]
        if h.kind == "criminal":
            lines += [
                f"- Case worker at court: {h.caseworker_at_court or '-'}",
                f"- Trial date: {h.trial_date or '-'}; pre-trial visit: {h.pre_trial_visit or '-'}",
                f"- Incident dates: {h.incident_dates or '-'}",
                *(f"- Charge: {c.charge}; plea: {c.plea or '-'}" for c in h.charges),
                f"- Bail conditions: {h.bail_conditions or '-'}",
                f"- Officer in case: {h.officer_in_case or '-'}",
                f"- Witness care officer: {h.witness_care_officer or '-'}",
                *(
                    f"- Special measures: {m.application_for} (applied {m.date_applied or '-'}, "
                    f"granted {m.date_granted or '-'})"
                    for m in h.special_measures
                ),
            ]
        else:
            lines += [
                f"- Applicant's solicitor: {h.applicant_solicitor or '-'}",
                f"- Respondent's solicitor: {h.respondent_solicitor or '-'}",
                *(
                    f"- Order: {o.type}{' (' + o.specify + ')' if o.specify else ''}, "
                    f"length {o.length or '-'}, expires {o.expiry_date or '-'}"
                    + (f"; conditions: {'; '.join(o.conditions)}" if o.conditions else "")
                    for o in h.orders
                ),
            ]
        lines += [
            f"- Next court date: {h.next_court_date or '-'}"
            + (f" at {h.next_court}" if h.next_court else ""),
            f"- Victim informed of outcome: {'Y' if h.victim_informed else 'N'}",
            f"- Comments: {h.comments or '-'}",
            "",
        ]
    lines.append("© SafeLives 2014 - reproduced with permission from SafeLives")
    return "\n".join(lines) + "\n"


def parse_hearing(data: dict[str, Any], today: dt.date):
    from dacli.schemas.court import CivilHearing, CriminalHearing

    kind = data.get("kind")
    if kind not in ("criminal", "civil"):
        raise InvalidInput("Hearing refused, nothing written: kind must be criminal or civil.")
    form = parse_form(CriminalHearing if kind == "criminal" else CivilHearing, data, "Hearing")
    not_future(form.hearing_date, today, "Hearing", "hearing_date")
    if form.next_court_date is not None and form.next_court_date < form.hearing_date:
        raise InvalidInput("Hearing refused, nothing written: next_court_date is before hearing_date.")
    for n, order in enumerate(getattr(form, "orders", []), start=1):
        if order.expiry_date is not None and order.expiry_date < form.hearing_date:
            raise InvalidInput(
                f"Hearing refused, nothing written: orders[{n}].expiry_date is before hearing_date."
            )
    return form


def record_hearing(session: Session, ref: str, form) -> str:
    from dacli.schemas.court import CIVIL_SCHEMA, CRIMINAL_SCHEMA, CivilRecord, CriminalRecord

    check_case_ref(ref)
    now = clock.now()
    model, schema = (
        (CriminalRecord, CRIMINAL_SCHEMA) if form.kind == "criminal" else (CivilRecord, CIVIL_SCHEMA)
    )
    fields = {
        **form.model_dump(mode="python"),
        "schema": schema,
        "recorded_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = append_record(
        session, ref, kind="court", at=now, model=model, fields=fields, action="court-record"
    )
    return name
