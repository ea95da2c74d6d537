"""dacli children: referrals to children's social care (seeds/001 section 6.1)."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import Context, now_or, print_json, ref_argument

children_app = typer.Typer(help="Referrals to children's social care.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(children_app, name="children")


@children_app.command("show")
def children_show(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Which triggers for a referral to children's social care apply, and the referrals made.

    \b
    Example: dacli children show DA-7K3M9-QXP2T
    """

    from dacli.services.case_view import children_triggers, show_case

    c: Context = ctx.obj
    view = show_case(c.session(), ref)
    triggers = children_triggers(view, clock.today())
    if json_:
        print_json(
            {
                "case": ref,
                "refer": bool(triggers),
                "triggers": [{"name": t.name, "reason": t.reason} for t in triggers],
                "referrals": [{"record": n, **r.model_dump(mode="json", by_alias=True)} for n, r in view.csc],
            }
        )
        return
    if triggers:
        typer.echo("Refer to children's social care:")
        for t in triggers:
            typer.echo(f"  - {t.reason}")
    else:
        typer.echo(
            "No trigger for a referral to children's social care applies (professional judgement may)."
        )
    for name, r in view.csc:
        confirmed = (
            f"confirmed in writing {clock.show(r.written_confirmation_at)}"
            if r.written_confirmation_at
            else "NOT YET CONFIRMED IN WRITING"
        )
        typer.echo(f"Referral {clock.show(r.referred_at)} to {r.to} ({r.how}), {confirmed}   {name}")


@children_app.command("refer")
def children_refer(
    ctx: typer.Context,
    ref: str = ref_argument(),
    to: str = typer.Option(..., "--to", help="The team or person at children's social care."),
    how: str = typer.Option(..., "--how", help="verbal (confirm in writing within 24 h) or written."),
    at: str = typer.Option(None, "--at", help="When it was made (YYYY-MM-DDTHH:MM, local); default now."),
) -> None:
    """Record a referral to children's social care, with the triggers that applied.

    \b
    Example: dacli children refer DA-7K3M9-QXP2T --to "Front door team" --how verbal
    """

    from dacli.services.children import parse_csc, record_csc_referral

    c: Context = ctx.obj
    session = c.session()
    when = now_or(at)
    name = record_csc_referral(session, ref, parse_csc({"referred_at": when, "to": to, "how": how}))
    typer.echo(name)
    if how == "verbal":
        typer.echo(
            f"Confirm it in writing within 24 hours, then: dacli children confirm {ref} {name}", err=True
        )


@children_app.command("confirm")
def children_confirm(
    ctx: typer.Context,
    ref: str = ref_argument(),
    record: str = typer.Argument(..., help="The referral's record name (csc-...)."),
    at: str = typer.Option(None, "--at", help="When the written confirmation was sent; default now."),
) -> None:
    """Record that a verbal referral was confirmed in writing.

    \b
    Example: dacli children confirm DA-7K3M9-QXP2T csc-20261203T101500-1a2b3c.toml.age
    """
    import datetime as dt

    from dacli.errors import InvalidInput
    from dacli.services.children import confirm_csc_referral

    c: Context = ctx.obj
    try:
        when = dt.datetime.fromisoformat(at) if at else clock.now()
    except ValueError:
        raise InvalidInput(f"--at: {at!r} is not a date and time (YYYY-MM-DDTHH:MM).") from None
    confirm_csc_referral(c.session(), ref, record, when)
    typer.echo(f"Written confirmation of {record} recorded.")
