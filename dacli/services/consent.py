"""The confidentiality and information sharing agreement, and sharing with the client's consent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput
from dacli.services.case_view import append_record
from dacli.services.forms import not_future, parse_form, typed_moment, validated
from dacli.store.layout import check_case_ref
from dacli.store.records import one_change
from dacli.store.store import Session


def parse_agreement(data: dict[str, Any], today: dt.date):
    from dacli.schemas.consent import AgreementForm

    form = parse_form(AgreementForm, data, "Agreement")
    not_future(form.caseworker_signed_on, today, "Agreement", "caseworker_signed_on")
    not_future(form.client_signed_on, today, "Agreement", "client_signed_on")
    return form


def record_agreement(session: Session, ref: str, form) -> str:
    from dacli.schemas.consent import AGREEMENT_SCHEMA, AgreementRecord

    check_case_ref(ref)
    session.record_names(ref)
    now = clock.now()
    fields = {
        **form.model_dump(mode="python"),
        "schema": AGREEMENT_SCHEMA,
        "recorded_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = append_record(
        session, ref, kind="agreement", at=now, model=AgreementRecord, fields=fields, action="consent-record"
    )
    return name


def agreements(session: Session, ref: str) -> list:
    """Every agreement of a case, oldest first; the last is in force (the read is audited)."""
    from dacli.schemas.consent import AgreementRecord

    check_case_ref(ref)
    names = [n for n in session.record_names(ref) if n.startswith("agreement-")]
    found = [(n, validated(AgreementRecord, session.read_record(ref, n), ref, n)) for n in names]
    session.audit("consent-read", case=ref)
    return sorted(found, key=lambda a: a[1].recorded_at)


def may_share_with(agreement, agency: str, on: dt.date) -> bool | None:
    """The client's permission to share with ``agency`` on the day ``on`` under an agreement: True, False,
    or None when the agreement does not name it (ask). A permission is relied on only from the day it was
    given to its review date: a share dated before the client gave it, or after its review, is not
    consented (None)."""
    if agreement is None:
        return None
    wanted = agency.strip().casefold()
    for p in reversed(agreement.agencies):
        if p.agency.strip().casefold() == wanted:
            if on < p.date or review_overdue(p, on):
                return None
            return p.permission
    return None


def review_overdue(permission, on: dt.date) -> bool:
    """A per-agency permission past its review date: shown as overdue, and not relied on."""
    return permission.review_date is not None and on > permission.review_date


def parse_disclosure(data: dict[str, Any], now: dt.datetime):
    from dacli.schemas.sharing import DisclosureForm

    form = parse_form(DisclosureForm, data, "Share")
    return form.model_copy(update={"shared_at": typed_moment(form.shared_at, now, "Share", "shared_at")})


def consent_in_force(session: Session, ref: str, agency: str, shared_at: dt.datetime) -> tuple[str, Any]:
    """The agreement (name, record) that gives the client's permission to share with ``agency`` at
    ``shared_at``; refused in one sentence when none does. Asked before the person types what was shared, and
    again when the share is recorded."""
    found = agreements(session, ref)
    agreement = found[-1] if found else None
    allowed = may_share_with(agreement[1] if agreement else None, agency, clock.local_date(shared_at))
    if allowed is not True:
        why = (
            "refused"
            if allowed is False
            else "not on file, not yet given on that date, or past its review date"
        )
        raise InvalidInput(
            f"The client's permission to share with {agency!r} is {why}: nothing was recorded. "
            "Ask the client, or record a decision with `dacli share-without-consent`."
        )
    return agreement


@one_change
def share_with_consent(session: Session, ref: str, form) -> str:
    """Record a share the client consented to. Refused unless the agreement in force gives permission for
    that agency (without it, the decision belongs on the share-without-consent form)."""
    from dacli.schemas.sharing import DISCLOSURE_SCHEMA, DisclosureRecord

    agreement = consent_in_force(session, ref, form.agency, form.shared_at)
    now = clock.now()
    fields = {
        **form.model_dump(mode="python"),
        "schema": DISCLOSURE_SCHEMA,
        "shared_by": session.member.id,
        "recorded_at": now,
        "agreement": agreement[0],
    }
    name, _ = append_record(
        session,
        ref,
        kind="disclosure",
        at=form.shared_at,
        model=DisclosureRecord,
        fields=fields,
        action="share",
    )
    session.audit(
        "disclosure",
        case=ref,
        record=name,
        reason=f"to {form.sent_to}: {form.information_shared}",
        detail={"consent": True, "agreement": agreement[0]},
    )
    return name
