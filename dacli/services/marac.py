"""Marac referral: the pack's form filled from the case, with safe fields withheld unless released."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli.errors import InvalidInput
from dacli.schemas.marac import MARAC_SCHEMA, SAFE_FIELDS, MaracForm, MaracRecord
from dacli.services import cases
from dacli.store.store import Session, check_case_ref

WITHHELD = "[withheld: safe field]"


def parse_marac(data: dict[str, Any], today: dt.date) -> MaracForm:
    form = cases._parse(MaracForm, data, "Referral")
    cases._not_future(form.referred_on, today, "Referral", "referred_on")
    return form


def refer(
    session: Session, ref: str, form: MaracForm, release: list[str], reason: str | None
) -> tuple[str, str]:
    """Record the referral and return (record name, the filled form as Markdown)."""
    check_case_ref(ref)
    unknown = [f for f in release if f not in SAFE_FIELDS]
    if unknown:
        raise InvalidInput(f"--release {unknown[0]}: not a safe field ({', '.join(SAFE_FIELDS)}).")
    if release and not (reason or "").strip():
        raise InvalidInput("Releasing a safe field needs a --reason, which is audited.")
    view = cases._load(session, ref)
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    latest = dashes[-1] if dashes else None
    criteria = list(latest.result.marac_criteria) if latest else []
    now = cases._utcnow()
    fields = {
        **form.model_dump(mode="python"),
        "schema": MARAC_SCHEMA,
        "referred_by": session.member.id,
        "recorded_at": now,
        "criteria": criteria,
        "released": release,
    }
    name, record = cases._append(
        session, ref, kind="marac", at=now, model=MaracRecord, fields=fields, action="marac-referral"
    )
    if release:
        session.audit("safe-field-release", case=ref, record=name, reason=reason, detail={"fields": release})
    session.audit("export", case=ref, record=name, detail={"form": "marac-referral"})
    return name, render(view, record, latest)


def render(view, record: MaracRecord, latest) -> str:
    intake = view.intakes[-1]
    client = intake.client
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
        f"- Address: {safe('client.address', client.address)}",
        f"- Telephone number: {safe('client.safe_number', client.safe_number)}",
        f"- Is this number safe to call? {'Y' if client.safe_number else 'ask the referrer'}",
        "- Relevant contact information, eg times to call: "
        + safe("client.safe_time_to_call", client.safe_time_to_call),
        "",
        "## Perpetrator(s)",
    ]
    for p in intake.perpetrators:
        lines.append(f"- {p.name}, DOB {p.dob or '-'}, relationship to victim: {p.relationship or '-'}")
    lines += ["", "## Children"]
    for c in intake.children:
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
        f"- Has the victim been referred to any other MARAC previously? {record.previous_marac or 'N'}",
        f"- Additional information: {record.additional_information or '-'}",
        "",
        "© SafeLives 2014 - reproduced with permission from SafeLives",
    ]
    return "\n".join(lines) + "\n"
