"""dacli consent: the confidentiality and information sharing agreement."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, now_or, print_json, ref_argument

consent_app = typer.Typer(help="The confidentiality and information sharing agreement.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")
    app.command("share")(share)


def _template() -> str:
    from dacli.schemas.consent import STATEMENTS

    lines = [
        "# Confidentiality and Information Sharing Agreement (SafeLives Case Management Pack 2014)",
        "# Nothing here is answered for you: fill in how, uncomment each statement with the client's answer",
        "# (true for yes, false for no) and the dates. A form saved with an answer missing is refused.",
        '# how: "in-writing" (signed by the client) or "telephone" (explained and consented to by phone)',
        'how = ""',
        "# Answer yes (true) or no (false) to each statement:",
    ]
    for key, text in STATEMENTS.items():
        lines += [f"# {text}", f"# {key} =            # true or false"]
    lines += [
        "# client_signed_on = YYYY-MM-DD      # required for an agreement in writing",
        "# caseworker_signed_on = YYYY-MM-DD  # required",
        "",
        "# One block per agency, uncommented: permission to share information (true or false), with its date",
        "# and date of review. Permission is never assumed for an agency not listed.",
        "# [[agencies]]",
        '# agency = ""',
        '# contact = ""',
        "# permission =                       # true or false",
        "# date = YYYY-MM-DD",
        "# review_date = YYYY-MM-DD",
    ]
    return "\n".join(lines) + "\n"


@consent_app.command("record")
def consent_record(
    ctx: typer.Context,
    ref: str = ref_argument(),
    from_: str = typer.Option(None, "--from", help="The agreement as TOML, or - for standard input."),
    template: bool = typer.Option(False, "--template", help="Print the agreement to fill in."),
) -> None:
    """Record the client's agreement (the latest one is in force).

    \b
    Example: dacli consent record DA-7K3M9-QXP2T --template > consent.toml
    """
    if template:
        typer.echo(_template(), nl=False)
        return

    from dacli.commands.common import form_from
    from dacli.schemas.consent import AgreementForm
    from dacli.services.consent import parse_agreement, record_agreement

    c: Context = ctx.obj
    session = c.session()
    form = form_from(
        from_, "the agreement", AgreementForm, lambda d: parse_agreement(d, clock.today()),
        many={"agencies": "agency's permission"},
    )  # fmt: skip
    typer.echo(record_agreement(session, ref, form))


@consent_app.command("show")
def consent_show(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The agreement in force: the four statements, monitoring consent, and each agency's permission.

    \b
    Example: dacli consent show DA-7K3M9-QXP2T
    """

    from dacli.schemas.consent import STATEMENTS
    from dacli.services.consent import agreements, review_overdue

    c: Context = ctx.obj
    found = agreements(c.session(), ref)
    if json_:
        print_json([{"record": n, **a.model_dump(mode="json", by_alias=True)} for n, a in found])
        return
    if not found:
        typer.echo(f"Case {ref} has no confidentiality and information sharing agreement on file.")
        return
    name, a = found[-1]
    typer.echo(f"Agreement in force ({a.how}, case worker signed {a.caseworker_signed_on}): {name}")
    for key, text in STATEMENTS.items():
        typer.echo(f"  [{'yes' if getattr(a, key) else 'NO '}] {text}")
    today = clock.today()
    for p in a.agencies:
        review = ""
        if p.review_date:
            review = f", review {p.review_date}" + (" (OVERDUE)" if review_overdue(p, today) else "")
        typer.echo(f"  {p.agency}: permission {'yes' if p.permission else 'NO'} from {p.date}{review}")


def share(
    ctx: typer.Context,
    ref: str = ref_argument(),
    agency: str = typer.Option(..., "--agency", help="The agency, as named in the agreement."),
    to: str = typer.Option(None, "--to", help="The person it went to (default: the agency)."),
    what: str = typer.Option(None, "--what", help=f"What was shared. {NARRATIVE_HELP}"),
    at: str = typer.Option(None, "--at", help="When (YYYY-MM-DDTHH:MM, local time); default now."),
) -> None:
    """Record a share made with the client's consent (refused unless the agreement permits that agency).

    \b
    Example: dacli share DA-7K3M9-QXP2T --agency "Housing options"
    """

    from dacli.commands.common import narrative
    from dacli.services.consent import consent_in_force, parse_disclosure, share_with_consent

    c: Context = ctx.obj
    session = c.session()
    data = {"agency": agency, "sent_to": to or agency, "information_shared": "-", "shared_at": now_or(at)}
    checked = parse_disclosure(data, clock.now())  # the options, and the consent, before what was shared
    consent_in_force(session, ref, checked.agency, checked.shared_at)
    data["information_shared"] = narrative(what, "--what", "What was shared")
    typer.echo(share_with_consent(session, ref, parse_disclosure(data, clock.now())))
