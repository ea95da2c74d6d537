"""The CLI as people use it (issue 16): references typed in any case or in part; `--json` on every read."""

from __future__ import annotations

from pathlib import Path

import pytest

from dacli.errors import InvalidInput, NotFound
from dacli.store.layout import MIN_PREFIX, resolve_case_ref
from dacli.text import ref_prefixes


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("da-7k3m9-qxp2t", ["7K3M9QXP2T"]),
        ("  DA-7K3M9-QXP2T  ", ["7K3M9QXP2T"]),
        ("7k3m9qxp2t", ["7K3M9QXP2T"]),
        ("DA 7k3m9", ["7K3M9"]),
        ("DA_7k3m9", ["7K3M9"]),
        ("DA7K3", ["7K3", "DA7K3"]),
        ("da-oil12", ["01112"]),
        ("", []),
        ("DA-", []),
        ("DA-7K3M9-QXP2T-1", []),  # eleven characters
        ("DA-7K3U9", []),  # U is not in the alphabet
        ("DA-7K3\x1b[2J", []),
        ("../etc", []),
    ],
)
def test_what_a_typed_reference_can_begin(typed, expected):
    assert ref_prefixes(typed) == expected


@pytest.fixture
def folders(tmp_path) -> Path:
    for ref in ("DA-7K3M9-QXP2T", "DA-7K3M9-AAAAA", "DA-AB123-00000", "DA-DA7K3-11111"):
        (tmp_path / ref).mkdir()
    (tmp_path / "DA-7K3M1-notaref").mkdir()
    return tmp_path


def test_a_whole_reference_in_any_case_is_read_without_the_store(tmp_path):
    missing = tmp_path / "no-store-here"
    assert resolve_case_ref(missing, "da-7k3m9-qxp2t") == "DA-7K3M9-QXP2T"
    assert resolve_case_ref(missing, "DA-7K3M9-QXP2T") == "DA-7K3M9-QXP2T"
    assert resolve_case_ref(missing, "da 7k3m9 qxp2t") == "DA-7K3M9-QXP2T"
    assert resolve_case_ref(missing, "DA-7K3M9-QXP2I") == "DA-7K3M9-QXP21"  # I read as 1


def test_a_unique_start_names_its_case(folders):
    assert resolve_case_ref(folders, "ab12") == "DA-AB123-00000"
    assert resolve_case_ref(folders, "DA-AB123") == "DA-AB123-00000"
    assert resolve_case_ref(folders, "7k3m9-q") == "DA-7K3M9-QXP2T"
    # 'DA' may be the reference's own first characters
    assert resolve_case_ref(folders, "DA7K3") == "DA-DA7K3-11111"


def test_the_shortest_start_is_min_prefix(folders):
    assert MIN_PREFIX == 4
    assert resolve_case_ref(folders, "AB12") == "DA-AB123-00000"
    with pytest.raises(InvalidInput, match="at least 4 of its characters"):
        resolve_case_ref(folders, "AB1")


def test_a_start_several_cases_share_is_refused_naming_them(folders):
    with pytest.raises(InvalidInput) as refused:
        resolve_case_ref(folders, "7k3m9")
    assert str(refused.value) == (
        "2 case references begin with DA-7K3M9 (DA-7K3M9-AAAAA, DA-7K3M9-QXP2T): give more of it."
    )


def test_a_start_no_case_has_is_not_found(folders):
    with pytest.raises(NotFound, match="No case reference begins with DA-ZZZZ"):
        resolve_case_ref(folders, "zzzz")


def test_what_cannot_be_a_reference_is_refused_as_before(folders):
    for typed in ("../x", "DA-7K3\x1b[2J", "Jane Example"):
        with pytest.raises(InvalidInput, match="is not a case reference"):
            resolve_case_ref(folders, typed)


def test_commands_take_a_reference_in_part(cli, case_ref, store_path):
    start = case_ref[3:8].lower()
    shown = cli("case", "show", start)  # the typer app's `case show`
    assert shown.exit_code == 0, shown.output
    assert case_ref in shown.stdout
    assert f"{start} is case {case_ref}." in shown.stderr
    added = cli("note", "add", start, "--type", "telephone", "--with", "client", "--text", "Called back.")
    assert added.exit_code == 0, added.output
    listed = cli("note", "list", case_ref.lower(), "--json")
    assert listed.exit_code == 0, listed.output
    assert "Called back." in listed.stdout
    held = cli("hold", "list", "xxxx")
    assert held.exit_code == 5
    assert "No case reference begins with DA-XXXX." in held.stderr


def test_the_fast_paths_read_references_as_the_typer_app_does(run_dacli, case_ref):
    """`case show` (dacli.hot) and `note add` (dacli.lean) run without the typer app."""
    start = case_ref[3:9].lower()
    shown = run_dacli("case", "show", start)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(case_ref)
    added = run_dacli("note", "add", start, "--type", "telephone", "--with", "client", "--text", "Spoke.")
    assert added.returncode == 0, added.stderr
    assert f"{start} is case {case_ref}." in added.stderr
    assert "Spoke." in run_dacli("note", "list", case_ref).stdout
    two = run_dacli("note", "add", "DA", "--type", "telephone", "--with", "client", "--text", "No.")
    assert two.returncode == 2
    assert "too little of a case reference" in two.stderr
    assert run_dacli("note", "list", case_ref).stdout.count("Spoke.") == 1


