"""The Individualised Safety and Support Plan: versions (and versions made at once), seeding from Dash and
Soag, completing actions. The client's copy is in `issp_copy`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput, NotFound
from dacli.rules.issp import join_actions, overdue_actions, seed_risks
from dacli.schemas.issp import (
    ISSP_SCHEMA,
    Action,
    IsspForm,
    IsspRecord,
)
from dacli.services.case_facts import current_plans, fork_sentence
from dacli.services.case_view import load_case
from dacli.services.forms import not_future, parse_form, stamp, unanswered_sentence, validated
from dacli.store.layout import check_case_ref
from dacli.store.store import Session

FORMATS = ("md", "html", "pdf")


def _untouched(action: Any) -> bool:
    """A row as the template seeds it: a risk (and where it came from) with nothing typed against it."""
    if not isinstance(action, dict):
        return False
    return all(not str(v).strip() for k, v in action.items() if k not in ("risk", "source"))


def _empty(form: IsspForm) -> bool:
    blank = IsspForm()
    return all(getattr(form, k) == getattr(blank, k) for k in IsspForm.model_fields if k != "created_on")


def parse_issp(data: dict[str, Any], today: dt.date) -> IsspForm:
    """A plan as a person saved it. A risk with no agreed action is not an action: a row left as the
    template seeded it is left out, one with something else typed (who, by when...) is refused; a plan
    with nothing in it is refused."""
    from dacli.schemas.fields import renumber

    actions = data.get("actions")
    kept = list(range(1, len(actions) + 1)) if isinstance(actions, list) else []
    if isinstance(actions, list):
        kept = [n for n, a in enumerate(actions, start=1) if not _untouched(a)]
        data = {**data, "actions": [actions[n - 1] for n in kept]}
    try:
        form = parse_form(IsspForm, data, "Plan")
    except InvalidInput as exc:  # rows numbered as the person gave them, seeded rows left out or not
        raise InvalidInput(renumber(exc.message, {"actions": kept})) from None
    blank = [
        f"actions[{kept[n - 1]}].action" for n, a in enumerate(form.actions, start=1) if not a.action.strip()
    ]
    if blank:
        problem = unanswered_sentence(blank)
        raise InvalidInput(f"Plan refused, nothing written: {problem} (the agreed action).")
    if _empty(form):
        raise InvalidInput(
            "Plan refused, nothing written: no action has an agreed action (actions.action is not "
            "answered) and nothing else is filled in."
        )
    not_future(form.created_on, today, "Plan", "created_on")
    not_future(form.reviewed_on, today, "Plan", "reviewed_on")
    for n, action in enumerate(form.actions, start=1):
        not_future(action.done, today, "Plan", f"actions[{kept[n - 1]}].done")
    return form


def plans(session: Session, ref: str) -> list[tuple[str, IsspRecord]]:
    """Every version of the case's plan, oldest first."""
    check_case_ref(ref)
    names = [n for n in session.record_names(ref) if n.startswith("issp-") and not n.startswith("issp-copy")]
    found = [(n, validated(IsspRecord, session.read_record(ref, n), ref, n)) for n in names]
    return sorted(found, key=lambda p: (p[1].version, p[1].recorded_at))


def working(found: list[tuple[str, IsspRecord]]) -> tuple[list[tuple[str, IsspRecord]], IsspRecord | None]:
    """The current version(s), and the plan a change starts from: the current version, or where versions
    were made at once, the newest of them holding every action of each (`rules.issp.join_actions`)."""
    tips = current_plans(found)
    if not tips:
        return tips, None
    newest = tips[-1][1]
    if len(tips) > 1:
        newest = newest.model_copy(
            update={"actions": join_actions(newest.actions, [p.actions for _, p in tips[:-1]])}
        )
    return tips, newest


