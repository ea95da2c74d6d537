"""dacli review, close, reopen, follow-up: case reviews, the exit form and what comes after."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, print_json, ref_argument

REVIEW_TEMPLATE = """\
# Case review form (SafeLives Case Management Pack, section 4). The contact summary, risk and Soag at
# intake and now, and the plan's incomplete actions are filled from the case when you record it.
# Nothing below is answered for you. Required: engaged, new_concerns, professional_judgement,
# worker_perception, client_perception, outcome and reasons (uncomment the true/false answers);
# a review saved without them is refused.
# reviewed_on = YYYY-MM-DD          # default: the day you record it
# engaged =                         # true or false: Client engaged?
case_type = ""                      # eg MARAC / civil / criminal
change_comment = ""                 # Is there reduction/increase in Ric/Soag? Comment
# new_concerns =                    # true or false: Are there any new or altering significant concerns?
new_concerns_comment = ""           # required when there are
professional_judgement = ""         # What is your professional judgement in this case?
issp_why_not = ""                   # ISSP in place? If not, why not?
worker_perception = ""              # DA practitioner's perception of safety
client_perception = ""              # Client perception of safety
new_actions = []                    # any new or incomplete actions still relevant
outcome = ""                        # continue (ongoing case) / scale-down / close
reasons = []                        # What are your reasons for this? (one or more)
"""


def _exit_template(children: bool | None = None) -> str:
    """The exit form, every answer blank. ``children`` False (the case has none on file) marks the
    questions about children not applicable; None (no case named) leaves them to the person."""
    from dacli.schemas.review import CHILDREN_QUESTIONS, COMPARED

    lines = [
        "# Exit form (SafeLives Case Management Pack, section 5). Risk at intake and closure come from the",
        "# case's Dash checklists. The reason must hold: risk-reduced needs the safety plan's actions",
        "# complete; no-contact needs 8 weeks (policy) without client contact; client-request nothing more.",
        "# Nothing below is answered for you. Required: reason and follow_up_consent (uncomment it).",
        "# closed_on = YYYY-MM-DD          # default: the day you record it",
        'reason = ""                        # risk-reduced / no-contact / client-request',
        'reason_detail = ""',
        "# Do you know what to do if another incident occurred? (where to go for help, who to contact)",
        "# knows_what_to_do =               # true or false",
        "# It's our policy to call you in six months' time... Is it okay to contact you?",
        "# follow_up_consent =              # true or false (required)",
        'details_changed = ""               # latest details: any change since intake',
        "",
        "# Compared to your situation at intake... answer worse / no-change / improved, with a comment",
        "# and any action or referrals still required. A question left blank is not recorded (not asked);",
        "# one with a comment or actions needs its answer.",
    ]
    if children is None:
        lines.append("# The questions about children apply only when the client has children.")
    for key, question in COMPARED:
        if children is False and key in CHILDREN_QUESTIONS:
            lines += [f"# {key}: not applicable (no children on file): {question}", ""]
            continue
        lines += [
            f"# {question}",
            f"[compared.{key}]",
            'answer = ""',
            'comment = ""',
            'actions = ""',
            "",
        ]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("close")(close)
    app.command("reopen")(reopen)
    app.command("follow-up")(follow_up)


def review(
    ctx: typer.Context,
    ref: str = ref_argument(None),
    from_: str = typer.Option(None, "--from", help="The review form as TOML, or - (see --template)."),
    template: bool = typer.Option(False, "--template", help="Print the form to fill in."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Record a case review (due 6-8 weeks after intake, then at the policy interval).

    \b
    Example: dacli review DA-7K3M9-QXP2T
    """
    if template:
        typer.echo(REVIEW_TEMPLATE, nl=False)
        return

    from dacli.commands.common import form_from, require
    from dacli.schemas.review import ReviewForm
    from dacli.services.review import parse_review, record_review

    today = clock.today()
    c: Context = ctx.obj
    ref = require(ref, "A case reference")
    session = c.session()  # unlocked before the questions: a wrong passphrase wastes no answers
    if not from_:
        _tell_filled(session, ref, today)
    form = form_from(from_, "the review form", ReviewForm, lambda d: parse_review(d, today))
    name, record = record_review(session, ref, form, today)
    if json_:
        print_json(
            {"record": name, "filled": record.filled.model_dump(mode="json"), "outcome": record.outcome}
        )
        return
    f = record.filled
    typer.echo(f"{name}: outcome {record.outcome}")
    engaged = "yes" if record.engaged else "no"
    typer.echo(f"  contact: {f.intensity}; last contact {f.last_contact or '-'}; client engaged: {engaged}")
    typer.echo(f"  risk at intake {f.risk_at_intake or '-'}, now {f.risk_now or '-'}: {f.change}")
    typer.echo(
        f"  ISSP in place: {'yes' if f.issp_in_place else 'NO'}; "
        f"incomplete actions {len(f.incomplete_actions)}"
    )
    if f.dash_out_of_date:
        typer.echo(
            f"  The last Dash is older than the review interval: record a new one (dacli dash record {ref})."
        )
    if record.outcome == "close":
        typer.echo(f"  To close the case: dacli close {ref}")


