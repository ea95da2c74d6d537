"""Children's social care: the triggers for a referral (seeds/001 6.1), referrals and their written
confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput, NotFound
from dacli.services.case_view import append_record, children_triggers, load_case
from dacli.services.forms import parse_form, typed_moment, validated
from dacli.store.layout import check_case_ref
from dacli.store.store import Session


def record_csc_referral(session: Session, ref: str, form) -> str:
    """Record a referral to children's social care, with the triggers that applied when it was made."""
    from dacli.schemas.children import CSC_SCHEMA, CscReferralRecord

    check_case_ref(ref)
    view = load_case(session, ref)
    now = clock.now()
    triggers = form.triggers or [t.name for t in children_triggers(view, clock.local_date(now))]
    confirmed = form.written_confirmation_at or (form.referred_at if form.how == "written" else None)
    fields = {
        **form.model_dump(mode="python"),
        "triggers": triggers,
        "written_confirmation_at": confirmed,
        "schema": CSC_SCHEMA,
        "recorded_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = append_record(
        session, ref, kind="csc", at=now, model=CscReferralRecord, fields=fields, action="csc-referral"
    )
    return name


def confirm_csc_referral(session: Session, ref: str, name: str, at: dt.datetime) -> str:
    """Record that a verbal referral was confirmed in writing: a record of its own naming the referral (store
    format 3: the referral is never rewritten). Returns the confirmation's record name."""
    from dacli.schemas.children import CSC_CONFIRM_SCHEMA, CscConfirmRecord, CscReferralRecord

    check_case_ref(ref)
    at = typed_moment(at, clock.now(), "Confirmation", "at")
    if not name.startswith("csc-"):
        raise InvalidInput(f"{name} is not a children's social care referral.")
    if name not in session.record_names(ref):
        raise NotFound(f"Case {ref} has no record {name}.")
    rec = validated(CscReferralRecord, session.read_record(ref, name), ref, name)
    if at < rec.referred_at:
        raise InvalidInput("at: the written confirmation cannot come before the referral.")
    now = clock.now()
    fields = {"schema": CSC_CONFIRM_SCHEMA, "referral": name, "confirmed_at": at,
              "recorded_by": session.member.id, "recorded_at": now}  # fmt: skip
    made, _ = append_record(
        session, ref, kind="cscconfirm", at=now, model=CscConfirmRecord, fields=fields, action="csc-confirm"
    )
    return made


def parse_csc(data: dict[str, Any]):
    from dacli.schemas.children import CscReferralForm

    form = parse_form(CscReferralForm, data, "Referral")
    return form.model_copy(
        update={"referred_at": typed_moment(form.referred_at, clock.now(), "Referral", "referred_at")}
    )
