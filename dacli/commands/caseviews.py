"""What `dacli case list` and `dacli case show` print, without typer: the typer commands (`case`) and the
hot path (`dacli.hot`, which runs these two without building the typer app) share it."""

from __future__ import annotations

import datetime as dt
import sys
import textwrap

from dacli import clock
from dacli.commands.common import Context, print_json


def echo(text: str) -> None:
    print(text, flush=True)  # a reader gone (`| head`) is met here, inside the error boundary


def list_cases(
    c: Context,
    *,
    worker: str | None = None,
    mine: bool = False,
    status: str | None = None,
    risk: str | None = None,
    flag: str | None = None,
    overdue: bool = False,
    json_: bool = False,
) -> None:
    from dacli.perf import gc_paused

    session = c.session()
    who = session.member.username if mine else worker
    options = dict(worker=who, status=status, risk=risk, flag=flag, only_overdue=overdue)
    if json_:  # every field of every row, and every deadline: the full rows
        from dacli.services.caseload import caseload

        with gc_paused(freeze=True):  # a one-shot process: frozen objects go when it exits (perf.gc_paused)
            out = []
            for r in caseload(session, **options):
                row = r.as_json()
                row["deadlines"] = [
                    {"name": d.name, "due": d.due_at.isoformat(), "state": d.state.value} for d in r.deadlines
                ]
                out.append(row)
            print_json(out)
        return
    from dacli.services.caseload import listing

    with gc_paused(freeze=True):
        rows = listing(session, **options)
    if not rows:
        echo("No cases.")
        return
    with gc_paused(freeze=True):
        _print_rows(rows)
    echo(f"{len(rows)} cases.")


def _print_rows(rows) -> None:
    from dacli.commands.render import table
    from dacli.rules.schedule import deadline_of

    shown: dict = {}  # many rows share a deadline (a review day): format each one once

    def next_due(r) -> str:
        code = r.next_code
        if code is None:
            return "-"
        text = shown.get(code)
        if text is None:
            d = deadline_of(code)
            word = "OVERDUE" if d.state == "overdue" else "due"
            text = shown[code] = f"{d.name} {word} {clock.show(d.due_at)}"
        return text

    days: dict = {}

    def last_contact(r) -> str:  # stored in UTC; shown as the local date
        at = r.contact_at
        if not at:
            return "-"
        day = days.get(at)
        if day is None:
            day = days[at] = clock.local_date(dt.datetime.fromisoformat(at)).isoformat()
        return day

    table(
        ("reference", "client", "worker", "status", "risk", "referred", "last contact", "next", "flags"),
        [
            (
                r.ref,
                r.client,
                r.worker,
                r.status,
                r.risk or "-",
                r.referral_date,
                last_contact(r),
                next_due(r),
                ",".join(r.flags),
            )
            for r in rows
        ],
    )


