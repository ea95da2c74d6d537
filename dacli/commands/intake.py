"""dacli intake: a referral becomes a case (or a repeat referral joins its earlier case)."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import Context, print_json, read_form

intake_app = typer.Typer(
    help="Take a referral: urgent fields first, the rest now or later.", invoke_without_command=True
)

URGENT_CLIENT = ["name", "safe_number", "safe_time_to_call", "code_word"]


def register(app: typer.Typer) -> None:
    app.add_typer(intake_app, name="intake")


def _prompt_new() -> dict:
    """Ask the urgent fields first (what keeps the client safe), then offer the rest."""

    from dacli.commands.prompts import ask, ask_fields
    from dacli.schemas.intake import (
        Client,
        Concerns,
        Referral,
    )

    typer.echo("Urgent details first. Leave a line blank to skip it.", err=True)
    client = ask_fields(Client, URGENT_CLIENT)
    concerns = {"flag": bool(ask(Concerns, "flag"))}
    if concerns["flag"]:
        details = ask(Concerns, "details")
        if details:
            concerns["details"] = details
    referral = ask_fields(Referral, ["date", "referred_by"], {"date": clock.today()})
    form: dict = {"client": client, "concerns": concerns, "referral": referral, "complete": False}
    if not typer.confirm(err=True, text="Complete the rest of the intake form now?", default=False):
        typer.echo("Saved with the urgent fields; finish later with `dacli intake finish REF`.", err=True)
        return form
    return _prompt_rest(form)


def _prompt_rest(form: dict) -> dict:
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

    form = dict(form)
    form["client"] = {**form.get("client", {}), **ask_all(Client, form.get("client"), set())}
    form["referral"] = {**form.get("referral", {}), **ask_all(Referral, form.get("referral"))}
    form.update(ask_fields(IntakeForm, ["caseworker"], form))
    typer.echo("(Ex-)partner or family member who abuses:", err=True)
    form["perpetrators"] = ask_many(Perpetrator, "person who abuses", form.get("perpetrators"))
    typer.echo("Children and unborn:", err=True)
    form["children"] = ask_many(Child, "child", form.get("children"))
    form["children_info"] = ask_all(ChildrenInfo, form.get("children_info"))
    form["checklist"] = ask_all(Checklist, form.get("checklist"))
    form.update(ask_fields(IntakeForm, ["conflict_of_interest", "conflict_details", "other"], form))
    form["complete"] = True
    return form


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
    for m in result.conflicts:
        typer.echo(
            f"Conflict of interest to discuss with your manager: {m.who} here matches "
            f"{m.kind.replace('-', ' ')} in case {m.case}.",
            err=True,
        )


@intake_app.callback()
def intake(
    ctx: typer.Context,
    from_: str = typer.Option(None, "--from", help="A TOML intake form, or - for standard input."),
    template: bool = typer.Option(False, "--template", help="Print a commented TOML template."),
    repeat_of: str = typer.Option(None, "--repeat-of", help="Record as a repeat referral of this case."),
    new_case: bool = typer.Option(
        False, "--new-case", help="Open a separate case even if the client matches an earlier one."
    ),
    json_: bool = typer.Option(False, "--json", help='Print {"case": "...", ...}.'),
) -> None:
    """Take a referral. Without --from, asks the urgent fields first (name, safe number, safe time to
    call, code word, significant concerns) and offers the rest of the form; prints the case reference."""
    if ctx.invoked_subcommand is not None:
        return

    if template:
        from dacli.schemas.intake import IntakeForm
        from dacli.schemas.template import template as render

        typer.echo(render(IntakeForm, "dacli intake form (SafeLives case intake form, 2014)"))
        typer.echo("# © SafeLives 2014 - reproduced with permission from SafeLives")
        return
    from dacli.services.cases import intake as take
    from dacli.services.cases import parse_intake

    c: Context = ctx.obj
    session = c.session()  # unlock first: a wrong passphrase should not waste a caller's answers
    data = read_form(from_, "the intake form") if from_ else _prompt_new()
    form = parse_intake(data, clock.today())
    _report(take(session, form, repeat_of=repeat_of, new_case=new_case), json_)


@intake_app.command("finish")
def finish(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Case reference."),
    from_: str = typer.Option(None, "--from", help="The whole form as TOML, or - for standard input."),
) -> None:
    """Complete the latest intake of a case (after an urgent-fields-only intake)."""

    from dacli.services.cases import finish_intake, latest_intake, parse_intake

    c: Context = ctx.obj
    session = c.session()
    if from_:
        data = read_form(from_, "the intake form")
        data.setdefault("complete", True)
    else:
        current = latest_intake(session, ref).model_dump(
            mode="python", exclude={"schema_", "case", "taken_by", "taken_at", "matches"}
        )
        data = _prompt_rest(current)
    finish_intake(session, ref, parse_intake(data, clock.today()))
    typer.echo(f"Intake of {ref} completed.")
