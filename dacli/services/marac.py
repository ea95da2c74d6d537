"""Marac referral: the pack's form filled from the case, with safe fields withheld unless released."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput
from dacli.schemas.marac import (
    MARAC_DECLINE_SCHEMA,
    MARAC_SCHEMA,
    RESEARCH_SCHEMA,
    SAFE_FIELDS,
    MaracDeclineRecord,
    MaracForm,
    MaracRecord,
    ResearchForm,
    ResearchRecord,
)
from dacli.services.case_view import append_record, load_case
from dacli.services.exports import WITHHELD, Deliver, case_safe_values, redact
from dacli.services.forms import not_future, parse_form
from dacli.store.layout import check_case_ref
from dacli.store.records import one_change
from dacli.store.store import Session


def parse_marac(data: dict[str, Any], today: dt.date) -> MaracForm:
    form = parse_form(MaracForm, data, "Referral")
    not_future(form.referred_on, today, "Referral", "referred_on")
    return form


@one_change
def refer(
    session: Session,
    ref: str,
    form: MaracForm,
    release: list[str],
    reason: str | None,
    deliver: Deliver | None = None,
) -> tuple[str, str]:
    """Record the referral, hand the filled form (Markdown) to ``deliver`` and audit the export once it
    was delivered. Returns (record name, the form)."""
    check_case_ref(ref)
    check_release(release, reason)
    view = load_case(session, ref)
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    latest = dashes[-1] if dashes else None
    criteria = list(latest.result.marac_criteria) if latest else []
    now = clock.now()
    fields = {
        **form.model_dump(mode="python"),
        "schema": MARAC_SCHEMA,
        "referred_by": session.member.id,
        "recorded_at": now,
        "criteria": criteria,
        "released": release,
    }
    name, record = append_record(
        session, ref, kind="marac", at=now, model=MaracRecord, fields=fields, action="marac-referral"
    )
    text, found = redact(render(view, record, latest), case_safe_values(view), release)
    exported(
        session, ref, name, text, deliver, release, reason, {"form": "marac-referral", "redacted": found}
    )
    return name, text


@one_change
def decline(session: Session, ref: str, reasons: str, today: dt.date) -> str:
    """A senior's or manager's decision not to refer to the Marac a case its latest checklist recommends,
    with the reasons: recorded on the case (it ends the 'marac-referral-due' flag for that checklist) and
    audited as a decision."""
    from dacli.schemas.common import Role

    session.require_role(Role.senior, Role.manager)
    check_case_ref(ref)
    if not (reasons or "").strip():
        raise InvalidInput("A decision not to refer needs its reasons (--reason); they are recorded.")
    view = load_case(session, ref)
    if "marac-referral-due" not in view.summary.flags:
        raise InvalidInput(
            f"Case {ref} has no Marac referral due (its latest Dash checklist recommends none, or one is "
            "recorded or declined since); nothing was written."
        )
    dash_name, _ = max(view.dashes, key=lambda d: (d[1].assessed_on, d[1].recorded_at))
    now = clock.now()
    fields = {
        "schema": MARAC_DECLINE_SCHEMA,
        "dash": dash_name,
        "decided_on": today,
        "reasons": reasons,
        "decided_by": session.member.id,
        "decided_by_role": session.member.role.value,
        "recorded_at": now,
    }
    name, _ = append_record(
        session, ref, kind="maracdecline", at=now, model=MaracDeclineRecord, fields=fields,
        action="marac-decline",
    )  # fmt: skip
    session.audit(
        "decision",
        case=ref,
        record=name,
        reason=reasons,
        detail={"decision": "marac-not-referred", "dash": dash_name},
    )
    return name


def exported(session, ref, name, text, deliver, release, reason, detail) -> None:
    """Deliver an export, then audit it (and any released safe field): the audit trail never records an
    export that was not written."""
    if deliver is not None:
        deliver(text.encode())
    if release:
        session.audit("safe-field-release", case=ref, record=name, reason=reason, detail={"fields": release})
    session.audit("export", case=ref, record=name, detail=detail)


def check_release(release: list[str], reason: str | None) -> None:
    unknown = [f for f in release if f not in SAFE_FIELDS]
    if unknown:
        raise InvalidInput(f"--release {unknown[0]}: not a safe field ({', '.join(SAFE_FIELDS)}).")
    if release and not (reason or "").strip():
        raise InvalidInput("Releasing a safe field needs a --reason, which is audited.")


def parse_research(data: dict[str, Any], today: dt.date) -> ResearchForm:
    form = parse_form(ResearchForm, data, "Research form")
    not_future(form.researched_on, today, "Research form", "researched_on")
    return form


@one_change
def research(
    session: Session,
    ref: str,
    form: ResearchForm,
    release: list[str],
    reason: str | None,
    deliver: Deliver | None = None,
) -> tuple[str, str]:
    """Record the Marac research form and return (record name, the form as Markdown), filled from the
    case: victim details, the latest checklist's indicators and gaps, last contact, dates to come and the
    safety plan's completed actions. Safe fields are withheld unless released with a reason."""
    check_case_ref(ref)
    check_release(release, reason)
    view = load_case(session, ref)
    now = clock.now()
    fields = {
        **form.model_dump(mode="python"),
        "schema": RESEARCH_SCHEMA,
        "researched_by": session.member.id,
        "recorded_at": now,
        "released": release,
    }
    name, record = append_record(
        session, ref, kind="research", at=now, model=ResearchRecord, fields=fields, action="marac-research"
    )
    text = render_research(view, record, clock.local_date(now))
    text, found = redact(text, case_safe_values(view), release)
    exported(
        session, ref, name, text, deliver, release, reason, {"form": "marac-research", "redacted": found}
    )
    return name, text


