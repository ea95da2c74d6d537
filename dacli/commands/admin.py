"""init, user, identity, audit, reindex, rekey."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from dacli import clock
from dacli.commands.common import NARRATIVE_HELP, Context, new_passphrase, print_json
from dacli.defaults import PASSPHRASE_LOG_N

user_app = typer.Typer(help="Staff: add, list, remove, change passphrase.", no_args_is_help=True)
identity_app = typer.Typer(help="Your own age identity (break-glass recovery).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
policy_app = typer.Typer(
    help="The store's policy (policy.toml): accept it after editing.", no_args_is_help=True
)
settings_app = typer.Typer(
    help="The store's settings (store.toml, signed by a manager).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("reindex")(reindex)
    app.command("upgrade")(upgrade)
    app.command("rekey")(rekey)
    app.command("unlock")(unlock)
    app.command("lock")(lock)
    app.add_typer(user_app, name="user")
    app.add_typer(identity_app, name="identity")
    app.add_typer(audit_app, name="audit")
    app.add_typer(settings_app, name="settings")
    app.add_typer(policy_app, name="policy")


def init(
    ctx: typer.Context,
    service_name: str = typer.Option("", "--service-name", help="Your service's name."),
    work_factor: int = typer.Option(
        PASSPHRASE_LOG_N, "--scrypt-log-n", min=10, max=22, help="scrypt cost for passphrases (log2 N)."
    ),
) -> None:
    """Create a new store; the acting --user becomes its first manager.

    \b
    Example: dacli --store ~/casefiles --user amara init --service-name "Our Idva service"
    """
    from dacli.services.admin import init_store

    c: Context = ctx.obj
    username = c.username()
    path = Path(c.store_path)
    secret = new_passphrase(f"New passphrase for {username}")
    init_store(path, username, secret, service_name, work_factor)
    typer.echo(f"Created a store at {path} with {username} as its manager.")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The new person's username."),
    role: str = typer.Option(..., "--role", help="caseworker, senior or manager."),
) -> None:
    """Add a member of staff (managers only); every case key is re-wrapped for them.

    \b
    Example: dacli user add sam.cw --role caseworker
    """
    from dacli.services.admin import add_user

    c: Context = ctx.obj
    session = c.session()
    member, rings = add_user(session, name, role, new_passphrase(f"New passphrase for {name}"))
    rings_said = f"{rings} key ring{'s' if rings != 1 else ''}"
    typer.echo(f"Added {member.username} as {member.role.value}; re-wrapped {rings_said}.")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Include people who were removed."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List staff (needs no passphrase; a staff list edited by hand is refused).

    \b
    Example: dacli user list --all
    """
    from dacli.services.admin import list_users

    c: Context = ctx.obj
    users = list_users(c.store(), include_removed=all_)
    _warn_memory(c.store())
    if json_:
        print_json(
            [
                {
                    "username": u.username,
                    "role": u.role.value,
                    "added": u.added.isoformat(),
                    "removed": u.removed.isoformat() if u.removed else None,
                    "recipient": u.recipient,
                }
                for u in users
            ]
        )
        return
    from dacli.commands.render import table

    table(
        ("username", "role", "added", "removed"),
        [
            (
                u.username,
                u.role.value,
                clock.local_date(u.added).isoformat(),
                clock.local_date(u.removed).isoformat() if u.removed else "",
            )
            for u in users
        ],
    )


@user_app.command("remove")
def user_remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Username to remove."),
    reason: str = typer.Option(
        None, "--reason", help=f"Why (kept encrypted in the audit trail). {NARRATIVE_HELP}"
    ),
) -> None:
    """Remove a member of staff (managers only) and rotate every key.

    \b
    Example: dacli user remove sam.cw
    """
    from dacli.commands.common import narrative
    from dacli.services.admin import remove_user

    c: Context = ctx.obj
    session = c.session()
    session.store.member(name)  # an unknown name is refused before the reason is asked for
    reason = narrative(reason, "--reason", "Why is this person removed? (audited, encrypted)")
    rings = remove_user(session, name, reason)
    typer.echo(
        f"Removed {name}. Re-wrapped and rotated {rings} key ring{'s' if rings != 1 else ''}: records "
        "written from now on do "
        f"not open with {name}'s key. Copies of files or keys {name} already took stay readable to "
        "them; dacli cannot reach those."
    )


@user_app.command("passwd")
def user_passwd(ctx: typer.Context) -> None:
    """Change your own passphrase.

    \b
    Example: dacli user passwd
    """
    from dacli.services.admin import change_passphrase

    c: Context = ctx.obj
    session = c.session(use_agent=False)  # the old passphrase, even when unlocked
    change_passphrase(session, new_passphrase("New passphrase"))
    typer.echo("Passphrase changed.")


