"""dacli case list / show."""

from __future__ import annotations

import typer

from dacli.commands.common import Context, ref_argument

case_app = typer.Typer(help="The caseload and single cases.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    worker: str = typer.Option(None, "--worker", help="Only this caseworker's cases."),
    mine: bool = typer.Option(False, "--mine", help="Only your own cases."),
    status: str = typer.Option(None, "--status", help="open or closed."),
    risk: str = typer.Option(None, "--risk", help="standard, medium, high, or none (not assessed)."),
    flag: str = typer.Option(
        None,
        "--flag",
        help="A flag, e.g. repeat, conflict, marac-referral-due, children-referral-needed or incomplete.",
    ),
    overdue: bool = typer.Option(False, "--overdue", help="Only cases with an overdue deadline."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List cases from the caseload index (no case is decrypted). Overdue cases sort first.

    \b
    Example: dacli case list --mine --overdue
    """

    from dacli.commands.caseviews import list_cases

    c: Context = ctx.obj
    list_cases(c, worker=worker, mine=mine, status=status, risk=risk, flag=flag, overdue=overdue, json_=json_)


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
    all_: bool = typer.Option(False, "--all", help="The whole timeline (default: the latest 8 entries)."),
) -> None:
    """Show one case on one screen: summary, safe contact details, flags, consent, safety plan, Marac,
    disclosures, court dates, deadlines and the latest timeline (the read is audited).

    \b
    Example: dacli case show 7k3m9
    """

    from dacli.commands.caseviews import show_case_text

    c: Context = ctx.obj
    show_case_text(c, ref, json_=json_, all_=all_)


@case_app.command("find")
def case_find(
    ctx: typer.Context,
    query: str = typer.Argument(
        ..., help="A name or part of one (each word the start of a word), or a reference."
    ),
    notes: bool = typer.Option(
        False, "--notes", help="Look in the text on file instead: notes, reasons, outcomes (your open cases)."
    ),
    everyone: bool = typer.Option(False, "--all", help="With --notes: every case of the caseload (slower)."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Find cases by the client's name, an also-known-as name or the start of a reference, open and closed
    (the caseload index only: no case is decrypted; the search is audited, the words searched are not).
    With --notes, find the notes (and reasons, outcomes) that hold every word given, in your open cases or,
    with --all, in every case.

    \b
    Example: dacli case find "jo test"
    """
    from dacli.commands.caseviews import echo
    from dacli.commands.common import print_json
    from dacli.commands.render import table
    from dacli.services.search import find_cases, find_in_notes

    c: Context = ctx.obj
    if notes:
        from dacli import clock

        hits = find_in_notes(c.session(), query, everyone)
        if hits.skipped:
            import sys

            names = ", ".join(hits.skipped)
            print(f"Could not read {len(hits.skipped)} case(s), so not searched: {names}.", file=sys.stderr)
        if json_:
            print_json([{"ref": h.ref, "client": h.client, "at": h.at.isoformat(), "kind": h.kind,
                         "line": h.line} for h in hits])  # fmt: skip
            return
        if not hits:
            echo(
                "Nothing on file holds those words."
                + ("" if everyone else " (Your open cases; --all for every case.)")
            )
            return
        table(("when", "reference", "client", "what", "line"),
              [(clock.show(h.at), h.ref, h.client, h.kind, h.line) for h in hits])  # fmt: skip
        return
    found = find_cases(c.session(), query)
    if json_:
        print_json([{**f.row.as_json(), "matched": f.by} for f in found])
        return
    if not found:
        echo("No case matches.")
        return
    table(
        ("reference", "client", "also known as", "worker", "status", "risk", "matched"),
        [
            (
                f.row.ref,
                f.row.client,
                f.row.aka or "-",
                f.row.worker,
                f.row.status.value,
                f.row.risk or "-",
                f.by,
            )
            for f in found
        ],
    )
    echo(f"{len(found)} {'case' if len(found) == 1 else 'cases'}.")