def latest(session: Session, ref: str, version: int | None = None) -> tuple[str, IsspRecord]:
    versions = plans(session, ref)
    if not versions:
        raise NotFound(f"Case {ref} has no safety plan yet; start one with `dacli issp template {ref}`.")
    if version is None:
        return current_plans(versions)[-1]
    for name, plan in versions:
        if plan.version == version:
            return name, plan
    raise NotFound(f"Case {ref} has no plan version {version} (it has 1 to {versions[-1][1].version}).")


def to_show(session: Session, ref: str, version: int | None = None) -> tuple[str, IsspRecord, str | None]:
    """The plan a person is shown: an earlier version asked for, or the current one. Where versions were
    made at once, the plan the next change starts from (the newest, holding every action of each, numbered
    as `issp complete` numbers them) and the sentence that says so."""
    if version is not None:
        return (*latest(session, ref, version), None)
    found = plans(session, ref)
    if not found:
        raise NotFound(f"Case {ref} has no safety plan yet; start one with `dacli issp template {ref}`.")
    tips, base = working(found)
    people = {m.id: m.username for m in session.staff().staff}
    return tips[-1][0], base, fork_sentence(ref, tips, people)


def template(session: Session, ref: str, today: dt.date) -> dict:
    """The form to fill in: the latest plan to refresh, or a new plan whose actions are seeded from the
    latest Dash 'yes' answers and the latest Soag."""
    check_case_ref(ref)
    existing = plans(session, ref)
    session.audit("issp-read", case=ref)
    if existing:
        plan = working(existing)[1]
        doc = plan.model_dump(
            mode="python", exclude={"schema_", "case", "version", "replaces", "recorded_by", "recorded_at"}
        )
        doc["created_on"] = today
        return doc
    from dacli.schemas.dash_bank import QUESTIONS
    from dacli.schemas.soag import SoagRecord

    view = load_case(session, ref)
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    answers = {k: a.answer for k, a in dashes[-1].answers.items()} if dashes else {}
    grids = [
        validated(SoagRecord, session.read_record(ref, n), ref, n)
        for n in view.records
        if n.startswith("soag-")
    ]
    grids.sort(key=lambda g: (g.assessed_on, g.recorded_at))
    soag = {t: (row.occurring, row.severity) for t, row in grids[-1].rows()} if grids else {}
    from dacli.rules.dash import name_abusers

    names = [p.name for p in view.people().perpetrators]  # 'Has Corin...', as the question was asked
    risks = seed_risks(answers, {q.number: name_abusers(q.text, names) for q in QUESTIONS}, soag)
    return {
        "created_on": today,
        "actions": [{"risk": text, "action": "", "who": "", "source": source} for source, text in risks],
    }


def record(session: Session, ref: str, form: IsspForm, today: dt.date) -> tuple[str, IsspRecord]:
    """Save a plan as the next version (earlier versions stay as they were). The version number is taken
    under the store lock, so two people saving at once get two numbers. A safe detail left blank keeps
    the value the last version had (templates leave them out, so they never sit in a plaintext file).
    A plan the same as the latest version (a refreshed template saved unedited) is refused."""

    def make(existing: list[tuple[str, IsspRecord]]) -> IsspForm:
        if existing and _unchanged(form, existing[-1][1]):
            raise InvalidInput(
                f"Plan refused, nothing written: it is the same as version {existing[-1][1].version} "
                "(nothing was changed)."
            )
        return form

    return _save_version(session, ref, make, today)


def _unchanged(form: IsspForm, last: IsspRecord) -> bool:
    keys = set(IsspForm.model_fields) - {"created_on", "safe"}
    same = form.model_dump(include=keys) == last.model_dump(include=keys)
    kept = all(not v or v == getattr(last.safe, k) for k, v in form.safe.model_dump().items())
    return same and kept