def show_case_text(c: Context, ref: str, *, json_: bool = False, all_: bool = False) -> None:
    from dacli.services.case_view import show_case
    from dacli.services.caseload import case_deadlines

    session = c.session()
    view = show_case(session, ref)
    now = clock.now()
    due = case_deadlines(session, view.summary, now)
    people = view.people()  # children, perpetrators and safe contact details of every intake
    if json_:
        print_json(
            {
                "summary": view.summary.model_dump(mode="json"),
                "case": view.case.model_dump(mode="json", by_alias=True),
                "intakes": [i.model_dump(mode="json", by_alias=True) for i in view.intakes],
                "timeline": [
                    {
                        "at": e.at.isoformat(),
                        "kind": e.kind,
                        "record": e.record,
                        "summary": e.summary,
                        "detail": e.detail,
                    }
                    for e in view.timeline()
                ],
                "deadlines": [
                    {"name": d.name, "due": d.due_at.isoformat(), "state": d.state.value} for d in due
                ],
                "records": view.records,
                "incomplete": view.incomplete,
                "unreadable": [{"record": n, "problem": why} for n, why in view.unreadable],
                "forks": view.forks,
                "conflict_copies": [
                    {"file": c.path.name, "original": c.original, "engine": c.engine} for c in view.conflicts
                ],
                "children": [c.model_dump(mode="json") for c in people.children],
                "perpetrators": [p.model_dump(mode="json") for p in people.perpetrators],
                "safe_contact": people.safe,
            }
        )
        return
    s = view.summary
    intake = view.intakes[-1]
    cl = intake.client
    safe = people.current
    # the newest intake that gave an address says whether it is safe to write to
    with_address = next((i.client for i in reversed(view.intakes) if i.client.address), cl)
    lines = [f"  INCOMPLETE: {view.incomplete}"] if view.incomplete else []
    lines += [f"  MADE AT ONCE: {fork}" for fork in view.forks]
    lines += [
        f"{s.ref}  {s.client}{' (' + s.aka + ')' if s.aka else ''}  [{s.status.value}]",
        f"  date of birth {s.dob or '-'} | worker {s.worker} | risk {s.risk or 'not assessed'}"
        f" | intakes {s.intakes}",
        f"  referred {s.referral_date} by {intake.referral.referred_by or '-'}",
        "  SAFE CONTACT: number {} | time to call {} | code word {}".format(
            safe("safe_number") or "-", safe("safe_time_to_call") or "-", safe("code_word") or "-"
        ),
        "  address {}safe to write: {}".format(
            "on file, " if with_address.address else "",
            {True: "yes", False: "NO", None: "not asked"}[with_address.address_safe_to_write],
        ),
    ]
    if view.conflicts:
        n = len(view.conflicts)
        lines.append(
            f"  {n} conflict cop{'y' if n == 1 else 'ies'} from a sync engine: see `dacli sync status`"
        )
        lines += [f"    {c.path.name} ({c.engine})" for c in view.conflicts]
    earlier = [
        f"{label} {', '.join(people.safe[key][1:])}"
        for key, label in (("safe_number", "number"), ("safe_time_to_call", "time to call"),
                           ("code_word", "code word"))
        if len(people.safe.get(key, ())) > 1
    ]  # fmt: skip
    if earlier:
        lines.append("  earlier safe contact details on file: " + "; ".join(earlier))
    if s.flags:
        lines.append("  FLAGS: " + ", ".join(s.flags))
    if intake.concerns.flag:
        lines.append(f"  significant concerns: {intake.concerns.details or '(flagged)'}")
    for m in intake.matches:
        lines.append(f"  {m.kind.replace('-', ' ')}: {m.who} -> {m.case}")
    from dacli.services.case_view import children_triggers

    triggers = children_triggers(view, clock.local_date(now))
    if triggers:
        done = "referral recorded" if view.csc else "NO REFERRAL RECORDED"
        lines.append(f"  children's social care ({done}): " + "; ".join(t.reason for t in triggers))
    if cl.pregnant:
        lines.append(f"  pregnant, due {cl.due_date or '-'}")
    for child in people.children:
        lines.append(f"  child: {child.name} ({'unborn' if child.unborn else child.dob or 'dob unknown'})")
    for perp in people.perpetrators:
        lines.append(f"  alleged perpetrator: {perp.name} ({perp.relationship or '-'})")
    if view.agreements:
        a = view.agreements[-1][1]
        agencies = "; ".join(
            f"{p.agency} {'yes' if p.permission else 'NO'}"
            + (f" (review {p.review_date})" if p.review_date else "")
            for p in a.agencies
        )
        monitoring = "yes" if a.monitoring else "NO"
        lines.append(
            f"  consent: agreement {a.how} {a.caseworker_signed_on}; monitoring {monitoring}"
            + (f"; agencies: {agencies}" if agencies else "")
        )
    else:
        lines.append("  consent: NO AGREEMENT ON FILE")
    if view.plans:
        from dacli.services.issp import overdue as overdue_actions

        pname, plan = view.plans[-1]
        open_ = sum(1 for a in plan.actions if a.done is None)
        lines.append(
            f"  safety plan: version {plan.version} of {plan.created_on}"
            + (f", reviewed {plan.reviewed_on}" if plan.reviewed_on else "")
            + f"; {len(plan.actions)} actions, {open_} open"
        )
        late = overdue_actions(plan, clock.local_date(now))
        for n, a in late[:3]:
            lines.append(f"    ACTION {n} OVERDUE since {a.by}: {a.action or a.risk} ({a.who or '-'})")
        if len(late) > 3:
            lines.append(f"    ... and {len(late) - 3} more overdue (dacli issp show {s.ref})")
    else:
        lines.append("  safety plan: NONE ON FILE")
    for _, m in view.marac[-2:]:
        lines.append(
            f"  marac: referred {m.referred_on} by {m.referring_agency}"
            + (f"; criteria met: {', '.join(c.replace('_', ' ') for c in m.criteria)}" if m.criteria else "")
        )
    ledger = view.ledger()
    if ledger:
        lines.append("  disclosures" + (f" (latest 4 of {len(ledger)}):" if len(ledger) > 4 else ":"))
        for d in ledger[-4:]:
            basis = d["basis"] if d["consent"] else f"no consent; {d['basis']}; sign-off {d['sign_off']}"
            lines.append(f"    {clock.show(d['when'])} to {d['to']} ({basis})")
    for _, h in view.hearings[-3:]:
        orders = ", ".join(f"{o.type} to {o.expiry_date or '-'}" for o in getattr(h, "orders", []))
        lines.append(
            f"  court: {h.hearing_date} {h.kind} {h.type_of_hearing}"
            + (f"; next {h.next_court_date}" if h.next_court_date else "")
            + (f"; orders: {orders}" if orders else "")
        )
    lines.append("  deadlines:")
    for d in due:
        when = (
            f"done {clock.show(d.done_at)}"
            if d.done_at
            else (
                f"OVERDUE, was due {clock.show_due(d.due_at)}"
                if d.state.value == "overdue"
                else f"due by {clock.show_due(d.due_at)}"
            )
        )
        lines.append(f"    {d.name}: {when}")
    timeline = view.timeline()
    shown = timeline if all_ else timeline[-8:]
    earlier = len(timeline) - len(shown)
    lines.append(
        "  timeline" + (f" (latest {len(shown)}; {earlier} earlier with --all):" if earlier else ":")
    )
    for e in shown:
        lines.append(f"    {clock.show(e.at)}  {e.kind:<9} {e.summary}")
        for line in e.detail.splitlines():  # a note's text in full: wrapped, never cut
            lines.extend(textwrap.wrap(line, 110, initial_indent=" " * 8, subsequent_indent=" " * 8) or [""])
    if view.contacts:
        lines.append(
            "  case contacts: " + "; ".join(f"{r.agency} ({r.name or '-'})" for _, r in view.contacts)
        )
    width = 110  # one screen: a long line (a Dash question as an action) is cut; a note wraps (above)
    from dacli.commands.render import paint

    text = "\n".join(line if len(line) <= width else line[: width - 1] + "…" for line in lines)
    echo(paint(text, sys.stdout))
