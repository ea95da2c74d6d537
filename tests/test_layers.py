"""Imports point one way: nothing below the commands imports typer, rich or textual.

Checked in a fresh interpreter per module, so one test's imports cannot hide another's.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "dacli.errors",
    "dacli.harden",
    "dacli.text",
    "dacli.schemas.common",
    "dacli.schemas.store",
    "dacli.schemas.case",
    "dacli.schemas.intake",
    "dacli.rules.intake",
    "dacli.store.crypto",
    "dacli.store.fsio",
    "dacli.store.keys",
    "dacli.store.audit",
    "dacli.store.store",
    "dacli.services.admin",
    "dacli.services.forms",
    "dacli.services.intake",
    "dacli.services.notes",
    "dacli.services.case_view",
    "dacli.services.dash",
    "dacli.services.children",
    "dacli.services.soag",
    "dacli.services.sharing",
    "dacli.services.consent",
    "dacli.services.caseload",
    "dacli.rules.deadlines",
    "dacli.rules.dash",
    "dacli.dashscore",
    "dacli.schemas.dash_bank",
    "dacli.schemas.soag_bank",
    "dacli.schemas.dash",
    "dacli.schemas.children",
    "dacli.rules.children",
    "dacli.rules.soag",
    "dacli.schemas.sharing",
    "dacli.schemas.consent",
    "dacli.schemas.court",
    "dacli.schemas.marac",
    "dacli.services.marac",
    "dacli.schemas.soag",
    "dacli.rules.matching",
    "dacli.schemas.notes",
    "dacli.schemas.template",
    "dacli.store.agent",
    "dacli.perf",
    "dacli.schemas.issp",
    "dacli.rules.issp",
    "dacli.services.issp",
    "dacli.services.exports",
    "dacli.schemas.review",
    "dacli.rules.review",
    "dacli.services.review",
    "dacli.services.court",
    "dacli.rules.retention",
    "dacli.store.retention",
    "dacli.services.retention",
]
UI = ("typer", "rich", "textual", "click")


@pytest.mark.parametrize("module", CORE)
def test_core_modules_do_not_import_ui(module):
    code = f"import sys, {module}; print(','.join(m for m in {UI!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"


def test_rules_do_no_io():
    io_modules = ("dacli.store", "pyrage", "filelock")
    code = f"import sys, dacli.rules.intake; print(','.join(m for m in {io_modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_does_not_load_the_store_or_rich():
    """Start-up stays lean: `dacli --help` needs neither crypto nor pydantic nor rich."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from dacli.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "print(','.join(m for m in ('pyrage','pydantic','rich','dacli.store.store') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_schema_reads_its_own_source_at_import():
    """Field help is read from the schemas' source only when a template or a prompt asks for it
    (`schemas.docs`); pydantic's `use_attribute_docstrings` would read and parse the source of each such
    class at import, on every command (issue 15)."""
    code = (
        "import inspect, pkgutil, importlib\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('source read at import')\n"
        "inspect.getsourcelines = inspect.findsource = inspect.getsource = refuse\n"
        "import dacli.schemas as S\n"
        "for m in pkgutil.iter_modules(S.__path__):\n"
        "    if m.name != 'docs':\n"
        "        importlib.import_module('dacli.schemas.' + m.name)\n"
        "import dacli.services.case_view\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def test_field_help_is_the_docstring_under_the_field():
    from pydantic import Field

    from dacli.schemas.common import Strict
    from dacli.schemas.docs import field_doc
    from dacli.schemas.intake import Client

    class Base(Strict):
        a: str = ""
        """The base's help for a."""
        b: str = Field("", description="Given as a description.")
        """Not this."""

    class Sub(Base):
        c: int = 0
        """The subclass's help for c,
        over two lines."""

    assert field_doc(Sub, "a") == "The base's help for a."
    assert field_doc(Sub, "b") == "Given as a description."
    assert field_doc(Sub, "c") == "The subclass's help for c,\nover two lines."
    assert field_doc(Client, "name")  # the pack's wording, read from dacli's own source


def test_no_schema_is_built_until_a_command_uses_it():
    """Every schema defers building its validator to its first use (`Strict`'s `defer_build`): importing the
    services a command needs builds none, so `case show` pays only for the record kinds it reads."""
    code = (
        "import pkgutil, importlib, inspect\n"
        "import pydantic\n"
        "import dacli.schemas as S\n"
        "import dacli.services.case_view, dacli.services.caseload\n"
        "built = []\n"
        "for m in pkgutil.iter_modules(S.__path__):\n"
        "    mod = importlib.import_module('dacli.schemas.' + m.name)\n"
        "    for name, cls in vars(mod).items():\n"
        "        model = inspect.isclass(cls) and issubclass(cls, pydantic.BaseModel)\n"
        "        if model and cls.__module__ == mod.__name__ and cls.__pydantic_complete__:\n"
        "            built.append(mod.__name__ + '.' + name)\n"
        "print(' '.join(built))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == []
