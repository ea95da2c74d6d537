"""dacli tui: the caseload dashboard."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)


def tui(
    ctx: typer.Context,
    idle_minutes: float = typer.Option(5.0, "--idle-minutes", help="Lock after this long without use."),
) -> None:
    """The caseload dashboard (Textual): the same store and services as the CLI.

    \b
    Example: dacli tui --idle-minutes 10
    """
    from pathlib import Path

    from dacli.errors import InvalidInput
    from dacli.tui.app import DacliApp

    if not idle_minutes > 0:
        raise InvalidInput("--idle-minutes must be more than 0.")
    from dacli.harden import harden_process

    harden_process()  # done by dacli.entry already; here too for any other way in: no core, not dumpable
    app = DacliApp(Path(ctx.obj.store_path), ctx.obj.user, idle_seconds=idle_minutes * 60)
    app.run()
    if app.return_code:
        raise typer.Exit(70)  # it stopped on an unexpected error (the message was printed)