def _save_version(
    session: Session,
    ref: str,
    make: Callable[[list[tuple[str, IsspRecord]]], IsspForm],
    today: dt.date,
) -> tuple[str, IsspRecord]:
    """Write the plan ``make`` builds from the versions on file as the next version, all under the store
    lock: the versions are read, numbered and written in one step, so a change made from the latest
    version can never be lost to another saved at the same time."""
    import secrets

    check_case_ref(ref)
    now = clock.now()
    with session.unit(), session.store.meta_lock():  # one plan version at a time on this computer
        found = plans(session, ref)
        tips, base = working(found)  # versions made at once are joined by this one
        existing = [p for p in found if p not in tips]
        if tips:  # the plan this change starts from, last
            existing.append((tips[-1][0], base))
        form = make(existing)
        safe = form.safe
        if existing:
            before = existing[-1][1].safe
            safe = safe.model_copy(
                update={k: v for k, v in before.model_dump().items() if not getattr(safe, k)}
            )
        fields = {
            **form.model_dump(mode="python"),
            "safe": safe.model_dump(),
            "created_on": form.created_on or today,
            "schema": ISSP_SCHEMA,
            "case": ref,
            "version": max((p.version for _, p in tips), default=0) + 1,
            "replaces": [name for name, _ in tips],
            "recorded_by": session.member.id,
            "recorded_at": now,
        }
        plan = parse_form(IsspRecord, fields, "Plan")
        name = f"issp-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
        session.write_record(ref, name, plan.model_dump(mode="python", by_alias=True), action="issp-record")
    return name, plan


def parse_action(data: dict[str, Any], today: dt.date) -> Action:
    """One action of the plan (risk, agreed action, who, by when, comment) against the plan's schema."""
    action = parse_form(Action, data, "Action")
    not_future(action.done, today, "Action", "done")
    if not action.action.strip():
        raise InvalidInput("Action refused, nothing written: action (the agreed action) is not answered.")
    return action


def add_action(session: Session, ref: str, action: Action, today: dt.date) -> tuple[str, IsspRecord]:
    """Add one action to the case's plan: the next version, holding every earlier action as it was. A case
    with no plan yet gets version 1, created today, with this one action. The latest version is read
    under the store lock, so an action added at the same time by someone else is kept."""

    def make(existing: list[tuple[str, IsspRecord]]) -> IsspForm:
        if not existing:
            return parse_issp({"created_on": today, "actions": [action.model_dump()]}, today)
        doc = existing[-1][1].model_dump(mode="python", include=set(IsspForm.model_fields))
        return parse_issp({**doc, "actions": [*doc["actions"], action.model_dump()]}, today)

    return _save_version(session, ref, make, today)


def complete(
    session: Session, ref: str, number: int, on: dt.date, comment: str | None, today: dt.date
) -> tuple[str, IsspRecord]:
    """Mark action ``number`` (1-based) complete: a new version of the plan with that date (the latest
    version is read under the store lock, like `add_action`)."""
    not_future(on, today, "Completion", "--on")

    def make(existing: list[tuple[str, IsspRecord]]) -> IsspForm:
        if not existing:
            latest(session, ref)  # raises the usual 'no safety plan yet'
        plan = existing[-1][1]
        if not 1 <= number <= len(plan.actions):
            raise InvalidInput(f"--action {number}: the plan has actions 1 to {len(plan.actions)}.")
        action = plan.actions[number - 1]
        if action.done is not None:
            raise InvalidInput(f"Action {number} was already completed on {action.done}.")
        update: dict = {"done": on}
        if comment:
            update["comment"] = f"{action.comment}\n{comment}".strip()
        actions = list(plan.actions)
        actions[number - 1] = action.model_copy(update=update)
        return IsspForm.model_validate(
            {**plan.model_dump(mode="python", include=set(IsspForm.model_fields)), "actions": actions}
        )

    return _save_version(session, ref, make, today)


def overdue(plan: IsspRecord | None, today: dt.date) -> list[tuple[int, Any]]:
    """(number, action) for the plan's overdue actions."""
    if plan is None:
        return []
    late = {id(a) for a in overdue_actions(plan.actions, today)}
    return [(n, a) for n, a in enumerate(plan.actions, start=1) if id(a) in late]
