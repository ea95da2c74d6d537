"""The caseload index is this computer's cache of the records (store format 3): nothing derived is written
into the store a sync engine shares, a write costs one fact, and what arrives from another computer is
listed without anyone running `dacli reindex`. Every person here is synthetic."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from dacli.services.intake import intake
from dacli.store.store import Session, Store
from tests.conftest import MANAGER, PASSPHRASE, SYNTHETIC_FORM, add_phone_note, local_index_files

OLD = (1_700_000_000, 1_700_000_000)  # a folder time long past: its stamp is trusted


def _other_computer(tmp_path, name: str) -> dict[str, str]:
    """Another computer's cache and machine id (the store folder is the same, as a sync engine makes it)."""
    return {"XDG_CACHE_HOME": str(tmp_path / f"cache-{name}"), "DACLI_MACHINE_ID": name}


def test_nothing_derived_is_written_into_the_shared_store(cli, store_path, case_ref):
    assert (
        cli("note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "Hi.").exit_code
        == 0
    )
    assert cli("case", "list").exit_code == 0
    assert cli("reindex").exit_code == 0
    meta = sorted(p.name for p in (store_path / ".dacli").iterdir() if p.name != ".lock")
    assert meta == ["audit", "identities", "policy.toml", "staff.toml", "store-keys.age", "store.toml"]
    every = [p.name for p in store_path.rglob("*")]
    assert not [n for n in every if "index" in n or "anchor" in n]
    (index,) = local_index_files(store_path)
    assert index.stat().st_mode & 0o777 == 0o600 and index.parent.stat().st_mode & 0o777 == 0o700


def test_a_note_neither_reads_nor_writes_the_caseload_index(cli, store_path, case_ref, monkeypatch):
    """`note add` on a store of 20,000 cases rewrote an 8 MB index: a write now costs one fact."""
    assert cli("case", "list").exit_code == 0  # the index made (an intake does not save it)
    (index,) = local_index_files(store_path)
    before = index.read_bytes()

    def refuse(*args, **kwargs):
        raise AssertionError("the caseload index was read for a note")

    monkeypatch.setattr(Session, "read_index", refuse)
    monkeypatch.setattr(Session, "_refresh", refuse)
    added = cli("note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "Called back.")
    assert added.exit_code == 0, added.stderr
    assert index.read_bytes() == before
    monkeypatch.undo()
    (row,) = json.loads(cli("case", "list", "--json").stdout)
    assert row["last_contact"] is not None  # the next listing rebuilt the row of the folder that changed


def test_work_done_on_another_computer_is_listed_without_reindex(cli, store_path, case_ref, tmp_path):
    """Two offices sharing one store folder: a new referral and a note taken in one are in the other's
    caseload at its next listing (each office keeps its own index; nobody runs `dacli reindex`)."""
    office_b = _other_computer(tmp_path, "officeb")
    assert [r["ref"] for r in json.loads(cli("case", "list", "--json").stdout)] == [case_ref]
    form = store_path.parent / "form.toml"
    form.write_text(SYNTHETIC_FORM.replace("Quorra", "Quillon").replace("1990", "1991"))
    taken = cli("intake", "--from", str(form), "--new-case", "--json", extra_env=office_b)
    assert taken.exit_code == 0, taken.stderr
    new = json.loads(taken.stdout)["case"]
    note = ["note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "From office B."]
    assert cli(*note, extra_env=office_b).exit_code == 0
    rows = {r["ref"]: r for r in json.loads(cli("case", "list", "--json").stdout)}
    assert set(rows) == {case_ref, new} and rows[case_ref]["last_contact"] is not None
    rows_b = {r["ref"]: r for r in json.loads(cli("case", "list", "--json", extra_env=office_b).stdout)}
    assert set(rows_b) == {case_ref, new}
    assert len(list((tmp_path / "cache-officeb").rglob("index-*.age"))) == 1


def _three_cases(session, form) -> list[str]:
    """Three cases of three synthetic clients, their folders dated long past (their stamps trusted)."""
    refs = [intake(session, form).case]
    for n in range(2):
        other = form.model_copy(deep=True)
        other.client.name = f"Quillon Testperson-{n}"
        refs.append(intake(session, other, new_case=True).case)
    for ref in refs:
        os.utime(session.store.root / ref, OLD)
    return refs


def test_only_the_rows_of_folders_that_changed_are_rebuilt(session, form, monkeypatch):
    refs = _three_cases(session, form)
    built: list[str] = []
    real = Session.build_row

    def counting(s, ref):
        built.append(ref)
        return real(s, ref)

    monkeypatch.setattr(Session, "build_row", counting)
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    assert sorted(fresh.read_index(full=True)["cases"]) == sorted(refs) and sorted(built) == sorted(refs)
    built.clear()
    fresh.read_index()
    assert built == []  # nothing changed: no case is read
    add_phone_note(fresh, refs[1])
    fresh.read_index()
    assert built == [refs[1]]
    shutil.rmtree(session.store.root / refs[2])  # gone (as a sync engine deletes what another copy deleted)
    built.clear()
    assert sorted(fresh.read_index()["cases"]) == sorted(refs[:2])


def test_a_folder_changed_within_the_tick_is_looked_at_again(session, case_ref, monkeypatch):
    """A folder changed in the last two seconds is not trusted by its time (a coarse clock tick could hide a
    second change): its row is rebuilt at each read until it settles."""
    built: list[str] = []
    real = Session.build_row
    monkeypatch.setattr(Session, "build_row", lambda s, ref: built.append(ref) or real(s, ref))
    session.read_index()
    session.read_index()
    assert built == [case_ref, case_ref]
    os.utime(session.store.root / case_ref, OLD)
    built.clear()
    session.read_index()
    session.read_index()
    assert built == [case_ref]


def _today():
    from dacli import clock

    return clock.today()


@pytest.mark.parametrize("damage", [b"", b"not age at all", b"age-encryption.org/v1\n"])
def test_a_damaged_index_on_this_computer_is_built_again(session, case_ref, damage):
    session.read_index()
    (path,) = local_index_files(session.store.root)
    path.write_bytes(damage)
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    assert list(fresh.read_index()["cases"]) == [case_ref]


def test_a_new_computers_first_caseload_shows_its_progress(session, form, monkeypatch, tmp_path):
    """Building the index from nothing reads every case once (a minute at 20,000 cases): the CLI draws a
    bar on a terminal (`progress_bar`) and the dashboard a line, from the calls counted here."""
    import io

    from dacli.commands.common import progress_bar
    from dacli.store import index

    refs = _three_cases(session, form)
    monkeypatch.setattr(index, "PROGRESS_FROM", 3)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "new-computer-cache"))
    fresh = Store(session.store.root).unlock(MANAGER, PASSPHRASE)
    told: list[tuple[int, int]] = []
    fresh.on_progress = lambda done, total: told.append((done, total))
    assert sorted(fresh.read_index()["cases"]) == sorted(refs)
    assert told == [(0, 3), (1, 3), (2, 3), (3, 3)]
    told.clear()
    fresh.read_index()
    assert told == []  # nothing to build: no bar
    stream = io.StringIO()
    bar = progress_bar(stream)
    bar(1, 4)
    bar(4, 4)
    assert stream.getvalue() == (
        "\rBuilding this computer's caseload: [#######                       ] 1 of 4 cases"
        "\rBuilding this computer's caseload: [##############################] 4 of 4 cases\n"
    )
