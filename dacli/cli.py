"""The root Typer app, global options and the single error boundary.

Every expected failure is a ``DacliError``; it is rendered here once, as one sentence on stderr with its
exit code. An unexpected exception prints its type only (its message or a traceback could hold case
data), unless ``DACLI_DEBUG=1`` is set on a developer's machine.

Start-up is kept lean: command modules import the store, pydantic and rich inside their functions.
"""

from __future__ import annotations

import os
import sys

import typer
from typer.core import TyperGroup

from dacli import __version__, clock
from dacli.errors import DacliError, InputEnded


class ErrorBoundary(TyperGroup):
    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except DacliError as exc:
            typer.echo(f"dacli: {exc.message}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except clock.ClockError as exc:  # DACLI_NOW or a zone setting that cannot be read
            typer.echo(f"dacli: {exc}", err=True)
            raise typer.Exit(2) from None
        except typer.Abort as exc:
            # click turns Ctrl-C and the end of input at a prompt into Abort ('Aborted!', exit 1)
            typer.echo("", err=True)  # the prompt's line was left open
            if isinstance(exc.__context__, KeyboardInterrupt):
                typer.echo("dacli: interrupted.", err=True)
                raise typer.Exit(130) from None
            ended = InputEnded("the input ended before every question was answered, so nothing was saved.")
            typer.echo(f"dacli: {ended.message}", err=True)
            raise typer.Exit(ended.exit_code) from None
        except (typer.Exit, typer.TyperException):
            raise
        except BrokenPipeError:
            # the reader went away (`dacli case list | head`): stop quietly, as other Unix tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(141) from None
        except KeyboardInterrupt:
            typer.echo("dacli: interrupted.", err=True)
            raise typer.Exit(130) from None
        except OverflowError:
            # the last resort for a date or number a reader let through that no calendar or float holds
            # (`--at 0001-01-01T00:10+23:59`): readers should refuse it themselves, with its field's name
            typer.echo("dacli: a date or number is out of range; nothing more was written.", err=True)
            raise typer.Exit(2) from None
        except Exception as exc:
            if os.environ.get("DACLI_DEBUG") == "1":
                raise
            typer.echo(
                f"dacli: stopped on an unexpected {type(exc).__name__}; nothing more was written. "
                "Please report it (the message is withheld because it may hold case data).",
                err=True,
            )
            raise typer.Exit(70) from None


app = typer.Typer(
    cls=ErrorBoundary,
    name="dacli",
    help="Case management for specialist domestic-abuse services.",
    no_args_is_help=True,
    add_completion=False,
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
    store: str = typer.Option("./casefiles", "--store", envvar="DACLI_STORE", help="Path of the case store."),
    user: str = typer.Option(None, "--user", envvar="DACLI_USER", help="Your username in the store."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    from dacli.commands.common import Context

    ctx.obj = Context(store_path=store, user=user)


def _register() -> None:
    from dacli.commands import (
        admin,
        case,
        children,
        consent,
        court,
        dash,
        intake,
        issp,
        marac,
        notes,
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


_register()


def discard_pending_input() -> None:
    """On a terminal, what was typed or pasted and not yet read is dropped, so that nothing of a refused or
    interrupted answer reaches the shell (which would run it and keep it in its history)."""
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            import termios

            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (OSError, ValueError, ImportError):
        pass  # no terminal to clear


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
