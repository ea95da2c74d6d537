"""dacli intake: a referral becomes a case (or a repeat referral joins its earlier case)."""

from __future__ import annotations

from collections.abc import Callable

import typer

from dacli import clock
from dacli.commands.common import Context, print_json, read_form, ref_argument, ref_callback
from dacli.errors import InvalidInput

intake_app = typer.Typer(invoke_without_command=True)  # its help: the `intake` callback's docstring

URGENT_CLIENT = ["name", "safe_number", "safe_time_to_call", "code_word"]


def register(app: typer.Typer) -> None:
    app.add_typer(intake_app, name="intake")


def _prompt_urgent() -> dict:
    """Ask the urgent fields first: what keeps the client safe, and when the referral came (the 48-hour
    first-contact clock starts then)."""

    from dacli.commands.prompts import ask, ask_fields
    from dacli.schemas.intake import (
        Client,
        Concerns,
        Referral,
    )
    from dacli.services.intake import parse_intake

    typer.echo("Urgent details first. Leave a line blank to skip it.", err=True)
    client = ask_fields(Client, URGENT_CLIENT)
    concerns = {"flag": bool(ask(Concerns, "flag"))}
    if concerns["flag"]:
        details = ask(Concerns, "details")
        if details:
            concerns["details"] = details
    now = clock.local_now()
    referral = ask_fields(
        Referral,
        ["date", "time", "referred_by"],
        {"date": now.date(), "time": now.time().isoformat(timespec="minutes")},
    )
    data = {"client": client, "concerns": concerns, "referral": referral, "complete": False}
    while True:  # a refused answer is asked again; the others are kept
        try:
            parse_intake(data, clock.today(), clock.local_now())
            return data
        except InvalidInput as exc:
            problem = exc.message.partition(": ")[2] or exc.message
            again = [f for f in _URGENT_ASKED if f"{f[0]}.{f[1]}" in problem]
            if not again:
                raise
            if any(section == "referral" and name in ("date", "time") for section, name in again):
                again = sorted({*again, ("referral", "date"), ("referral", "time")}, key=_URGENT_ASKED.index)
            typer.echo(f"{problem.rstrip('.')}. Please answer it again.", err=True)
            models = {"client": Client, "concerns": Concerns, "referral": Referral}
            for section, name in again:
                value = ask(models[section], name, data[section].get(name))
                if value is None:
                    data[section].pop(name, None)
                else:
                    data[section][name] = value


_URGENT_ASKED = [
    *(("client", f) for f in URGENT_CLIENT),
    ("concerns", "details"),
    ("referral", "date"),
    ("referral", "time"),
    ("referral", "referred_by"),
]


def _sections() -> list[tuple[str, Callable[[dict], None]]]:
    """The rest of the form, section by section; each asks into the form it is given."""
    from dacli.commands.prompts import ask_all, ask_fields, ask_many
    from dacli.schemas.intake import (
        Checklist,
        Child,
        ChildrenInfo,
        Client,
        IntakeForm,
        Perpetrator,
        Referral,
    )

    def client(form: dict) -> None:
        form["client"] = {**form.get("client", {}), **ask_all(Client, form.get("client"), set())}

    def referral(form: dict) -> None:
        form["referral"] = {**form.get("referral", {}), **ask_all(Referral, form.get("referral"))}

    def caseworker(form: dict) -> None:
        form.update(ask_fields(IntakeForm, ["caseworker"], form))

    def perpetrators(form: dict) -> None:
        typer.echo("(Ex-)partner or family member who abuses:", err=True)
        form["perpetrators"] = ask_many(Perpetrator, "person who abuses", form.get("perpetrators"))

    def children(form: dict) -> None:
        typer.echo("Children and unborn:", err=True)
        form["children"] = ask_many(Child, "child", form.get("children"))
        form["children_info"] = ask_all(ChildrenInfo, form.get("children_info"))

    def checklist(form: dict) -> None:
        form["checklist"] = ask_all(Checklist, form.get("checklist"))

    def other(form: dict) -> None:
        fields = ["conflict_of_interest", "conflict_details", "other", "accommodation"]
        form.update(ask_fields(IntakeForm, fields, form))

    def monitoring(form: dict) -> None:
        from dacli.schemas.monitoring import Monitoring

        typer.echo("Equality monitoring, coded for reports (enter leaves a question as not asked):", err=True)
        form["monitoring"] = ask_all(Monitoring, form.get("monitoring"))

    return [
        ("the client's details", client),
        ("the referral", referral),
        ("the caseworker", caseworker),
        ("the people who abuse", perpetrators),
        ("the children", children),
        ("the checklist", checklist),
        ("conflict of interest and other", other),
        ("the monitoring answers", monitoring),
    ]


def _complete(session, ref: str, form: dict, saved: list[str]) -> None:
    """Ask the rest of the form and save each section as it is completed (a dropped call loses at most the
    section being asked); the last one marks the intake complete."""
    import copy

    from dacli.services.intake import finish_intake, parse_intake

    sections = _sections()
    for n, (what, ask_section) in enumerate(sections, start=1):
        while True:
            draft = copy.deepcopy(form)
            ask_section(draft)
            draft["complete"] = n == len(sections)
            try:
                parsed = parse_intake(draft, clock.today(), clock.local_now())
            except InvalidInput as exc:  # a date that cannot be: say which, and ask the section again
                problem = exc.message.partition(": ")[2] or exc.message
                typer.echo(f"{problem} Please answer {what} again.", err=True)
                continue
            break
        _tell(finish_intake(session, ref, parsed))
        form.clear()
        form.update(draft)
        saved.append(what)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _kept(saved: list[str]) -> str:
    if not saved:
        return "nothing more was saved"
    return f"{_and(saved)} {'is' if len(saved) == 1 else 'are'} saved"


