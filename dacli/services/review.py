"""Case reviews, closure with the exit form, reopening, and the follow-up call."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput
from dacli.rules.review import closure_allowed, intensity, risk_change
from dacli.schemas.case import CaseStatus
from dacli.schemas.review import (
    CLOSURE_SCHEMA,
    FOLLOWUP_SCHEMA,
    REOPEN_SCHEMA,
    REVIEW_SCHEMA,
    SUMMARY_SCHEMA,
    BoilDown,
    ClosureRecord,
    ExitForm,
    Filled,
    FollowUpRecord,
    ReopenRecord,
    ReviewForm,
    ReviewRecord,
)
from dacli.services.case_facts import reopenings
from dacli.services.case_view import append_record, load_case
from dacli.services.forms import not_future, parse_form, stamp, validated
from dacli.store.layout import check_case_ref
from dacli.store.records import one_change
from dacli.store.store import Session


def parse_review(data: dict[str, Any], today: dt.date) -> ReviewForm:
    form = parse_form(ReviewForm, data, "Review")
    not_future(form.reviewed_on, today, "Review", "reviewed_on")
    return form


def _asked(answer: Any) -> bool:
    """A 'compared to intake' question with anything typed in it (a blank one was not asked)."""
    if not isinstance(answer, dict):
        return True
    return any(not (isinstance(v, str) and not v.strip()) for v in answer.values())


def parse_exit(data: dict[str, Any], today: dt.date) -> ExitForm:
    """The exit form. A 'compared to intake' question left wholly blank (as the template prints it) is
    not recorded; one with a comment or actions but no answer is refused, naming it."""
    compared = data.get("compared")
    if isinstance(compared, dict):
        data = {**data, "compared": {k: v for k, v in compared.items() if _asked(v)}}
    form = parse_form(ExitForm, data, "Exit form")
    not_future(form.closed_on, today, "Exit form", "closed_on")
    return form


def has_children(session: Session, ref: str) -> bool:
    """Whether any referral of the case names a child (an unborn one too) or a pregnancy: the exit form's
    questions about children apply only then. Reading the case is audited."""
    check_case_ref(ref)
    view = load_case(session, ref)
    session.audit("case-read", case=ref)
    return any(i.children or i.client.pregnant for i in view.intakes)


def _dashes(view):
    return sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))


def filled(session: Session, ref: str, today: dt.date) -> Filled:
    """What the review form takes from the case: contact summary, risk at intake and now, the grids, the
    plan's incomplete actions, and whether the last Dash is older than the review interval."""
    from dacli.schemas.soag import SoagRecord

    view = load_case(session, ref)
    s = view.summary
    contacts = [n for _, n in view.notes if n.with_client and n.successful]
    dashes = _dashes(view)
    grids = sorted(
        (
            validated(SoagRecord, session.read_record(ref, n), ref, n)
            for n in view.records
            if n.startswith("soag-")
        ),
        key=lambda g: (g.assessed_on, g.recorded_at),
    )

    def grid(g) -> dict[str, str]:
        return {t: f"{row.occurring}" + (f" ({row.severity})" if row.severity else "") for t, row in g.rows()}

    plan = view.plans[-1][1] if view.plans else None
    interval = session.store.policy.review.interval_weeks
    first, last = (dashes[0].result.risk_level, dashes[-1].result.risk_level) if dashes else (None, None)
    return Filled(
        intake_date=view.intakes[0].referral.date,
        last_contact=clock.local_date(s.last_contact) if s.last_contact else None,
        contacts=len(contacts),
        intensity=intensity(len(contacts)),
        risk_at_intake=first,
        risk_now=last,
        change=risk_change(first, last),
        soag_at_intake=grid(grids[0]) if grids else {},
        soag_now=grid(grids[-1]) if grids else {},
        issp_in_place=plan is not None,
        incomplete_actions=[a.action or a.risk for a in plan.actions if a.done is None] if plan else [],
        dash_out_of_date=not dashes or (today - dashes[-1].assessed_on).days > interval * 7,
    )


@one_change
def record_review(session: Session, ref: str, form: ReviewForm, today: dt.date) -> tuple[str, ReviewRecord]:
    """Record a case review, filled from the case. Its date sets the next review's due date; an outcome of
    'close' is a recommendation: closing is `close`, with the exit form."""
    check_case_ref(ref)
    now = clock.now()
    fields = {
        **form.model_dump(mode="python"),
        "reviewed_on": form.reviewed_on or today,
        "schema": REVIEW_SCHEMA,
        "reviewed_by": session.member.id,
        "recorded_at": now,
        "filled": filled(session, ref, today).model_dump(mode="python"),
    }
    name, record = append_record(
        session, ref, kind="review", at=now, model=ReviewRecord, fields=fields, action="case-review"
    )
    session.audit(
        "decision",
        case=ref,
        record=name,
        reason="; ".join(form.reasons),
        detail={"decision": "review-outcome", "outcome": form.outcome, "risk": record.filled.risk_now},
    )
    return name, record