def _tell_filled(session, ref: str, today) -> None:
    """What the review fills in from the case, shown before its questions are asked."""
    from dacli.services.review import filled

    f = filled(session, ref, today)
    typer.echo(
        f"Filled in from the case: {f.contacts} contacts ({f.intensity}); risk at intake "
        f"{f.risk_at_intake or '-'}, now {f.risk_now or '-'} ({f.change}); ISSP in place: "
        f"{'yes' if f.issp_in_place else 'NO'}; incomplete actions: "
        f"{'; '.join(f.incomplete_actions) or 'none'}.",
        err=True,
    )


def close(
    ctx: typer.Context,
    ref: str = ref_argument(None),
    from_: str = typer.Option(None, "--from", help="The exit form as TOML, or - (see --template)."),
    template: bool = typer.Option(False, "--template", help="Print the exit form to fill in."),
    candidates: bool = typer.Option(
        False, "--candidates", help="List open cases with no client contact for 8 weeks (policy)."
    ),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Close a case with the exit form, or list the candidates for closure.

    \b
    Example: dacli close --candidates
    """
    c: Context = ctx.obj
    if template:
        children = None
        if ref:
            from dacli.services.review import has_children

            children = has_children(c.session(), ref)
        typer.echo(_exit_template(children), nl=False)
        return
    if candidates:
        from dacli.services.caseload import listing

        rows = listing(c.session(), status="open", flag="closure-candidate")
        if json_:
            print_json([{"ref": r.ref, "worker": r.worker, "last_contact": r.contact_at} for r in rows])
            return
        for r in rows:
            typer.echo(f"{r.ref}  {r.worker}  last contact {(r.contact_at or 'never')[:10]}")
        typer.echo(f"{len(rows)} open cases with no client contact for 8 weeks or more.")
        return

    from dacli.commands.common import form_from, require
    from dacli.schemas.review import ExitForm, compared_fields
    from dacli.services.review import close_case, has_children, parse_exit

    today = clock.today()
    ref = require(ref, "A case reference")
    session = c.session()
    extra = [] if from_ else compared_fields(has_children(session, ref))
    form = form_from(
        from_,
        "the exit form",
        ExitForm,
        lambda d: parse_exit(d, today),
        extra=extra,
        extra_after="reason_detail",
    )
    name, record = close_case(session, ref, form, today)
    follow = "a follow-up call will be due in 6 months" if record.follow_up_consent else "no follow-up call"
    typer.echo(
        f"{name}: case closed ({record.reason}); risk at intake {record.risk_at_intake or '-'}, "
        f"at closure {record.risk_at_closure or '-'}; {follow}."
    )


def reopen(
    ctx: typer.Context,
    ref: str = ref_argument(),
    reason: str = typer.Option(
        None, "--reason", help=f"Why the case is reopened (audited). {NARRATIVE_HELP}"
    ),
) -> None:
    """Reopen a closed case.

    \b
    Example: dacli reopen DA-7K3M9-QXP2T
    """
    from dacli.commands.common import case_first, narrative
    from dacli.services.review import reopen as reopen_case

    c: Context = ctx.obj
    session = c.session()
    case_first(session, ref)  # before the reason is asked for
    reason = narrative(reason, "--reason", "Why is the case reopened? (audited)")
    typer.echo(f"{reopen_case(session, ref, reason)}: case reopened.")


def follow_up(
    ctx: typer.Context,
    ref: str = ref_argument(),
    on: str = typer.Option(None, "--on", help="Date of the call (YYYY-MM-DD; default today)."),
    reached: bool = typer.Option(
        None, "--reached/--not-reached", help="Whether the client was reached (required: nothing assumed)."
    ),
    outcome: str = typer.Option(
        None, "--outcome", help=f"How the client is getting on; any new needs. {NARRATIVE_HELP}"
    ),
) -> None:
    """Record the follow-up call made after closure (only if the client consented to it).

    \b
    Example: dacli follow-up DA-7K3M9-QXP2T --reached
    """
    import datetime as dt

    from dacli.errors import InvalidInput
    from dacli.services.review import record_follow_up

    if reached is None:
        raise InvalidInput(
            "Say whether the client was reached: --reached or --not-reached; nothing was written."
        )
    today = clock.today()
    try:
        day = dt.date.fromisoformat(on) if on else today
    except ValueError:
        raise InvalidInput(f"--on must be a date like 2026-01-31, not {on!r}.") from None
    from dacli.commands.common import case_first, narrative

    c: Context = ctx.obj
    session = c.session()
    case_first(session, ref)  # before the outcome is asked for
    outcome = narrative(outcome, "--outcome", "How is the client getting on? Any new needs?", required=False)
    typer.echo(record_follow_up(session, ref, day, reached, outcome or "", today))
