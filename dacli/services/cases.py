"""Opening a case from an intake, the caseload, one case's view, and rebuilding the index."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dacli.errors import DacliError, InvalidInput, NotFound
from dacli.rules.intake import intake_problems
from dacli.schemas.case import CaseRecord, CaseStatus, CaseSummary
from dacli.schemas.intake import INTAKE_SCHEMA, IntakeForm, IntakeRecord
from dacli.store.store import Session, check_case_ref

CASE_RECORD = "case.toml.age"


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the form"
    return f"{where}: {err['msg']}"


def parse_intake(data: dict[str, Any], today: date) -> IntakeForm:
    """Validate a form; any problem is refused with a sentence naming the field."""
    try:
        form = IntakeForm.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"Intake refused, nothing written: {_problem(exc)}.") from None
    problems = intake_problems(form, today)
    if problems:
        raise InvalidInput(f"Intake refused, nothing written: {problems[0]}")
    return form


def read_form_file(path: Path | None, text: str | None = None) -> dict[str, Any]:
    """A TOML form from a file (or text read from stdin). Errors name the file, never its content."""
    name = "standard input" if path is None else path.name
    if text is None:
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"There is no file {path}.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"Cannot read {name}: {exc}.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{name} is not valid TOML: {exc}.") from None


def summarise(ref: str, case: CaseRecord, intakes: list[IntakeRecord], records: int) -> CaseSummary:
    """The index row of a case, from its records (the records are the truth)."""
    latest = intakes[-1]
    return CaseSummary(
        ref=ref,
        client=latest.client.name,
        aka=latest.client.aka,
        dob=latest.client.dob,
        worker=case.worker,
        status=case.status,
        referral_date=intakes[0].referral.date,
        opened=case.opened,
        records=records,
    )


def intake(session: Session, form: IntakeForm) -> str:
    """Open a new case from an intake form; returns its reference."""
    worker = form.caseworker or session.member.username
    if session.store.staff().by_username(worker) is None:
        raise InvalidInput(f"caseworker: there is no current user called {worker!r}.")
    with session.index_transaction() as index:
        ref = session.new_case()
        now = datetime.now(UTC).replace(microsecond=0)
        case = CaseRecord(case=ref, worker=worker, opened=now, opened_by=session.member.id)
        record = IntakeRecord.model_validate(
            {
                **form.model_dump(mode="python"),
                "caseworker": worker,
                "schema": INTAKE_SCHEMA,
                "case": ref,
                "taken_by": session.member.id,
            }
        )
        session.write_record(ref, CASE_RECORD, case.model_dump(mode="python", by_alias=True))
        session.write_record(
            ref, "intake-1.toml.age", record.model_dump(mode="python", by_alias=True), action="intake"
        )
        index["cases"][ref] = summarise(ref, case, [record], 2).model_dump(mode="json")
    return ref


@dataclass
class CaseView:
    summary: CaseSummary
    case: CaseRecord
    intakes: list[IntakeRecord]
    records: list[str] = field(default_factory=list)


def _load(session: Session, ref: str) -> CaseView:
    names = session.record_names(ref)
    if CASE_RECORD not in names:
        raise NotFound(f"Case {ref} has no case record; it is incomplete.")
    try:
        case = CaseRecord.model_validate(session.read_record(ref, CASE_RECORD))
        intakes = [
            IntakeRecord.model_validate(session.read_record(ref, n))
            for n in sorted(
                (n for n in names if n.startswith("intake-")),
                key=lambda n: int(n.split("-")[1].split(".")[0]),
            )
        ]
    except ValidationError as exc:
        raise InvalidInput(f"A record of {ref} does not match its schema: {_problem(exc)}.") from None
    if not intakes:
        raise NotFound(f"Case {ref} has no intake record.")
    return CaseView(summarise(ref, case, intakes, len(names)), case, intakes, names)


def show_case(session: Session, ref: str) -> CaseView:
    check_case_ref(ref)
    view = _load(session, ref)
    session.audit("case-read", case=ref)
    return view


def caseload(
    session: Session,
    *,
    worker: str | None = None,
    status: str | None = None,
) -> list[CaseSummary]:
    """Rows of the caseload index, filtered. Rebuilds the index first if it is missing."""
    index = session.read_index()
    if index is None:
        reindex(session)
        index = session.read_index() or {"cases": {}}
    rows = [CaseSummary.model_validate(r) for r in index.get("cases", {}).values()]
    if worker:
        rows = [r for r in rows if r.worker == worker]
    if status:
        try:
            wanted = CaseStatus(status)
        except ValueError:
            raise InvalidInput(f"status must be open or closed, not {status!r}.") from None
        rows = [r for r in rows if r.status == wanted]
    rows.sort(key=lambda r: (r.status != CaseStatus.open, r.referral_date, r.ref))
    session.audit("caseload-read", detail={"rows": len(rows)})
    return rows


@dataclass
class ReindexResult:
    cases: int
    skipped: list[tuple[str, str]]


def reindex(session: Session) -> ReindexResult:
    """Rebuild the caseload index from the records. A damaged case is reported, not fatal."""
    rows: dict[str, dict] = {}
    skipped: list[tuple[str, str]] = []
    session.clean_temps()
    for ref in session.store.case_refs():
        try:
            rows[ref] = _load(session, ref).summary.model_dump(mode="json")
        except DacliError as exc:
            skipped.append((ref, str(exc)))
    session.write_index(rows)
    session.audit("reindex", detail={"cases": len(rows), "skipped": len(skipped)})
    return ReindexResult(len(rows), skipped)
