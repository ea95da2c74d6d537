"""The bundled example store opens with the documented demo passphrase (README's first command)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "store"
DEMO = {"DACLI_USER": "demo", "DACLI_PASSPHRASE": "demo-passphrase"}


@pytest.fixture
def example(tmp_path) -> Path:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    return copy


def test_case_list_on_the_example_store(run_dacli, example):
    result = run_dacli("--store", str(example), "case", "list", "--json", extra_env=DEMO, check=True)
    rows = json.loads(result.stdout)
    assert len(rows) == 13
    assert all("Testcase" in r["client"] for r in rows)
    assert {r["worker"] for r in rows} == {"demo", "sam.cw"}
    flags = {flag for r in rows for flag in r["flags"]}
    assert flags >= {"repeat", "conflict", "significant-concerns", "incomplete-intake", "no-dash"}
    states = [d["state"] for r in rows for d in r["deadlines"]]
    assert "done" in states and "overdue" in states
    # overdue cases sort to the top
    assert any(d["state"] == "overdue" for d in rows[0]["deadlines"])
    assert {r["risk"] for r in rows} >= {"high", "medium", "standard", None}


def test_example_store_audit_verifies_and_caseworker_can_read(run_dacli, example):
    verified = run_dacli("--store", str(example), "audit", "verify", extra_env=DEMO)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    sam = {**DEMO, "DACLI_USER": "sam.cw"}
    rows = json.loads(run_dacli("--store", str(example), "case", "list", "--json", extra_env=sam).stdout)
    shown = run_dacli("--store", str(example), "case", "show", rows[0]["ref"], extra_env=sam, check=True)
    assert rows[0]["client"] in shown.stdout


def test_walkthrough_form_is_accepted(run_dacli, example):
    form = EXAMPLE.parent / "forms" / "intake-example.toml"
    made = run_dacli("--store", str(example), "intake", "--from", str(form), extra_env=DEMO)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("DA-")
