"""The Dash risk checklist on a case: scored under the store's policy, recorded, its history and trend."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput, NotFound
from dacli.schemas.dash import DashRecord
from dacli.services.case_view import load_case
from dacli.services.forms import not_future, parse_form, stamp, validated
from dacli.store.layout import check_case_ref
from dacli.store.store import Session


def dash_rules(session: Session):
    from dacli.rules.dash import DashRules

    p = session.store.policy.dash
    return DashRules(
        visible_high_risk=p.visible_high_risk,
        medium_band_enabled=p.medium_band_enabled,
        medium_band_min=p.medium_band_min,
        medium_band_max=p.medium_band_max,
        potential_escalation_incidents=p.potential_escalation_incidents,
        marac_repeat_months=p.marac_repeat_months,
    )


def score_answers(session: Session, answers: dict[int, str], today: dt.date):
    """The live score of answers being taken (the dashboard's checklist), under the store's policy: the
    same rule as `dash score`; recording adds what the case's earlier checklists know."""
    from dacli.rules.dash import DashInput, score

    return score(DashInput(dict(answers), today), dash_rules(session))


def parse_dash(data: dict[str, Any], today: dt.date):
    from dacli.schemas.dash import DashForm

    form = parse_form(DashForm, data, "Checklist")
    not_future(form.assessed_on, today, "Checklist", "assessed_on")
    if not form.answers and not form.professional.marac_grounds and form.professional.level is None:
        raise InvalidInput(  # the template, saved unedited: a risk level nobody assessed
            "Checklist refused, nothing written: no question is answered (answers: q1 to q24) and no "
            "professional judgement (professional.level) is given."
        )
    return form


def score_form(form, rules, today: dt.date):
    """The rules' result for a checklist form (the same scoring `dash score` uses)."""
    from dacli.rules.dash import DashInput, DashInputError, score

    data = DashInput(
        answers={int(k[1:]): a.answer for k, a in form.answers.items()},
        assessed_on=form.assessed_on or today,
        police_incidents_past_12_months=form.context.police_incidents_past_12_months,
        last_marac_referral=form.context.last_marac_referral,
        marac_grounds=form.professional.marac_grounds,
        reasons=form.professional.reasons,
        level=form.professional.level,
    )
    try:
        return score(data, rules), data
    except DashInputError as exc:
        raise InvalidInput(f"Checklist refused, nothing written: {exc}") from None


def record_dash(session: Session, ref: str, form, today: dt.date | None = None) -> tuple[str, DashRecord]:
    """Record a new Dash checklist for a case. Nothing overwrites an earlier checklist. The risk level it
    sets is a decision: audited with who, when and the criteria."""
    check_case_ref(ref)
    today = today or clock.today()
    form = with_case_context(session, ref, form)
    result, data = score_form(form, dash_rules(session), today)
    now = clock.now()
    record = DashRecord.model_validate(
        {
            **form.model_dump(mode="python"),
            "assessed_on": data.assessed_on,
            "schema": "dash/1",
            "case": ref,
            "assessed_by": session.member.id,
            "recorded_at": now,
            "result": {
                "yes": result.yes,
                "dont_know": result.dont_know,
                "unanswered": result.unanswered,
                "visible_high_risk": result.visible_high_risk,
                "marac_criteria": [c.name for c in result.marac_criteria],
                "refer_to_marac": result.refer_to_marac,
                "risk_level": result.risk_level,
            },
        }
    )
    name = f"dash-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
    with session.unit():
        session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="dash-record")
        session.audit(
            "risk-level",
            case=ref,
            record=name,
            reason=form.professional.reasons,
            detail={"level": result.risk_level, "yes": result.yes, "criteria": record.result.marac_criteria},
        )
    return name, record


def with_case_context(session: Session, ref: str, form):
    """Police incidents and the last Marac referral come from the case: what this checklist leaves out is
    taken from the case's earlier checklists (a police count only from one of the past 12 months; the
    latest Marac referral date any checklist recorded). A recommendation to refer is not a referral."""
    view = load_case(session, ref)
    earlier = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    maracs = [n for n in view.records if n.startswith("marac-")]
    if not earlier and not maracs:
        return form
    context = form.context.model_copy()
    assessed = form.assessed_on or clock.today()
    recent = [d for d in earlier if 0 <= (assessed - d.assessed_on).days <= 365]
    if context.police_incidents_past_12_months is None and recent:
        # a count 'in the past 12 months' is reused only from a checklist of the past 12 months
        context.police_incidents_past_12_months = recent[-1].context.police_incidents_past_12_months
    if context.last_marac_referral is None:
        known = [d.context.last_marac_referral for d in earlier if d.context.last_marac_referral]
        known += [d.assessed_on for d in earlier if d.professional.marac_referral_made]
        from dacli.schemas.marac import MaracRecord

        known += [validated(MaracRecord, session.read_record(ref, n), ref, n).referred_on for n in maracs]
        context.last_marac_referral = max(known) if known else None
    return form.model_copy(update={"context": context})


def dash_history(session: Session, ref: str) -> list[tuple[str, DashRecord]]:
    """Every checklist of a case, oldest first (the read is audited)."""
    check_case_ref(ref)
    view = load_case(session, ref)
    session.audit("dash-read", case=ref)
    return sorted(view.dashes, key=lambda d: (d[1].assessed_on, d[1].recorded_at))


def score_latest(session: Session, ref: str, today: dt.date):
    """The case's latest checklist scored under the store's policy now (`dash score --case`)."""
    history = dash_history(session, ref)
    if not history:
        raise NotFound(f"Case {ref} has no Dash checklist yet; record one with `dacli dash record {ref}`.")
    return score_form(history[-1][1], dash_rules(session), today)


def trend(history: list[DashRecord]) -> str:
    """'rising', 'falling' or 'steady' from the last two scores; 'first' with one."""
    if len(history) < 2:
        return "first" if history else "none"
    a, b = history[-2].result.yes, history[-1].result.yes
    return "rising" if b > a else "falling" if b < a else "steady"


def abuser_names(session: Session, ref: str) -> list[str]:
    """The names of the people who abuse on a case's intake (every version, newest first), to put in the
    Dash questions for '[name of abuser(s)]'."""
    check_case_ref(ref)
    return [p.name for p in load_case(session, ref).people().perpetrators]


def questions_for(session: Session, ref: str) -> dict[int, tuple[str, str]]:
    """The Dash questions as asked on this case, each (question, guidance), the people who abuse named
    (`rules.dash.name_abusers`)."""
    from dacli.rules.dash import name_abusers
    from dacli.schemas.dash_bank import QUESTIONS

    names = abuser_names(session, ref)
    return {q.number: (name_abusers(q.text, names), name_abusers(q.guidance or "", names)) for q in QUESTIONS}