def _keep_going(session, ref: str, form: dict, saved: list[str], ask_first: bool) -> None:
    """Complete the intake of ``ref`` section by section. Ctrl-C, the end of input or a store failure keeps
    what was saved and says so, with the command that continues."""
    from dacli.errors import DacliError, InputEnded

    later = f"dacli intake finish {ref}"
    try:
        if ask_first and not typer.confirm(
            err=True, text="Complete the rest of the intake form now?", default=False
        ):
            typer.echo(f"Saved with the urgent fields; finish later with `{later}`.", err=True)
            return
        _complete(session, ref, form, saved)
    except (typer.Abort, KeyboardInterrupt) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt) or isinstance(exc.__context__, KeyboardInterrupt)
        kept = _kept(saved)
        why = "interrupted" if interrupted else "the input ended"
        typer.echo("", err=True)  # the prompt's line was left open
        typer.echo(f"dacli: {why}: {kept} in case {ref}; continue with `{later}`.", err=True)
        raise typer.Exit(130 if interrupted else InputEnded.exit_code) from None
    except DacliError as exc:
        raise type(exc)(
            f"{exc.message} Of this intake, {_kept(saved)} in case {ref}; once that is fixed, continue "
            f"with `{later}`."
        ) from None
    typer.echo(f"Intake of {ref} completed.", err=True)


def _tell(matches) -> None:
    """Links found once more of the form is known (a date of birth, a person who abuses)."""
    from dacli.services.intake import match_sentence

    for m in matches:
        typer.echo(match_sentence(m), err=True)


def _report(result, json_: bool) -> None:
    if json_:
        print_json(
            {
                "case": result.case,
                "intake": result.intake,
                "repeat": result.repeat,
                "matches": [m.model_dump() for m in result.matches],
            }
        )
    else:
        typer.echo(result.case)
    if result.repeat:
        typer.echo(
            f"Repeat referral: recorded as intake {result.intake} of {result.case} "
            "(matched on name or aka and date of birth).",
            err=True,
        )
    from dacli.services.intake import match_sentence

    for m in result.conflicts:
        typer.echo(match_sentence(m), err=True)


@intake_app.callback()
def intake(
    ctx: typer.Context,
    from_: str = typer.Option(None, "--from", help="A TOML intake form, or - for standard input."),
    template: bool = typer.Option(False, "--template", help="Print a commented TOML template."),
    repeat_of: str = typer.Option(
        None, "--repeat-of", help="Record as a repeat referral of this case.", callback=ref_callback
    ),
    new_case: bool = typer.Option(
        False, "--new-case", help="Open a separate case even if the client matches an earlier one."
    ),
    json_: bool = typer.Option(False, "--json", help='Print {"case": "...", ...}.'),
) -> None:
    """Take a referral: urgent fields first, the rest now or later. Without --from, asks the urgent
    fields first (name, safe number, safe time to call, code word, significant concerns) and offers the
    rest of the form; prints the case reference.

    \b
    Example: dacli intake
    """
    if ctx.invoked_subcommand is not None:
        return

    if template:
        from dacli.schemas.intake import IntakeForm
        from dacli.schemas.template import template as render

        typer.echo(render(IntakeForm, "dacli intake form (SafeLives case intake form, 2014)"))
        typer.echo("# © SafeLives 2014 - reproduced with permission from SafeLives")
        return
    from dacli.services.intake import intake as take
    from dacli.services.intake import parse_intake

    c: Context = ctx.obj
    session = c.session()  # unlock first: a wrong passphrase should not waste a caller's answers
    data = read_form(from_, "the intake form") if from_ else _prompt_urgent()
    form = parse_intake(data, clock.today(), clock.local_now())
    result = take(session, form, repeat_of=repeat_of, new_case=new_case)
    _report(result, json_)  # the reference at once: the call may drop at any later question
    if not from_:
        _keep_going(session, result.case, data, ["the urgent part"], ask_first=True)


@intake_app.command("finish")
def finish(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The whole form as TOML, or - for standard input."),
) -> None:
    """Complete the latest intake of a case (after an urgent-fields-only intake).

    \b
    Example: dacli intake finish DA-7K3M9-QXP2T
    """

    from dacli.services.intake import finish_intake, latest_intake, parse_intake

    c: Context = ctx.obj
    session = c.session()
    if from_:
        data = read_form(from_, "the intake form")
        data.setdefault("complete", True)
        _tell(finish_intake(session, ref, parse_intake(data, clock.today(), clock.local_now())))
        typer.echo(f"Intake of {ref} completed.")
        return
    current = latest_intake(session, ref).model_dump(
        mode="python",
        exclude={
            "schema_",
            "case",
            "taken_by",
            "taken_at",
            "matches",
            "replaces",
            "after",
            "recorded_by",
            "recorded_at",
        },
    )
    _keep_going(session, ref, current, [], ask_first=False)
