"""dacli marac: the Marac referral form, filled from the case."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, ref_argument

marac_app = typer.Typer(help="Marac referrals.", no_args_is_help=True)

TEMPLATE = """\
# What the Marac referral form needs beyond the case file (victim, perpetrators, children, criteria and the
# checklist's gaps are filled from the case). Safe fields are withheld unless released with --release.
# Required: referred_on, referring_agency, contact_name, contact_details, victim_aware, consent_given and
# afraid_of (fill in the blanks; uncomment the date and the true/false answers); the rest is optional.
# A form saved without them is refused and nothing is recorded.
# referred_on = YYYY-MM-DD  # the date of this referral (it starts the Marac-repeat year)
referring_agency = ""
contact_name = ""
contact_details = ""        # telephone / email
# victim_aware =            # true or false: is the victim aware of the referral?
# not_aware_why = ""        # required when victim_aware = false
# consent_given =           # true or false: has the victim consented to the referral?
afraid_of = ""              # all potential threats, not just the primary perpetrator
# safe_to_talk_to = ""
# not_safe_to_talk_to = ""
# previous_marac = ""       # where and when
# additional_information = ""
"""


def register(app: typer.Typer) -> None:
    app.add_typer(marac_app, name="marac")


@marac_app.command("refer")
def marac_refer(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The referrer's part as TOML, or - (see --template)."),
    template: bool = typer.Option(False, "--template", help="Print the part to fill in."),
    release: list[str] = typer.Option(None, "--release", help="Include this safe field (repeatable)."),
    reason: str = typer.Option(
        None, "--reason", help=f"Why the safe fields are released (audited). {NARRATIVE_HELP}"
    ),
    out: str = typer.Option(None, "--out", help="Write the form to this file (default: standard output)."),
) -> None:
    """Record a Marac referral and print the referral form, filled from the case.

    \b
    Example: dacli marac refer DA-7K3M9-QXP2T --template > marac.toml
    """
    if template:
        typer.echo(TEMPLATE, nl=False)
        return
    from dacli.schemas.marac import MaracForm
    from dacli.services.marac import parse_marac, refer

    what = "the referrer's part"
    _record_and_export(ctx, ref, from_, what, MaracForm, parse_marac, refer, release, reason, out)


RESEARCH_TEMPLATE = """\
# The Marac research form: what the practitioner adds (victim details, the checklist's indicators and
# gaps, the last contact and dates to come are filled from the case). Safe fields are withheld unless
# released with --release FIELD --reason TEXT. Required: the date (uncomment it), your name and agency,
# and your contact details; the rest is optional.
# researched_on = YYYY-MM-DD
name_and_agency = ""
contact_details = ""               # telephone / email
# marac_case_number = ""           # from the agenda
# victim_details_accurate =       # true or false
# children_details_accurate =     # true or false
# perpetrator_details_accurate =  # true or false
# corrections = ""                 # changes / errors / other information (eg aliases or nicknames)
# last_contacts = ""               # last sightings, meetings or phone calls
# attitude = ""                    # recent attitude, behaviour and demeanour, including changes
# risk_information = ""            # relevant to the checklist's risk indicators
# other_information = ""           # eg actions already taken by agency
# priorities = ""                  # the victim's greatest priorities for their safety
# afraid_of = ""                   # all potential threats, not just the primary perpetrator
# safe_to_talk_to = ""
# not_safe_to_talk_to = ""
# not_shared = ""                  # researched but not shared, and why (kept on file, not on the form)
"""


@marac_app.command("research")
def marac_research(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The practitioner's part as TOML, or - (see --template)."),
    template: bool = typer.Option(False, "--template", help="Print the part to fill in."),
    release: list[str] = typer.Option(None, "--release", help="Include this safe field (repeatable)."),
    reason: str = typer.Option(
        None, "--reason", help=f"Why the safe fields are released (audited). {NARRATIVE_HELP}"
    ),
    out: str = typer.Option(None, "--out", help="Write the form to this file (default: standard output)."),
) -> None:
    """Record the Marac research form and print it, filled from the case.

    \b
    Example: dacli marac research DA-7K3M9-QXP2T --template > research.toml
    """
    if template:
        typer.echo(RESEARCH_TEMPLATE, nl=False)
        return
    from dacli.schemas.marac import ResearchForm
    from dacli.services.marac import parse_research, research

    what = "the research form"
    _record_and_export(ctx, ref, from_, what, ResearchForm, parse_research, research, release, reason, out)


def _record_and_export(ctx, ref, from_, what, model, parse, record, release, reason, out) -> None:
    """Read the practitioner's part (from a file, or asked question by question), record the form, and
    deliver it (a file, or standard output)."""

    from dacli.commands.common import deliverer, export_target, form_from, release_reason
    from dacli.errors import InvalidInput

    if from_ in ("-", None) and reason == "-" and release:
        raise InvalidInput(
            "Only one of the form and --reason can read standard input: give the form with --from FILE or "
            "the reason with @FILE."
        )
    target = export_target(out, ctx.obj.store_path)
    session = ctx.obj.session()  # unlocked before the questions: a wrong passphrase wastes no answers
    form = form_from(from_, what, model, lambda d: parse(d, clock.today()))
    reason = release_reason(release, reason)
    name, _ = record(session, ref, form, list(release or []), reason, deliverer(target))
    if target is not None:
        typer.echo(f"{name}: form written to {out}", err=True)


@marac_app.command("decline")
def marac_decline(
    ctx: typer.Context,
    ref: str = ref_argument(),
    reason: str = typer.Option(..., "--reason", help="Why the case is not referred (recorded and audited)."),
) -> None:
    """Record a decision not to refer a case its latest Dash recommends for Marac (seniors and managers).

    \b
    Example: dacli marac decline DA-7K3M9-QXP2T --reason -
    """
    from dacli.services.marac import decline

    typer.echo(decline(ctx.obj.session(), ref, reason, clock.today()))
