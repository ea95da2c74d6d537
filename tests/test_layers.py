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
