"""dacli sync status: what a file-sync engine left in the store."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from dacli.commands.common import Context, print_json
from dacli.errors import InvalidInput, NotFound, StoreError

sync_app = typer.Typer(
    help="A store shared through a file-sync engine (Syncthing, OneDrive, Nextcloud, Dropbox).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")


@sync_app.command("status")
def sync_status(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List every conflict copy a sync engine made in the store, each checked under its original name (does
    it verify? is it identical to the file it copies, or does it differ?), the derived files a format-2 store
    still holds, a missing ignore file, and files that arrived in a purged case's folder after its purge.
    Deletes nothing. Exits 11 when a copy differs or does not verify, or such files arrived.

    \b
    Example: dacli sync status
    """
    from dacli.services.sync import ATTENTION_EXIT, copy_json
    from dacli.services.sync import sync_status as status_of

    c: Context = ctx.obj
    status = status_of(c.session())
    if json_:
        print_json(
            {
                "ok": not status.attention,
                "conflict_copies": [copy_json(check) for check in status.copies],
                "legacy_files": [
                    {"file": f".dacli/{n}", "note": "derived, no longer used: safe to delete"}
                    for n in status.legacy
                ],
                "ignore_files": [
                    {"engine": e, "file": f, "missing": lines} for e, f, lines in status.ignore_missing
                ],
                "staff_changes_waiting": status.staff_waiting,
                "staff_changes_to_check": status.staff_to_check,
                "late_arrivals": [{"case": ref, "files": names} for ref, names in status.late.items()],
                "staff_memory": status.memory,
            }
        )
    else:
        for check in status.copies:
            typer.echo(check.copy.shown)
            copy = check.copy
            typer.echo(f"  {copy.engine} conflict copy of {copy.original} ({copy.kind}): {_verdict(check)}")
        for name in status.legacy:
            typer.echo(f".dacli/{name}: derived, no longer used: safe to delete")
        for engine, ignore, lines in status.ignore_missing:
            typer.echo(
                f"{engine}: {ignore} lacks {', '.join(lines)}: run `dacli sync ignore` so that dacli's locks "
                "and temp files stay on each computer"
            )
        for sentence in status.staff_waiting:
            typer.echo(f"{sentence}: not arrived yet from another office; let the sync finish")
        for sentence in status.staff_to_check:
            typer.echo(f"{sentence}.")
        if status.memory:
            typer.echo(status.memory)
        for ref, names in status.late.items():
            typer.echo(
                f"{ref}: purged by the retention sweep, and {len(names)} file(s) arrived after it (from an "
                f"office offline since): {', '.join(names)}; left where they are for a manager to decide"
            )
        n, bad = len(status.copies), len(status.to_look_at)
        if not n:
            typer.echo("No conflict copies.")
        else:
            typer.echo(
                f"{n} conflict cop{'y' if n == 1 else 'ies'}: {n - bad} harmless, {bad} to look at. "
                "Nothing was deleted."
            )
    if status.attention:
        raise typer.Exit(ATTENTION_EXIT)


@sync_app.command("ignore")
def sync_ignore(ctx: typer.Context) -> None:
    """Add dacli's lock and temp file patterns to the ignore file of the sync engine whose marker is in the
    store's folder (Syncthing's .stignore; Nextcloud's .sync-exclude.lst): appended, never a line twice.
    `dacli init` does it for a folder that is already synced; this is for one that became so later.

    \b
    Example: dacli sync ignore
    """
    from dacli.services.sync import write_ignore_files

    c: Context = ctx.obj
    written = write_ignore_files(c.store())
    if written:
        typer.echo(f"Added dacli's locks and temp files to {', '.join(written)}.")
    else:
        typer.echo("Nothing to add: no sync engine's marker here, or its ignore file already has them.")


@sync_app.command("introduce")
def sync_introduce(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="The file to write (not overwritten if it exists)."),
) -> None:
    """Write this computer's memory of the staff list (which staff changes it believed, who it saw
    removed), signed by you, for a new computer to take over with `dacli sync join FILE`. A computer set up
    later than a leaver's removal then cannot be fooled by a change the leaver signs afterwards. Holds no
    client data.

    \b
    Example: dacli sync introduce --out /media/usb/introduction.dacli
    """
    from dacli.services.sync import introduce

    c: Context = ctx.obj
    data = introduce(c.session())
    try:  # readable by you alone (it names staff), never over an existing file
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{out} already exists: nothing was written.") from None
    except OSError as exc:
        raise StoreError(f"Cannot write {out} ({exc.strerror}): nothing was written.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as exc:
        out.unlink(missing_ok=True)
        raise StoreError(f"Cannot write {out} ({exc.strerror}): nothing was written.") from None
    typer.echo(f"Wrote {out}. On the new computer: dacli sync join {out}")


@sync_app.command("join")
def sync_join(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="An introduction made by `dacli sync introduce`."),
    yes: bool = typer.Option(False, "--yes", help="Take it even where it differs from the shared files."),
) -> None:
    """Take over another computer's memory of the staff list, from an introduction it made (`dacli sync
    introduce`), in place of this computer's own. Checks it against the staff list as your own identity
    file anchors it (your passphrase, or the unlock agent), says who signed it and how the staff list it
    gives differs from the shared files read alone, and asks before taking it where it differs. Refuses
    one that is stale, would make this computer forget a removal, or does not fit; changes nothing then.

    \b
    Example: dacli sync join office-b.introduction
    """
    from dacli.services.sync import prepare_join, take_join

    c: Context = ctx.obj
    try:
        with open(file, "rb") as f:
            raw = f.read(64 * 1024 * 1024)
    except OSError as exc:
        raise NotFound(f"Cannot read {file} ({exc.strerror}).") from None
    member, creds = c.credentials()
    joining = prepare_join(c.store(), member, creds, raw)
    typer.echo(
        f"An introduction signed by {joining.username} ({joining.role}): their computer's memory of the "
        f"staff list as at {_shown(joining.at)}."
    )
    for sentence in joining.differences:
        typer.echo(f"{sentence}.")
    if joining.differences and not yes:
        if not sys.stdin.isatty():
            raise InvalidInput(
                "The introduction differs from the shared files read alone (above): nothing was changed; "
                "if you trust the person who gave it to you, run again with --yes."
            )
        if not typer.confirm("Take it? Only if you trust the person who gave it to you", err=True):
            typer.echo("Nothing was changed.")
            return
    take_join(joining)
    typer.echo(f"This computer now remembers the staff list as {joining.username}'s computer did.")
    if joining.unknown:
        typer.echo(
            f"{joining.unknown} staff change(s) in the store are newer than it (people added since): each is "
            "checked as it would be on any computer."
        )


def _shown(at: str) -> str:
    """An ISO time from an introduction as a person reads it (local, to the minute)."""
    from datetime import datetime

    from dacli import clock

    return clock.show(datetime.fromisoformat(at))


def _verdict(check) -> str:
    if check.verifies is False:
        return f"DOES NOT VERIFY ({check.problem}); it is not believed: look at it"
    said = "verifies; " if check.verifies else ""
    if check.same is True:
        return (
            said
            + "identical to it: a harmless duplicate, safe to delete"
            + (f" ({check.note})" if check.note else "")
        )
    if check.same is False:
        return (
            said + "DIFFERS from it" + (f": {check.note}" if check.note else "") + "; a person compares them"
        )
    return said + check.note
