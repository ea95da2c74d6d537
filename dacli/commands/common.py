"""What every command needs: the store, the acting user, a passphrase, and output helpers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dacli import clock
from dacli.errors import AuthError, InvalidInput

if TYPE_CHECKING:  # imported lazily at run time: start-up stays lean
    from dacli.store.store import Session, Store


class Context:
    """The store and the person a command acts for: ``store_path`` and ``user`` as given (option, else
    variable), else the person's settings file (`dacli.config.where`), read the first time either is
    asked for, so a command that needs neither (`lock`, `--help`, a template) never reads that file."""

    def __init__(self, store_path: str | None = None, user: str | None = None, settings: bool = True) -> None:
        self._given = (store_path or None, user or None)
        self._settings = settings
        self._where: tuple[str, str | None] | None = None

    def _resolved(self) -> tuple[str, str | None]:
        if self._where is None:
            from dacli import config

            store, user = self._given
            self._where = (
                config.where(store, user) if self._settings else (store or config.DEFAULT_STORE, user)
            )
        return self._where

    @property
    def store_path(self) -> str:
        return self._resolved()[0]

    @property
    def user(self) -> str | None:
        return self._resolved()[1]

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
        session = None
        if use_agent and os.environ.get("DACLI_NO_AGENT") != "1":
            session = session_from_agent(store, username)
        if session is None:
            session = unlock(store, username, passphrase(f"Passphrase for {username}"))
        if sys.stderr.isatty():
            session.on_progress = progress_bar(sys.stderr)
        return session

    def credentials(self):
        """(member, credentials): the acting user's identity opened (through the agent when one runs,
        else with the passphrase), without checking the staff list (`dacli sync join` checks it itself)."""
        store = self.store()
        username = self.username()
        store.member(username)
        found = None
        if os.environ.get("DACLI_NO_AGENT") != "1":
            found = store.credentials_from_agent(username)
        return found or store.credentials(username, passphrase(f"Passphrase for {username}"))


def progress_bar(stream):
    """Draws "Building this computer's caseload: [####      ] 4,000 of 20,000 cases" on ``stream``, in place,
    for a refresh of the caseload index that rebuilds many rows (a new computer's first caseload)."""

    def show(done: int, total: int) -> None:
        filled = done * 30 // max(total, 1)
        stream.write(
            f"\rBuilding this computer's caseload: [{'#' * filled}{' ' * (30 - filled)}] "
            f"{done:,} of {total:,} cases"
        )
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


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
    import typer

    return typer.prompt(prompt, hide_input=True)


def passphrase_if_any() -> str | None:
    """A passphrase from the environment only (unattended runs never prompt)."""
    return os.environ.get("DACLI_PASSPHRASE") or _from_file("DACLI_PASSPHRASE_FILE") or None


def new_passphrase(prompt: str) -> str:
    """From DACLI_NEW_PASSPHRASE, or a hidden prompt asked twice."""
    value = os.environ.get("DACLI_NEW_PASSPHRASE")
    if value:
        return value
    if not _interactive():  # getpass would warn, echo the passphrase, then meet the end of input
        from dacli.errors import AuthError

        raise AuthError(
            "There is no terminal to ask for a new passphrase: set DACLI_NEW_PASSPHRASE or run in a terminal."
        )
    import typer

    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False), flush=True)


def require(value: str | None, what: str) -> str:
    if not value:
        raise InvalidInput(f"{what} is required.")
    return value


def read_form(from_: str | None, what: str = "the form") -> dict[str, Any]:
    """TOML from ``--from FILE`` or ``--from -`` (standard input). Errors name the file, never its content."""
    from pathlib import Path

    from dacli.services.forms import read_form_file

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


NARRATIVE_HELP = (
    "Typed here it stays in shell history: - reads it from standard input, @FILE from a file; "
    "left out, you are asked."
)


def _interactive() -> bool:
    return sys.stdin.isatty()


def narrative(value: str | None, option: str, label: str, *, required: bool = True) -> str | None:
    """Case narrative given to an option (a reason, a comment, an outcome), kept out of shell history
    and the process list as notes are: ``-`` reads it from standard input, ``@FILE`` from a file (``@@``
    for a text that starts with '@'); left out, it is asked for on a terminal (blank for none when it is
    optional), and off a terminal a required one is refused in one sentence. Typed on the command line it
    works too, and stays in the shell's history."""
    if value is None:
        if not _interactive():
            if required:
                raise InvalidInput(
                    f"{option} is needed: give it as `{option} -` (standard input) or `{option} @FILE`, "
                    "or run in a terminal to be asked."
                )
            return None
        return ask_text(label, required=required)
    elif value == "-":
        text = read_stdin()
    elif value.startswith("@@"):
        text = value[1:]
    elif value.startswith("@"):
        text = _text_file(value[1:], option)
    else:
        text = value
    text = text.strip()
    if not text:
        if required:
            raise InvalidInput(f"{option} is empty: it is needed here.")
        return None
    return text


TEXT_END = "finish with Ctrl-D on an empty line"


