"""dacli issp: the Individualised Safety and Support Plan and the client's copy."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, print_json, ref_argument

issp_app = typer.Typer(help="Safety and support plans (ISSP) and the client's copy.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(issp_app, name="issp")


def _template_text(ref: str, doc: dict) -> str:
    import tomli_w

    from dacli.schemas.issp import ADVICE_SECTIONS, EMERGENCY_PROMPT, LEAVE_PROMPT

    head = {k: doc[k] for k in ("created_on", "reviewed_on", "reviewed_by") if doc.get(k)}
    lines = [
        f"# Individualised Safety and Support Plan for {ref}.",
        f"# Save with `dacli issp record {ref} --from FILE`.",
        "# Saving makes a new version; earlier versions stay. Dates are YYYY-MM-DD.",
        "# [[actions]]: risk = 'List the risk factors or issues you would like to address', action = 'Agreed",
        "# action', who = 'Who will do this?', by = 'By when?', done = 'Date complete', comment.",
        "# Actions below are seeded from the latest Dash 'yes' answers and Soag (or copied from the last",
        "# plan): fill in the agreed action, who and by when. A row left without an agreed action is not",
        "# an action and is not saved.",
        "",
        tomli_w.dumps(head) if head else '# reviewed_on = YYYY-MM-DD\n# reviewed_by = ""\n',
    ]
    for action in doc.get("actions", []):
        lines.append("[[actions]]")
        lines.append(tomli_w.dumps({k: v for k, v in action.items() if v is not None}).rstrip())
        if action.get("by") is None:
            lines.append("# by = YYYY-MM-DD")
        lines.append("")
    if not doc.get("actions"):
        lines += ["# [[actions]]", '# risk = ""', '# action = ""', '# who = ""', "# by = YYYY-MM-DD", ""]
    advice = doc.get("advice", {})
    lines.append("[advice]   # options and advice (the pack's boxes and prompts)")
    for key, title, prompt in ADVICE_SECTIONS:
        lines.append(f"# {title} {prompt}")
        lines.append(tomli_w.dumps({key: advice.get(key, "")}).rstrip())
    take = doc.get("take", {})
    lines += [
        "",
        "[take]",
        f"# {LEAVE_PROMPT}",
        tomli_w.dumps({"if_leave": take.get("if_leave", [])}).rstrip(),
        f"# {EMERGENCY_PROMPT}",
        tomli_w.dumps({"emergency": take.get("emergency", [])}).rstrip(),
        "",
        "# SAFE FIELDS: kept for the worker, never in the client's copy or any export unless released",
        "[safe]",
    ]
    # never the values themselves: this file is plaintext on your disk. Left out, a value on file is kept.
    safe = doc.get("safe", {})
    for key in ("code_word", "safe_number", "refuge_location", "new_address", "escape_route"):
        lines.append(f'# {key} = ""' + ("   # on file: left out, it is kept" if safe.get(key) else ""))
    return "\n".join(lines) + "\n"


@issp_app.command("template")
def issp_template(ctx: typer.Context, ref: str = ref_argument()) -> None:
    """Print the plan to fill in: the last plan to refresh, or actions seeded from Dash and Soag.

    \b
    Example: dacli issp template DA-7K3M9-QXP2T > plan.toml
    """

    from dacli.services.issp import template

    c: Context = ctx.obj
    typer.echo(_template_text(ref, template(c.session(), ref, clock.today())), nl=False)


@issp_app.command("record")
def issp_record(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The plan as TOML (see `issp template`), or -."),
) -> None:
    """Save a plan as the case's next version. Without --from, asks it question by question, starting from
    the latest plan (or, for a case without one, actions seeded from the latest Dash and Soag).

    \b
    Example: dacli issp record DA-7K3M9-QXP2T --from plan.toml
    """

    from dacli.commands.common import read_form
    from dacli.services.issp import parse_issp, record

    c: Context = ctx.obj
    today = clock.today()
    session = c.session()
    if from_:
        data = read_form(from_, "the plan")
        form = parse_issp(data, today)
    else:
        from dacli.commands.prompts import ask_form
        from dacli.schemas.issp import IsspForm
        from dacli.services.issp import template

        start = template(session, ref, today)
        typer.echo("Answer the plan question by question; blank keeps what is shown (now: ...).", err=True)
        data = {}

        def parse(d: dict):
            data.clear()
            data.update(d)
            return parse_issp(d, today)

        form = ask_form(IsspForm, parse, start=start, many={"actions": "action"})
    name, plan = record(session, ref, form, today)
    typer.echo(f"{name} (version {plan.version})")
    given = data.get("actions")
    left_out = len(given) - len(form.actions) if isinstance(given, list) else 0
    if left_out:
        typer.echo(
            f"Left out {left_out} action rows with no agreed action (a risk alone is not an action).",
            err=True,
        )


@issp_app.command("complete")
def issp_complete(
    ctx: typer.Context,
    ref: str = ref_argument(),
    action: int = typer.Option(..., "--action", help="The action's number, as `issp show` lists it."),
    on: str = typer.Option(None, "--on", help="Date complete (YYYY-MM-DD; default today)."),
    comment: str = typer.Option(None, "--comment", help=f"Added to the action's comment. {NARRATIVE_HELP}"),
) -> None:
    """Mark an action complete (a new version of the plan).

    \b
    Example: dacli issp complete DA-7K3M9-QXP2T --action 2
    """
    import datetime as dt

    from dacli.errors import InvalidInput
    from dacli.services.issp import complete

    today = clock.today()
    try:
        day = dt.date.fromisoformat(on) if on else today
    except ValueError:
        raise InvalidInput(f"--on must be a date like 2026-01-31, not {on!r}.") from None
    from dacli.commands.common import case_first, narrative

    c: Context = ctx.obj
    session = c.session()
    case_first(session, ref)  # the case and the action, before the comment is asked for
    if action < 1:
        raise InvalidInput(f"--action {action}: actions are numbered from 1.")
    comment = narrative(comment, "--comment", "Comment on the action", required=False)
    name, plan = complete(session, ref, action, day, comment, today)
    typer.echo(f"{name} (version {plan.version})")


@issp_app.command("show")
def issp_show(
    ctx: typer.Context,
    ref: str = ref_argument(),
    version: int = typer.Option(None, "--version", help="An earlier version (default the latest)."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show the plan (for the worker: safe fields included), with overdue actions marked.

    \b
    Example: dacli issp show DA-7K3M9-QXP2T
    """

    from dacli.schemas.issp import ADVICE_SECTIONS
    from dacli.services.issp import overdue, to_show

    c: Context = ctx.obj
    session = c.session()
    name, plan, fork = to_show(session, ref, version)
    session.audit("issp-read", case=ref, record=name)
    today = clock.today()  # the same 'today' as case show and the caseload
    late = {n for n, _ in overdue(plan, today)}
    if json_:
        doc = plan.model_dump(mode="json", by_alias=True)
        doc["record"] = name
        doc["overdue_actions"] = sorted(late)
        doc["fork"] = fork
        print_json(doc)
        return
    if fork:
        typer.echo(f"Note: {fork}\n")
    typer.echo(f"Safety plan {ref}, version {plan.version} ({name})")
    typer.echo(
        f"Created on {plan.created_on}; reviewed on {plan.reviewed_on or '-'} by {plan.reviewed_by or '-'}"
    )
    typer.echo("")
    for n, a in enumerate(plan.actions, start=1):
        state = f"done {a.done}" if a.done else ("OVERDUE" if n in late else "open")
        typer.echo(f"{n:>2}. {a.risk}")
        typer.echo(f"    action: {a.action or '-'} | who: {a.who or '-'} | by: {a.by or '-'} | {state}")
        if a.comment:
            typer.echo(f"    comment: {a.comment}")
    for key, title, _ in ADVICE_SECTIONS:
        if getattr(plan.advice, key):
            typer.echo(f"\n{title.rstrip(':')}: {getattr(plan.advice, key)}")
    if plan.take.if_leave:
        typer.echo(f"\nIf I need to leave I will take: {', '.join(plan.take.if_leave)}")
    if plan.take.emergency:
        typer.echo(f"In an emergency I will take: {', '.join(plan.take.emergency)}")
    safe = {k: v for k, v in plan.safe.model_dump().items() if v}
    if safe:
        typer.echo("\nSafe details (never in the client's copy unless released): " + ", ".join(safe))


