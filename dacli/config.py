"""The person's own settings file: which store, and which username, when the command line does not say.

``config.toml`` in the user's config folder (``~/.config/dacli`` on Linux, or ``DACLI_CONFIG`` names the
file), with two settings::

    store = "/home/amara/casefiles"   # the case store (a relative path is read from this file's folder)
    user = "amara"                      # your username in it

`where` gives the store and username a command uses: ``--store``/``--user``, else ``DACLI_STORE`` /
``DACLI_USER`` (when not empty), else this file, else ``./casefiles`` and no username. The file is read
only when neither the option nor the variable says, so a command given both never reads it. `dacli config`
shows and changes it (`write`): no one needs a text editor for it. It holds no case data.
"""

from __future__ import annotations

import os
from pathlib import Path

from dacli.errors import InvalidInput

KEYS = {
    "store": "the case store's folder",
    "user": "your username in the store",
}
"""The settings this file may hold, and what each is."""
DEFAULT_STORE = "./casefiles"
MAX_BYTES = 64 * 1024


def path() -> Path:
    """The settings file: ``DACLI_CONFIG``, else ``config.toml`` in the user's config folder."""
    named = os.environ.get("DACLI_CONFIG")
    if named:
        return Path(named).expanduser()
    from platformdirs import user_config_path

    return user_config_path("dacli", appauthor=False) / "config.toml"


def read(file: Path | None = None) -> dict[str, str]:
    """The settings in ``file`` (default `path`), checked; empty when there is no file. A problem is one
    sentence naming the file (`InvalidInput`, exit 2): a file that cannot be read, is not TOML, holds a
    setting dacli does not know or a value that is not one line of text."""
    import stat

    file = file or path()
    try:  # without blocking: a FIFO or a device put in its place is refused, never waited on
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidInput(f"Cannot read your dacli settings file {file} ({exc.strerror}).") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidInput(
                f"Your dacli settings file {file} is not a plain file; `dacli config reset` removes it."
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"Cannot read your dacli settings file {file} ({exc.strerror}).") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"Your dacli settings file {file} is too large to be one (over 64 KiB).")
    from dacli.text import Refused, load_toml

    try:
        data = load_toml(raw.decode("utf-8"), "Your dacli settings file")
    except UnicodeDecodeError:
        raise InvalidInput(f"Your dacli settings file {file} is not UTF-8 text.") from None
    except Refused as exc:
        raise InvalidInput(f"{exc} ({file}); `dacli config reset` removes it.") from None
    for key, value in data.items():
        check(key, value, file)
    return data


def check(key: str, value: object, file: Path | None = None) -> str:
    """``value`` for the setting ``key``, or one sentence saying why not."""
    where = f" in your dacli settings file {file}" if file else ""
    if key not in KEYS:
        from dacli.text import one_line

        raise InvalidInput(f"{one_line(key)!r}{where} is not a dacli setting (there are: {', '.join(KEYS)}).")
    if not isinstance(value, str) or not value.strip() or not value.isprintable() or len(value) > 4096:
        raise InvalidInput(f"The setting {key}{where} must be one line of text, not empty.")
    return value


def where(store: str | None, user: str | None) -> tuple[str, str | None]:
    """The store and username a command uses: each given (by option or variable), else this file's, else
    ``./casefiles`` and none. The file is read only when one of them is not given."""
    if store and user:
        return store, user
    settings = read()
    if not store:
        store = settings.get("store")
        if store:
            store = str(resolve_store(store, path()))
    return store or DEFAULT_STORE, user or settings.get("user")


def resolve_store(value: str, file: Path) -> Path:
    """A ``store`` setting as a folder: ``~`` expanded, a relative path read from the file's folder."""
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else file.parent / folder


def write(settings: dict[str, str], file: Path | None = None) -> Path:
    """Save ``settings`` (checked) to ``file`` (default `path`), whole or not at all; readable by its owner
    only. An empty ``settings`` removes the file."""
    file = file or path()
    for key, value in settings.items():
        check(key, value)
    if not settings:
        try:
            file.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise InvalidInput(f"Cannot remove your dacli settings file {file} ({exc.strerror}).") from None
        return file
    import tomli_w

    from dacli.store.fsio import atomic_write

    text = "# dacli settings: `dacli config` shows and changes them.\n" + tomli_w.dumps(
        {k: settings[k] for k in KEYS if k in settings}
    )
    try:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(file, text.encode())
    except OSError as exc:
        raise InvalidInput(f"Cannot write your dacli settings file {file} ({exc.strerror}).") from None
    return file
