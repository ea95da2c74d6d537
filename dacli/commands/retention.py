"""dacli retention init, hold add/remove/list, retain-purge."""

from __future__ import annotations

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, print_json, ref_argument

retention_app = typer.Typer(help="The retention identity for the unattended sweep.", no_args_is_help=True)
hold_app = typer.Typer(help="Retention holds: stop destruction (for example a domestic homicide review).")


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
    app.add_typer(hold_app, name="hold")
    app.command("retain-purge")(retain_purge)


@retention_app.command("init")
def retention_init(
    ctx: typer.Context,
    key_file: str = typer.Option(..., "--key-file", help="Where to write the key (outside the store)."),
    no_passphrase: bool = typer.Option(
        False, "--no-passphrase", help="Leave the key file unencrypted (protect it with file permissions)."
    ),
) -> None:
    """Create the retention identity (managers): it opens the retention register and nothing else.

    \b
    Example: dacli retention init --key-file /root/dacli-retention.key
    """
    from pathlib import Path

    from dacli.commands.common import new_passphrase
    from dacli.services.retention import init_retention

    c: Context = ctx.obj
    session = c.session()
    secret = None if no_passphrase else new_passphrase("Passphrase for the retention key")
    public = init_retention(session, Path(key_file), secret)
    typer.echo(
        f"Retention key written to {key_file} ({public[:16]}...). Keep it outside the store and backups."
    )


@hold_app.command("add")
def hold_add(
    ctx: typer.Context,
    ref: str = ref_argument(),
    reason: str = typer.Option(
        None, "--reason", help=f"Why (audited), e.g. 'domestic homicide review'. {NARRATIVE_HELP}"
    ),
) -> None:
    """Stop the destruction of a case until the hold is removed (seniors and managers).

    \b
    Example: dacli hold add DA-7K3M9-QXP2T
    """
    from dacli.commands.common import case_first, narrative
    from dacli.services.retention import add_hold

    c: Context = ctx.obj
    session = c.session()
    from dacli.schemas.common import Role

    session.require_role(Role.senior, Role.manager)
    case_first(session, ref)  # the role and the case, before the reason is asked for
    typer.echo(add_hold(session, ref, narrative(reason, "--reason", "Why is the case held? (audited)")))


@hold_app.command("remove")
def hold_remove(
    ctx: typer.Context,
    ref: str = ref_argument(),
    hold: str = typer.Argument(..., help="The hold record, as `hold list` shows it."),
    reason: str = typer.Option(None, "--reason", help=f"Why the hold ends (audited). {NARRATIVE_HELP}"),
) -> None:
    """End a hold (seniors and managers).

    \b
    Example: dacli hold remove DA-7K3M9-QXP2T hold-20261203T101500-1a2b3c.toml.age
    """
    from dacli.commands.common import case_first, narrative
    from dacli.errors import NotFound
    from dacli.schemas.common import Role
    from dacli.services.retention import remove_hold

    c: Context = ctx.obj
    session = c.session()
    session.require_role(Role.senior, Role.manager)
    case_first(session, ref)  # the role, the case and the hold, before the reason is asked for
    if hold not in session.record_names(ref):
        raise NotFound(f"Case {ref} has no hold {hold} in force.")
    typer.echo(
        remove_hold(session, ref, hold, narrative(reason, "--reason", "Why does the hold end? (audited)"))
    )


