"""What every command needs: the store, the acting user, a passphrase, and output helpers."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dacli.errors import AuthError, InvalidInput

if TYPE_CHECKING:  # imported lazily at run time: start-up stays lean
    from dacli.store.store import Session, Store


@dataclass
class Context:
    store_path: str
    user: str | None

    def store(self) -> Store:
        from dacli.services.admin import open_store

        return open_store(Path(self.store_path))

    def username(self) -> str:
        if not self.user:
            raise AuthError("Say who you are with --user NAME or DACLI_USER.")
        return self.user

    def session(self, use_agent: bool = True) -> Session:
        """Unlocked through the agent when `dacli unlock` started one, else with the passphrase."""
        from dacli.services.admin import session_from_agent, unlock

        store = self.store()
        username = self.username()
        store.member(username)  # unknown user: say so before asking for a passphrase
        if use_agent and os.environ.get("DACLI_NO_AGENT") != "1":
            session = session_from_agent(store, username)
            if session is not None:
                return session
        return unlock(store, username, passphrase(f"Passphrase for {username}"))


def _from_file(var: str) -> str | None:
    path = os.environ.get(var)
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().rstrip("\r\n")
    except OSError as exc:
        raise AuthError(f"Cannot read the passphrase file named by {var} ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise AuthError(f"The passphrase file named by {var} is not UTF-8 text.") from None


def passphrase(prompt: str) -> str:
    """From DACLI_PASSPHRASE, DACLI_PASSPHRASE_FILE, or a hidden prompt."""
    value = os.environ.get("DACLI_PASSPHRASE") or _from_file("DACLI_PASSPHRASE_FILE")
    if value:
        return value
    if not sys.stdin.isatty():
        raise AuthError(
            "No passphrase: run `dacli unlock` first, or set DACLI_PASSPHRASE_FILE, or run in a terminal."
        )
    return typer.prompt(prompt, hide_input=True)


def passphrase_if_any() -> str | None:
    """A passphrase from the environment only (unattended runs never prompt)."""
    return os.environ.get("DACLI_PASSPHRASE") or _from_file("DACLI_PASSPHRASE_FILE") or None


def new_passphrase(prompt: str) -> str:
    """From DACLI_NEW_PASSPHRASE, or a hidden prompt asked twice."""
    value = os.environ.get("DACLI_NEW_PASSPHRASE")
    if value:
        return value
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def require(value: str | None, what: str) -> str:
    if not value:
        raise InvalidInput(f"{what} is required.")
    return value


def read_form(from_: str | None, what: str = "the form") -> dict[str, Any]:
    """TOML from ``--from FILE`` or ``--from -`` (standard input). Errors name the file, never its content."""
    from pathlib import Path

    from dacli.services.cases import read_form_file

    if not from_:
        raise InvalidInput(f"give {what} with --from FILE or --from - (see --template).")
    if from_ == "-":
        return read_form_file(None, read_stdin())
    return read_form_file(Path(from_))


def read_stdin() -> str:
    """Standard input as text; bytes that are not UTF-8 are one sentence, not a crash."""
    import sys

    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise InvalidInput("standard input is not UTF-8 text.") from None


def now_or(at: str | None) -> str:
    """``--at`` as given, or now (UTC, to the second), for a form field the service checks."""
    import datetime as dt

    return at or dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()


def export_target(out: str | None, store_path: str) -> Path | None:
    """Where an export may be written: the path the user named, never inside the case store (plaintext
    never goes there). None means standard output."""
    if not out:
        return None
    target = Path(out).resolve()
    if target.is_relative_to(Path(store_path).resolve()):
        raise InvalidInput(
            "--out is inside the case store: plaintext never goes there; choose another place."
        )
    return target


def deliverer(target: Path | None):
    """Where an export goes: the file the user named (atomic, 0600) or standard output."""

    def deliver(content: bytes) -> None:
        if target is None:
            typer.echo(content.decode(), nl=False)
            return
        from dacli.store.fsio import atomic_write

        atomic_write(target, content)  # the export leaves the encrypted store on purpose

    return deliver