def test_hold_list_and_settings_show_read_as_json(cli, case_ref):
    import json

    assert cli("hold", "add", case_ref, "--reason", "domestic homicide review").exit_code == 0
    held = json.loads(cli("hold", "list", case_ref, "--json").stdout)
    assert held["case"] == case_ref
    assert [h["reason"] for h in held["holds"]] == ["domestic homicide review"]
    assert held["holds"][0]["record"].startswith("hold-")
    plain = cli("hold", "list", case_ref).stdout
    assert "domestic homicide review" in plain
    settings = json.loads(cli("settings", "show", "--json").stdout)
    assert settings["timezone"] == "Europe/London"
    text = cli("settings", "show").stdout
    assert "timezone: Europe/London" in text
    assert not text.lstrip().startswith("{")


def _leaf_commands():
    import typer

    from dacli.cli import app

    found = []

    def walk(cmd, path: list[str]) -> None:
        subs = getattr(cmd, "commands", {})
        if not subs or getattr(cmd, "invoke_without_command", False):
            found.append((path, cmd))
        for name, sub in subs.items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return [(p, c) for p, c in found if p]


def test_every_commands_help_has_an_example_that_parses():
    import shlex

    from tests.test_readme_commands import accepts

    commands = _leaf_commands()
    assert len(commands) >= 68
    for path, cmd in commands:
        examples = [
            line.strip() for line in (cmd.help or "").splitlines() if line.strip().startswith("Example:")
        ]
        assert examples, f"`dacli {' '.join(path)} --help` has no example"
        for example in examples:
            words = shlex.split(example.removeprefix("Example:").strip())
            assert words[0] == "dacli"
            words = words[1 : words.index(">")] if ">" in words else words[1:]
            ok, why = accepts(words)
            assert ok, f"the example of `dacli {' '.join(path)}` does not parse: {why}"
            assert [w for w in words if not w.startswith("-")][: len(path)] == path or "--store" in words


def test_the_root_help_groups_every_command(cli):
    from dacli.cli import SECTIONS

    shown = cli("--help")
    assert shown.exit_code == 0
    assert "Other:" not in shown.stdout
    for title in SECTIONS:
        assert f"{title}:" in shown.stdout
    assert "Examples:" in shown.stdout
    assert "--install-completion" in shown.stdout


def test_tab_completion_offers_the_stores_references(run_dacli, case_ref, store_path):
    env = {"_DACLI_COMPLETE": "complete_bash", "COMP_WORDS": f"dacli case show {case_ref[:5]}"}
    done = run_dacli(extra_env={**env, "COMP_CWORD": "3"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [case_ref]
    none = run_dacli(extra_env={**env, "COMP_WORDS": "dacli note add ZZZZ", "COMP_CWORD": "3"})
    assert none.stdout.split() == []
    lower = run_dacli(
        extra_env={**env, "COMP_WORDS": f"dacli note add {case_ref[:6].lower()}", "COMP_CWORD": "3"}
    )
    assert lower.stdout.split() == [case_ref.lower()]  # offered as typed; the commands read any case
    bare = run_dacli(extra_env={**env, "COMP_WORDS": f"dacli case show {case_ref[3:6]}", "COMP_CWORD": "3"})
    assert bare.stdout.split() == [case_ref[3:]]


def test_overdue_is_red_on_a_terminal_and_never_with_no_color(run_dacli, case_ref):
    plain = run_dacli("case", "list")  # a pipe: no colour
    assert "OVERDUE" in plain.stdout and "\x1b" not in plain.stdout
    forced = run_dacli("case", "list", extra_env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[1;31mOVERDUE\x1b[0m" in forced.stdout
    header, rule = forced.stdout.splitlines()[:2]
    assert len(header.rstrip()) <= len(rule)  # the columns were padded before the colour went in
    both = run_dacli("case", "show", case_ref, extra_env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "OVERDUE" in both.stdout and "\x1b" not in both.stdout
    shown = run_dacli("case", "show", case_ref, extra_env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[1;31mOVERDUE\x1b[0m" in shown.stdout


def test_a_da_with_eight_characters_is_never_silently_the_other_case(tmp_path):
    """'DAN0SEXPEJ' reads as the reference DA-DAN0S-EXPEJ or as the start DA-N0SEX-PEJ...: the store says."""
    from dacli.store.layout import resolve_case_ref

    (tmp_path / "DA-N0SEX-PEJH0").mkdir()
    assert resolve_case_ref(tmp_path, "DAN0SEXPEJ") == "DA-N0SEX-PEJH0"
    (tmp_path / "DA-DAN0S-EXPEJ").mkdir()
    with pytest.raises(InvalidInput, match="could be DA-DAN0S-EXPEJ, DA-N0SEX-PEJH0"):
        resolve_case_ref(tmp_path, "DAN0SEXPEJ")
    with pytest.raises(NotFound, match="There is no dacli store at"):
        resolve_case_ref(tmp_path / "none", "7k3m9")
