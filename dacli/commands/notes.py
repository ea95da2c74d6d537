"""dacli note add/list and dacli contact add/list."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import (
    NARRATIVE_HELP,
    Context,
    ask_text,
    case_first,
    check_first,
    narrative,
    now_or,
    print_json,
    read_form,
    ref_argument,
)
from dacli.errors import InvalidInput

note_app = typer.Typer(
    help="Case notes: append-only; a correction supersedes, never edits.", no_args_is_help=True
)
contact_app = typer.Typer(help="Case contacts: practitioners and agencies on a case.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(note_app, name="note")
    app.add_typer(contact_app, name="contact")


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    ref: str = ref_argument(),
    at: str = typer.Option(
        None, "--at", help="When the contact happened (YYYY-MM-DDTHH:MM, local time); default now."
    ),
    initials: str = typer.Option(
        None, "--initials", help="Case worker initials (default from your username)."
    ),
    contact_type: str = typer.Option(
        None, "--type", help="telephone, email, letter, face-to-face, meeting or text."
    ),
    contact_with: str = typer.Option(None, "--with", help="'client' or the agency's name."),
    facts: str = typer.Option(
        None,
        "--text",
        help=f"The note (facts). {NARRATIVE_HELP}",
    ),
    opinion: str = typer.Option(
        None, "--opinion", help=f"Professional opinion, kept apart from facts. {NARRATIVE_HELP}"
    ),
    codes: list[str] = typer.Option(
        None, "--code", help="Activity code (repeatable): CH CI CR F G H HW I M P PR."
    ),
    attempt: bool = typer.Option(False, "--attempt", help="An attempt that reached no one."),
    incident: bool = typer.Option(
        False, "--incident", help="A new incident was disclosed (a Dash falls due)."
    ),
    supersedes: str = typer.Option(None, "--supersedes", help="Record name of the note this corrects."),
    from_: str = typer.Option(None, "--from", help="The note as a TOML file, or - for standard input."),
) -> None:
    """Add a case note (prompts for what is not given).

    \b
    Example: dacli note add 7k3m9 --type telephone --with client --code G
    """

    from dacli.services.notes import add_note, initials_of, parse_note

    c: Context = ctx.obj
    session = c.session()
    if from_:
        data = read_form(from_, "the note")
    else:
        data = {
            "at": now_or(at),
            "initials": initials or initials_of(session.member.username),
            "contact_type": contact_type,
            "contact_with": contact_with,
            "successful": not attempt,
            "incident": incident,
            "activities": [x.upper() for x in codes or []],
            "supersedes": supersedes,
        }
        # every option is checked, and the case found, before a word of the note is asked for
        stand_ins = {"contact_type": "telephone", "contact_with": "client", "facts": "-"}
        check_first(lambda d: parse_note(d, clock.now()), data, stand_ins)
        case_first(session, ref)
        if supersedes and supersedes not in session.record_names(ref):
            raise InvalidInput(f"supersedes: case {ref} has no note {supersedes}.")
        asks = {
            "contact_type": "Contact type (telephone/email/letter/face-to-face/meeting/text)",
            "contact_with": "Contact with ('client' or the agency)",
        }
        for key, label in asks.items():
            while not data[key]:  # a single line, checked at once and asked again when refused
                data[key] = typer.prompt(err=True, text=label).strip()
                try:
                    check_first(lambda d: parse_note(d, clock.now()), data, stand_ins)
                except InvalidInput as exc:
                    typer.echo(exc.message.partition(": ")[2] or exc.message, err=True)
                    data[key] = None
        data["facts"] = (
            narrative(facts, "--text", "Case note (facts)")
            if facts is not None
            else ask_text("Case note (facts)")
        )
        opinion = narrative(opinion, "--opinion", "Professional opinion", required=False)
        if opinion:
            data["opinion"] = opinion
        data = {k: v for k, v in data.items() if v is not None}
    name = add_note(session, ref, parse_note(data, clock.now()))
    typer.echo(name)


@note_app.command("list")
def note_list(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every note of a case, oldest first, superseded ones marked.

    \b
    Example: dacli note list DA-7K3M9-QXP2T
    """
    from dacli.services.case_view import show_case

    c: Context = ctx.obj
    view = show_case(c.session(), ref)
    gone = view.superseded()
    notes = sorted(view.notes, key=lambda x: (x[1].at, x[0]))
    if json_:
        print_json(
            [
                {"record": n, "superseded": n in gone, **r.model_dump(mode="json", by_alias=True)}
                for n, r in notes
            ]
        )
        return
    for name, note in notes:
        flag = "  (SUPERSEDED)" if name in gone else ""
        codes = " ".join(a.value for a in note.activities)
        outcome = "" if note.successful else " attempt,"
        head = f"{clock.show(note.at)} {note.initials} {note.contact_type.value},{outcome}"
        typer.echo(f"{head} with {note.contact_with}{' [' + codes + ']' if codes else ''}{flag}   {name}")
        typer.echo(f"    fact: {note.facts}")
        if note.opinion:
            typer.echo(f"    opinion: {note.opinion}")
        if note.supersedes:
            typer.echo(f"    corrects {note.supersedes}")


@contact_app.command("add")
def contact_add(
    ctx: typer.Context,
    ref: str = ref_argument(),
    agency: str = typer.Option(None, "--agency", help="Agency."),
    role: str = typer.Option(None, "--role", help="Role/title."),
    name: str = typer.Option(None, "--name", help=f"Name. {NARRATIVE_HELP}"),
    address: str = typer.Option(None, "--address", help="Address."),
    telephone: str = typer.Option(None, "--telephone", help="Telephone."),
    email: str = typer.Option(None, "--email", help="Email address."),
    comments: str = typer.Option(None, "--comments", help=f"Comments. {NARRATIVE_HELP}"),
) -> None:
    """Add a case contact (a practitioner or agency involved in this case).

    \b
    Example: dacli contact add DA-7K3M9-QXP2T --agency "Local police" --role "DA officer"
    """
    from dacli.services.notes import add_contact, parse_contact

    c: Context = ctx.obj
    session = c.session()
    given = {"agency": agency, "role": role, "address": address, "telephone": telephone, "email": email}
    check_first(parse_contact, {k: v for k, v in given.items() if v}, {"agency": "-"})
    case_first(session, ref)
    data = {
        "agency": agency or typer.prompt(err=True, text="Agency"),
        "role": role,
        "name": narrative(name, "--name", "Name", required=False),
        "address": address,
        "telephone": telephone,
        "email": email,
        "comments": narrative(comments, "--comments", "Comments", required=False),
    }
    typer.echo(add_contact(session, ref, parse_contact({k: v for k, v in data.items() if v})))


@contact_app.command("list")
def contact_list(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The case contacts of a case.

    \b
    Example: dacli contact list DA-7K3M9-QXP2T
    """
    from dacli.services.case_view import show_case

    c: Context = ctx.obj
    view = show_case(c.session(), ref)
    if json_:
        print_json([{"record": n, **r.model_dump(mode="json", by_alias=True)} for n, r in view.contacts])
        return
    from dacli.commands.render import table

    table(
        ("agency", "role", "name", "telephone", "email"),
        [(r.agency, r.role or "", r.name or "", r.telephone or "", r.email or "") for _, r in view.contacts],
    )
