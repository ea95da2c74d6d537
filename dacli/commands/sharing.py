"""dacli share-without-consent: the pack's Information Sharing Without Consent form, and sign-off."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, print_json, ref_argument


class RecordByDefault(TyperGroup):
    """`dacli share-without-consent REF` records a decision; `... sign-off REF ID` signs one off."""

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["record", *args]
        return super().resolve_command(ctx, args)


share_app = typer.Typer(
    cls=RecordByDefault,
    help="Share information without consent: the decision, its legal basis, and a senior's sign-off.",
    no_args_is_help=True,
)

TEMPLATE = """\
# Information Sharing Without Consent (SafeLives Case Management Pack 2014). Every key below is required
# unless it says optional: fill in the blanks, and uncomment and answer the date and the yes/no questions
# (true or false). Nothing is assumed: a form saved with a required answer missing is refused.
# Keep facts and professional opinion apart.
sent_to = ""                 # the agency and person it went to
# shared_at = YYYY-MM-DDTHH:MM:00   # date and time of the decision to share (local time)
information_shared = ""      # what you shared (it goes in the disclosure ledger)
concerned_about = []         # one or more of "children", "client", "perpetrator", "other"
# concerned_about_other = "" # who, if other
at_risk_from = []            # one or more of "client", "self-harm", "perpetrator", "family-member", "other"
# at_risk_from_other = ""
concerns_fact = ""
# concerns_opinion = ""      # optional: professional opinion
# immediate_risk =           # true or false: flag immediate risk
legal_basis = []             # one or more of "Child Protection Act", "Data Protection Act",
                             # "Human Rights Act", "Crime and Disorder Act", "Common Law"
considerations = ""          # I have balanced the following considerations
discussed_with = ""          # I have discussed this internally with
action = ""                  # The action we have taken is
# client_notified =          # true or false: has the client been notified?
# not_notified_reason = ""   # required when the client was not notified
"""


def register(app: typer.Typer) -> None:
    app.add_typer(share_app, name="share-without-consent")


@share_app.command("record")
def share_record(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The form as TOML, or - for standard input."),
    template: bool = typer.Option(False, "--template", help="Print the form to fill in."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Record a decision to share without consent (a caseworker's waits for a senior's sign-off).

    \b
    Example: dacli share-without-consent record DA-7K3M9-QXP2T --template > share.toml
    """
    if template:
        typer.echo(TEMPLATE, nl=False)
        return

    import datetime as dt

    from dacli.commands.common import form_from
    from dacli.schemas.sharing import ShareForm
    from dacli.services.sharing import parse_share, share_without_consent

    c: Context = ctx.obj
    session = c.session()
    form = form_from(from_, "the form", ShareForm, lambda d: parse_share(d, clock.now()))
    name, record = share_without_consent(session, ref, form)
    if json_:
        print_json({"case": ref, "record": name, "needs_sign_off": record.needs_sign_off})
        return
    typer.echo(name)
    if record.needs_sign_off:
        typer.echo(
            "Awaiting sign-off by a senior or manager within 48 hours of the sharing (by "
            f"{clock.show(record.shared_at + dt.timedelta(hours=48))}): "
            f"dacli share-without-consent sign-off {ref} {name}",
            err=True,
        )


@share_app.command("sign-off")
def share_sign_off(
    ctx: typer.Context,
    ref: str = ref_argument(),
    decision: str = typer.Argument(..., help="The decision's record name (share-...)."),
    comment: str = typer.Option(
        None, "--comment", help=f"Your review (kept encrypted with the record). {NARRATIVE_HELP}"
    ),
) -> None:
    """Sign off a caseworker's decision (seniors and managers; never your own).

    \b
    Example: dacli share-without-consent sign-off DA-7K3M9-QXP2T share-20261203T101500-1a2b3c.toml.age
    """
    from dacli.commands.common import case_first, narrative
    from dacli.errors import NotFound
    from dacli.services.sharing import sign_off_share

    c: Context = ctx.obj
    session = c.session()
    from dacli.schemas.common import Role

    session.require_role(Role.senior, Role.manager)
    case_first(session, ref)  # the role, the case and the decision, before the review is asked for
    if decision not in session.record_names(ref):
        raise NotFound(f"Case {ref} has no decision {decision} to share without consent.")
    comment = narrative(comment, "--comment", "Your review of the decision", required=False)
    typer.echo(sign_off_share(session, ref, decision, comment))
