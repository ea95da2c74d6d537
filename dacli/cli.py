"""The root Typer app, global options and the single error boundary.

Every expected failure is a ``DacliError``; it is rendered here once, as one sentence on stderr with its
exit code, by the rules in `dacli.boundary` (which the hot commands, run without this app, share).

Start-up is kept lean: command modules import the store, pydantic and rich inside their functions.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from dacli import __version__
from dacli.boundary import discard_pending_input, handle
from dacli.errors import DacliError

SECTIONS = {
    "A case, day to day": [
        "day", "intake", "case", "note", "contact", "dash", "soag", "issp", "review", "close", "follow-up",
        "reopen",
    ],
    "Consent, sharing, Marac and court": [
        "consent", "share", "share-without-consent", "marac", "children", "court",
    ],
    "Your session": ["unlock", "lock", "tui", "config"],
    "Retention": ["hold", "retain-purge", "retention"],
    "Reports (seniors and managers)": ["report"],
    "The store and its staff (managers)": [
        "init", "user", "identity", "settings", "policy", "audit", "sync", "reindex", "rekey", "upgrade",
    ],
}  # fmt: skip
"""How `dacli --help` groups the commands (every command is in one: tests/test_cli_conventions.py)."""

EPILOG = (
    "\b\nExamples:\n"
    "  dacli unlock                       type your passphrase once\n"
    "  dacli case list --mine --overdue   your cases, overdue first\n"
    '  dacli case find "jo test"          a case by name, aka or reference\n'
    "  dacli note add 7k3m9 --type telephone --with client\n"
    "  dacli tui                          the dashboard\n"
    "Every command's --help has an example; `dacli --install-completion` adds tab completion to your shell."
)


class ErrorBoundary(TyperGroup):
    def format_commands(self, ctx, formatter) -> None:  # type: ignore[no-untyped-def]
        """The commands by section (`SECTIONS`), in the sections' order; any other last, under 'Other'."""
        commands = {name: self.get_command(ctx, name) for name in self.list_commands(ctx)}
        placed = {name for names in SECTIONS.values() for name in names}
        sections = [*SECTIONS.items(), ("Other", [n for n in commands if n not in placed])]
        width = formatter.width - 6 - max(map(len, commands), default=0)
        for title, names in sections:
            rows = [
                (name, commands[name].get_short_help_str(width))
                for name in names
                if name in commands and commands[name] is not None and not commands[name].hidden
            ]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as exc:  # the rules: `dacli.boundary`
            code = handle(exc)
            if code is None:
                raise
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=ErrorBoundary,
    name="dacli",
    help="Case management for specialist domestic-abuse services.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion
    # Rich tracebacks print local variables: they could hold decrypted case data.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dacli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    store: str = typer.Option(
        None,
        "--store",
        envvar="DACLI_STORE",
        help="Path of the case store (else DACLI_STORE, else `store` in `dacli config`, else ./casefiles).",
    ),
    user: str = typer.Option(
        None,
        "--user",
        envvar="DACLI_USER",
        help="Your username in the store (else DACLI_USER, else `user` in `dacli config`).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    from dacli.commands.common import Context

    # the settings file is read when a command first needs the store or the user (`Context`), so a broken
    # one stops no command that needs neither; `dacli config` never reads it for that (it mends it)
    ctx.obj = Context(store_path=store, user=user, settings=ctx.invoked_subcommand != "config")


def _register() -> None:
    from dacli.commands import (
        admin,
        case,
        children,
        config,
        consent,
        court,
        dash,
        day,
        intake,
        issp,
        marac,
        notes,
        report,
        retention,
        review,
        sharing,
        soag,
        sync,
        tui,
    )

    admin.register(app)
    marac.register(app)
    issp.register(app)
    review.register(app)
    retention.register(app)
    tui.register(app)
    court.register(app)
    consent.register(app)
    sharing.register(app)
    soag.register(app)
    children.register(app)
    dash.register(app)
    intake.register(app)
    notes.register(app)
    case.register(app)
    sync.register(app)
    config.register(app)
    day.register(app)
    report.register(app)


_register()


def main() -> None:
    try:
        app(prog_name="dacli")
    except DacliError as exc:  # raised outside a command (for example in option parsing)
        discard_pending_input()
        print(f"dacli: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except SystemExit as exc:  # every error, Ctrl-C and usage error ends here as a non-zero exit
        if exc.code not in (0, None):
            discard_pending_input()
        raise
    except BaseException:
        discard_pending_input()
        raise
