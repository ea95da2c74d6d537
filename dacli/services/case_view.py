"""One case's file: its records read, checked and gathered into a CaseView (summary, timeline, plan,
consent, disclosures, Marac and court, children's triggers, a Marac referral due), which `case show` and
the dashboard render; a new record appended to it with its index row rebuilt in the same step; and the
caseload index rebuilt from every case file (`dacli reindex`)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from dacli import clock
from dacli.errors import IntegrityError, NotFound
from dacli.rules.deadlines import referral_moment
from dacli.rules.people import Accumulated, accumulate
from dacli.schemas.case import CaseRecord, CaseStatus, CaseSummary, PersonRow
from dacli.schemas.dash import DashRecord
from dacli.schemas.intake import IntakeRecord
from dacli.schemas.notes import (
    ContactRecord,
    NoteRecord,
)
from dacli.schemas.records import model_for
from dacli.services.case_facts import case_state, fork_sentences, intake_names, intake_versions
from dacli.services.forms import CASE_RECORD, parse_form, stamp, validated
from dacli.services.timeline import TimelineEntry, timeline
from dacli.store.documents import incomplete_sentence
from dacli.store.layout import check_case_ref
from dacli.store.store import Session
from dacli.store.sync import case_copies


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


def append_record(
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
    """Validate, name and write a new record (`<kind>-<when>-<rand>.toml.age`); never overwrites. The
    caseload index is not touched: the next read of it rebuilds the row of the case, whose folder changed
    (``index`` is kept for callers; a write costs one record, not the caseload)."""
    record = parse_form(model, {**fields, "case": ref}, kind.capitalize())  # new text: checked as input
    name = f"{kind}-{stamp(at)}-{secrets.token_hex(3)}.toml.age"
    doc = record.model_dump(mode="python", by_alias=True)
    session.write_record(ref, name, doc, action=action)
    return name, record


def signed_off(shares: list, signoffs: list) -> set[str]:
    """The decisions to share without consent that a senior or manager signed off: the store believes a
    sign-off only as signed by the senior it names; here, one by the person who made the decision counts
    for nothing (nobody signs off their own)."""
    decided = {n: r.decided_by for n, r in shares}
    return {s.decision for _, s in signoffs if s.decision in decided and s.signed_by != decided[s.decision]}


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
    all_intakes: list = field(default_factory=list)
    """Every intake record, every version: (record name, IntakeRecord)."""
    forks: list = field(default_factory=list)
    """Sentences naming what was changed in two places at once (store format 3: shown, never settled by a
    silent winner)."""
    unreadable: list = field(default_factory=list)
    """Records that cannot be read (damaged, forged, unknown schema): (record name, why). The rest of the
    case is shown, marked incomplete, and nothing can be written to it."""
    soags: list = field(default_factory=list)
    """Severity of Abuse Grids: (record name, SoagRecord)."""
    conflicts: list = field(default_factory=list)
    """Conflict copies a sync engine left in the case's folder (`store.sync.Copy`; `dacli sync status`)."""

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
        signed = signed_off(self.shares, self.signoffs)
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
        """Every fact on file, oldest first, with its text (`services.timeline`)."""
        return timeline(self, self.soags)


def _plan(name: str) -> bool:
    return name.startswith("issp-") and not name.startswith("issp-copy-")


