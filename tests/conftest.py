"""Shared fixtures. Tests keep the developer's machine out: no real home, no real store, no env leaks.

Every person in these tests is synthetic; names are invented and marked as test data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery staple"
# The one clock is pinned here for every test (in-process with clock.pin, in subprocesses with DACLI_NOW):
# no test depends on the day it runs. CI runs the suite a second time with the computer's clock moved.
PINNED_NOW = "2026-11-23T12:00:00+00:00"
MANAGER = "mgr"
# Low scrypt cost keeps the suite fast; the production default (18) is measured in benchmarks/.
TEST_LOG_N = 10

SYNTHETIC_FORM = """\
[client]
name = "Quorra Testperson-Alpha"
dob = 1987-04-12

[referral]
date = 2026-11-02
referred_by = "police"

[[children]]
name = "Yoric Testperson-Beta"
dob = 2019-08-30

[[perpetrators]]
name = "Vexley Testperson-Gamma"
dob = 1985-01-21
relationship = "ex-partner"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path_factory):
    for key in list(os.environ):
        if key.startswith("DACLI_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # each test's caseload index and audit anchors (this computer's cache), never a developer's own
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # unlock agents of tests live here, never beside a developer's own (short path: socket names are limited)
    monkeypatch.setenv("DACLI_AGENT_DIR", str(home / "agents"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")


def first_intake(folder: Path) -> str:
    """The name of a case's first intake record (`intake-<when>-<rand>.toml.age` since store format 3)."""
    names = sorted(
        p.name for p in folder.iterdir() if p.name.startswith("intake-") and p.name.endswith(".toml.age")
    )
    return names[0]


def add_phone_note(session, ref: str, text: str = "Spoke to the client by phone.") -> str:
    """A telephone note to the client, now on dacli's clock, through the service: the record's name."""
    from dacli import clock
    from dacli.services.notes import add_note, parse_note

    fields = {
        "at": clock.now(),
        "initials": "QT",
        "contact_type": "telephone",
        "contact_with": "client",
        "facts": text,
    }
    return add_note(session, ref, parse_note(fields, clock.now()))


def local_index_files(store_path: Path) -> list[Path]:
    """The caseload index files on this (test's) computer for the store at ``store_path``: one per person
    who has read or written it (`dacli.store.index`)."""
    from dacli.store.store import Store

    folder = Path(os.environ["XDG_CACHE_HOME"]) / "dacli" / Store(store_path).settings.store_id
    return sorted(folder.glob("index-*.age"))


TEST_SCHEMAS = ("t/1", "test/1")


def loose_test_schemas(on: bool = True) -> None:
    """The store checks every record against the schema it names (`dacli.schemas.records`); the store's own
    tests write bare records ("t/1", any fields), so those schemas are known while a test runs."""
    from pydantic import BaseModel, ConfigDict, Field

    from dacli.schemas import records

    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")
        schema_: str = Field(alias="schema")
        case: str

    for name in TEST_SCHEMAS:
        records.register(name, Loose if on else None)


@pytest.fixture(autouse=True)
def _test_schemas():
    loose_test_schemas()
    yield
    loose_test_schemas(False)


@pytest.fixture(autouse=True)
def _pinned_clock():
    """Every test runs at PINNED_NOW in the default zone; a test may pin another moment or zone."""
    import datetime as dt

    from dacli import clock

    clock.set_zone(clock.DEFAULT_ZONE)
    with clock.pinned(dt.datetime.fromisoformat(PINNED_NOW)):
        yield
    clock.set_zone(clock.DEFAULT_ZONE)


@pytest.fixture
def store_path(tmp_path) -> Path:
    from dacli.store.store import Store

    path = tmp_path / "store"
    Store.create(path, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=TEST_LOG_N)
    return path


@pytest.fixture
def store(store_path):
    from dacli.store.store import Store

    return Store(store_path)


@pytest.fixture
def session(store):
    return store.unlock(MANAGER, PASSPHRASE)


@pytest.fixture
def form():
    import tomllib
    from datetime import date

    from dacli.services.intake import parse_intake

    return parse_intake(tomllib.loads(SYNTHETIC_FORM), date(2026, 11, 23))


@pytest.fixture
def case_ref(session, form) -> str:
    from dacli.services.intake import intake

    return intake(session, form).case


@pytest.fixture
def env(store_path, tmp_path) -> dict[str, str]:
    """Environment for CLI runs against the fixture store as the manager."""
    return {
        "DACLI_STORE": str(store_path),
        "DACLI_USER": MANAGER,
        "DACLI_PASSPHRASE": PASSPHRASE,
        "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
        "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
        "DACLI_AGENT_DIR": os.environ["DACLI_AGENT_DIR"],
        "DACLI_NOW": PINNED_NOW,
    }


@pytest.fixture
def cli(env):
    """Run dacli in-process with Typer's CliRunner; returns the Result (stdout, stderr, exit_code)."""
    from typer.testing import CliRunner

    from dacli.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, extra_env: dict | None = None):
        merged = {**env, **(extra_env or {})}
        return runner.invoke(app, list(args), env=merged, input=input, catch_exceptions=False)

    return run


@pytest.fixture
def run_dacli(env):
    """Run dacli as a real subprocess (python -m dacli)."""
    import subprocess

    def run(*args: str, input: str | None = None, extra_env: dict | None = None, check=False):
        merged = {k: v for k, v in os.environ.items() if not k.startswith("DACLI_")}
        merged.update(env)
        merged.update(extra_env or {})
        return subprocess.run(
            [sys.executable, "-m", "dacli", *args],
            input=input,
            capture_output=True,
            text=True,
            env=merged,
            timeout=120,
            check=check,
        )

    return run


def identities_as_an_older_dacli_made_them(root: Path, passphrases: tuple[str, ...]) -> None:
    """Strip the staff list's snapshot pin (`# snapshot:`) from every identity file of the store at ``root``
    that one of ``passphrases`` opens, as a dacli older than the pin made them: for a test that writes a
    staff.toml of the kind an older dacli wrote (one snapshot holding everyone)."""
    from dacli.errors import DacliError
    from dacli.store import crypto

    for path in (Path(root) / ".dacli" / "identities").glob("*.age"):
        for passphrase in passphrases:
            try:
                plain = crypto.passphrase_decrypt(path.read_bytes(), passphrase, path.name)
            except DacliError:
                continue
            kept = b"".join(ln for ln in plain.splitlines(keepends=True) if not ln.startswith(b"# snapshot:"))
            path.write_bytes(crypto.passphrase_encrypt(kept, passphrase, TEST_LOG_N))
            break
