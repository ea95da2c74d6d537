"""`dacli upgrade`: a format-2 store (tests/data/format2-store: a copy of the example store as dacli wrote it
before store format 3, synthetic people only) becomes format 3 with nothing lost, checked by count and
content; until then it is read and never written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

FORMAT2 = Path(__file__).parent / "data" / "format2-store"
DEMO = {"DACLI_USER": "demo", "DACLI_PASSPHRASE": "demo-passphrase"}


@pytest.fixture
def old_store(tmp_path) -> Path:
    path = tmp_path / "old-store"
    shutil.copytree(FORMAT2, path)
    # the derived files a format-2 store kept in the shared folder (its .gitignore keeps them out of git, so
    # the copy in this repository lacks them; a store shared by a sync engine has them)
    for name in ("index.json.age", "anchors.json.age"):
        (path / ".dacli" / name).write_bytes((path / ".dacli" / "store-keys.age").read_bytes())
    return path


def _records(root: Path) -> dict[str, str]:
    return {
        f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.glob("DA-*/*.age")
    }


def _run(cli, store: Path, *args, input=None):
    return cli(*args, input=input, extra_env={**DEMO, "DACLI_STORE": str(store)})


def test_a_format_2_store_is_read_but_not_written_until_it_is_upgraded(cli, old_store):
    assert '"dacli-store/2"' in (old_store / ".dacli" / "store.toml").read_text()
    listed = _run(cli, old_store, "case", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    refs = [r["ref"] for r in json.loads(listed.stdout)]
    assert len(refs) == 13
    before = _records(old_store)
    note = _run(
        cli, old_store, "note", "add", refs[0], "--type", "telephone", "--with", "client", "--text", "Hi."
    )
    assert note.exit_code == 8, note.stderr
    assert (
        "format 2" in note.stderr and "dacli upgrade" in note.stderr and "nothing was written" in note.stderr
    )
    assert _records(old_store) == before


def test_upgrade_keeps_every_record_and_the_caseload_and_is_audited(cli, old_store):
    before = _records(old_store)
    shown_before = {
        ref: json.loads(_run(cli, old_store, "case", "show", ref, "--json").stdout)["summary"]
        for ref in sorted({k.split("/")[0] for k in before})
    }
    assert (old_store / ".dacli" / "index.json.age").exists()
    upgraded = _run(cli, old_store, "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    records = len([k for k in before if k.endswith(".toml.age")])
    assert f"from dacli-store/2 to dacli-store/3: {records} records, untouched" in upgraded.stdout
    assert "Removed .dacli/index.json.age" in upgraded.stdout
    assert '"dacli-store/3"' in (old_store / ".dacli" / "store.toml").read_text()
    assert not (old_store / ".dacli" / "index.json.age").exists()
    assert _records(old_store) == before  # by count and content
    for ref, summary in shown_before.items():
        after = json.loads(_run(cli, old_store, "case", "show", ref, "--json").stdout)["summary"]
        assert after == summary, ref
    assert _run(cli, old_store, "audit", "verify").exit_code == 0
    entries = json.loads(_run(cli, old_store, "audit", "show", "--json").stdout)
    assert [e["detail"]["records"] for e in entries if e["action"] == "store-upgrade"] == [records]
    again = _run(cli, old_store, "upgrade")  # resumable: run again, it finishes what is left (nothing)
    assert again.exit_code == 0 and "already dacli-store/3" in again.stdout
    ref = sorted(shown_before)[0]
    note = _run(
        cli, old_store, "note", "add", ref, "--type", "telephone", "--with", "client", "--text", "Hi."
    )
    assert note.exit_code == 0, note.stderr


def test_only_a_manager_upgrades(cli, old_store):
    result = cli("upgrade", extra_env={"DACLI_USER": "sam.cw", "DACLI_PASSPHRASE": "demo-passphrase",
                                       "DACLI_STORE": str(old_store)})  # fmt: skip
    assert result.exit_code == 4, result.stderr
    assert '"dacli-store/2"' in (old_store / ".dacli" / "store.toml").read_text()


def test_the_example_store_is_format_3():
    example = Path(__file__).parent.parent / "examples" / "store"
    assert '"dacli-store/3"' in (example / ".dacli" / "store.toml").read_text()
    assert not (example / ".dacli" / "index.json.age").exists()