def load_case(session: Session, ref: str, *, contacts: bool = False, on: dt.date | None = None) -> CaseView:
    from dacli.rules.issp import next_open_action

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
            return validated(model(doc) if not isinstance(model, type) else model, doc, ref, n)
        except IntegrityError as exc:
            unreadable.append((n, exc.message))
            return None

    def records(prefix: str, model) -> list:
        """Every readable record of one kind, each checked against its schema (``model``: a schema, a
        function of the document that chooses one, or the kind's schema line, its model imported only when
        the case holds a record of the kind (`schemas.records.model_for`): a case of two records builds none
        of the other kinds' models)."""
        named = [n for n in names if n.startswith(prefix + "-")]
        if not named:
            return []
        if isinstance(model, str):
            model = model_for(model)
        found = [(n, read(n, model)) for n in named]
        return [(n, r) for n, r in found if r is not None]

    case = read(CASE_RECORD, CaseRecord)
    found_intakes = [(n, r) for n in intake_names(names) if (r := read(n, IntakeRecord)) is not None]
    current_intakes, intake_forks = intake_versions(found_intakes)
    intakes = [r for _, r in current_intakes]
    if case is None or not intakes:
        if unreadable:  # nothing to show a case by: its status or every intake is unreadable
            raise IntegrityError(incomplete_sentence(ref, unreadable))
        raise NotFound(f"Case {ref} has no intake record.")
    notes = records("note", NoteRecord)
    found = records("contact", ContactRecord) if contacts else []
    dashes = records("dash", DashRecord)
    csc = records("csc", "csc-referral/1")
    confirmed: dict[str, dt.datetime] = {}  # store format 3: a confirmation is a record of its own
    for _, c in records("cscconfirm", "csc-confirm/1"):
        confirmed[c.referral] = min(confirmed.get(c.referral, c.confirmed_at), c.confirmed_at)
    csc = [
        (n, r.model_copy(update={"written_confirmation_at": confirmed[n]}))
        if r.written_confirmation_at is None and n in confirmed
        else (n, r)
        for n, r in csc
    ]
    shares = records("share", "share-without-consent/1")
    signoffs = records("signoff", "share-sign-off/1")
    consented = records("disclosure", "disclosure/1")
    by_time = lambda found: sorted(found, key=lambda r: (r[1].recorded_at, r[0]))  # noqa: E731
    closures = by_time(records("closure", "case-exit/1"))
    reopens = by_time(records("reopen", "case-reopen/1"))
    case = case_state(case, found_intakes, closures, reopens)
    summary = summarise(ref, case, intakes, [n for _, n in notes], len(names), [d for _, d in dashes])
    hearings = records(
        "court",
        lambda doc: model_for("court-civil/1" if doc.get("kind") == "civil" else "court-criminal/1"),
    )
    hearings.sort(key=lambda h: (h[1].hearing_date, h[0]))
    agreed = sorted(records("agreement", "agreement/1"), key=lambda a: a[1].recorded_at)
    plans = [(n, read(n, model_for("issp/1"))) for n in names if _plan(n)]
    plans = sorted(((n, r) for n, r in plans if r is not None), key=lambda p: p[1].version)
    referrals = records("marac", "marac-referral/1")
    reviews = by_time(records("review", "case-review/1"))
    followups = by_time(records("followup", "follow-up/1"))
    holds = records("hold", "retention-hold/1")
    ended = {r.hold for _, r in records("holdend", "retention-hold-end/1")}
    declines = records("maracdecline", "marac-decline/1")
    soags = records("soag", "soag/1")
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
    view.all_intakes = found_intakes
    view.forks = fork_sentences(session, ref, intake_forks, plans)
    view.holds = [(n, h) for n, h in holds if n not in ended]
    view.declines = declines
    view.soags = sorted(soags, key=lambda g: (g[1].assessed_on or g[1].recorded_at.date(), g[1].recorded_at))
    view.unreadable = sorted(unreadable)
    if unreadable:
        summary.flags.append("incomplete")  # records that cannot be read: shown by name, writes refused
    summary.held = bool(view.holds)
    summary.order_expiries = sorted(
        {o.expiry_date for _, h in hearings if h.kind == "civil" for o in h.orders if o.expiry_date}
    )
    upcoming = [h.next_court_date for _, h in hearings if h.next_court_date]
    summary.next_court_date = max(upcoming) if upcoming else None
    signed = signed_off(shares, signoffs)
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
    summary.report = report_facts(view)
    return view


def report_facts(view: CaseView) -> dict:
    """`services.report_facts.case_facts`; a case whose facts cannot be worked out (a record too odd) is
    counted without them, never keeping the caseload from being read."""
    from dacli.services.report_facts import case_facts

    try:
        return case_facts(view)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        return {"con": False, "odd": True}


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
    view = load_case(session, ref, contacts=True, on=on)
    view.conflicts = case_copies(session.store.root, ref)
    session.audit("case-read", case=ref)
    return view


def index_row(session: Session, ref: str) -> dict:
    """One case's caseload row, from its records (the store's index calls it for each changed folder)."""
    return load_case(session, ref).summary.index_row()


Session.build_row = index_row


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
    if clean:
        session.clean_temps()
    removed = session.remove_interrupted_cases() if clean else []
    index = session.read_index(full=True)
    rows, skipped = index["cases"], sorted(index["unreadable"].items())
    unaudited = session.audit_unaudited(sorted(rows))
    session.clear_unfinished()
    session.audit("reindex", detail={"cases": len(rows), "skipped": len(skipped)})
    return ReindexResult(len(rows), skipped, removed, unaudited)


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
