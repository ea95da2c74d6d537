"""Sharing information without consent: the decision, and a senior's sign-off within 48 hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput, NotFound
from dacli.services.case_view import append_record, load_case
from dacli.services.forms import parse_form, typed_moment
from dacli.store.layout import check_case_ref
from dacli.store.records import one_change
from dacli.store.store import Session


def parse_share(data: dict[str, Any], now: dt.datetime):
    from dacli.schemas.sharing import ShareForm

    form = parse_form(ShareForm, data, "Decision")
    return form.model_copy(update={"shared_at": typed_moment(form.shared_at, now, "Decision", "shared_at")})


@one_change
def share_without_consent(session: Session, ref: str, form) -> tuple[str, Any]:
    """Record a decision to share information without the client's consent. A caseworker's decision waits
    for a senior's or manager's sign-off (flagged after 48 hours); it is audited as a share."""
    from dacli.schemas.common import Role
    from dacli.schemas.sharing import SHARE_SCHEMA, ShareRecord

    check_case_ref(ref)
    view = load_case(session, ref)
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    latest = dashes[-1] if dashes else None
    dash = (
        {"completed": True, "assessed_on": latest.assessed_on, "yes": latest.result.yes,
         "risk_level": latest.result.risk_level}
        if latest
        else {"completed": False}
    )  # fmt: skip
    fields = {
        **form.model_dump(mode="python"),
        "schema": SHARE_SCHEMA,
        "decided_by": session.member.id,
        "decided_by_role": session.member.role.value,
        "recorded_at": clock.now(),
        "dash": dash,
        "needs_sign_off": session.member.role == Role.caseworker,
    }
    name, record = append_record(
        session,
        ref,
        kind="share",
        at=form.shared_at,
        model=ShareRecord,
        fields=fields,
        action="share-without-consent",
    )
    session.audit(
        "disclosure",
        case=ref,
        record=name,
        reason=f"to {form.sent_to}: {form.information_shared}",
        detail={
            "consent": False,
            "legal_basis": form.legal_basis,
            "awaiting_sign_off": record.needs_sign_off,
        },
    )
    return name, record


def sign_off_share(session: Session, ref: str, decision: str, comment: str | None = None) -> str:
    """A senior or manager signs off a caseworker's decision; nobody signs their own."""
    from dacli.errors import PermissionDenied
    from dacli.schemas.common import Role
    from dacli.schemas.sharing import SIGNOFF_SCHEMA, ShareRecord, SignOffRecord

    check_case_ref(ref)
    session.require_role(Role.senior, Role.manager)
    view = load_case(session, ref)
    found = dict(view.shares)
    if decision not in found:
        raise NotFound(f"Case {ref} has no decision {decision} to share without consent.")
    record: ShareRecord = found[decision]
    if record.decided_by == session.member.id:
        raise PermissionDenied("You cannot sign off your own decision; ask another senior or manager.")
    if decision in {s.decision for _, s in view.signoffs}:
        raise InvalidInput(f"{decision} is already signed off.")
    now = clock.now()
    fields = {
        "schema": SIGNOFF_SCHEMA,
        "decision": decision,
        "signed_by": session.member.id,
        "signed_by_role": session.member.role.value,
        "signed_at": now,
        "comment": comment,
    }
    name, _ = append_record(
        session, ref, kind="signoff", at=now, model=SignOffRecord, fields=fields, action="share-sign-off"
    )
    return name
