"""dacli case list / show."""

from __future__ import annotations

import typer

from dacli.commands.common import Context, console, print_json

case_app = typer.Typer(help="The caseload and single cases.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    worker: str = typer.Option(None, "--worker", help="Only this caseworker's cases."),
    status: str = typer.Option(None, "--status", help="open or closed."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List cases from the caseload index (no case is decrypted)."""
    from dacli.services.cases import caseload

    c: Context = ctx.obj
    rows = caseload(c.session(), worker=worker, status=status)
    if json_:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        typer.echo("No cases.")
        return
    from dacli.commands.render import table

    table(
        ("reference", "client", "worker", "status", "risk", "referred"),
        [
            (r.ref, r.client, r.worker, r.status.value, r.risk or "-", r.referral_date.isoformat())
            for r in rows
        ],
    )
    typer.echo(f"{len(rows)} cases.")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Case reference, e.g. DA-7K3M9-QXP2T."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show one case (this read is audited)."""
    from dacli.services.cases import show_case

    c: Context = ctx.obj
    view = show_case(c.session(), ref)
    if json_:
        print_json(
            {
                "summary": view.summary.model_dump(mode="json"),
                "case": view.case.model_dump(mode="json", by_alias=True),
                "intakes": [i.model_dump(mode="json", by_alias=True) for i in view.intakes],
                "records": view.records,
            }
        )
        return
    s = view.summary
    intake = view.intakes[-1]
    out = console()
    out.print(f"[bold]{s.ref}[/bold]  {s.client}  ({s.status.value})")
    out.print(f"  date of birth: {s.dob or '-'}    worker: {s.worker}    risk: {s.risk or '-'}")
    out.print(f"  referred {s.referral_date} by {intake.referral.referred_by or '-'}")
    if intake.client.pregnant:
        out.print(f"  pregnant, due {intake.client.due_date or '-'}")
    for child in intake.children:
        out.print(f"  child: {child.name} ({child.dob or 'dob unknown'})")
    for perp in intake.perpetrators:
        out.print(f"  alleged perpetrator: {perp.name} ({perp.relationship or '-'})")
    out.print("  records: " + ", ".join(view.records))