@hold_app.command("list")
def hold_list(
    ctx: typer.Context,
    ref: str = ref_argument(),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The holds in force on a case.

    \b
    Example: dacli hold list DA-7K3M9-QXP2T --json
    """
    from dacli.services.case_view import show_case

    c: Context = ctx.obj
    view = show_case(c.session(), ref)
    if json_:
        holds = [{"record": name, **h.model_dump(mode="json", by_alias=True)} for name, h in view.holds]
        print_json({"case": ref, "holds": holds})
        return
    for name, h in view.holds:
        typer.echo(f"{name}  since {clock.local_date(h.recorded_at)}: {h.reason}")
    if not view.holds:
        typer.echo(f"Case {ref} has no hold in force.")


def retain_purge(
    ctx: typer.Context,
    key_file: str = typer.Option(
        None, "--key-file", envvar="DACLI_RETENTION_KEY", help="The retention key (or DACLI_RETENTION_KEY)."
    ),
    as_of: str = typer.Option(None, "--as-of", help="Plan for this date (YYYY-MM-DD; default today)."),
    apply_: bool = typer.Option(False, "--apply", help="Carry the plan out (without it nothing changes)."),
    mode: str = typer.Option(None, "--mode", help="destroy or boil-down (default: the policy's)."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Plan (and with --apply carry out) the retention sweep: cases due 6 years after the last contact.

    \b
    Example: dacli retain-purge --as-of 2033-01-31
    """
    import datetime as dt
    import getpass
    import sys
    from pathlib import Path

    from dacli.commands.common import passphrase_if_any
    from dacli.errors import InvalidInput
    from dacli.services import retention as svc
    from dacli.services import sweep

    c: Context = ctx.obj
    store = c.store()
    if not key_file:
        raise InvalidInput("Give the retention key with --key-file or DACLI_RETENTION_KEY.")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else clock.today()
    except ValueError:
        raise InvalidInput(f"--as-of must be a date like 2032-01-31, not {as_of!r}.") from None
    identity = svc.retention_identity(store, Path(key_file), passphrase_if_any())
    plan = sweep.plan(store, identity, day)
    chosen = mode or store.policy.retention.action
    if not apply_:
        if json_:
            print_json(
                {
                    "as_of": day.isoformat(),
                    "mode": chosen,
                    "grace_days": plan.grace_days,
                    "due": [_row(d, plan) for d in plan.due()],
                    "held": [_row(d) for d in plan.held()],
                    "cancelled_at_next_apply": [{"ref": r, "why": why} for r, _, why in plan.cancels],
                    "pending": plan.pending,
                    "late_arrivals": plan.late,
                    "intent_problems": plan.problems,
                    "open": sum(1 for d in plan.decisions if d.state == "open"),
                    "kept": sum(1 for d in plan.decisions if d.state == "kept"),
                }
            )
            return
        for d in plan.due():
            goes = plan.goes_from(d.ref)
            when = (
                f"intended: goes from {goes}"
                if goes
                else f"an intent is written at the next --apply; it goes {plan.grace_days} days after that"
            )
            typer.echo(f"due   {d.ref}  {d.rule}; may go from {d.keep_until}; {when}")
        for d in plan.held():
            typer.echo(f"held  {d.ref}  {d.rule}")
        for ref, _, why in plan.cancels:
            typer.echo(f"intent cancelled at the next --apply  {ref}  {why}")
        for ref in plan.pending:
            typer.echo(f"unfinished  {ref}  (an interrupted sweep; --apply finishes it)")
        _late(plan.late, plan.problems)
        typer.echo(
            f"As of {day}: {len(plan.due())} due ({chosen}; {len(plan.intents)} intended, a grace of "
            f"{plan.grace_days} days), {len(plan.held())} held, "
            f"{sum(1 for d in plan.decisions if d.state == 'kept')} kept, "
            f"{sum(1 for d in plan.decisions if d.state == 'open')} open. Nothing was changed (add --apply)."
        )
        return
    actor = f"retention sweep run by {getpass.getuser()}"
    if sys.stderr.isatty() and not json_:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("Purging", total=len(plan.due()))
            outcome = sweep.apply(
                store, identity, day, chosen, actor, lambda n, total, ref: bar.update(task, completed=n)
            )
    else:

        def line(n: int, total: int, ref: str) -> None:
            typer.echo(f"{n}/{total} {ref}", err=True)

        outcome = sweep.apply(store, identity, day, chosen, actor, None if json_ else line)
    if json_:
        print_json(
            {
                "purged": outcome.purged,
                "resumed": outcome.resumed,
                "failed": outcome.failed,
                "mode": chosen,
                "intended": [{"ref": r, "goes_from": g} for r, g in outcome.intended],
                "waiting": [{"ref": r, "goes_from": g} for r, g in outcome.waiting],
                "cancelled": [{"ref": r, "why": w} for r, w in outcome.cancelled],
                "late_arrivals": outcome.late,
                "intent_problems": outcome.problems,
            }
        )
    else:
        for ref, why in outcome.failed:
            typer.echo(f"failed {ref}: {why}", err=True)
        for ref, goes in outcome.intended:
            typer.echo(f"intended  {ref}  goes from {goes} if nothing newer arrives")
        for ref, goes in outcome.waiting:
            typer.echo(f"waiting   {ref}  goes from {goes}")
        for ref, why in outcome.cancelled:
            typer.echo(f"cancelled {ref}  {why}")
        _late(outcome.late, outcome.problems)
        typer.echo(
            f"{len(outcome.purged)} cases purged ({chosen}), {len(outcome.resumed)} unfinished purges "
            f"finished, {len(outcome.intended)} intents written, {len(outcome.waiting)} in their grace "
            f"period, {len(outcome.cancelled)} cancelled, {len(outcome.failed)} failed."
        )
    if outcome.failed:
        raise typer.Exit(8)


def _row(d, plan=None) -> dict:
    row = {"ref": d.ref, "rule": d.rule, "keep_until": d.keep_until.isoformat() if d.keep_until else None}
    if plan is not None:
        goes = plan.goes_from(d.ref)
        row["goes_from"] = goes.isoformat() if goes else None
    return row


def _late(late: dict[str, list[str]], problems: list[str]) -> None:
    """Files that arrived in a purged case's folder after its purge, and intents not believed: named, for a
    manager (the sweep leaves them where they are)."""
    for ref, names in late.items():
        typer.echo(f"late  {ref}  arrived after its purge, left for a manager: {', '.join(names)}")
    for problem in problems:
        typer.echo(f"not believed  {problem}")
