"""The CLI: exit codes, one-sentence errors, --json, and real subprocess runs of the main paths."""

from __future__ import annotations

import json

import pytest

from tests.conftest import first_intake

from .conftest import MANAGER, PASSPHRASE, SYNTHETIC_FORM, TEST_LOG_N


def _one_sentence(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("dacli: ")
    assert "Traceback" not in stderr


def test_init_makes_a_manager(tmp_path, cli):
    path = tmp_path / "new"
    result = cli(
        "--store", str(path), "--user", "boss", "init", "--scrypt-log-n", str(TEST_LOG_N),
        extra_env={"DACLI_NEW_PASSPHRASE": "a long passphrase"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    users = cli("--store", str(path), "user", "list", "--json")
    assert json.loads(users.stdout)[0] | {"added": None, "recipient": None} == {
        "username": "boss",
        "role": "manager",
        "added": None,
        "removed": None,
        "recipient": None,
    }


def test_init_in_a_folder_a_sync_engine_just_shared(tmp_path, cli):
    path = tmp_path / "Sync" / "casefiles"
    (path / ".stfolder").mkdir(parents=True)  # Syncthing's marker: the folder is otherwise empty
    result = cli(
        "--store", str(path), "--user", "boss", "init", "--scrypt-log-n", str(TEST_LOG_N),
        extra_env={"DACLI_NEW_PASSPHRASE": "a long passphrase"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (tmp_path / "Sync" / "other").mkdir()
    (tmp_path / "Sync" / "other" / ".stfolder").mkdir()
    (tmp_path / "Sync" / "other" / "minutes.odt").write_text("x")
    refused = cli(
        "--store", str(tmp_path / "Sync" / "other"), "--user", "boss", "init", "--scrypt-log-n", "10",
        extra_env={"DACLI_NEW_PASSPHRASE": "a long passphrase"},
    )  # fmt: skip
    assert refused.exit_code == 8 and "is not empty" in refused.stderr  # StoreError


def test_init_prompts_for_a_passphrase_twice(tmp_path, cli, monkeypatch):
    from dacli.commands import common

    monkeypatch.setattr(common, "_interactive", lambda: True)  # as at a terminal
    path = tmp_path / "new"
    result = cli(
        "--store", str(path), "--user", "boss", "init", "--scrypt-log-n", str(TEST_LOG_N),
        input="a long passphrase\na long passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "a long passphrase" not in result.stdout


def test_intake_then_list_and_show(cli, tmp_path):
    form = tmp_path / "form.toml"
    form.write_text(SYNTHETIC_FORM)
    made = cli("intake", "--from", str(form), "--json")
    assert made.exit_code == 0, made.stderr
    ref = json.loads(made.stdout)["case"]
    listed = json.loads(cli("case", "list", "--json").stdout)
    assert [(r["ref"], r["client"], r["worker"], r["status"]) for r in listed] == [
        (ref, "Quorra Testperson-Alpha", MANAGER, "open")
    ]
    table = cli("case", "list")
    assert ref in table.stdout and "Quorra Testperson-Alpha" in table.stdout
    shown = cli("case", "show", ref, "--json")
    assert json.loads(shown.stdout)["intakes"][0]["children"][0]["name"] == "Yoric Testperson-Beta"
    assert "Vexley Testperson-Gamma" in cli("case", "show", ref).stdout


def test_intake_from_stdin(cli):
    made = cli("intake", "--from", "-", input=SYNTHETIC_FORM)
    assert made.exit_code == 0, made.stderr
    assert made.stdout.strip().startswith("DA-")


@pytest.mark.parametrize(
    "form, field",
    [
        ("[client\nname = 1", "not valid TOML"),
        ('[client]\nname = "Zed Testcase"\ndob = 2090-01-01\n[referral]\ndate = 2026-11-01', "client.dob"),
        ('[client]\nname = "Zed Testcase"\n[referral]\ndate = 2026-02-30', "not valid TOML"),
        ('[client]\nname = "Zed Testcase"\n[referral]\ndate = 2026-11-01\nsurprise = 1', "surprise"),
        ('[client]\nname = "Zed Testcase"\npregnant = true\ndue_date = 2020-01-01\n'
         '[referral]\ndate = 2026-11-01', "client.due_date"),
        ('[client]\nname = "Zed Testcase"\ndob = 1990-01-01\n[referral]\ndate = 2026-11-01\n'
         '[[children]]\nname = "Kid Testcase"\ndob = 1980-01-01', "children[1].dob"),
        ('[referral]\ndate = 2026-11-01', "client"),
    ],
)  # fmt: skip
def test_bad_intake_is_refused_with_the_field_named_and_nothing_written(cli, store_path, form, field):
    result = cli("intake", "--from", "-", input=form)
    assert result.exit_code == 2
    _one_sentence(result.stderr)
    assert field in result.stderr
    assert not [p for p in store_path.iterdir() if p.name.startswith("DA-")]


def test_wrong_passphrase_exit_code_and_one_sentence(cli):
    result = cli("case", "list", extra_env={"DACLI_PASSPHRASE": "nope nope"})
    assert result.exit_code == 3
    _one_sentence(result.stderr)
    assert "Wrong passphrase" in result.stderr


def test_passphrase_file(cli, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(PASSPHRASE + "\n")
    result = cli("case", "list", extra_env={"DACLI_PASSPHRASE": "", "DACLI_PASSPHRASE_FILE": str(secret)})
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "args, extra, code, words",
    [
        (["case", "list"], {"DACLI_USER": "nobody"}, 3, "no user called"),
        (["case", "list"], {"DACLI_USER": ""}, 3, "--user"),
        (["--store", "/nonexistent/store", "case", "list"], {}, 5, "no dacli store"),
        (["case", "show", "DA-00000-00000"], {}, 5, "no case DA-00000-00000"),
        (["case", "show", "../../etc"], {}, 2, "not a case reference"),
        (["user", "add", "cw1", "--role", "boss"], {"DACLI_NEW_PASSPHRASE": "long enough"}, 2, "role"),
        (["intake", "--from", "/nonexistent.toml"], {}, 5, "no file"),
    ],
)
def test_errors_are_one_sentence_with_an_exit_code(cli, args, extra, code, words):
    result = cli(*args, extra_env=extra)
    assert result.exit_code == code, result.stderr
    _one_sentence(result.stderr)
    assert words in result.stderr


def test_tampered_record_exit_code(cli, store_path, case_ref):
    path = store_path / case_ref / first_intake(store_path / case_ref)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    result = cli("case", "show", case_ref)
    assert result.exit_code == 6
    _one_sentence(result.stderr)
    assert "Quorra" not in result.stderr + result.stdout


def test_user_lifecycle(cli, case_ref):
    new = {"DACLI_NEW_PASSPHRASE": "caseworker passphrase"}
    added = cli("user", "add", "cw1", "--role", "caseworker", extra_env=new)
    assert added.exit_code == 0, added.stderr
    as_cw = {"DACLI_USER": "cw1", "DACLI_PASSPHRASE": "caseworker passphrase"}
    assert cli("case", "show", case_ref, extra_env=as_cw).exit_code == 0
    denied = cli("user", "add", "cw2", "--role", "caseworker", extra_env={**as_cw, **new})
    assert denied.exit_code == 4
    _one_sentence(denied.stderr)
    passwd = cli("user", "passwd", extra_env={**as_cw, "DACLI_NEW_PASSPHRASE": "changed passphrase"})
    assert passwd.exit_code == 0
    removed = cli("user", "remove", "cw1", "--reason", "left")
    assert removed.exit_code == 0
    assert "stay readable" in removed.stdout
    gone = cli("case", "list", extra_env={**as_cw, "DACLI_PASSPHRASE": "changed passphrase"})
    assert gone.exit_code == 3
    listed = json.loads(cli("user", "list", "--all", "--json").stdout)
    assert [u["username"] for u in listed] == [MANAGER, "cw1"]
    assert listed[1]["removed"] is not None


def test_audit_commands(cli, case_ref, store_path):
    cli("case", "show", case_ref)
    shown = json.loads(cli("audit", "show", "--case", case_ref, "--json").stdout)
    assert "case-read" in [e["action"] for e in shown]
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    (log,) = (store_path / ".dacli" / "audit").glob("*.jsonl")
    log.write_text(log.read_text().replace("case-read", "case-shred", 1))
    broken = cli("audit", "verify")
    assert broken.exit_code == 6
    assert "tampered" in broken.stdout


def test_reindex_rebuilds_a_lost_index(cli, store_path, case_ref):
    from tests.conftest import local_index_files

    for path in local_index_files(store_path):
        path.unlink()
    assert cli("reindex").stdout.strip() == "Indexed 1 cases."
    assert json.loads(cli("case", "list", "--json").stdout)[0]["ref"] == case_ref


def test_missing_index_is_rebuilt_on_list(cli, store_path, case_ref):
    from tests.conftest import local_index_files

    assert cli("case", "list").exit_code == 0
    (found,) = local_index_files(store_path)
    found.unlink()
    assert json.loads(cli("case", "list", "--json").stdout)[0]["ref"] == case_ref


def test_unexpected_errors_withhold_their_message(cli, monkeypatch):
    from dacli.services import caseload

    def boom(*a, **k):
        raise ValueError("Quorra Testperson-Alpha secret detail")

    monkeypatch.setattr(caseload, "listing", boom)
    result = cli("case", "list")
    assert result.exit_code == 70
    _one_sentence(result.stderr)
    assert "Quorra" not in result.stderr


# --- real processes -------------------------------------------------------------------------------


def test_subprocess_main_path(run_dacli, tmp_path, env):
    form = tmp_path / "form.toml"
    form.write_text(SYNTHETIC_FORM)
    made = run_dacli("intake", "--from", str(form), "--json", check=True)
    ref = json.loads(made.stdout)["case"]
    listed = run_dacli("case", "list", "--json", check=True)
    assert json.loads(listed.stdout)[0]["ref"] == ref
    noted = run_dacli(
        "note", "add", ref, "--type", "telephone", "--with", "client", "--text", "First call.", check=True
    )
    assert noted.stdout.startswith("note-")
    shown = run_dacli("case", "show", ref, check=True)
    assert "Quorra Testperson-Alpha" in shown.stdout
    assert "first contact: done" in shown.stdout
    verified = run_dacli("audit", "verify", check=True)
    assert "intact" in verified.stdout


def test_subprocess_errors(run_dacli):
    wrong = run_dacli("case", "list", extra_env={"DACLI_PASSPHRASE": "wrong one"})
    assert wrong.returncode == 3
    _one_sentence(wrong.stderr)
    missing = run_dacli("--store", "/nonexistent", "case", "list")
    assert missing.returncode == 5
    _one_sentence(missing.stderr)


def test_subprocess_init_and_version(run_dacli, tmp_path):
    version = run_dacli("--version", check=True)
    assert version.stdout.startswith("dacli ")
    made = run_dacli(
        "--store", str(tmp_path / "s2"), "--user", "boss", "init", "--scrypt-log-n", "10",
        extra_env={"DACLI_NEW_PASSPHRASE": "long passphrase"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


def test_a_held_lock_is_exit_code_7(cli, store_path, case_ref):
    import subprocess
    import sys

    assert cli("settings", "set", "lock_timeout_seconds", "0.2").exit_code == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom dacli.store.fsio import folder_lock\n"
            "with folder_lock(Path(sys.argv[1]), 5, 'x'):\n"
            "    print('ready', flush=True)\n    time.sleep(60)\n",
            str(store_path / ".dacli"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = cli("intake", "--from", "-", input=SYNTHETIC_FORM)
        assert result.exit_code == 7, result.stderr
        _one_sentence(result.stderr)
    finally:
        holder.kill()
        holder.wait()
    assert not [p for p in store_path.iterdir() if p.name.startswith("DA-") and p.name != case_ref]


def test_reindex_reports_unreadable_cases(cli, store_path, case_ref):
    (store_path / case_ref / "case.toml.age").write_bytes(b"garbage")
    result = cli("reindex")
    assert result.exit_code == 6
    assert case_ref in result.stderr
    assert "Indexed 0 cases." in result.stdout


def test_audit_show_prints_reasons_with_brackets(cli, case_ref):
    new = {"DACLI_NEW_PASSPHRASE": "caseworker passphrase"}
    assert cli("user", "add", "cw1", "--role", "caseworker", extra_env=new).exit_code == 0
    removed = cli("user", "remove", "cw1", "--reason", "left [/] see [name] file")
    assert removed.exit_code == 0, removed.stderr
    shown = cli("audit", "show")
    assert shown.exit_code == 0, shown.stderr
    assert "left [/] see [name] file" in shown.stdout


def test_short_passphrase_refused_at_init(tmp_path, cli):
    result = cli(
        "--store", str(tmp_path / "s"), "--user", "boss", "init", extra_env={"DACLI_NEW_PASSPHRASE": "short"}
    )
    assert result.exit_code == 2
    assert not (tmp_path / "s").exists()


def test_store_path_that_is_a_file(cli, tmp_path):
    afile = tmp_path / "notastore"
    afile.write_text("x")
    result = cli("--store", str(afile), "case", "list")
    assert result.exit_code == 5
    _one_sentence(result.stderr)


def test_a_new_passphrase_without_a_terminal_is_one_sentence(run_dacli, tmp_path):
    """No DACLI_NEW_PASSPHRASE and no terminal: one sentence and exit 3, not Python's GetPassWarning with a
    file name and line number and a passphrase read back from a pipe."""
    made = run_dacli("--store", str(tmp_path / "new"), "--user", "first", "init", input="")
    assert made.returncode == 3, made.stderr
    assert made.stderr.strip() == (
        "dacli: There is no terminal to ask for a new passphrase: set DACLI_NEW_PASSPHRASE or run in a "
        "terminal."
    )
