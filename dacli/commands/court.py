"""dacli court: criminal and civil case summaries, one per hearing."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, print_json, ref_argument

court_app = typer.Typer(help="Criminal and civil case summaries (one per hearing).", no_args_is_help=True)

CRIMINAL = """\
# Criminal Case Summary (SafeLives Case Management Pack 2014): one per hearing.
# Required: hearing_date, court, type_of_hearing and victim_informed (uncomment the date and the
# true/false answer); the rest is optional. A summary saved without them is refused.
kind = "criminal"
# hearing_date = YYYY-MM-DD
court = ""
type_of_hearing = ""
# victim_informed =           # true or false: has the victim been informed of the hearing?
# caseworker_at_court = ""
# victims = [""]
# defendants = [""]
# trial_date = YYYY-MM-DD
# pre_trial_visit = YYYY-MM-DD
# incident_dates = ""
# bail_conditions = ""
# officer_in_case = ""
# officer_in_case_tel = ""
# witness_care_officer = ""
# witness_care_tel = ""
# next_court_date = YYYY-MM-DD
# next_court = ""
# comments = ""
# [[charges]]
# charge = ""
# plea = ""
# [[special_measures]]
# application_for = ""
# date_applied = YYYY-MM-DD
# date_granted = YYYY-MM-DD
# used_for_trial =         # true or false
"""
CIVIL = """\
# Civil Case Summary (SafeLives Case Management Pack 2014): one per hearing.
# Required: hearing_date, court, type_of_hearing and victim_informed (uncomment the date and the
# true/false answer); the rest is optional. A summary saved without them is refused.
kind = "civil"
# hearing_date = YYYY-MM-DD
court = ""
type_of_hearing = ""          # application / breach / full hearing etc
# victim_informed =           # true or false: has the victim been informed of the hearing?
# applicant_solicitor = ""    # name, firm and contact
# respondent_solicitor = ""
# next_court_date = YYYY-MM-DD
# next_court = ""
# comments = ""
# [[orders]]
# type = ""                  # non-molestation, occupation, pfha, forced-marriage, children-act
# specify = ""                # which Children Act order
# length = ""
# expiry_date = YYYY-MM-DD
# conditions = [""]
"""


def register(app: typer.Typer) -> None:
    app.add_typer(court_app, name="court")


@court_app.command("record")
def court_record(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The summary as TOML, or - for standard input."),
    template: str = typer.Option(None, "--template", help="Print a form to fill in: criminal or civil."),
) -> None:
    """Record a criminal or civil case summary for one hearing.

    \b
    Example: dacli court record DA-7K3M9-QXP2T --template criminal > hearing.toml
    """
    from dacli.errors import InvalidInput

    if template:
        if template not in ("criminal", "civil"):
            raise InvalidInput("--template is criminal or civil.")
        typer.echo(CRIMINAL if template == "criminal" else CIVIL, nl=False)
        return

    from dacli.commands.common import form_from
    from dacli.schemas.court import CivilHearing, CriminalHearing
    from dacli.services.court import parse_hearing, record_hearing

    c: Context = ctx.obj
    session = c.session()
    kind, model, many = "", CriminalHearing, {}
    if not from_:
        while (
            kind := typer.prompt("A criminal or a civil hearing? (criminal / civil)", err=True)
            .strip()
            .lower()
        ) not in ("criminal", "civil"):
            typer.echo("Please answer criminal or civil.", err=True)  # fmt: skip
        model = CriminalHearing if kind == "criminal" else CivilHearing
        many = {"charges": "charge", "special_measures": "special measure"} if kind == "criminal" else {
            "orders": "order"}  # fmt: skip

    def parse(data: dict):
        return parse_hearing({**data, "kind": data.get("kind", kind)}, clock.today())

    form = form_from(from_, "the case summary", model, parse, skip=("kind",), many=many)
    typer.echo(record_hearing(session, ref, form))


@court_app.command("list")
def court_list(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every hearing of a case in date order, with orders and their expiry dates.

    \b
    Example: dacli court list DA-7K3M9-QXP2T
    """
    from dacli.services.case_view import show_case

    c: Context = ctx.obj
    view = show_case(c.session(), ref)
    if json_:
        print_json([{"record": n, **h.model_dump(mode="json", by_alias=True)} for n, h in view.hearings])
        return
    if not view.hearings:
        typer.echo(f"Case {ref} has no court records.")
        return
    for name, h in view.hearings:
        nxt = f"; next {h.next_court_date} at {h.next_court or '-'}" if h.next_court_date else ""
        informed = "victim informed" if h.victim_informed else "VICTIM NOT INFORMED"
        typer.echo(f"{h.hearing_date} {h.kind} {h.type_of_hearing} at {h.court}; {informed}{nxt}   {name}")
        for charge in getattr(h, "charges", []):
            typer.echo(f"    charge: {charge.charge} (plea: {charge.plea or '-'})")
        if getattr(h, "bail_conditions", None):
            typer.echo(f"    bail conditions: {h.bail_conditions}")
        for order in getattr(h, "orders", []):
            typer.echo(f"    order: {order.type} expires {order.expiry_date or '-'}")


@court_app.command("summary")
def court_summary(
    ctx: typer.Context,
    ref: str = ref_argument(),
    out: str = typer.Option(None, "--out", help="Write to this file (default: standard output)."),
    release: list[str] = typer.Option(None, "--release", help="Include this safe field (repeatable)."),
    reason: str = typer.Option(
        None, "--reason", help=f"Why the safe fields are released (audited). {NARRATIVE_HELP}"
    ),
) -> None:
    """Every hearing as the pack's case summary forms, to share; safe fields withheld (audited export).

    \b
    Example: dacli court summary DA-7K3M9-QXP2T --out summary.md
    """
    from dacli.commands.common import deliverer, export_target, release_reason
    from dacli.services.court import summary

    c: Context = ctx.obj
    target = export_target(out, c.store_path)
    session = c.session()
    if release:
        from dacli.commands.common import case_first

        case_first(session, ref)  # before the reason is asked for
    summary(session, ref, list(release or []), release_reason(release, reason), deliverer(target))
    if target is not None:
        typer.echo(f"written to {out}", err=True)
