"""The Individualised Safety and Support Plan: versions, seeding from Dash and Soag, completing actions,
and the client's copy (Markdown, HTML or PDF) with safe fields withheld."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dacli import clock
from dacli.errors import DacliError, InvalidInput, NotFound
from dacli.rules.issp import overdue_actions, seed_risks
from dacli.schemas.issp import (
    ADVICE_SECTIONS,
    EMERGENCY_PROMPT,
    ISSP_COPY_SCHEMA,
    ISSP_SCHEMA,
    LEAVE_PROMPT,
    SAFE_FIELDS,
    Action,
    IsspCopyRecord,
    IsspForm,
    IsspRecord,
)
from dacli.services.case_view import append_record, load_case
from dacli.services.exports import WITHHELD, Deliver, case_safe_values, redact
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
    actions = data.get("actions")
    if isinstance(actions, list):
        data = {**data, "actions": [a for a in actions if not _untouched(a)]}
    form = parse_form(IsspForm, data, "Plan")
    blank = [f"actions.{n}.action" for n, a in enumerate(form.actions) if not a.action.strip()]
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
        not_future(action.done, today, "Plan", f"actions[{n}].done")
    return form


def plans(session: Session, ref: str) -> list[tuple[str, IsspRecord]]:
    """Every version of the case's plan, oldest first."""
    check_case_ref(ref)
    names = [n for n in session.record_names(ref) if n.startswith("issp-") and not n.startswith("issp-copy")]
    found = [(n, validated(IsspRecord, session.read_record(ref, n), ref, n)) for n in names]
    return sorted(found, key=lambda p: (p[1].version, p[1].recorded_at))


def latest(session: Session, ref: str, version: int | None = None) -> tuple[str, IsspRecord]:
    versions = plans(session, ref)
    if not versions:
        raise NotFound(f"Case {ref} has no safety plan yet; start one with `dacli issp template {ref}`.")
    if version is None:
        return versions[-1]
    for name, plan in versions:
        if plan.version == version:
            return name, plan
    raise NotFound(f"Case {ref} has no plan version {version} (it has 1 to {versions[-1][1].version}).")


