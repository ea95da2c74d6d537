"""Court summaries as an export: the pack's Criminal and Civil Case Summary forms, one per hearing, in date
order, for a pre-sentence report, a bail hearing or the CPS. Safe fields are withheld unless released."""

from __future__ import annotations

from dacli.services import cases
from dacli.services.exports import Deliver, case_safe_values, redact
from dacli.services.marac import check_release, exported
from dacli.store.store import Session, check_case_ref


def summary(
    session: Session, ref: str, release: list[str], reason: str | None, deliver: Deliver | None = None
) -> str:
    """Render every hearing, hand the text to ``deliver`` and audit the export once delivered."""
    check_case_ref(ref)
    check_release(release, reason)
    view = cases._load(session, ref)
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