@one_change
def close_case(session: Session, ref: str, form: ExitForm, today: dt.date) -> tuple[str, ClosureRecord]:
    """Close a case with the exit form: the closure reason must hold (risk reduced needs the plan's actions
    complete; no contact needs the policy's weeks without contact). Writes the boil-down summary (dates,
    risk levels, outcome; no name, contact details or narrative) that the retention sweep keeps."""
    check_case_ref(ref)
    policy = session.store.policy.review
    now = clock.now()
    closed_on = form.closed_on or today
    with session.index_transaction() as idx:
        view = load_case(session, ref)
        if view.case.status == CaseStatus.closed:
            raise InvalidInput(f"Case {ref} is already closed; reopen it first (`dacli reopen {ref}`).")
        s = view.summary
        plan = view.plans[-1][1] if view.plans else None
        open_actions = sum(1 for a in plan.actions if a.done is None) if plan else 0
        why_not = closure_allowed(
            form.reason,
            open_actions,
            clock.local_date(s.last_contact) if s.last_contact else None,
            s.referral_date,
            closed_on,
            policy.no_contact_close_weeks,
        )
        if why_not:
            raise InvalidInput(f"Case {ref} not closed, nothing written: {why_not}.")
        if closed_on < s.referral_date:
            raise InvalidInput("Exit form refused, nothing written: closed_on is before the referral.")
        dashes = _dashes(view)
        fields = {
            **form.model_dump(mode="python"),
            "closed_on": closed_on,
            "schema": CLOSURE_SCHEMA,
            "case": ref,
            "closed_by": session.member.id,
            "recorded_at": now,
            "risk_at_intake": dashes[0].result.risk_level if dashes else None,
            "risk_at_closure": dashes[-1].result.risk_level if dashes else None,
            "answers": [n for n, _ in reopenings(view.all_intakes, view.reopens)],
        }
        record = parse_form(ClosureRecord, fields, "Closure")
        name = f"closure-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
        summary = boil_down(view, record, now)
        # the summary first and the closure last (the closure record is what closes the case, store format
        # 3: case.toml is never rewritten): a failure half way leaves an open case, never a closed one
        # without the summary the retention sweep needs
        # written once under a name of its own (two offices closing one case at once make two, side by
        # side: the newest is read), never rewritten
        summary_name = f"summary-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
        session.write_record(
            ref, summary_name, summary.model_dump(mode="python", by_alias=True), action="boil-down"
        )
        session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="case-exit")
        session.audit("case-close", case=ref, record=name)
        idx["cases"][ref] = load_case(session, ref).summary.index_row()
    session.audit(
        "decision",
        case=ref,
        record=name,
        reason=form.reason_detail or form.reason,
        detail={"decision": "closure", "reason": form.reason, "risk": record.risk_at_closure},
    )
    return name, record


def boil_down(view, closure: ClosureRecord, now: dt.datetime) -> BoilDown:
    s = view.summary
    return BoilDown.model_validate(
        {
            "schema": SUMMARY_SCHEMA,
            "case": s.ref,
            "referral_dates": [i.referral.date for i in view.intakes],
            "opened": clock.local_date(s.opened),
            "closed_on": closure.closed_on,
            "last_contact": clock.local_date(s.last_contact) if s.last_contact else None,
            "risk_levels": [(d.assessed_on, d.result.risk_level) for d in _dashes(view)],
            "closure_reason": closure.reason,
            "outcome_changes": {k: v.answer for k, v in closure.compared.items()},
            "marac_referrals": sorted(m.referred_on for _, m in view.marac),
            "reviews": len(view.reviews),
            "written_at": now,
        }
    )


@one_change
def reopen(session: Session, ref: str, reason: str) -> str:
    """Reopen a closed case (a new referral after closure reopens it through intake instead)."""
    check_case_ref(ref)
    if not reason.strip():
        raise InvalidInput("Reopening needs a --reason.")
    now = clock.now()
    with session.index_transaction() as idx:
        view = load_case(session, ref)
        if view.case.status != CaseStatus.closed:
            raise InvalidInput(f"Case {ref} is open; there is nothing to reopen.")
        fields = {"schema": REOPEN_SCHEMA, "case": ref, "reason": reason, "reopened_by": session.member.id,
                  "recorded_at": now}  # fmt: skip
        record = parse_form(ReopenRecord, fields, "Reopening")  # checked before anything changes
        idx["cases"][ref] = {**idx["cases"].get(ref, {}), "status": "open"}
        session.write_register(idx)  # the register shows it open before anything else changes
        name = f"reopen-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
        session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="case-reopen")
        idx["cases"][ref] = load_case(session, ref).summary.index_row()
    session.audit("decision", case=ref, record=name, reason=reason, detail={"decision": "reopen"})
    return name


def record_follow_up(
    session: Session, ref: str, called_on: dt.date, reached: bool, outcome: str, today: dt.date
) -> str:
    """The six-month follow-up call, made (reached or not). Only for a closed case whose client consented."""
    check_case_ref(ref)
    not_future(called_on, today, "Follow-up", "called_on")
    view = load_case(session, ref)
    closure = view.current_closure()
    if closure is None:
        raise InvalidInput(f"Case {ref} is not closed; a follow-up call comes after closure.")
    if not closure.follow_up_consent:
        raise InvalidInput(f"The client of {ref} did not consent to a follow-up call; do not call.")
    if called_on < closure.closed_on:
        raise InvalidInput("Follow-up refused, nothing written: called_on is before the case was closed.")
    now = clock.now()
    fields = {"schema": FOLLOWUP_SCHEMA, "called_on": called_on, "reached": reached, "outcome": outcome,
              "recorded_by": session.member.id, "recorded_at": now}  # fmt: skip
    name, _ = append_record(
        session, ref, kind="followup", at=now, model=FollowUpRecord, fields=fields, action="follow-up"
    )
    return name