def render_research(view, record: ResearchRecord, today: dt.date) -> str:
    from dacli.schemas.dash_bank import QUESTIONS

    client = view.intakes[-1].client
    released = set(record.released)

    def yn(value: bool | None) -> str:
        return "-" if value is None else ("Y" if value else "N")

    on_file = view.people().current("address")  # the newest address any intake gave
    address = on_file if "client.address" in released else (WITHHELD if on_file else "-")
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    latest = dashes[-1] if dashes else None
    s = view.summary
    lines = [
        "# Marac research form",
        "",
        f"- Name and agency: {record.name_and_agency}",
        f"- Telephone / Email: {record.contact_details}",
        f"- Date: {record.researched_on}",
        f"- Victim name: {client.name}" + (f" (also known as {client.aka})" if client.aka else ""),
        f"- Victim DOB: {client.dob or '-'}",
        f"- Victim address: {address}",
        f"- Marac case number (from agenda): {record.marac_case_number or '-'}",
        "",
        "Please insert any changes / errors / other information (eg aliases or nicknames) below",
        "",
        record.corrections or "-",
        "",
        f"- Are the victim details on the Marac list accurate? {yn(record.victim_details_accurate)}",
        f"- Are the children(s) details on the Marac list accurate? {yn(record.children_details_accurate)}",
        "- Are the perpetrator details on the Marac list accurate? "
        + yn(record.perpetrator_details_accurate),
        "",
        "## Note records of last sightings, meetings or phone calls",
        "",
        f"Last contact with the client on file: {clock.local_date(s.last_contact)}" if s.last_contact else
        "No successful contact with the client on file.",
        "",
        record.last_contacts or "",
        "",
        "## Note recent attitude, behaviour and demeanour, including changes",
        "",
        record.attitude or "-",
        "",
        "## Highlight any relevant information that relates to any of the risk indicators on the checklist",
        "",
    ]  # fmt: skip
    if latest is not None:
        text = {q.number: q.text for q in QUESTIONS}
        yes = [int(k[1:]) for k, a in latest.answers.items() if a.answer == "yes"]
        r = latest.result
        lines.append(f"SafeLives Dash of {latest.assessed_on}: {r.yes} yes, {r.risk_level}.")
        lines += [f"- q{n}: {text.get(n, '')}" for n in sorted(yes)]
        gaps = [*latest.result.dont_know, *latest.result.unanswered]
        lines.append("Gaps in the checklist: " + (", ".join(f"q{n}" for n in gaps) or "none"))
    else:
        lines.append("No SafeLives Dash risk checklist on file: a gap in the risk assessment.")
    lines += ["", record.risk_information or "", "", "## Other information", ""]
    coming = []
    if s.next_court_date:
        coming.append(f"next court date {s.next_court_date}")
    coming += [f"order expires {d}" for d in s.order_expiries if d >= today]
    if view.plans:
        plan = view.plans[-1][1]
        done = [a for a in plan.actions if a.done]
        lines += [f"- Action taken (safety plan): {a.action or a.risk} ({a.done})" for a in done]
        coming += [
            f"plan action by {a.by}: {a.action or a.risk}" for a in plan.actions if a.by and not a.done
        ]
    if coming:
        lines.append("- Dates to come: " + "; ".join(coming))
    lines += [
        "",
        record.other_information or "",
        "",
        f"- What are the victim's greatest priorities to address their safety? {record.priorities or '-'}",
        f"- Who is the victim afraid of? {record.afraid_of or '-'}",
        f"- Who does the victim believe it safe to talk to? {record.safe_to_talk_to or '-'}",
        f"- Who does the victim believe it not safe to talk to? {record.not_safe_to_talk_to or '-'}",
        "",
        "© SafeLives 2014 - reproduced with permission from SafeLives",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def render(view, record: MaracRecord, latest) -> str:
    intake = view.intakes[-1]
    client = intake.client
    people = view.people()  # children, perpetrators and safe details of every intake, newest first
    current = people.current
    released = set(record.released)

    def safe(field: str, value: Any) -> str:
        if value in (None, ""):
            return "-"
        return str(value) if field in released else WITHHELD

    def yn(value: bool) -> str:
        return "Y" if value else "N"

    met = set(record.criteria)
    lines = [
        "# Marac referral form",
        "",
        "Marac referrals should be sent by secure email or other secure method.",
        "",
        f"- Referring agency: {record.referring_agency}",
        f"- Contact name(s): {record.contact_name}",
        f"- Telephone / Email: {record.contact_details}",
        f"- Date: {record.referred_on}",
        "",
        "## Victim",
        f"- Victim name: {client.name}",
        f"- Victim DOB: {client.dob or '-'}",
        f"- Address: {safe('client.address', current('address'))}",
        f"- Telephone number: {safe('client.safe_number', current('safe_number'))}",
        f"- Is this number safe to call? {'Y' if current('safe_number') else 'ask the referrer'}",
        "- Relevant contact information, eg times to call: "
        + safe("client.safe_time_to_call", current("safe_time_to_call")),
        "",
        "## Perpetrator(s)",
    ]
    for p in people.perpetrators:
        lines.append(f"- {p.name}, DOB {p.dob or '-'}, relationship to victim: {p.relationship or '-'}")
    lines += ["", "## Children"]
    for c in people.children:
        born = "unborn" if c.unborn else c.dob or "-"
        lines.append(f"- {c.name}, DOB {born}, school: {safe('children.school', c.school)}")
    lines += [
        "",
        "## Reason for referral / additional information",
        f"- Professional judgement: {yn('professional_judgement' in met)}",
        "- Visible high risk (14 ticks or more on SafeLives Dash risk checklist): "
        + yn("visible_high_risk" in met),
        "- Potential escalation (3 or more incidents reported to the Police in the past 12 months): "
        + yn("potential_escalation" in met),
        "- MARAC repeat (further incident identified within twelve months from the date of the last "
        "referral): " + yn("marac_repeat" in met),
    ]
    if latest is not None:
        gaps = [*latest.result.dont_know, *latest.result.unanswered]
        lines.append(
            f"- SafeLives Dash of {latest.assessed_on}: {latest.result.yes} yes; gaps in the checklist: "
            + (", ".join(f"q{n}" for n in gaps) or "none")
        )
    else:
        lines.append("- No SafeLives Dash risk checklist on file.")
    lines += [
        f"- Is the victim aware of MARAC referral? {yn(record.victim_aware)}"
        + (f" (why not: {record.not_aware_why})" if not record.victim_aware else ""),
        f"- Has consent been given? {yn(record.consent_given)}",
        f"- Who is the victim afraid of? {record.afraid_of}",
        f"- Who does the victim believe it safe to talk to? {record.safe_to_talk_to or '-'}",
        f"- Who does the victim believe it not safe to talk to? {record.not_safe_to_talk_to or '-'}",
        f"- Has the victim been referred to any other MARAC previously? {record.previous_marac or '-'}",
        f"- Additional information: {record.additional_information or '-'}",
        "",
        "© SafeLives 2014 - reproduced with permission from SafeLives",
    ]
    return "\n".join(lines) + "\n"
