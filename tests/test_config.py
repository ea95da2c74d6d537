"""The person's settings file (issue 16): the store and username when the command line does not say."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dacli import config
from dacli.errors import InvalidInput
from tests.conftest import MANAGER


@pytest.fixture
def bare_env(env) -> dict[str, str]:
    """The fixture store's environment without DACLI_STORE and DACLI_USER (the passphrase stays)."""
    return {k: v for k, v in env.items() if k not in ("DACLI_STORE", "DACLI_USER")}


def settings_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "dacli" / "config.toml"


def test_without_a_file_the_defaults_stand():
    assert config.path() == settings_file()
    assert config.read() == {}
    assert config.where(None, None) == ("./casefiles", None)


def test_the_option_or_variable_beats_the_file(tmp_path):
    config.write({"store": str(tmp_path / "from-file"), "user": "filed"})
    assert config.where(None, None) == (str(tmp_path / "from-file"), "filed")
    assert config.where("given", None) == ("given", "filed")
    assert config.where(None, "typed") == (str(tmp_path / "from-file"), "typed")
    assert config.where("given", "typed") == ("given", "typed")


def test_a_relative_store_is_read_from_the_files_folder(monkeypatch, tmp_path):
    named = tmp_path / "elsewhere" / "mine.toml"
    monkeypatch.setenv("DACLI_CONFIG", str(named))
    named.parent.mkdir()
    named.write_text('store = "stores/team"\n')
    assert config.where(None, None) == (str(named.parent / "stores" / "team"), None)


def test_the_file_is_its_owners_alone_and_holds_what_was_set(tmp_path):
    file = config.write({"user": "amara"})
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert config.read(file) == {"user": "amara"}
    config.write({})
    assert not file.exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("store = \n", "is not valid TOML"),
        ('colour = "always"\n', "'colour' in your dacli settings file"),
        ("store = 3\n", "must be one line of text"),
        ('user = ""\n', "must be one line of text"),
        ('user = "a\\u001b[2Jb"\n', "must be one line of text"),
        ("[store]\npath = 'x'\n", "must be one line of text"),
        ("x = " + "[" * 40 + "]" * 40 + "\n", "deeper than"),
    ],
)
def test_a_broken_file_is_one_sentence_naming_it_and_exit_2(cli, bare_env, text, says):
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(text)
    with pytest.raises(InvalidInput, match=says):
        config.read()
    result = cli("case", "list", extra_env={"DACLI_STORE": "", "DACLI_USER": ""})
    assert result.exit_code == 2
    assert says.split("'")[-1] in result.stderr or says in result.stderr
    assert str(settings_file()) in result.stderr
    assert "\x1b" not in result.stderr
    # `dacli config reset` mends it, and `config show` then says there is nothing
    assert cli("config", "reset").exit_code == 0
    assert not settings_file().exists()
    assert "No settings yet" in cli("config", "show").stdout


def test_config_set_and_show_then_every_path_uses_it(cli, run_dacli, store_path, case_ref, tmp_path):
    unset = {"DACLI_STORE": "", "DACLI_USER": ""}
    refused = cli("config", "set", "store", str(tmp_path), extra_env=unset)
    assert refused.exit_code == 2
    assert "is not a dacli store" in refused.stderr
    assert not settings_file().exists()
    assert cli("config", "set", "store", str(store_path), extra_env=unset).exit_code == 0
    assert cli("config", "set", "user", MANAGER, extra_env=unset).exit_code == 0
    shown = cli("config", "show", "--json", extra_env=unset)
    assert '"store": "' + str(store_path) + '"' in shown.stdout
    # the typer app (case show --all goes there), dacli.hot (case list), dacli.lean (note add)
    assert case_ref in cli("case", "list", "--json", extra_env=unset).stdout
    for words in (("case", "list"), ("case", "show", case_ref)):
        result = run_dacli(*words, extra_env={"DACLI_STORE": "", "DACLI_USER": ""})
        assert result.returncode == 0, result.stderr
        assert case_ref in result.stdout
    added = run_dacli(
        "note", "add", case_ref, "--type", "text", "--with", "client", "--text", "Texted back.",
        extra_env=unset,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Texted back." in run_dacli("note", "list", case_ref).stdout
    removed = cli("config", "unset", "user", extra_env=unset)
    assert removed.exit_code == 0
    assert config.read() == {"store": str(store_path)}
    who = run_dacli("case", "list", extra_env=unset)
    assert who.returncode == 3
    assert "Say who you are" in who.stderr


def test_config_set_refuses_an_unknown_setting_and_a_control_character(cli):
    assert cli("config", "set", "colour", "always").exit_code == 2
    bad = cli("config", "set", "user", "a\x1b[2Jb")
    assert bad.exit_code == 2
    assert "\x1b" not in bad.stderr
    assert not settings_file().exists()


def test_a_broken_file_stops_no_command_that_needs_neither_store_nor_user(cli, bare_env):
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text("store = [1, 2\n")
    unset = {"DACLI_STORE": "", "DACLI_USER": ""}
    assert cli("lock", extra_env=unset).exit_code == 0
    assert cli("case", "list", "--help", extra_env=unset).exit_code == 0
    assert cli("dash", "template", extra_env=unset).exit_code == 0
    assert cli("case", "list", extra_env=unset).exit_code == 2  # this one needs the store


def test_a_fifo_in_place_of_the_file_is_refused_not_waited_on(cli):
    settings_file().parent.mkdir(parents=True)
    os.mkfifo(settings_file())
    with pytest.raises(InvalidInput, match="is not a plain file"):
        config.read()
    assert cli("config", "reset").exit_code == 0
    assert not settings_file().exists()
