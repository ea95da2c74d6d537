"""The client's copy of the safety plan (Markdown, HTML or PDF): asked for, with safe fields withheld unless
released by name with a reason, and recorded whether it was safe to take home."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from dacli import clock
from dacli.errors import DacliError, InvalidInput
from dacli.rules.issp import overdue_actions
from dacli.schemas.issp import (
    ADVICE_SECTIONS,
    ISSP_COPY_SCHEMA,
    SAFE_FIELDS,
    IsspCopyRecord,
    IsspRecord,
)
from dacli.services.case_view import append_record, load_case
from dacli.services.exports import WITHHELD, Deliver, case_safe_values, redact
from dacli.services.issp import to_show
from dacli.store.store import Session

FORMATS = ("md", "html", "pdf")


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
    name, plan, _ = to_show(session, ref, version)  # on a fork: every action of each version
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
    settings = session.checked_settings()
    service = ServiceLine(settings.service_name, settings.service_phone, tuple(settings.helplines))
    text = render_markdown(ref, plan, set(release), today or clock.local_date(now), service)
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


def long_date(day: dt.date | None) -> str:
    """A date as people in the UK write it: '3 December 2026'."""
    return f"{day.day} {day:%B %Y}" if day else ""


def render_markdown(
    ref: str, plan: IsspRecord, released: set[str], today: dt.date, service: ServiceLine | None = None
) -> str:
    """The client's copy, in words for the client: the actions agreed (the worker's own words; a risk is
    shown only where the worker wrote it, never the checklist's question), the advice given under plain
    headings (not the pack's prompts to the worker), what to take, the service's name and phone number and
    the helplines. Safe fields only if released."""
    service = service or ServiceLine()
    title = f"My safety plan with {service.name}" if service.name else "My safety plan"
    lines = [f"# {title}", "", f"- Made on {long_date(plan.created_on)}"]
    if plan.reviewed_on:
        lines[-1] += f", looked at again on {long_date(plan.reviewed_on)}"
    lines.append(f"- Your reference: {ref}")
    if service.phone:
        lines.append(f"- To talk to your worker, call {service.name or 'us'} on {service.phone}")
    agreed = [a for a in plan.actions if a.action.strip()]
    lines += ["", "## What we agreed to do", ""]
    if not agreed:
        lines.append("Nothing yet: your worker will go through this with you.")
    late = {id(a) for a in overdue_actions(plan.actions, today)}
    for n, a in enumerate(agreed, start=1):
        lines.append(f"{n}. {a.action.strip()}")
        if a.risk.strip() and not a.source:  # the worker's own words about the worry, not a question's
            lines.append(f"   - Why: {a.risk.strip()}")
        if a.who:
            lines.append(f"   - Who: {a.who}")
        if a.done:
            lines.append(f"   - Done on {long_date(a.done)}")
        elif a.by:
            lines.append(f"   - By {long_date(a.by)}" + (" (not done yet)" if id(a) in late else ""))
        if a.comment:
            lines.append(f"   - {a.comment}")
    advice = [(title, getattr(plan.advice, key).strip()) for key, title, _ in ADVICE_SECTIONS]
    advice = [(title.rstrip(":"), given) for title, given in advice if given]
    if advice:
        lines += ["", "## Advice we talked about", ""]
        for title, given in advice:
            lines += [f"### {title}", "", given, ""]
    for heading, items in (
        ("If I need to leave, I will try to take", plan.take.if_leave),
        ("In an emergency, I will try to take", plan.take.emergency),
    ):
        if items:
            lines += ["", f"## {heading}", "", *(f"- {i}" for i in items)]
    safe = [
        (f, getattr(plan.safe, f.split(".", 1)[1]))
        for f in SAFE_FIELDS
        if getattr(plan.safe, f.split(".", 1)[1])
    ]
    shown = [(f, v) for f, v in safe if f in released]
    if shown:
        lines += [
            "",
            "## Safe details",
            "",
            *(f"- {f.split('.', 1)[1].replace('_', ' ').capitalize()}: {v}" for f, v in shown),
        ]
    withheld = [f for f, _ in safe if f not in released]
    if withheld:
        lines += ["", f"Some safe details are kept by your worker and not printed here {WITHHELD}."]
    lines += [
        "",
        "## If you need help",
        "",
        "- In immediate danger, call 999. If you cannot speak, cough or tap the phone, then press 55 when "
        "asked (the Silent Solution).",
        *(f"- {h}" for h in service.helplines),
        "",
    ]
    return "\n".join(lines)


@dataclass
class ServiceLine:
    """Who the client's copy says to call: the store's settings (`dacli settings set service_phone ...`)."""

    name: str = ""
    phone: str = ""
    helplines: tuple[str, ...] = ()


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
