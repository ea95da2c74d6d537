"""Intake: a referral becomes a case (new or repeat), matching a returning client, finishing the form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput, NotFound, PartlySaved
from dacli.rules.intake import intake_problems
from dacli.rules.matching import Person, same_person
from dacli.schemas.case import CaseRecord, CaseRow, CaseStatus
from dacli.schemas.intake import INTAKE_SCHEMA, IntakeForm, IntakeRecord, Match
from dacli.services.case_view import intake_names, load_case
from dacli.services.caseload import index_rows
from dacli.services.forms import CASE_RECORD, parse_form, validated
from dacli.store.layout import check_case_ref
from dacli.store.store import Session


def parse_intake(data: dict[str, Any], today: dt.date, now: dt.datetime | None = None) -> IntakeForm:
    """Validate a form; any problem is refused with a sentence naming the field. ``now`` (local time) also
    refuses a referral time later than now today."""
    form = parse_form(IntakeForm, data, "Intake")
    problems = intake_problems(form, today, now)
    if problems:
        raise InvalidInput(f"Intake refused, nothing written: {problems[0]}")
    return form


def find_matches(form: IntakeForm, rows: list[CaseRow], exclude: str | None = None) -> list[Match]:
    """Repeat referrals and conflicts of interest, against every case in the index (open or closed)."""
    client = Person((form.client.name, form.client.aka or ""), form.client.dob)
    perps = [(n, Person((p.name, p.aka or ""), p.dob)) for n, p in enumerate(form.perpetrators, 1)]
    found: list[Match] = []
    for row in rows:
        if row.ref == exclude:
            continue
        other_client = Person((row.client, row.aka or ""), row.dob)
        other_perps = [Person((p.name, p.aka or ""), p.dob) for p in row.perpetrators]
        if same_person(client, other_client):
            found.append(Match(kind="repeat", case=row.ref, who="client"))
        if any(same_person(client, p) for p in other_perps):
            found.append(Match(kind="client-is-perpetrator", case=row.ref, who="client"))
        for n, perp in perps:
            if same_person(perp, other_client):
                found.append(Match(kind="perpetrator-is-client", case=row.ref, who=f"perpetrators[{n}]"))
            elif any(same_person(perp, p) for p in other_perps):
                found.append(Match(kind="serial-perpetrator", case=row.ref, who=f"perpetrators[{n}]"))
    return found


@dataclass
class IntakeResult:
    case: str
    intake: int
    matches: list[Match]

    @property
    def repeat(self) -> bool:
        return self.intake > 1 or any(m.kind == "repeat" for m in self.matches)

    @property
    def conflicts(self) -> list[Match]:
        return [m for m in self.matches if m.kind != "repeat"]


def intake(
    session: Session, form: IntakeForm, *, repeat_of: str | None = None, new_case: bool = False
) -> IntakeResult:
    """Record a referral. A new client gets a new case; a client who matches an earlier case (name or
    aka plus date of birth) is a repeat referral and gets a new intake in that case's folder (one folder
    per client; a closed case is reopened). ``new_case`` opens a separate case anyway, still linked;
    ``repeat_of`` names the case outright. Conflicts of interest are recorded and audited for a manager.
    """
    worker = form.caseworker or session.member.username
    if session.staff().by_username(worker) is None:
        raise InvalidInput(f"caseworker: there is no current user called {worker!r}.")
    if repeat_of is not None:
        check_case_ref(repeat_of)
    # The store lock first: a busy store fails before anything is written, and the index never misses
    # a case that was created.
    with session.index_transaction() as index:
        loose = session.unfinished_cases()
        if (
            loose
        ):  # a retried intake must not open a second case, nor repeat one, for a referral saved part way
            raise PartlySaved(
                f"Case {loose[0]} holds records a command saved before it stopped (see its message): nothing "
                "was written; run `dacli reindex` first, and if it is this referral, finish it with "
                f"`dacli intake finish {loose[0]}` instead of taking it again."
            )
        rows = index_rows(index)
        matches = find_matches(form, rows)
        if repeat_of is not None and repeat_of not in index["cases"]:
            raise NotFound(f"There is no case {repeat_of} in this store.")
        target = repeat_of
        if target is None and not new_case:
            repeats = [m for m in matches if m.kind == "repeat"]
            if repeats:
                by_ref = {r.ref: r for r in rows}
                target = max(repeats, key=lambda m: by_ref[m.case].referred_at).case
        now = clock.now()
        if target is None:
            ref = session.new_case()
            number = 1
        else:
            ref = target
            number = 1 + len(intake_names(session.record_names(ref)))
            index["cases"][ref] = {**index["cases"][ref], "status": "open"}
            session.write_register(index)  # the retention register shows it open before anything changes

            def reopen(doc: dict | None) -> dict:
                current = validated(CaseRecord, doc or {}, ref, CASE_RECORD)
                return current.model_copy(update={"status": CaseStatus.open, "worker": worker}).model_dump(
                    mode="python", by_alias=True
                )

            session.update_record(ref, CASE_RECORD, reopen, action="case-reopen")
            matches = [m for m in matches if m.case != ref] + [Match(kind="repeat", case=ref, who="client")]
        name = f"intake-{number}.toml.age"
        try:
            record = IntakeRecord.model_validate(
                {
                    **form.model_dump(mode="python"),
                    "caseworker": worker,
                    "schema": INTAKE_SCHEMA,
                    "case": ref,
                    "taken_by": session.member.id,
                    "taken_at": now,
                    "matches": [m.model_dump() for m in matches],
                }
            )
            if target is None:
                case = CaseRecord(case=ref, worker=worker, opened=now, opened_by=session.member.id)
                session.write_record(ref, CASE_RECORD, case.model_dump(mode="python", by_alias=True))
            session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="intake")
        except BaseException:
            if target is None:  # the intake itself was not saved: the new case goes whole, nothing names it
                session.discard_new_case(ref)
            raise
        for m in matches:
            if m.kind != "repeat":
                session.audit("conflict-flag", case=ref, record=name, detail=m.model_dump())
        index["cases"][ref] = load_case(session, ref).summary.index_row()
    return IntakeResult(ref, number, matches)


def finish_intake(session: Session, ref: str, form: IntakeForm) -> list[Match]:
    """Replace the latest intake's form with a completed one (after an urgent-fields-only intake). The
    form is matched again against the other cases (a date of birth or a person who abuses may be new): a
    match not recorded before is added to the intake's links, a conflict audited, and both returned."""
    check_case_ref(ref)
    names = intake_names(session.record_names(ref))
    if not names:
        raise NotFound(f"Case {ref} has no intake record.")
    latest = names[-1]
    found: list[Match] = []

    def complete(doc: dict | None) -> dict:
        old = validated(IntakeRecord, doc or {}, ref, latest)
        known = {(m.kind, m.case, m.who) for m in old.matches}
        found[:] = [m for m in found if (m.kind, m.case, m.who) not in known]
        merged = {
            **form.model_dump(mode="python"),
            "schema": INTAKE_SCHEMA,
            "case": ref,
            "caseworker": form.caseworker or old.caseworker,
            "taken_by": old.taken_by,
            "taken_at": old.taken_at,
            "matches": [m.model_dump() for m in [*old.matches, *found]],
        }
        return validated(IntakeRecord, merged, ref, latest).model_dump(mode="python", by_alias=True)

    with session.index_transaction() as index:
        found.extend(find_matches(form, index_rows(index), exclude=ref))
        action = "intake-finish" if form.complete else "intake-update"
        session.update_record(ref, latest, complete, action=action)
        for m in found:
            if m.kind != "repeat":
                session.audit("conflict-flag", case=ref, record=latest, detail=m.model_dump())
        index["cases"][ref] = load_case(session, ref).summary.index_row()
    return found


def latest_intake(session: Session, ref: str) -> IntakeRecord:
    check_case_ref(ref)
    names = intake_names(session.record_names(ref))
    if not names:
        raise NotFound(f"Case {ref} has no intake record.")
    return validated(IntakeRecord, session.read_record(ref, names[-1]), ref, names[-1])