def template(session: Session, ref: str, today: dt.date) -> dict:
    """The form to fill in: the latest plan to refresh, or a new plan whose actions are seeded from the
    latest Dash 'yes' answers and the latest Soag."""
    check_case_ref(ref)
    existing = plans(session, ref)
    session.audit("issp-read", case=ref)
    if existing:
        plan = existing[-1][1]
        doc = plan.model_dump(
            mode="python", exclude={"schema_", "case", "version", "recorded_by", "recorded_at"}
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
    risks = seed_risks(answers, {q.number: q.text for q in QUESTIONS}, soag)
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
        existing = plans(session, ref)
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
            "version": max((p.version for _, p in existing), default=0) + 1,
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


@dataclass
class ClientCopy:
    record: str
    """The issp-copy record that says what was asked and written."""
    content: bytes | None
    """None when the client said it is not safe to take a copy home."""
    redacted: list[str]
    """Safe fields found in free text and withheld."""


def client_copy(
    session: Session,
    ref: str,
    fmt: str,
    safe_to_take_home: bool,
    release: list[str],
    reason: str | None,
    deliver: Deliver,
    version: int | None = None,
    today: dt.date | None = None,
) -> ClientCopy:
    """Record whether it is safe for the client to take the plan home and, only if it is, render it and
    hand it to ``deliver`` (a file or standard output). The export is recorded and audited after it was
    delivered; a failed delivery is recorded as not written."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be {', '.join(FORMATS)}, not {fmt!r}.")
    unknown = [f for f in release if f not in SAFE_FIELDS]
    if unknown:
        raise InvalidInput(
            f"--release {unknown[0]}: not a safe field of the plan ({', '.join(SAFE_FIELDS)})."
        )
    if release and not (reason or "").strip():
        raise InvalidInput("Releasing a safe field needs a --reason, which is audited.")
    name, plan = latest(session, ref, version)
    view = load_case(session, ref)
    now = clock.now()

    def answer(written: bool, found: list[str]) -> str:
        with session.unit():  # the record and its audit entries, as one change (not the delivery)
            return record_answer(written, found)

    def record_answer(written: bool, found: list[str]) -> str:
        fields = {
            "schema": ISSP_COPY_SCHEMA,
            "plan": name,
            "version": plan.version,
            "safe_to_take_home": safe_to_take_home,
            "format": fmt,
            "written": written,
            "released": release if written else [],
            "asked_by": session.member.id,
            "asked_at": now,
        }
        copy_name, _ = append_record(
            session, ref, kind="issp-copy", at=now, model=IsspCopyRecord, fields=fields, action="issp-copy",
            index=False,
        )  # fmt: skip
        session.audit(
            "issp-copy-asked",
            case=ref,
            record=copy_name,
            detail={"safe_to_take_home": safe_to_take_home, "written": written},
        )
        if written:
            if release:
                session.audit(
                    "safe-field-release",
                    case=ref,
                    record=copy_name,
                    reason=reason,
                    detail={"fields": release},
                )
            session.audit(
                "export",
                case=ref,
                record=copy_name,
                detail={"form": "issp-client-copy", "format": fmt, "redacted": found},
            )
        return copy_name

    if not safe_to_take_home:
        return ClientCopy(answer(False, []), None, [])
    text = render_markdown(ref, plan, set(release), today or clock.local_date(now))
    text, found = redact(text, case_safe_values(view), release)
    if fmt == "md":
        content = text.encode()
    elif fmt == "html":
        content = markdown_to_html(text).encode()
    else:
        content = markdown_to_pdf(text)
    try:
        deliver(content)
    except DacliError as exc:
        name = answer(False, found)
        # the copy was not made, but the answer to 'safe to take home?' is on the case: never 'nothing was
        # written' after writing that
        raise type(exc)(
            f"{exc.message.removesuffix(': nothing was written.').rstrip('.')}: the client's copy was not "
            f"made; {name} in case {ref} records the answer and that it was not written."
        ) from None
    except BaseException:
        answer(False, found)
        raise
    return ClientCopy(answer(True, found), content, found)


def render_markdown(ref: str, plan: IsspRecord, released: set[str], today: dt.date) -> str:
    """The client's copy: actions, options and advice, what to take. Safe fields only if released."""
    lines = [
        "# My safety and support plan",
        "",
        f"- Reference: {ref}",
        f"- Plan created on: {plan.created_on}" + (f" (version {plan.version})" if plan.version > 1 else ""),
    ]
    if plan.reviewed_on:
        lines.append(f"- Reviewed on: {plan.reviewed_on} by {plan.reviewed_by}")
    lines += ["", "## What we agreed", ""]
    if not plan.actions:
        lines.append("No actions yet.")
    late = {id(a) for a in overdue_actions(plan.actions, today)}
    for n, a in enumerate(plan.actions, start=1):
        state = f"done {a.done}" if a.done else ("overdue" if id(a) in late else "to do")
        lines.append(f"{n}. **{a.risk}**")
        lines.append(f"   - Agreed action: {a.action or '-'}")
        lines.append(f"   - Who will do this: {a.who or '-'}")
        lines.append(f"   - By when: {a.by or '-'} ({state})")
        if a.comment:
            lines.append(f"   - Comment: {a.comment}")
    lines += ["", "## Options and advice", ""]
    for key, title, prompt in ADVICE_SECTIONS:
        given = getattr(plan.advice, key).strip()
        if given:
            lines += [f"### {title.rstrip(':')}", "", f"*{prompt}*", "", given, ""]
    for prompt, items in ((LEAVE_PROMPT, plan.take.if_leave), (EMERGENCY_PROMPT, plan.take.emergency)):
        if items:
            lines += [f"### {prompt}", "", *(f"- {i}" for i in items), ""]
    safe = [
        (f, getattr(plan.safe, f.split(".", 1)[1]))
        for f in SAFE_FIELDS
        if getattr(plan.safe, f.split(".", 1)[1])
    ]
    shown = [(f, v) for f, v in safe if f in released]
    if shown:
        lines += [
            "### Safe details",
            "",
            *(f"- {f.split('.', 1)[1].replace('_', ' ')}: {v}" for f, v in shown),
            "",
        ]
    withheld = [f for f, _ in safe if f not in released]
    if withheld:
        lines += [f"Some safe details are kept by your worker and not printed here {WITHHELD}.", ""]
    lines += [
        "If you are in immediate danger, call 999. If you cannot speak, cough or tap the phone and press 55 "
        "when asked (Silent Solution).",
        "",
    ]
    return "\n".join(lines)


def markdown_to_html(text: str) -> str:
    """A self-contained page (no scripts, no links, nothing fetched) from the Markdown above."""
    body: list[str] = []
    in_list = False
    for line in text.splitlines():
        escaped = html.escape(line.strip())
        escaped = _inline(escaped)
        if line.startswith("- ") or line.startswith("   - "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{escaped[2:]}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("### "):
            body.append(f"<h3>{escaped[4:]}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{escaped[3:]}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{escaped[2:]}</h1>")
        elif escaped:
            body.append(f"<p>{escaped}</p>")
    if in_list:
        body.append("</ul>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"><title>Safety and support plan</title>'
        "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.4}</style>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inline(escaped: str) -> str:
    out, bold, italic = [], False, False
    i = 0
    while i < len(escaped):
        if escaped.startswith("**", i):
            out.append("</strong>" if bold else "<strong>")
            bold = not bold
            i += 2
        elif escaped[i] == "*" and escaped.strip().startswith("*") and escaped.strip().endswith("*"):
            out.append("</em>" if italic else "<em>")
            italic = not italic
            i += 1
        else:
            out.append(escaped[i])
            i += 1
    return "".join(out)


def markdown_to_pdf(text: str) -> bytes:
    """A plain A4 PDF of the copy (fpdf2, built-in Helvetica). Characters Helvetica cannot show are
    replaced by their closest Latin letter, or '?'."""
    import unicodedata

    from fpdf import FPDF

    def latin(s: str) -> str:
        s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
        s = s.replace("\u2013", "-").replace("\u2014", "-").replace("\u2026", "...")
        try:
            s.encode("latin-1")
            return s
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", s)
            return "".join(c if ord(c) < 256 else "?" for c in folded if not unicodedata.combining(c))

    pdf = FPDF(format="A4")
    pdf.set_creator("dacli")
    pdf.set_title("Safety and support plan")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for raw in text.splitlines():
        line = latin(raw.replace("**", "").strip("*") if raw.startswith("*") else raw.replace("**", ""))
        if line.startswith("# "):
            pdf.set_font("Helvetica", "B", 16)
            pdf.multi_cell(width, 9, line[2:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("## "):
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(width, 8, line[3:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("### "):
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(width, 7, line[4:], new_x="LMARGIN", new_y="NEXT")
        elif not line.strip():
            pdf.ln(3)
        else:
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(width, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def overdue(plan: IsspRecord | None, today: dt.date) -> list[tuple[int, Any]]:
    """(number, action) for the plan's overdue actions."""
    if plan is None:
        return []
    late = {id(a) for a in overdue_actions(plan.actions, today)}
    return [(n, a) for n, a in enumerate(plan.actions, start=1) if id(a) in late]
