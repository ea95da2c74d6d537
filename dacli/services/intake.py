"""Intake: a referral becomes a case (new or repeat), matching a returning client, finishing the form."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput, NotFound, PartlySaved
from dacli.rules.intake import intake_problems
from dacli.rules.matching import Person, same_person
from dacli.schemas.case import CaseRecord, CaseRow
from dacli.schemas.intake import INTAKE_SCHEMA, IntakeForm, IntakeRecord, Match
from dacli.services.case_facts import intake_names, intake_versions
from dacli.services.case_view import load_case
from dacli.services.caseload import people_rows
from dacli.services.forms import CASE_RECORD, parse_form, stamp, validated
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
    """Repeat referrals and conflicts of interest, against every case in the index (open or closed). Two
    people match only with the same date of birth (`same_person`), so a row is looked at only where a
    date of birth in it is one of this referral's: the names of the rest are never normalised."""
    client = Person((form.client.name, form.client.aka or ""), form.client.dob)
    perps = [(n, Person((p.name, p.aka or ""), p.dob)) for n, p in enumerate(form.perpetrators, 1)]
    dobs = {d for d in (client.dob, *(p.dob for _n, p in perps)) if d is not None}
    found: list[Match] = []
    for row in rows:
        if row.ref == exclude:
            continue
        if row.dob not in dobs and not any(p.dob in dobs for p in row.perpetrators):
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


def _dobs(form: IntakeForm) -> set[str]:
    """The referral's dates of birth (ISO): a case can match it only if it holds one (`find_matches`)."""
    return {str(d) for d in (form.client.dob, *(p.dob for p in form.perpetrators)) if d is not None}


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


def match_sentence(m: Match) -> str:
    """What a link found at intake means, in a sentence: a repeat referral, or a conflict of interest."""
    if m.kind == "repeat":
        return (
            f"This client matches the client of case {m.case} (name or aka and date of birth): linked as a "
            "repeat referral."
        )
    return (
        f"Conflict of interest to discuss with your manager: {m.who} here matches {m.kind.replace('-', ' ')} "
        f"in case {m.case}."
    )


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
    with session.match_transaction(_dobs(form)) as found:
        loose = session.unfinished_cases()
        if (
            loose
        ):  # a retried intake must not open a second case, nor repeat one, for a referral saved part way
            raise PartlySaved(
                f"Case {loose[0]} holds records a command saved before it stopped (see its message): nothing "
                "was written; run `dacli reindex` first, and if it is this referral, finish it with "
                f"`dacli intake finish {loose[0]}` instead of taking it again."
            )
        rows = people_rows(found.rows)
        matches = find_matches(form, rows)
        if repeat_of is not None and repeat_of not in found.index()["cases"]:
            raise NotFound(f"There is no case {repeat_of} in this store.")
        target = repeat_of
        if target is None and not new_case:
            repeats = [m for m in matches if m.kind == "repeat"]
            if repeats:
                by_ref = {r.ref: r for r in rows}
                target = max(repeats, key=lambda m: by_ref[m.case].referred_at).case
        now = clock.now()
        reopened = False
        after: list[str] = []
        if target is None:
            ref = session.new_case()
            number = 1
        else:
            ref = target
            index = found.index()  # a repeat: the earlier case's row, and the register, from the index
            earlier = load_case(session, ref)
            number = 1 + len(earlier.intakes)
            after = [n for n, r in earlier.all_intakes if not r.replaces]
            reopened = index["cases"][ref].get("status") == "closed"
            index["cases"][ref] = {**index["cases"][ref], "status": "open"}
            session.write_register(index)  # the retention register shows it open before anything changes
            # the new intake itself reopens a closed case and names its worker (`case_facts.case_state`):
            # case.toml is written once, when the case is opened, and never changed
            matches = [m for m in matches if m.case != ref] + [Match(kind="repeat", case=ref, who="client")]
        name = f"intake-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
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
                    "after": after,
                }
            )
            if target is None:
                case = CaseRecord(case=ref, worker=worker, opened=now, opened_by=session.member.id)
                session.write_record(ref, CASE_RECORD, case.model_dump(mode="python", by_alias=True))
            session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="intake")
            if reopened:
                session.audit("case-reopen", case=ref, record=name, detail={"by": "repeat referral"})
        except BaseException:
            if target is None:  # the intake itself was not saved: the new case goes whole, nothing names it
                session.discard_new_case(ref)
            raise
        for m in matches:
            if m.kind != "repeat":
                session.audit("conflict-flag", case=ref, record=name, detail=m.model_dump())
    return IntakeResult(ref, number, matches)


def finish_intake(session: Session, ref: str, form: IntakeForm) -> list[Match]:
    """Complete the latest referral's intake (after an urgent-fields-only intake) as a new version that
    replaces it (store format 3: nothing is rewritten in place; where it was completed in two places at
    once, this version replaces both). The form is matched again against the other cases (a date of birth
    or a person who abuses may be new): a match not recorded before is added to the intake's links, a
    conflict audited, and both returned."""
    check_case_ref(ref)
    tips = current_intake(session, ref)
    old = tips[-1][1]
    known = {(m.kind, m.case, m.who) for _, t in tips for m in t.matches}
    with session.match_transaction(_dobs(form)) as candidates:
        matched = find_matches(form, people_rows(candidates.rows), exclude=ref)
        found = [m for m in matched if (m.kind, m.case, m.who) not in known]
        earlier = {(m.kind, m.case, m.who): m for _, t in tips for m in t.matches}
        now = clock.now()
        fields = {
            **form.model_dump(mode="python"),
            "schema": INTAKE_SCHEMA,
            "case": ref,
            "caseworker": form.caseworker or old.caseworker,
            "taken_by": old.taken_by,
            "taken_at": old.taken_at,
            "matches": [m.model_dump() for m in [*earlier.values(), *found]],
            "replaces": [name for name, _ in tips],
            "recorded_by": session.member.id,
            "recorded_at": now,
        }
        name = f"intake-{stamp(now)}-{secrets.token_hex(3)}.toml.age"
        record = validated(IntakeRecord, fields, ref, name)
        action = "intake-finish" if form.complete else "intake-update"
        session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action=action)
        for m in found:
            if m.kind != "repeat":
                session.audit("conflict-flag", case=ref, record=name, detail=m.model_dump())
    return found


def current_intake(session: Session, ref: str) -> list[tuple[str, IntakeRecord]]:
    """The latest referral's intake as it stands: its current version, or the versions made of it at once in
    two places (oldest first)."""
    found = [(n, validated(IntakeRecord, session.read_record(ref, n), ref, n)) for n in intake_names(
        session.record_names(ref))]  # fmt: skip
    if not found:
        raise NotFound(f"Case {ref} has no intake record.")
    current, forks = intake_versions(found)
    latest = current[-1][0]
    return next((fork for fork in forks if fork[-1][0] == latest), [current[-1]])


def latest_intake(session: Session, ref: str) -> IntakeRecord:
    """The latest referral's intake as it stands (the newest of versions made at once)."""
    check_case_ref(ref)
    return current_intake(session, ref)[-1][1]