@identity_app.command("export")
def identity_export(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", help="Yes, print my secret key."),
) -> None:
    """Print your age secret key, for break-glass recovery with the `age` tool. Keep it offline.

    \b
    Example: dacli identity export --yes > my-identity.txt
    """
    from dacli.errors import InvalidInput
    from dacli.services.admin import export_identity

    if not yes:
        raise InvalidInput("This prints your secret key, which opens every case: add --yes if you mean it.")
    c: Context = ctx.obj
    typer.echo(export_identity(c.session(use_agent=False)), nl=False)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
    no_unlock: bool = typer.Option(
        False,
        "--no-unlock",
        help="Check the chains only, without the index anchors (no passphrase).",
    ),
) -> None:
    """Check every audit log's hash chain and the signature of every signed file: unlocked, that no log lost
    its tail, and that the staff list, index, key rings and every record are as their authors signed them
    (each record is decrypted in memory); with --no-unlock, the chains and the staff list only.

    \b
    Example: dacli audit verify --json
    """
    from dacli.errors import IntegrityError
    from dacli.services.admin import verify_audit

    c: Context = ctx.obj
    store = c.store()
    session, staff_problem = None, None
    if not no_unlock:
        try:
            session = c.session()
        except IntegrityError as exc:  # a staff list edited by hand stops any unlock: report it here
            staff_problem = str(exc)
    check = verify_audit(store, session, staff_problem=staff_problem)
    if json_:
        print_json(
            {
                "ok": check.ok,
                "signed_files": {"checked": check.checked, "problems": check.files},
                "interrupted": check.interrupted,
                "conflict_copies": [
                    {"file": c.shown, "original": c.original, "engine": c.engine} for c in check.conflicts
                ],
                "late_arrivals": [{"case": ref, "files": names} for ref, names in check.late.items()],
                "logs": [
                    {
                        "log": r.name,
                        "entries": r.entries,
                        "head": r.head,
                        "problems": r.problems,
                        "warnings": r.warnings,
                    }
                    for r in check.logs
                ],
            }
        )
    else:
        for r in check.logs:
            state = "ok" if not r.problems else "BROKEN"
            typer.echo(f"{r.name}: {r.entries} entries, {state}")
            for p in r.problems:
                typer.echo(f"  - {p}")
            for w in r.warnings:
                typer.echo(f"  - note: {w}")
        typer.echo(f"signed files: {check.checked} checked, " + ("ok" if not check.files else "BROKEN"))
        if session is None and not staff_problem:
            typer.echo(
                "  - note: without unlocking, the staff list is checked only against itself; a list forged "
                "whole is found only when unlocked (against the founding manager's key in your identity)."
            )
        for p in check.files:
            typer.echo(f"  - {p}")
        for ref in check.interrupted:
            typer.echo(
                f"  - note: {ref} is an interrupted new case (its folder holds no record: the intake stopped "
                "before saving one); not tampering, `dacli reindex` removes it."
            )
        for copy in check.conflicts:
            typer.echo(
                f"  - note: {copy.shown} is a {copy.engine} conflict copy of {copy.original}; not tampering "
                "(expected under a sync engine), not read as the file it copies: see `dacli sync status`."
            )
        for ref, names in check.late.items():
            typer.echo(
                f"  - note: {ref} was purged by the retention sweep, and {len(names)} file(s) arrived in its "
                f"folder after it (from an office offline since): {', '.join(names)}; not tampering, never "
                "read as a case, left where they are for a manager to decide (see `dacli sync status`)."
            )
        typer.echo("Audit trail intact." if check.ok else "Audit trail has been tampered with.")
    if not check.ok:
        raise typer.Exit(6)


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    case: str = typer.Option(None, "--case", help="Only entries about this case."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List audit entries, oldest first.

    \b
    Example: dacli audit show --case DA-7K3M9-QXP2T
    """
    from dacli.services.admin import audit_entries
    from dacli.store.layout import check_case_ref

    c: Context = ctx.obj
    if case:
        check_case_ref(case)
    entries = audit_entries(c.session(), case)
    if json_:
        print_json(entries)
        return
    # plain text, never rich markup: a reason may contain brackets, and the log is append-only
    from dacli.commands.render import table

    table(
        ("when", "user", "action", "case", "record", "reason"),
        [
            (
                _local(e.get("at")),
                e.get("user"),
                e.get("action"),
                e.get("case"),
                e.get("record"),
                e.get("reason"),
            )
            for e in entries
        ],
    )


def _local(at) -> str:
    """An audit entry's UTC time as local time to the second; as written when it is not a time."""
    try:
        return clock.show(dt.datetime.fromisoformat(str(at)), seconds=True)
    except (ValueError, OverflowError, clock.ClockError):
        return str(at)[:19]


def reindex(ctx: typer.Context) -> None:
    """Rebuild the caseload index from the case records.

    \b
    Example: dacli reindex
    """
    from dacli.services.case_view import reindex as rebuild

    c: Context = ctx.obj
    result = rebuild(c.session())
    for ref in result.interrupted:
        typer.echo(f"Removed the interrupted new case {ref} (its folder held no record).")
    if result.unaudited:
        typer.echo(f"Audited {result.unaudited} records no audit entry named (a command stopped part way).")
    typer.echo(f"Indexed {result.cases} cases.")
    for ref, why in result.skipped:
        typer.echo(f"Skipped {ref}: {why}", err=True)
    if result.skipped:
        typer.echo(
            f"dacli: {len(result.skipped)} cases could not be read and are missing from the caseload.",
            err=True,
        )
        raise typer.Exit(6)


def upgrade(ctx: typer.Context) -> None:
    """Bring a store of an earlier format to this dacli's (managers only; resumable, audited).

    \b
    Example: dacli upgrade
    """
    from dacli.schemas.store import STORE_FORMAT
    from dacli.services.upgrade import upgrade as bring_up

    c: Context = ctx.obj
    result = bring_up(c.session())
    for path in result.removed:
        typer.echo(f"Removed {path} (derived; each computer keeps its own now).")
    if result.was != STORE_FORMAT:
        typer.echo(
            f"Upgraded the store from {result.was} to {STORE_FORMAT}: {result.records} records, untouched."
        )
    elif not result.removed:
        typer.echo(f"The store is already {STORE_FORMAT} ({result.records} records); nothing to do.")
    for name, why in result.unreadable:
        typer.echo(f"Note: {name} cannot be read ({why}); it was left as it was.", err=True)


def rekey(ctx: typer.Context) -> None:
    """Re-wrap every key ring to the current staff (finishes an interrupted user add or remove).

    \b
    Example: dacli rekey
    """
    from dacli.services.admin import rekey as rewrap

    c: Context = ctx.obj
    count = rewrap(c.session())
    if count:
        typer.echo(f"Re-wrapped {count} key ring{'s' if count != 1 else ''} to the current staff.")
    else:
        typer.echo("Every key ring already holds the current staff: no key ring was changed.")


def unlock(
    ctx: typer.Context,
    idle: float = typer.Option(
        15.0, "--idle", help="Minutes without use before the agent locks itself (default 15)."
    ),
    max_hours: float = typer.Option(
        8.0, "--max-hours", help="Hours until it locks however busy (at most 8)."
    ),
) -> None:
    """Type your passphrase once: a background agent keeps you unlocked for the commands that follow.

    \b
    Example: dacli unlock --idle 30
    """
    from dacli.services.admin import start_agent

    c: Context = ctx.obj
    session = c.session(use_agent=False)
    pid = start_agent(session, idle, max_hours)
    typer.echo(
        f"Unlocked for {session.member.username} (agent pid {pid}): it locks after {idle:g} minutes unused "
        f"and after {max_hours:g} hours at most. `dacli lock` locks now."
    )
    _warn_memory(session.store)


def _warn_memory(store) -> None:
    """On stderr: this computer first read a store that already had leavers, and was not introduced."""
    from dacli.services.sync import memory_warning

    sentence = memory_warning(store)
    if sentence:
        typer.echo(sentence, err=True)


def lock() -> None:
    """End every unlock agent of yours, on every store.

    \b
    Example: dacli lock
    """
    from dacli.services.admin import lock_agents

    count = lock_agents()
    typer.echo(
        f"Locked ({count} agent{'s' if count != 1 else ''} ended)." if count else "Nothing was unlocked."
    )


@settings_app.command("show")
def settings_show(
    ctx: typer.Context, json_: bool = typer.Option(False, "--json", help="Machine-readable output.")
) -> None:
    """Show the store's settings (checked against the signature of the manager who last changed them).

    \b
    Example: dacli settings show
    """
    c: Context = ctx.obj
    data = c.session().checked_settings().model_dump(mode="json", by_alias=True)
    if json_:
        print_json(data)
        return

    from dacli.commands.render import flat_lines

    typer.echo("\n".join(flat_lines(data)))


@settings_app.command("set")
def settings_set(
    ctx: typer.Context,
    key: str = typer.Argument(
        ...,
        help="passphrase_log_n, lock_timeout_seconds, service_name, service_phone, helplines (separate them "
        "with ;) or timezone.",
    ),
    value: str = typer.Argument(..., help="The new value."),
) -> None:
    """Change one setting (managers; audited). store.toml is signed: a change made by hand is refused.

    \b
    Example: dacli settings set service_name "Our Idva service"
    """
    from dacli.services.admin import change_setting

    c: Context = ctx.obj
    saved = change_setting(c.session(), key, value)
    now = saved.get(key, saved.get("security", {}).get(key, value))
    typer.echo(f"{key} is now {'; '.join(now) if isinstance(now, list) else now}.")


@policy_app.command("accept")
def policy_accept(ctx: typer.Context) -> None:
    """Accept .dacli/policy.toml as it now reads (managers; audited). Edit it by hand, read it, then run
    this: until a manager accepts a change, commands that need the policy stop and say so.

    \b
    Example: dacli policy accept
    """
    from dacli.services.admin import accept_policy

    c: Context = ctx.obj
    policy = accept_policy(c.session())
    r, d, keep = policy.review, policy.dash, policy.retention
    typer.echo(
        f"Accepted: visible high risk at {d.visible_high_risk} yes answers; first contact within "
        f"{r.first_contact_hours} hours; reviews at {r.first_review_weeks_min}-{r.first_review_weeks_max} "
        f"weeks, then every {r.interval_weeks}; files kept {keep.years_from_last_contact} years after the "
        f"last contact ({keep.action})."
    )
