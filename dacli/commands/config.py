"""dacli config: your own settings (which store, which username), kept in your config folder."""

from __future__ import annotations

import typer

from dacli import config
from dacli.commands.common import print_json

config_app = typer.Typer(
    help="Your settings: the store and username dacli uses when --store/--user and DACLI_STORE/DACLI_USER "
    "do not say.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show your settings file and what it says.

    \b
    Example: dacli config show
    """
    file = config.path()
    settings = config.read(file)
    if json_:
        print_json({"file": str(file), "exists": file.is_file(), "settings": settings})
        return
    if not settings:
        typer.echo(f"No settings yet ({file}); `dacli config set store PATH` makes one.")
        return
    typer.echo(f"{file}:")
    for key in config.KEYS:
        if key in settings:
            typer.echo(f"  {key} = {settings[key]}")


@config_app.command("set")
def config_set(
    key: str = typer.Argument(..., help=f"The setting: {', '.join(config.KEYS)}."),
    value: str = typer.Argument(..., help="Its value: a folder for store, a username for user."),
) -> None:
    """Set one setting (store: the case store's folder, kept as a full path; user: your username).

    \b
    Example: dacli config set store ~/casefiles
    """
    from pathlib import Path

    from dacli.errors import InvalidInput
    from dacli.store.layout import META, STORE_TOML

    config.check(key, value)
    if key == "store":
        folder = Path(value).expanduser().absolute()
        if not (folder / META / STORE_TOML).is_file():
            raise InvalidInput(
                f"{folder} is not a dacli store (no {META}/{STORE_TOML}): give the store's folder."
            )
        value = str(folder)
    settings = config.read()
    settings[key] = value
    file = config.write(settings)
    typer.echo(f"{key} = {value} (saved in {file})")


@config_app.command("unset")
def config_unset(
    key: str = typer.Argument(..., help=f"The setting: {', '.join(config.KEYS)}."),
) -> None:
    """Remove one setting (dacli then uses its default: ./casefiles, or asks who you are).

    \b
    Example: dacli config unset user
    """
    config.check(key, "x")
    settings = config.read()
    if key not in settings:
        typer.echo(f"{key} was not set; nothing was changed.")
        return
    del settings[key]
    file = config.write(settings)
    typer.echo(f"{key} removed ({file}).")


@config_app.command("reset")
def config_reset() -> None:
    """Remove your settings file, whatever it holds (a damaged one too): dacli then uses its defaults.

    \b
    Example: dacli config reset
    """
    file = config.path()
    if not file.exists():
        typer.echo(f"There is no settings file ({file}); nothing was changed.")
        return
    config.write({}, file)
    typer.echo(f"Removed {file}.")
