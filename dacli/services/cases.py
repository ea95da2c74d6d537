"""Intake, notes, contacts, one case's view, and rebuilding the index. (The caseload: services.caseload.)"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dacli import clock
from dacli.errors import DacliError, IntegrityError, InvalidInput, NotFound, PartlySaved
from dacli.rules.deadlines import referral_moment
from dacli.rules.intake import intake_problems
from dacli.rules.matching import Person, same_person
from dacli.rules.people import Accumulated, accumulate
from dacli.schemas.case import CaseRecord, CaseRow, CaseStatus, CaseSummary, PersonRow
from dacli.schemas.dash import DashRecord
from dacli.schemas.intake import INTAKE_SCHEMA, IntakeForm, IntakeRecord, Match
from dacli.schemas.notes import (
    CONTACT_SCHEMA,
    NOTE_SCHEMA,
    ContactForm,
    ContactRecord,
    NoteForm,
    NoteRecord,
)
from dacli.services.caseload import caseload, deadlines, index_rows, overdue  # noqa: F401 (re-exported)
from dacli.store.store import Session, check_case_ref, incomplete_sentence, one_change
from dacli.text import MAX_FORM_CHARS, Refused, load_toml

CASE_RECORD = "case.toml.age"
_INTAKE_NAME = re.compile(r"intake-([0-9]{1,6})\.toml\.age")


def _utcnow() -> dt.datetime:
    return clock.now()


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the form"
    msg = err["msg"]
    if err["type"] == "enum":
        msg = f"must be one of {err['ctx']['expected']}"
    return f"{where}: {msg}"


def _parse(model, data: dict[str, Any], what: str):
    """A person's form against its schema: one sentence naming the field, and nothing written."""
    from dacli.services.forms import problems

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{what} refused, nothing written: {problems(exc)}.") from None


def _not_future(day: dt.date | None, today: dt.date, what: str, field: str) -> None:
    if day is not None and day > today:
        raise InvalidInput(f"{what} refused, nothing written: {field} is in the future.")


def _moment(at: dt.datetime, now: dt.datetime, what: str, field: str) -> dt.datetime:
    """A time a person gave, as UTC: without a zone it is the service's local time (14:30 in July is
    14:30 BST); refused in the future (5 minutes' grace for clocks) or out of range."""
    try:
        aware = clock.to_utc(at)
    except clock.ClockError:
        raise InvalidInput(
            f"{what} refused, nothing written: {field} is not a time dacli can record."
        ) from None
    if aware > now + dt.timedelta(minutes=5):
        raise InvalidInput(f"{what} refused, nothing written: {field} is in the future.")
    return aware


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


# --- reading forms ------------------------------------------------------------------------------------


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
    if len(text) > MAX_FORM_CHARS:
        raise InvalidInput(f"{name} is longer than any form ({MAX_FORM_CHARS:,} characters at most).")
    try:
        return load_toml(text, name)
    except Refused as exc:
        raise InvalidInput(str(exc)) from None


def parse_intake(data: dict[str, Any], today: dt.date) -> IntakeForm:
    """Validate a form; any problem is refused with a sentence naming the field."""
    form = _parse(IntakeForm, data, "Intake")
    problems = intake_problems(form, today)
    if problems:
        raise InvalidInput(f"Intake refused, nothing written: {problems[0]}")
    return form


# --- summaries ------------------------------------------------------------------------------------------


def summarise(
    ref: str,
    case: CaseRecord,
    intakes: list[IntakeRecord],
    notes: list[NoteRecord],
    records: int,
    dashes: list[DashRecord] = (),
) -> CaseSummary:
    """The index row of a case, from its records (the records are the truth)."""
    latest = intakes[-1]
    checklists = sorted(dashes, key=lambda d: (d.assessed_on, d.recorded_at))
    incidents = sorted(n.at for n in notes if n.incident)
    referred_at = referral_moment(latest.referral.date, latest.referral.time)
    contacts = sorted(n.at for n in notes if n.with_client and n.successful)
    since = [at for at in contacts if at >= referred_at]
    flags = []
    if len(intakes) > 1 or any(m.kind == "repeat" for m in latest.matches):
        flags.append("repeat")
    if latest.conflict_of_interest or any(m.kind != "repeat" for i in intakes for m in i.matches):
        flags.append("conflict")
    if latest.concerns.flag:
        flags.append("significant-concerns")
    if not latest.complete:
        flags.append("incomplete-intake")
    if not checklists:
        flags.append("no-dash")
    return CaseSummary(
        ref=ref,
        client=latest.client.name,
        aka=latest.client.aka,
        dob=latest.client.dob,
        perpetrators=[PersonRow(name=p.name, aka=p.aka, dob=p.dob) for p in accumulate(intakes).perpetrators],
        worker=case.worker,
        status=case.status,
        referral_date=latest.referral.date,
        referred_at=referred_at,
        opened=case.opened,
        intakes=len(intakes),
        first_contact=since[0] if since else None,
        last_contact=contacts[-1] if contacts else None,
        records=records,
        flags=flags,
        risk=checklists[-1].result.risk_level if checklists else None,
        last_dash=checklists[-1].assessed_on if checklists else None,
        last_incident=incidents[-1] if incidents else None,
    )


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