@issp_app.command("export")
def issp_export(
    ctx: typer.Context,
    ref: str = ref_argument(),
    format_: str = typer.Option("md", "--format", help="md, html or pdf."),
    out: str = typer.Option(None, "--out", help="Write here (required for pdf; default standard output)."),
    safe: str = typer.Option(
        None, "--safe-to-take-home", help="yes or no: the client's answer (asked when not given)."
    ),
    release: list[str] = typer.Option(None, "--release", help="Include this safe field (repeatable)."),
    reason: str = typer.Option(
        None, "--reason", help=f"Why the safe fields are released (audited). {NARRATIVE_HELP}"
    ),
    version: int = typer.Option(None, "--version", help="An earlier version (default the latest)."),
) -> None:
    """The client's copy of the plan. Asks, and records, whether it is safe for them to take it home.

    \b
    Example: dacli issp export DA-7K3M9-QXP2T --format pdf --out plan.pdf
    """
    from dacli.commands.common import export_target
    from dacli.errors import InvalidInput
    from dacli.services.issp_copy import client_copy

    c: Context = ctx.obj
    target = export_target(out, c.store_path)
    if format_ == "pdf" and target is None:
        raise InvalidInput("A PDF needs --out FILE (it is not shown on a terminal).")
    if safe is None:
        answer = typer.prompt("Is it safe for the client to take a copy home? (yes/no)", err=True)
    else:
        answer = safe
    answer = answer.strip().lower()
    if answer not in ("yes", "no"):
        raise InvalidInput(f"--safe-to-take-home must be yes or no, not {answer!r}.")
    from dacli.commands.common import deliverer, release_reason

    session = c.session()
    if release and answer == "yes":  # the case and the fields named, before the reason is asked for
        from dacli.commands.common import case_first
        from dacli.schemas.issp import SAFE_FIELDS

        case_first(session, ref)
        unknown = [f for f in release if f not in SAFE_FIELDS]
        if unknown:
            raise InvalidInput(
                f"--release {unknown[0]}: not a safe field of the plan ({', '.join(SAFE_FIELDS)})."
            )
    reason = release_reason(release, reason) if answer == "yes" else None
    copy = client_copy(
        session, ref, format_, answer == "yes", list(release or []), reason, deliverer(target), version
    )
    if copy.content is None:
        typer.echo(
            f"{copy.record}: recorded that it is not safe for the client to take a copy home; no copy was "
            "made. Go through the plan with them instead.",
            err=True,
        )
        return
    for field in copy.redacted:
        typer.echo(f"Note: a safe value ({field}) appeared in the plan's text and was withheld.", err=True)
    if target is not None:
        typer.echo(f"{copy.record}: client's copy written to {out}", err=True)
