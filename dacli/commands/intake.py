"""dacli intake: a referral becomes a case."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from dacli.commands.common import Context, print_json


def register(app: typer.Typer) -> None:
    app.command("intake")(intake)


def intake(
    ctx: typer.Context,
    from_: str = typer.Option(..., "--from", help="A TOML intake form, or - for standard input."),
    json_: bool = typer.Option(False, "--json", help='Print {"case": "..."}.'),
) -> None:
    """Open a new case from an intake form and print its reference."""
    from datetime import date

    from dacli.services.cases import intake as open_case
    from dacli.services.cases import parse_intake, read_form_file

    c: Context = ctx.obj
    data = read_form_file(None, sys.stdin.read()) if from_ == "-" else read_form_file(Path(from_))
    form = parse_intake(data, date.today())
    ref = open_case(c.session(), form)
    if json_:
        print_json({"case": ref})
    else:
        typer.echo(ref)
