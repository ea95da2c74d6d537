"""dacli report caseload: the figures a manager sends, over a period, for the service, a worker or a team."""

from __future__ import annotations

import typer

from dacli.commands.common import Context

report_app = typer.Typer(
    help="Reports: counts over a period (seniors and managers); CSV and JSON suppress small numbers.",
    no_args_is_help=True,
)


FORMULA = ("=", "+", "-", "@")
"""What a spreadsheet takes for a formula at the start of a cell."""


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _period(start: str | None, end: str | None, quarter: str | None, year: str | None):
    import datetime as dt

    from dacli import clock
    from dacli.errors import InvalidInput
    from dacli.rules.reports import period

    days = []
    for name, text in (("--from", start), ("--to", end)):
        try:
            days.append(dt.date.fromisoformat(text) if text else None)
        except ValueError:
            raise InvalidInput(f"{name} must be a date like 2026-01-31, not {text!r}.") from None
    return period(clock.today(), start=days[0], end=days[1], quarter=quarter, year=year)


def _out(session, report, csv_: bool, json_: bool) -> None:
    from dacli.commands.caseviews import echo
    from dacli.rules.reports import export_rows, text_lines
    from dacli.services.reports import record_export

    if csv_ and json_:
        from dacli.errors import InvalidInput

        raise InvalidInput("Give --csv or --json, not both.")
    p = report.period
    if json_:
        from dacli.commands.common import print_json

        print_json(
            {
                "report": report.kind,
                "period": {"name": p.name, "from": p.start.isoformat(), "to": p.end.isoformat()},
                "scope": report.scope,
                "small_numbers": f"counts from 1 to {report.threshold - 1} shown as '<{report.threshold}'",
                "notes": report.notes(),
                "figures": export_rows(report),
            }
        )
        record_export(session, report, "json")
        return
    if csv_:
        import csv
        import sys

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["report", "from", "to", "scope", "section", "item", "count", "of"])
        for row in export_rows(report):
            # a cell starting = + - @ is never a formula in a spreadsheet (no figure starts so; a team might)
            cells = [report.kind, p.start.isoformat(), p.end.isoformat(), report.scope, *row.values()]
            writer.writerow(
                ["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in cells]
            )
        record_export(session, report, "csv")
        return
    for line in text_lines(report):
        echo(line)


REPORTS = {
    "caseload": """Referrals in (by route), cases open and closed (by reason), risk at intake and now, first
    contact within the policy's hours, Dash completed, reviews on time and safety plans in place. Without a
    period: this quarter so far.

    \b
    Example: dacli report caseload --quarter 2026Q3 --csv > caseload-2026Q3.csv
    """,
    "marac": """The SafeLives Marac national dataset's figures for the Marac referrals the service made:
    referrals, cases, repeats within 12 months, children in the household, and the equality counts
    (consenting clients only; the report says how many were left out). Without a period: this quarter so far.

    \b
    Example: dacli report marac --quarter 2026Q3 --csv > marac-2026Q3.csv
    """,
    "outcomes": """For the cases closed in the period (consenting clients): risk at intake and at exit, each
    Soag abuse type at the first and latest grid, the exit form's eleven 'compared to intake' answers, and
    the follow-up calls. Without a period: this quarter so far.

    \b
    Example: dacli report outcomes --year 2026 --json > outcomes-2026.json
    """,
    "safe-accommodation": """The Domestic Abuse Act 2021 Part 4 'support in safe accommodation' return's
    counts the store holds: people supported in safe accommodation by kind (the intake's coded
    `accommodation`), their characteristics (consenting clients only), and support ended with its reason and
    where they moved on to (the exit form's `moved_on_to`). Without a period: this quarter so far.

    \b
    Example: dacli report safe-accommodation --from 2026-04-01 --to 2027-03-31 --csv
    """,
}
"""Each report's command and its help (`services.reports` has a function of the same name, - as _)."""


def _command(kind: str):
    def report(
        ctx: typer.Context,
        start: str = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
        end: str = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD; default today)."),
        quarter: str = typer.Option(None, "--quarter", help="A calendar quarter, e.g. 2026Q3."),
        year: str = typer.Option(None, "--year", help="A calendar year, e.g. 2026."),
        worker: str = typer.Option(None, "--worker", help="One worker's cases (username)."),
        team: str = typer.Option(None, "--team", help="A team's cases (policy `reports.teams`)."),
        csv_: bool = typer.Option(False, "--csv", help="CSV, small numbers suppressed (to send on)."),
        json_: bool = typer.Option(False, "--json", help="JSON, small numbers suppressed (to send on)."),
    ) -> None:
        from dacli.services import reports

        c: Context = ctx.obj
        session = c.session()
        run = getattr(reports, kind.replace("-", "_"))
        _out(session, run(session, _period(start, end, quarter, year), worker=worker, team=team), csv_, json_)

    report.__doc__ = REPORTS[kind]
    report.__name__ = kind.replace("-", "_")
    return report


for _kind in REPORTS:
    report_app.command(_kind)(_command(_kind))