def ask_text(label: str, *, required: bool = True) -> str | None:
    """A paragraph (or several) at a prompt: every line up to the end of input, blank lines inside kept, so
    text pasted in one go is one answer and nothing of it is left for the shell. On a terminal the end is
    Ctrl-D on an empty line; off a terminal, the end of input or a line holding only '.' (so scripted answers
    can go on to the next question). Empty: asked again on a terminal when it is needed, None when not."""
    import typer

    tty = _interactive()
    hint = TEXT_END if tty else "end with a line holding only '.' or the end of input"
    while True:
        typer.echo(f"{label} ({'blank for none; ' if not required else ''}{hint}):", err=True)
        lines: list[str] = []
        ended = False
        while True:
            try:
                line = sys.stdin.readline()
            except UnicodeDecodeError:
                raise InvalidInput("standard input is not UTF-8 text.") from None
            if line == "":
                ended = True
                break
            line = line.rstrip("\r\n")
            if not tty and line == ".":
                break
            lines.append(line)
        text = "\n".join(lines).strip("\n").rstrip()
        if text.strip():
            return text
        if not required:
            return None
        if not tty:
            if ended and not lines:
                raise typer.Abort()  # the input ended before the question was answered
            raise InvalidInput(f"{label}: nothing was given, and it is needed.")
        typer.echo("This one is needed.", err=True)


REF_HELP = "Case reference, in any case, or its first characters when only one case begins so (7K3M9)."


def ref_argument(default: Any = ..., help: str = REF_HELP) -> Any:
    """A command's case reference: read by `resolve_ref` before the command runs (typer calls
    `ref_callback`; `dacli.lean` and `dacli.hot` call `resolve_ref` themselves)."""
    import typer

    from dacli.commands.completion import complete_ref

    return typer.Argument(
        default, help=help, metavar="REF", callback=ref_callback, autocompletion=complete_ref
    )


def resolve_ref(c: Context, typed: str) -> str:
    """The case reference ``typed`` means (`layout.resolve_case_ref`); one read otherwise than as typed (a
    start of it, I/L/O as 1/1/0) is named in full on standard error, so the person sees which case the
    command acts on."""
    from dacli.store.layout import resolve_case_ref

    ref = resolve_case_ref(Path(c.store_path), typed)
    as_typed = "".join(ch for ch in typed.upper() if ch not in " -_")
    if as_typed != ref.replace("-", ""):
        print(f"{typed.strip()} is case {ref}.", file=sys.stderr)
    return ref


def ref_callback(ctx, _param, value):
    """typer's callback for `ref_argument` (untyped: typer passes the context and parameter by position)."""
    c = ctx.find_object(Context)
    if value is None or ctx.resilient_parsing or c is None:  # completion, or the line parsed only
        return value
    return resolve_ref(c, value)


def case_first(session, ref: str) -> None:
    """The case exists (and the reference is one): checked before anything is asked, so typed text is never
    asked for only to be refused."""
    from dacli.store.layout import check_case_ref

    session.record_names(check_case_ref(ref))


def check_first(parse, given: dict[str, Any], stand_ins: dict[str, Any]) -> None:
    """The options given, checked by the form's own parser before the rest is asked: the answers still to
    come are stood in for by valid values, so a refusal names an option, never a stand-in."""
    parse({**stand_ins, **{k: v for k, v in given.items() if v is not None}})


def _text_file(path: str, option: str) -> str:
    from dacli.errors import NotFound

    try:
        with open(path, encoding="utf-8") as f:
            return f.read(1_000_000)
    except FileNotFoundError:
        raise NotFound(f"{option} @{path}: no such file.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{option} @{path}: the file is not UTF-8 text.") from None
    except OSError as exc:
        raise InvalidInput(f"{option} @{path}: cannot read it ({exc.strerror}).") from None


def release_reason(release: list[str] | None, reason: str | None) -> str | None:
    """``--reason`` for ``--release``: needed only when a safe field is released (see ``narrative``)."""
    if not release:
        return None  # nothing is released: no reason is recorded
    return narrative(reason, "--reason", "Why are the safe fields released? (audited)")


def now_or(at: str | None) -> str:
    """``--at`` as given (local time unless it names a zone), or now, for a form field the service checks."""
    return at or clock.now().isoformat()


def export_target(out: str | None, store_path: str) -> Path | None:
    """Where an export may be written: the path the user named, never inside the case store (plaintext
    never goes there). None means standard output."""
    from dacli.services.exports import outside_store

    return outside_store(out, store_path) if out else None


def deliverer(target: Path | None):
    """Where an export goes: the file the user named (0600; whole or not there, and no plaintext temp file
    if the process is killed part way) or standard output."""
    if target is not None:
        from dacli.services.exports import to_file

        return to_file(target)

    def deliver(content: bytes) -> None:
        import typer

        typer.echo(content.decode(), nl=False)

    return deliver


def form_from(from_: str | None, what: str, model, parse, **ask):
    """A form from ``--from FILE`` (or ``-``), read by the service's ``parse``; without ``--from``, asked
    field by field in the pack's words (`commands.prompts.ask_form`, which takes ``ask``'s options)."""
    if from_:
        return parse(read_form(from_, what))
    import typer

    from dacli.commands.prompts import ask_form

    typer.echo(f"Answer {what} question by question (blank skips one that may be left out).", err=True)
    return ask_form(model, parse, **ask)
