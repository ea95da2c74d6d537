"""The single error boundary's rules: each expected failure as one sentence on stderr and its exit code.

Shared by the typer app (`dacli.cli.ErrorBoundary`) and the hot commands run without it (`dacli.hot`), so
both say the same thing for the same failure. An unexpected exception prints its type only (its message or
a traceback could hold case data), unless ``DACLI_DEBUG=1`` is set on a developer's machine.
"""

from __future__ import annotations

import os
import sys

from dacli import clock
from dacli.errors import DacliError, InputEnded


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _aborted(exc: BaseException) -> bool:
    """typer's Abort: what a prompt raises on Ctrl-C or at the end of input (only where typer is loaded)."""
    exceptions = sys.modules.get("typer.exceptions")
    return exceptions is not None and isinstance(exc, exceptions.Abort)


def handle(exc: BaseException) -> int | None:
    """Say what went wrong with ``exc`` in one sentence on stderr and return the exit code; None for an
    exception that is not a failure to report here (an exit already decided), to be raised again."""
    if isinstance(exc, DacliError):
        _say(f"dacli: {exc.message}")
        return exc.exit_code
    if isinstance(exc, clock.ClockError):  # DACLI_NOW or a zone setting that cannot be read
        _say(f"dacli: {exc}")
        return 2
    if _aborted(exc):
        _say("")  # the prompt's line was left open
        if isinstance(exc.__context__, KeyboardInterrupt):
            _say("dacli: interrupted.")
            return 130
        ended = InputEnded("the input ended before every question was answered, so nothing was saved.")
        _say(f"dacli: {ended.message}")
        return ended.exit_code
    if isinstance(exc, BrokenPipeError):
        # the reader went away (`dacli case list | head`): stop quietly, as other Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    if isinstance(exc, KeyboardInterrupt):
        _say("dacli: interrupted.")
        return 130
    if isinstance(exc, OverflowError):
        # the last resort for a date or number a reader let through that no calendar or float holds
        # (`--at 0001-01-01T00:10+23:59`): readers should refuse it themselves, with its field's name
        _say("dacli: a date or number is out of range; nothing more was written.")
        return 2
    if isinstance(exc, Exception):
        if os.environ.get("DACLI_DEBUG") == "1":
            return None
        _say(
            f"dacli: stopped on an unexpected {type(exc).__name__}; nothing more was written. "
            "Please report it (the message is withheld because it may hold case data)."
        )
        return 70
    return None


def discard_pending_input() -> None:
    """On a terminal, what was typed or pasted and not yet read is dropped, so that nothing of a refused or
    interrupted answer reaches the shell (which would run it and keep it in its history)."""
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            import termios

            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (OSError, ValueError, ImportError):
        pass  # no terminal to clear


def run_without_app(where: dict[str, str], call) -> int:
    """Run ``call(context)`` for a command dispatched without the typer app (`dacli.hot`, `dacli.lean`):
    the global options as the root callback reads them (the option, else the environment variable when not
    empty, else the person's settings file, `dacli.config`, else the default), through the rules above; the
    exit code."""
    try:
        from dacli.commands.common import Context

        store = where["store"] if "store" in where else os.environ.get("DACLI_STORE") or None
        user = where["user"] if "user" in where else os.environ.get("DACLI_USER") or None
        call(Context(store_path=store, user=user))  # the settings file, if needed, when first asked
    except BaseException as exc:
        if "click" in sys.modules:  # typer.Exit from a command's own function: an exit already decided
            from click.exceptions import Exit

            if isinstance(exc, Exit):
                return exc.exit_code
        code = handle(exc)
        if code is None:
            raise
        discard_pending_input()
        return code
    return 0