# --- intake ---------------------------------------------------------------------------------------------


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
        loose = session.unindexed_cases(index)
        if loose:  # a retried intake must not open a second case for a referral saved but not indexed
            raise PartlySaved(
                f"Case {loose[0]} holds records the caseload index does not list (a command stopped "
                "before indexing it, or the store was copied in): nothing was written; run `dacli reindex` "
                f"first, and if {loose[0]} is this referral, finish it with `dacli intake finish {loose[0]}` "
                "instead of taking it again."
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
        now = _utcnow()
        if target is None:
            ref = session.new_case()
            number = 1
        else:
            ref = target
            number = 1 + len(_intake_names(session.record_names(ref)))
            index["cases"][ref] = {**index["cases"][ref], "status": "open"}
            session.write_register(index)  # the retention register shows it open before anything changes

            def reopen(doc: dict | None) -> dict:
                current = _validated(CaseRecord, doc or {}, ref, CASE_RECORD)
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
        index["cases"][ref] = _load(session, ref).summary.index_row()
    return IntakeResult(ref, number, matches)


def finish_intake(session: Session, ref: str, form: IntakeForm) -> list[Match]:
    """Replace the latest intake's form with a completed one (after an urgent-fields-only intake). The
    form is matched again against the other cases (a date of birth or a person who abuses may be new): a
    match not recorded before is added to the intake's links, a conflict audited, and both returned."""
    check_case_ref(ref)
    names = _intake_names(session.record_names(ref))
    if not names:
        raise NotFound(f"Case {ref} has no intake record.")
    latest = names[-1]
    found: list[Match] = []

    def complete(doc: dict | None) -> dict:
        old = _validated(IntakeRecord, doc or {}, ref, latest)
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
        return _validated(IntakeRecord, merged, ref, latest).model_dump(mode="python", by_alias=True)

    with session.index_transaction() as index:
        found.extend(find_matches(form, index_rows(index), exclude=ref))
        action = "intake-finish" if form.complete else "intake-update"
        session.update_record(ref, latest, complete, action=action)
        for m in found:
            if m.kind != "repeat":
                session.audit("conflict-flag", case=ref, record=latest, detail=m.model_dump())
        index["cases"][ref] = _load(session, ref).summary.index_row()
    return found


def latest_intake(session: Session, ref: str) -> IntakeRecord:
    check_case_ref(ref)
    names = _intake_names(session.record_names(ref))
    if not names:
        raise NotFound(f"Case {ref} has no intake record.")
    return _validated(IntakeRecord, session.read_record(ref, names[-1]), ref, names[-1])


# --- appending records ------------------------------------------------------------------------------------


def _append(
    session: Session,
    ref: str,
    *,
    kind: str,
    at: dt.datetime,
    model,
    fields: dict[str, Any],
    action: str,
    index: bool = True,
) -> tuple[str, Any]:
    """Validate, name and write a new record (`<kind>-<when>-<rand>.toml.age`); never overwrites. With
    ``index``, the case's index row is rebuilt from its records under the store lock, in the same step."""
    record = _parse(model, {**fields, "case": ref}, kind.capitalize())  # new text: checked as input
    name = f"{kind}-{_stamp(at)}-{secrets.token_hex(3)}.toml.age"
    doc = record.model_dump(mode="python", by_alias=True)
    if not index:
        session.write_record(ref, name, doc, action=action)
        return name, record
    with session.index_transaction() as idx:
        session.write_record(ref, name, doc, action=action)
        idx["cases"][ref] = _load(session, ref).summary.index_row()
    return name, record


# --- notes and contacts -----------------------------------------------------------------------------------


def parse_note(data: dict[str, Any], now: dt.datetime) -> NoteForm:
    note = _parse(NoteForm, data, "Note")
    return note.model_copy(update={"at": _moment(note.at, now, "Note", "at")})


def add_note(session: Session, ref: str, note: NoteForm) -> str:
    """Append a case note. Notes are never edited: a correction names the note it supersedes."""
    check_case_ref(ref)
    names = session.record_names(ref)
    if note.supersedes is not None and note.supersedes not in names:
        raise InvalidInput(f"supersedes: case {ref} has no note {note.supersedes}.")
    fields = {
        **note.model_dump(mode="python"),
        "schema": NOTE_SCHEMA,
        "written_by": session.member.id,
        "written_at": _utcnow(),
    }
    name, _ = _append(
        session, ref, kind="note", at=note.at, model=NoteRecord, fields=fields, action="note-add"
    )
    return name


def parse_contact(data: dict[str, Any]) -> ContactForm:
    return _parse(ContactForm, data, "Contact")


def add_contact(session: Session, ref: str, contact: ContactForm) -> str:
    check_case_ref(ref)
    session.record_names(ref)  # the case must exist
    now = _utcnow()
    fields = {
        **contact.model_dump(mode="python"),
        "schema": CONTACT_SCHEMA,
        "added_by": session.member.id,
        "added_at": now,
    }
    name, _ = _append(
        session,
        ref,
        kind="contact",
        at=now,
        model=ContactRecord,
        fields=fields,
        action="contact-add",
        index=False,
    )
    return name


# --- views ------------------------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str
    record: str
    summary: str


@dataclass
class CaseView:
    summary: CaseSummary
    case: CaseRecord
    intakes: list[IntakeRecord]
    notes: list[tuple[str, NoteRecord]] = field(default_factory=list)
    contacts: list[tuple[str, ContactRecord]] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    dashes: list[tuple[str, DashRecord]] = field(default_factory=list)
    csc: list = field(default_factory=list)
    """Referrals to children's social care: (record name, CscReferralRecord)."""
    shares: list = field(default_factory=list)
    """Decisions to share without consent: (record name, ShareRecord)."""
    signoffs: list = field(default_factory=list)
    consented: list = field(default_factory=list)
    """Shares made with the client's consent: (record name, DisclosureRecord)."""
    hearings: list = field(default_factory=list)
    """Criminal and civil case summaries, in hearing order: (record name, record)."""
    agreements: list = field(default_factory=list)
    """Confidentiality and information sharing agreements, oldest first; the last is in force."""
    plans: list = field(default_factory=list)
    """Safety plan (ISSP) versions, oldest first: (record name, IsspRecord)."""
    marac: list = field(default_factory=list)
    """Marac referrals: (record name, MaracRecord)."""
    reviews: list = field(default_factory=list)
    """Case reviews, oldest first: (record name, ReviewRecord)."""
    closures: list = field(default_factory=list)
    """Exit forms, oldest first: (record name, ClosureRecord)."""
    reopens: list = field(default_factory=list)
    followups: list = field(default_factory=list)
    holds: list = field(default_factory=list)
    """Retention holds in force: (record name, HoldRecord)."""
    declines: list = field(default_factory=list)
    """Decisions not to refer to the Marac: (record name, MaracDeclineRecord)."""
    unreadable: list = field(default_factory=list)
    """Records that cannot be read (damaged, forged, unknown schema): (record name, why). The rest of the
    case is shown, marked incomplete, and nothing can be written to it."""

    @property
    def incomplete(self) -> str | None:
        """The sentence that marks the case incomplete (and that every write to it is refused with)."""
        return incomplete_sentence(self.summary.ref, self.unreadable) if self.unreadable else None

    def people(self) -> Accumulated:
        """Children, perpetrators and safe contact details over every intake, newest first
        (`rules.people`): what every rule and form reads."""
        return accumulate(self.intakes)

    def current_closure(self):
        """The exit form that closed the case as it stands, or None when it is open."""
        if self.case.status != CaseStatus.closed or not self.closures:
            return None
        return self.closures[-1][1]

    def ledger(self) -> list[dict]:
        """The disclosure ledger: every share, with what, to whom, the lawful basis, consent, who, when."""
        signed = {s.decision: s for _, s in self.signoffs}
        with_consent = [
            {
                "record": n,
                "when": r.shared_at,
                "to": r.sent_to,
                "what": r.information_shared,
                "basis": f"consent ({r.agreement})",
                "consent": True,
                "by": r.shared_by,
                "sign_off": "not needed",
            }
            for n, r in self.consented
        ]
        return sorted(
            with_consent
            + [
                {
                    "record": n,
                    "when": r.shared_at,
                    "to": r.sent_to,
                    "what": r.information_shared,
                    "basis": ", ".join(r.legal_basis),
                    "consent": False,
                    "by": r.decided_by,
                    "sign_off": "signed"
                    if n in signed
                    else ("awaiting" if r.needs_sign_off else "not needed"),
                }
                for n, r in self.shares
            ],
            key=lambda e: e["when"],
        )

    def superseded(self) -> set[str]:
        return {n.supersedes for _, n in self.notes if n.supersedes}

    def timeline(self) -> list[TimelineEntry]:
        out: list[TimelineEntry] = []
        for n, rec in enumerate(self.intakes, start=1):
            at = referral_moment(rec.referral.date, rec.referral.time)
            repeat = " (repeat referral)" if n > 1 else ""
            out.append(
                TimelineEntry(
                    at,
                    "intake",
                    f"intake-{n}.toml.age",
                    f"referral from {rec.referral.referred_by or '-'}{repeat}",
                )
            )
        gone = self.superseded()
        for name, note in self.notes:
            status = "attempt" if not note.successful else note.contact_type.value
            codes = ",".join(c.value for c in note.activities)
            text = f"{status} with {note.contact_with}" + (f" [{codes}]" if codes else "")
            if name in gone:
                text += " (superseded)"
            out.append(TimelineEntry(note.at, "note", name, text))
        for name, dash in self.dashes:
            r = dash.result
            at = dt.datetime.combine(dash.assessed_on, dt.time(0, 0), tzinfo=dt.UTC)
            out.append(TimelineEntry(at, "dash", name, f"Dash {r.yes} yes, {r.risk_level} risk"))
        for name, contact in self.contacts:
            out.append(TimelineEntry(contact.added_at, "contact", name, f"{contact.agency}"))
        for name, plan in self.plans:
            out.append(TimelineEntry(plan.recorded_at, "issp", name, f"safety plan version {plan.version}"))
        for name, m in self.marac:
            out.append(TimelineEntry(m.recorded_at, "marac", name, f"Marac referral by {m.referring_agency}"))
        out.sort(key=lambda e: (e.at, e.record))
        return out


def _intake_names(names: list[str]) -> list[str]:
    numbered = [(int(m.group(1)), n) for n in names if (m := _INTAKE_NAME.fullmatch(n))]
    return [n for _, n in sorted(numbered)]


STORED = {"stored": True}
"""Validation context of a stored record: its text is not checked again (it can be old), only neutralised
(`dacli.store.store.decode_document`)."""


def _validated(model, doc: dict, ref: str, name: str):
    """A stored record against its schema. A mismatch is a damaged or foreign file (exit 6), not bad
    input; the message names the field, never its value."""
    try:
        return model.model_validate(doc, context=STORED)
    except ValidationError as exc:
        raise IntegrityError(f"{ref}/{name} does not match its schema ({_problem(exc)}).") from None


def _load(session: Session, ref: str, *, contacts: bool = False, on: dt.date | None = None) -> CaseView:
    from dacli.rules.issp import next_open_action
    from dacli.schemas.children import CscReferralRecord
    from dacli.schemas.consent import AgreementRecord
    from dacli.schemas.court import CivilRecord, CriminalRecord
    from dacli.schemas.issp import IsspRecord
    from dacli.schemas.marac import MaracDeclineRecord, MaracRecord
    from dacli.schemas.review import (
        ClosureRecord,
        FollowUpRecord,
        HoldEndRecord,
        HoldRecord,
        ReopenRecord,
        ReviewRecord,
    )
    from dacli.schemas.sharing import DisclosureRecord, ShareRecord, SignOffRecord

    names = session.record_names(ref)
    if CASE_RECORD not in names:
        raise NotFound(f"Case {ref} has no case record; it is incomplete.")
    unreadable: list[tuple[str, str]] = []
    tried: set[str] = set()

    def read(n: str, model=None):
        """One record checked against its schema (``model`` chosen from the document when a callable), or
        None when it cannot be read: it is named in ``unreadable`` and the rest of the case still loads."""
        tried.add(n)
        try:
            doc = session.read_record(ref, n)
            return _validated(model(doc) if not isinstance(model, type) else model, doc, ref, n)
        except IntegrityError as exc:
            unreadable.append((n, exc.message))
            return None

    def records(prefix: str, model) -> list:
        """Every readable record of one kind, each checked against its schema."""
        found = [(n, read(n, model)) for n in names if n.startswith(prefix + "-")]
        return [(n, r) for n, r in found if r is not None]

    case = read(CASE_RECORD, CaseRecord)
    intakes = [r for r in (read(n, IntakeRecord) for n in _intake_names(names)) if r is not None]
    if case is None or not intakes:
        if unreadable:  # nothing to show a case by: its status or every intake is unreadable
            raise IntegrityError(incomplete_sentence(ref, unreadable))
        raise NotFound(f"Case {ref} has no intake record.")
    notes = records("note", NoteRecord)
    found = records("contact", ContactRecord) if contacts else []
    dashes = records("dash", DashRecord)
    csc = records("csc", CscReferralRecord)
    shares = records("share", ShareRecord)
    signoffs = records("signoff", SignOffRecord)
    consented = records("disclosure", DisclosureRecord)
    summary = summarise(ref, case, intakes, [n for _, n in notes], len(names), [d for _, d in dashes])
    hearings = records("court", lambda doc: CivilRecord if doc.get("kind") == "civil" else CriminalRecord)
    hearings.sort(key=lambda h: (h[1].hearing_date, h[0]))
    agreed = sorted(records("agreement", AgreementRecord), key=lambda a: a[1].recorded_at)
    plans = [
        (n, read(n, IsspRecord)) for n in names if n.startswith("issp-") and not n.startswith("issp-copy-")
    ]
    plans = sorted(((n, r) for n, r in plans if r is not None), key=lambda p: p[1].version)
    referrals = records("marac", MaracRecord)
    by_time = lambda found: sorted(found, key=lambda r: (r[1].recorded_at, r[0]))  # noqa: E731
    reviews = by_time(records("review", ReviewRecord))
    closures = by_time(records("closure", ClosureRecord))
    reopens = by_time(records("reopen", ReopenRecord))
    followups = by_time(records("followup", FollowUpRecord))
    holds = records("hold", HoldRecord)
    ended = {r.hold for _, r in records("holdend", HoldEndRecord)}
    declines = records("maracdecline", MaracDeclineRecord)
    for n in names:  # the kinds this view does not show (grids, copies, the summary...) must read too
        if n not in tried:
            try:
                session.read_record(ref, n)
            except IntegrityError as exc:
                unreadable.append((n, exc.message))
    view = CaseView(
        summary,
        case,
        intakes,
        notes,
        found,
        names,
        dashes,
        csc,
        shares,
        signoffs,
        consented,
        hearings,
        agreed,
        plans,
        referrals,
        reviews,
        closures,
        reopens,
        followups,
    )
    summary.issp_next_action = next_open_action(plans[-1][1].actions) if plans else None
    summary.last_review = max((r.reviewed_on for _, r in reviews if r.reviewed_on), default=None)
    closure = view.current_closure()
    if closure is not None:
        summary.closed_on = closure.closed_on
        summary.follow_up_consent = closure.follow_up_consent
        summary.follow_up_done = any(f.recorded_at >= closure.recorded_at for _, f in followups)
    births = [c.dob for i in intakes for c in i.children if c.dob]
    if any(i.client.pregnant and i.client.due_date for i in intakes):
        births += [i.client.due_date for i in intakes if i.client.pregnant and i.client.due_date]
    summary.youngest_child_dob = max(births, default=None)
    view.holds = [(n, h) for n, h in holds if n not in ended]
    view.declines = declines
    view.unreadable = sorted(unreadable)
    if unreadable:
        summary.flags.append("incomplete")  # records that cannot be read: shown by name, writes refused
    summary.held = bool(view.holds)
    summary.order_expiries = sorted(
        {o.expiry_date for _, h in hearings if h.kind == "civil" for o in h.orders if o.expiry_date}
    )
    upcoming = [h.next_court_date for _, h in hearings if h.next_court_date]
    summary.next_court_date = max(upcoming) if upcoming else None
    signed = {s.decision for _, s in signoffs}
    # the 48 hours run from the sharing itself, not from when the form was typed in
    waiting = [r.shared_at for n, r in shares if r.needs_sign_off and n not in signed]
    summary.share_unsigned_since = min(waiting) if waiting else None
    if waiting:
        summary.flags.append("share-awaiting-sign-off")
    unconfirmed = [r.referred_at for _, r in csc if r.written_confirmation_at is None]
    summary.csc_unconfirmed = min(unconfirmed) if unconfirmed else None
    covered = {t for _, r in csc for t in r.triggers}
    if any(t.name not in covered for t in children_triggers(view, on or clock.today())):
        summary.flags.append("children-referral-needed")  # a trigger no referral has answered yet
    if marac_due(view):
        summary.flags.append("marac-referral-due")
    return view


def marac_due(view: CaseView) -> bool:
    """The latest Dash recommends a Marac referral and no referral (nor a senior's decision not to refer)
    answers it (`rules.marac.referral_due`)."""
    from dacli.rules.marac import referral_due

    if not view.dashes:
        return False
    name, latest = max(view.dashes, key=lambda d: (d[1].assessed_on, d[1].recorded_at))
    referred = [m.referred_on for _, m in view.marac]
    if latest.professional.marac_referral_made:  # the checklist records the referral it led to
        referred.append(latest.assessed_on)
    declined = any(d.dash == name for _, d in view.declines)
    return referral_due(latest.result.refer_to_marac, latest.assessed_on, referred, declined)


def show_case(session: Session, ref: str, on: dt.date | None = None) -> CaseView:
    """The whole case for a person to read (audited). ``on`` is the day its date-based flags are worked
    out for (default today; the dashboard passes its own clock)."""
    check_case_ref(ref)
    view = _load(session, ref, contacts=True, on=on)
    session.audit("case-read", case=ref)
    return view


Session.rebuild_index = lambda session: reindex(session, clean=False)  # a missing index, before a write


@dataclass
class ReindexResult:
    cases: int
    skipped: list[tuple[str, str]]
    interrupted: list[str] = field(default_factory=list)
    """Case folders holding no record (a new case stopped part way), removed."""
    unaudited: int = 0
    """Records no audit entry named (a change stopped after saving them), audited now."""


def reindex(session: Session, clean: bool = True) -> ReindexResult:
    """Rebuild the caseload index from the records. A damaged case is reported, not fatal. ``clean`` first
    removes temp files dead writers left (each folder under its lock)."""
    rows: dict[str, dict] = {}
    skipped: list[tuple[str, str]] = []
    from dacli.store.retention import gone_for_good, tombstones

    if clean:
        session.clean_temps()
    removed = session.remove_interrupted_cases() if clean else []
    gone = tombstones(session.store.meta)
    for ref in session.store.case_refs():
        if ref in gone and gone_for_good(session.store.root, ref):
            continue  # boiled down by the retention sweep: only its summary is left
        try:
            rows[ref] = _load(session, ref).summary.index_row()
        except DacliError as exc:
            skipped.append((ref, str(exc)))
    session.write_index(rows, [ref for ref, _ in skipped])
    unaudited = session.audit_unaudited(sorted(rows))
    session.audit("reindex", detail={"cases": len(rows), "skipped": len(skipped)})
    return ReindexResult(len(rows), skipped, removed, unaudited)


# --- Dash ---------------------------------------------------------------------------------------------


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

    form = _parse(DashForm, data, "Checklist")
    _not_future(form.assessed_on, today, "Checklist", "assessed_on")
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
    now = _utcnow()
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
    name = f"dash-{_stamp(now)}-{secrets.token_hex(3)}.toml.age"
    with session.index_transaction() as index:
        session.write_record(ref, name, record.model_dump(mode="python", by_alias=True), action="dash-record")
        session.audit(
            "risk-level",
            case=ref,
            record=name,
            reason=form.professional.reasons,
            detail={"level": result.risk_level, "yes": result.yes, "criteria": record.result.marac_criteria},
        )
        index["cases"][ref] = _load(session, ref).summary.index_row()
    return name, record


def with_case_context(session: Session, ref: str, form):
    """Police incidents and the last Marac referral come from the case: what this checklist leaves out is
    taken from the case's earlier checklists (a police count only from one of the past 12 months; the
    latest Marac referral date any checklist recorded). A recommendation to refer is not a referral."""
    view = _load(session, ref)
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

        known += [_validated(MaracRecord, session.read_record(ref, n), ref, n).referred_on for n in maracs]
        context.last_marac_referral = max(known) if known else None
    return form.model_copy(update={"context": context})


def dash_history(session: Session, ref: str) -> list[tuple[str, DashRecord]]:
    """Every checklist of a case, oldest first (the read is audited)."""
    check_case_ref(ref)
    view = _load(session, ref)
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


# --- children's social care ------------------------------------------------------------------------------


def children_triggers(view: CaseView, on: dt.date):
    """The seeds/001 section 6.1 triggers for this case, from its latest intake and latest checklist."""
    from dacli.rules.children import ChildrenFacts, referral_triggers

    intake = view.intakes[-1]
    dashes = sorted((d for _, d in view.dashes), key=lambda d: (d.assessed_on, d.recorded_at))
    latest = dashes[-1] if dashes else None
    # every child of every intake (rules.people): a repeat referral that leaves them out forgets none
    dobs = [c.dob for c in view.people().children if not c.unborn]
    unborn = False
    for i in view.intakes:
        if not (i.client.pregnant or any(c.unborn for c in i.children)):
            continue
        due = i.client.due_date
        if i is intake or due is None or due >= on:
            unborn = True
        else:
            dobs.append(due)  # an earlier pregnancy past its due date: a baby, as far as the file knows
    facts = ChildrenFacts(
        child_dobs=tuple(dobs),
        unborn=unborn,
        high_risk=bool(latest and latest.result.risk_level == "high"),
        marac=any(i.checklist.marac_referred for i in view.intakes)
        or bool(latest and latest.result.refer_to_marac),
        # incident facts stay true once recorded in any checklist of the case
        child_made_call=any(d.context.child_made_call for d in dashes),
        child_injured=any(d.context.child_injured for d in dashes),
        child_used_as_shield=any(d.context.child_used_as_shield for d in dashes),
        professional_judgement=bool(latest and latest.professional.children_at_risk),
    )
    return referral_triggers(facts, on)


def record_csc_referral(session: Session, ref: str, form) -> str:
    """Record a referral to children's social care, with the triggers that applied when it was made."""
    from dacli.schemas.children import CSC_SCHEMA, CscReferralRecord

    check_case_ref(ref)
    view = _load(session, ref)
    now = _utcnow()
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
    name, _ = _append(
        session, ref, kind="csc", at=now, model=CscReferralRecord, fields=fields, action="csc-referral"
    )
    return name


def confirm_csc_referral(session: Session, ref: str, name: str, at: dt.datetime) -> None:
    """Record that a verbal referral was confirmed in writing (an audited update of that record)."""
    from dacli.schemas.children import CscReferralRecord

    check_case_ref(ref)
    at = _moment(at, _utcnow(), "Confirmation", "at")
    if not name.startswith("csc-"):
        raise InvalidInput(f"{name} is not a children's social care referral.")

    def confirm(doc: dict | None) -> dict:
        if doc is None:
            raise NotFound(f"Case {ref} has no record {name}.")
        rec = _validated(CscReferralRecord, doc, ref, name)
        if at < rec.referred_at:
            raise InvalidInput("at: the written confirmation cannot come before the referral.")
        return rec.model_copy(update={"written_confirmation_at": at}).model_dump(mode="python", by_alias=True)

    with session.index_transaction() as index:
        if name not in session.record_names(ref):
            raise NotFound(f"Case {ref} has no record {name}.")
        session.update_record(ref, name, confirm, action="csc-confirm")
        index["cases"][ref] = _load(session, ref).summary.index_row()


def parse_csc(data: dict[str, Any]):
    from dacli.schemas.children import CscReferralForm

    form = _parse(CscReferralForm, data, "Referral")
    return form.model_copy(
        update={"referred_at": _moment(form.referred_at, _utcnow(), "Referral", "referred_at")}
    )


# --- Severity of Abuse Grid ----------------------------------------------------------------------------


def parse_soag(data: dict[str, Any], today: dt.date):
    from dacli.schemas.soag import SoagForm

    form = _parse(SoagForm, data, "Grid")
    _not_future(form.assessed_on, today, "Grid", "assessed_on")
    return form


def record_soag(session: Session, ref: str, form, today: dt.date | None = None) -> str:
    from dacli.schemas.soag import SOAG_SCHEMA, SoagRecord

    check_case_ref(ref)
    session.record_names(ref)
    now = _utcnow()
    fields = {
        **form.model_dump(mode="python"),
        "assessed_on": form.assessed_on or today or clock.today(),
        "schema": SOAG_SCHEMA,
        "assessed_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = _append(
        session, ref, kind="soag", at=now, model=SoagRecord, fields=fields, action="soag-record", index=False
    )
    return name


def soag_history(session: Session, ref: str):
    """Every grid of a case, oldest first (the read is audited)."""
    from dacli.schemas.soag import SoagRecord

    check_case_ref(ref)
    names = [n for n in session.record_names(ref) if n.startswith("soag-")]
    grids = [(n, _validated(SoagRecord, session.read_record(ref, n), ref, n)) for n in names]
    session.audit("soag-read", case=ref)
    return sorted(grids, key=lambda g: (g[1].assessed_on, g[1].recorded_at))


def soag_comparison(grids):
    """The first grid (at intake) against the latest, per abuse type."""
    from dacli.rules.soag import compare

    if len(grids) < 2:
        return []

    def key(grid):
        return {t: (row.occurring, row.severity) for t, row in grid.rows()}

    return compare(key(grids[0][1]), key(grids[-1][1]))


# --- sharing without consent -----------------------------------------------------------------------------


def parse_share(data: dict[str, Any], now: dt.datetime):
    from dacli.schemas.sharing import ShareForm

    form = _parse(ShareForm, data, "Decision")
    return form.model_copy(update={"shared_at": _moment(form.shared_at, now, "Decision", "shared_at")})


@one_change
def share_without_consent(session: Session, ref: str, form) -> tuple[str, Any]:
    """Record a decision to share information without the client's consent. A caseworker's decision waits
    for a senior's or manager's sign-off (flagged after 48 hours); it is audited as a share."""
    from dacli.schemas.common import Role
    from dacli.schemas.sharing import SHARE_SCHEMA, ShareRecord

    check_case_ref(ref)
    view = _load(session, ref)
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
        "recorded_at": _utcnow(),
        "dash": dash,
        "needs_sign_off": session.member.role == Role.caseworker,
    }
    name, record = _append(
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
    view = _load(session, ref)
    found = dict(view.shares)
    if decision not in found:
        raise NotFound(f"Case {ref} has no decision {decision} to share without consent.")
    record: ShareRecord = found[decision]
    if record.decided_by == session.member.id:
        raise PermissionDenied("You cannot sign off your own decision; ask another senior or manager.")
    if decision in {s.decision for _, s in view.signoffs}:
        raise InvalidInput(f"{decision} is already signed off.")
    now = _utcnow()
    fields = {
        "schema": SIGNOFF_SCHEMA,
        "decision": decision,
        "signed_by": session.member.id,
        "signed_by_role": session.member.role.value,
        "signed_at": now,
        "comment": comment,
    }
    name, _ = _append(
        session, ref, kind="signoff", at=now, model=SignOffRecord, fields=fields, action="share-sign-off"
    )
    return name


# --- confidentiality and information sharing agreement ------------------------------------------------------


def parse_agreement(data: dict[str, Any], today: dt.date):
    from dacli.schemas.consent import AgreementForm

    form = _parse(AgreementForm, data, "Agreement")
    _not_future(form.caseworker_signed_on, today, "Agreement", "caseworker_signed_on")
    _not_future(form.client_signed_on, today, "Agreement", "client_signed_on")
    return form


def record_agreement(session: Session, ref: str, form) -> str:
    from dacli.schemas.consent import AGREEMENT_SCHEMA, AgreementRecord

    check_case_ref(ref)
    session.record_names(ref)
    now = _utcnow()
    fields = {
        **form.model_dump(mode="python"),
        "schema": AGREEMENT_SCHEMA,
        "recorded_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = _append(
        session, ref, kind="agreement", at=now, model=AgreementRecord, fields=fields, action="consent-record"
    )
    return name


def agreements(session: Session, ref: str) -> list:
    """Every agreement of a case, oldest first; the last is in force (the read is audited)."""
    from dacli.schemas.consent import AgreementRecord

    check_case_ref(ref)
    names = [n for n in session.record_names(ref) if n.startswith("agreement-")]
    found = [(n, _validated(AgreementRecord, session.read_record(ref, n), ref, n)) for n in names]
    session.audit("consent-read", case=ref)
    return sorted(found, key=lambda a: a[1].recorded_at)


def may_share_with(agreement, agency: str, on: dt.date) -> bool | None:
    """The client's permission to share with ``agency`` under an agreement: True, False, or None when the
    agreement does not name it (ask). A permission past its review date is not relied on (None)."""
    if agreement is None:
        return None
    wanted = agency.strip().casefold()
    for p in reversed(agreement.agencies):
        if p.agency.strip().casefold() == wanted:
            return None if review_overdue(p, on) else p.permission
    return None


def review_overdue(permission, on: dt.date) -> bool:
    """A per-agency permission past its review date: shown as overdue, and not relied on."""
    return permission.review_date is not None and on > permission.review_date


def parse_disclosure(data: dict[str, Any], now: dt.datetime):
    from dacli.schemas.sharing import DisclosureForm

    form = _parse(DisclosureForm, data, "Share")
    return form.model_copy(update={"shared_at": _moment(form.shared_at, now, "Share", "shared_at")})


@one_change
def share_with_consent(session: Session, ref: str, form) -> str:
    """Record a share the client consented to. Refused unless the agreement in force gives permission for
    that agency (without it, the decision belongs on the share-without-consent form)."""
    from dacli.schemas.sharing import DISCLOSURE_SCHEMA, DisclosureRecord

    found = agreements(session, ref)
    agreement = found[-1] if found else None
    allowed = may_share_with(
        agreement[1] if agreement else None, form.agency, clock.local_date(form.shared_at)
    )
    if allowed is not True:
        why = "refused" if allowed is False else "not on file or past its review date"
        raise InvalidInput(
            f"The client's permission to share with {form.agency!r} is {why}: nothing was recorded. "
            "Ask the client, or record a decision with `dacli share-without-consent`."
        )
    now = _utcnow()
    fields = {
        **form.model_dump(mode="python"),
        "schema": DISCLOSURE_SCHEMA,
        "shared_by": session.member.id,
        "recorded_at": now,
        "agreement": agreement[0],
    }
    name, _ = _append(
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


# --- court records ------------------------------------------------------------------------------------------


def parse_hearing(data: dict[str, Any], today: dt.date):
    from dacli.schemas.court import CivilHearing, CriminalHearing

    kind = data.get("kind")
    if kind not in ("criminal", "civil"):
        raise InvalidInput("Hearing refused, nothing written: kind must be criminal or civil.")
    form = _parse(CriminalHearing if kind == "criminal" else CivilHearing, data, "Hearing")
    _not_future(form.hearing_date, today, "Hearing", "hearing_date")
    if form.next_court_date is not None and form.next_court_date < form.hearing_date:
        raise InvalidInput("Hearing refused, nothing written: next_court_date is before hearing_date.")
    for n, order in enumerate(getattr(form, "orders", []), start=1):
        if order.expiry_date is not None and order.expiry_date < form.hearing_date:
            raise InvalidInput(
                f"Hearing refused, nothing written: orders[{n}].expiry_date is before hearing_date."
            )
    return form


def record_hearing(session: Session, ref: str, form) -> str:
    from dacli.schemas.court import CIVIL_SCHEMA, CRIMINAL_SCHEMA, CivilRecord, CriminalRecord

    check_case_ref(ref)
    now = _utcnow()
    model, schema = (
        (CriminalRecord, CRIMINAL_SCHEMA) if form.kind == "criminal" else (CivilRecord, CIVIL_SCHEMA)
    )
    fields = {
        **form.model_dump(mode="python"),
        "schema": schema,
        "recorded_by": session.member.id,
        "recorded_at": now,
    }
    name, _ = _append(session, ref, kind="court", at=now, model=model, fields=fields, action="court-record")
    return name
