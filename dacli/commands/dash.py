"""dacli dash: the SafeLives Dash risk checklist."""

from __future__ import annotations

import sys

import typer

dash_app = typer.Typer(help="The SafeLives Dash risk checklist.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dash_app, name="dash")


@dash_app.command("score")
def dash_score(
    file: str = typer.Argument(..., help="A checklist as TOML or JSON, or - for standard input."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
    medium_band: str = typer.Option(None, "--medium-band", help="A local medium band, e.g. 10-13."),
) -> None:
    """Score a checklist file: yes count, gaps, Marac criteria, risk level (no store needed)."""
    # The same function as the lean path `dacli dash score` takes (dacli.entry), so both agree.
    from dacli.dashscore import main

    args = [file] + (["--json"] if json_ else []) + (["--medium-band", medium_band] if medium_band else [])
    code = main(args)
    sys.stdout.flush()
    if code:
        raise typer.Exit(code)


@dash_app.command("template")
def dash_template() -> None:
    """Print a checklist file to fill in for `dash score`: every question, word for word, as a comment."""
    from dacli.schemas.dash_bank import ATTRIBUTION, DASH_VERSION, QUESTIONS, TITLE

    lines = [f"# {TITLE}", f'checklist = "{DASH_VERSION}"', "", "[answers]", '# "yes", "no" or "dont-know"']
    for q in QUESTIONS:
        lines.append(f"# {q.number}. {q.text}")
        if q.guidance:
            lines.append(f"#    {q.guidance}")
        if q.subticks:
            lines.append(f"#    {q.subtick_label or 'Tick'} " + " / ".join(q.subticks))
        lines.append(f'# q{q.number} = "no"')
    lines += [
        "",
        "[context]",
        "# police_incidents_past_12_months = 0",
        "# last_marac_referral = 2026-01-31",
        "# assessed_on = 2026-01-31",
        "",
        "[professional]",
        "# marac_grounds = false",
        '# reasons = ""',
        '# level = "standard"',
        "",
        f"# {ATTRIBUTION}",
    ]
    typer.echo("\n".join(lines))
