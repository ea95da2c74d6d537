"""dacli soag: the Severity of Abuse Grid."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import Context, print_json, read_form, ref_argument

soag_app = typer.Typer(help="The Severity of Abuse Grid (Soag).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(soag_app, name="soag")


def _choose(prompt: str, options: tuple[str, ...], blank: str | None = None) -> str:
    """Ask until the answer is one of ``options`` (a typo never throws away the grid)."""
    while True:
        answer = typer.prompt(prompt, default="", show_default=False, err=True).strip().lower()
        if answer == "" and blank is not None:
            return blank
        if answer in options:
            return answer
        typer.echo(f"  Please answer {' / '.join(o for o in options if o != blank)}.", err=True)


def _ask() -> dict:
    """Type by type, with the pack's guidance for each level shown before choosing."""
    from dacli.schemas.soag_bank import ABUSE_TYPES, ATTRIBUTION, PERMISSION

    typer.echo(f"Severity of Abuse Grid. {ATTRIBUTION}. {PERMISSION}", err=True)
    grid: dict = {}
    for kind in ABUSE_TYPES:
        typer.echo(f"\n{kind.name}", err=True)
        occurring = _choose(
            "  Is abuse occurring? (yes / no / dont-know, blank = not answered)",
            ("yes", "no", "dont-know", "not-answered"),
            blank="not-answered",
        )
        row: dict = {"occurring": occurring}
        if occurring == "yes":
            for level in ("high", "moderate", "standard"):
                typer.echo(f"  {level.upper()}: {kind.guidance(level)}", err=True)
            row["severity"] = _choose(
                "  Severity (high / moderate / standard)", ("high", "moderate", "standard")
            )
            trend = ("worse", "unchanged", "reduced")
            row["escalation_severity"] = _choose(
                "  Escalation in severity, past 3 months (worse / unchanged / reduced)", trend
            )
            row["escalation_frequency"] = _choose(
                "  Escalation in frequency, past 3 months (worse / unchanged / reduced)", trend
            )
        grid[kind.key] = row
    return grid


@soag_app.command("record")
def soag_record(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The grid as TOML, or - for standard input."),
) -> None:
    """Record a Severity of Abuse Grid for a case (each grid is a new record).

    \b
    Example: dacli soag record DA-7K3M9-QXP2T --from soag.toml
    """

    from dacli.services.soag import parse_soag, record_soag

    c: Context = ctx.obj
    session = c.session()
    data = read_form(from_, "the grid") if from_ else _ask()
    typer.echo(record_soag(session, ref, parse_soag(data, clock.today())))


@soag_app.command("show")
def soag_show(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The latest grid of a case, and how it compares with the grid at intake.

    \b
    Example: dacli soag show DA-7K3M9-QXP2T
    """
    from dacli.schemas.soag_bank import ABUSE_TYPES, ATTRIBUTION
    from dacli.services.soag import soag_comparison, soag_history

    c: Context = ctx.obj
    grids = soag_history(c.session(), ref)
    changes = soag_comparison(grids)
    if json_:
        print_json(
            {
                "case": ref,
                "grids": [{"record": n, **g.model_dump(mode="json", by_alias=True)} for n, g in grids],
                "compared_with_intake": [c.__dict__ for c in changes],
            }
        )
        return
    if not grids:
        typer.echo(f"Case {ref} has no Severity of Abuse Grid yet.")
        return
    from dacli.commands.render import table

    name, latest = grids[-1]
    names = {k.key: k.name for k in ABUSE_TYPES}
    typer.echo(f"Latest grid, assessed {latest.assessed_on} ({name}):")
    table(
        ("type of abuse", "occurring", "severity", "severity trend", "frequency trend"),
        [
            (
                names[t],
                row.occurring,
                row.severity or "-",
                row.escalation_severity or "-",
                row.escalation_frequency or "-",
            )
            for t, row in latest.rows()
        ],
    )
    if changes:
        typer.echo(f"Compared with the first grid ({grids[0][1].assessed_on}):")
        for ch in changes:
            typer.echo(f"  {names[ch.type]}: {ch.before} -> {ch.after} ({ch.direction})")
    typer.echo(ATTRIBUTION)
