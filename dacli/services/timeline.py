"""A case's timeline: one entry per fact on file, of every kind, in time order; each with a one-line summary
and its text (a note's facts and opinion, a closure's reason, a share's information...), so `case show`
and the dashboard's case screen can say what happened, and when, without opening a record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dacli import clock
from dacli.rules.deadlines import referral_moment


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str
    record: str
    summary: str
    detail: str = ""
    """The entry's text, if it has one (many lines possible): a note's facts and opinion, a reason. A list
    (a review's reasons) is kept as its lines, None as ''."""

    def __post_init__(self) -> None:
        self.detail = _text(self.detail)


def _text(value) -> str:
    """A record's free text as an entry's detail: a list as lines, nothing as ''."""
    if not value:
        return ""
    return "\n".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _day(day: dt.date) -> dt.datetime:
    return clock.start_of(day)


def _lines(*parts: tuple[str, str | None]) -> str:
    return "\n".join(f"{label}{text}" for label, text in parts if text)


def _soag(grid) -> str:
    def level(row) -> str:
        if row.occurring != "yes":
            return {"no": "no", "dont-know": "don't know"}.get(row.occurring, "not answered")
        return row.severity or "yes"

    names = {
        "physical": "physical",
        "sexual": "sexual",
        "stalking_harassment": "stalking",
        "jealous_controlling_emotional": "jealous/controlling",
    }
    return "; ".join(f"{names[t]} {level(row)}" for t, row in grid.rows())


def timeline(view, soags: list | None = None) -> list[TimelineEntry]:
    """Every fact of ``view`` (a `services.case_view.CaseView`) as a timeline entry, oldest first.
    ``soags``: the case's Severity of Abuse Grids, (record name, record), when read (`CaseView.soags`)."""
    out: list[TimelineEntry] = []
    add = out.append
    for n, rec in enumerate(view.intakes, start=1):
        at = referral_moment(rec.referral.date, rec.referral.time)
        repeat = " (repeat referral)" if n > 1 else ""
        add(
            TimelineEntry(
                at,
                "intake",
                f"intake-{n}.toml.age",
                f"referral from {rec.referral.referred_by or '-'}{repeat}",
            )
        )
    gone = view.superseded()
    for name, note in view.notes:
        status = "attempt" if not note.successful else note.contact_type.value
        codes = ",".join(c.value for c in note.activities)
        text = f"{status} with {note.contact_with}" + (f" [{codes}]" if codes else "")
        text += " (new incident)" if note.incident else ""
        text += " (superseded)" if name in gone else ""
        detail = _lines(("", note.facts), ("Opinion: ", note.opinion))
        add(TimelineEntry(note.at, "note", name, text, detail))
    for name, dash in view.dashes:
        r = dash.result
        add(TimelineEntry(_day(dash.assessed_on), "dash", name, f"Dash {r.yes} yes, {r.risk_level} risk"))
    for name, grid in soags or ():
        add(
            TimelineEntry(
                _day(grid.assessed_on) if grid.assessed_on else grid.recorded_at,
                "soag",
                name,
                f"Soag: {_soag(grid)}",
            )
        )
    for name, contact in view.contacts:
        add(TimelineEntry(contact.added_at, "contact", name, f"case contact {contact.agency}"))
    for name, plan in view.plans:
        add(TimelineEntry(plan.recorded_at, "issp", name, f"safety plan version {plan.version}"))
    for name, a in view.agreements:
        signed = f", signed by the client {a.client_signed_on}" if a.client_signed_on else ""
        add(TimelineEntry(a.recorded_at, "consent", name, f"consent agreement ({a.how}){signed}"))
    for name, d in view.consented:
        add(
            TimelineEntry(
                d.shared_at, "share", name, f"shared with consent with {d.sent_to}", d.information_shared
            )
        )
    for name, s in view.shares:
        basis = ", ".join(s.legal_basis)
        add(
            TimelineEntry(
                s.shared_at,
                "share",
                name,
                f"shared WITHOUT consent with {s.sent_to} ({basis})",
                s.information_shared,
            )
        )
    for name, s in view.signoffs:
        add(TimelineEntry(s.signed_at, "sign-off", name, f"share {s.decision} signed off", s.comment))
    for name, m in view.marac:
        add(TimelineEntry(m.recorded_at, "marac", name, f"Marac referral by {m.referring_agency}"))
    for name, d in view.declines:
        add(TimelineEntry(_day(d.decided_on), "marac", name, "Marac referral not made", d.reasons))
    for name, c in view.csc:
        confirmed = " (confirmed in writing)" if c.written_confirmation_at else ""
        add(
            TimelineEntry(
                c.referred_at,
                "children",
                name,
                f"children's social care referral to {c.to} ({c.how}){confirmed}",
                c.notes,
            )
        )
    for name, h in view.hearings:
        nxt = f"; next {h.next_court_date}" if h.next_court_date else ""
        add(
            TimelineEntry(
                _day(h.hearing_date),
                "court",
                name,
                f"{h.kind} hearing at {h.court}: {h.type_of_hearing}{nxt}",
                h.comments,
            )
        )
    for name, r in view.reviews:
        outcome = getattr(r.outcome, "value", r.outcome)
        add(TimelineEntry(r.recorded_at, "review", name, f"case review: {outcome}", r.reasons))
    for name, c in view.closures:
        reason = getattr(c.reason, "value", c.reason)
        add(
            TimelineEntry(
                c.recorded_at, "closure", name, f"case closed {c.closed_on}: {reason}", c.reason_detail
            )
        )
    for name, r in view.reopens:
        add(TimelineEntry(r.recorded_at, "reopen", name, "case reopened", r.reason))
    for name, f in view.followups:
        reached = "client reached" if f.reached else "client not reached"
        add(
            TimelineEntry(
                f.recorded_at, "follow-up", name, f"follow-up call {f.called_on}: {reached}", f.outcome
            )
        )
    for name, h in view.holds:
        add(TimelineEntry(h.recorded_at, "hold", name, "retention hold placed", h.reason))
    out.sort(key=lambda e: (e.at, e.record))
    return out
