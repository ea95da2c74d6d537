"""dacli day: what is overdue, due today and this week, what waits without a date, and your sign-offs."""

from __future__ import annotations

import typer

from dacli.commands.common import Context
from dacli.rules.day import HEADINGS


def register(app: typer.Typer) -> None:
    app.command("day")(day)


def day(
    ctx: typer.Context,
    team: bool = typer.Option(False, "--team", help="Every case, not only yours (seniors and managers)."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Your day: overdue, due today and due this week (first contacts, Dash, reviews, plan actions, written
    confirmations, follow-up calls, court dates, orders expiring), Marac and children's referrals to make,
    and the sign-offs waiting for you.

    \\b
    Example: dacli day --team
    """
    from dacli.commands.caseviews import echo
    from dacli.commands.common import print_json
    from dacli.commands.render import table
    from dacli.rules.day import when
    from dacli.services.day import my_day

    c: Context = ctx.obj
    plan = my_day(c.session(), team=team)
    if json_:
        print_json(
            {
                "who": plan.who,
                "team": plan.team,
                "today": plan.today.isoformat(),
                "sections": {
                    name: [
                        {
                            "case": i.ref,
                            "client": i.client,
                            "worker": i.worker,
                            "what": i.what,
                            "due": i.due_at.isoformat() if i.due_at else None,
                            "overdue": i.overdue,
                        }
                        for i in items
                    ]
                    for name, items in plan.sections.items()
                },
            }
        )
        return
    echo(plan.headline())
    for name, items in plan.sections.items():
        if not items:
            continue
        echo("")
        echo(HEADINGS[name])
        table(
            ("reference", "client", "worker", "what", "due"),
            [(i.ref, i.client, i.worker, i.what, when(i.due_at)) for i in items],
        )
