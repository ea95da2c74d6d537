"""Dash scoring, Marac criteria and the lean `dash score` path, at every boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dacli.dashscore import read_checklist, score_text
from dacli.rules.dash import DashInput, DashInputError, DashRules, add_months, marac_repeat, score
from dacli.schemas.dash_bank import ATTRIBUTION, QUESTIONS

TODAY = date(2026, 11, 23)


def _answers(yes: int, dont_know: int = 0, no: int = 0) -> dict[int, str]:
    out: dict[int, str] = {}
    n = 1
    for value, count in (("yes", yes), ("dont-know", dont_know), ("no", no)):
        for _ in range(count):
            out[n] = value
            n += 1
    return out


def test_the_bank_has_24_questions_in_order():
    assert [q.number for q in QUESTIONS] == list(range(1, 25))
    assert QUESTIONS[0].text == "Has the current incident resulted in injury?"
    assert "SafeLives 2014" in ATTRIBUTION


SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "002_9bc83e598a6b39a2.txt"


@pytest.mark.skipif(
    not SEED.exists(), reason="the SafeLives pack (../shared/seeds) is not beside this checkout"
)
def test_every_question_is_word_for_word_the_pack():
    """Each question, its guidance and its ticks stand in the pack, whitespace aside."""
    pack = " ".join(SEED.read_text(encoding="utf-8").split())
    for q in QUESTIONS:
        for text in (q.text, q.guidance, *q.subticks):
            if text:
                assert " ".join(text.split()) in pack, f"q{q.number}: {text!r}"


@pytest.mark.parametrize("yes, visible", [(13, False), (14, True), (24, True), (0, False)])
def test_visible_high_risk_boundary(yes, visible):
    result = score(DashInput(_answers(yes, no=24 - yes), TODAY))
    assert result.yes == yes
    assert result.visible_high_risk is visible
    assert ("visible_high_risk" in [c.name for c in result.marac_criteria]) is visible
    assert result.risk_level == ("high" if visible else "standard")


def test_dont_know_is_never_counted_but_shown():
    result = score(DashInput(_answers(13, dont_know=11), TODAY))
    assert result.yes == 13
    assert result.dont_know == list(range(14, 25))
    assert result.unanswered == []
    assert not result.refer_to_marac
    assert any("gaps" in n for n in result.notes)


def test_unanswered_questions_are_listed():
    result = score(DashInput({1: "yes", 5: "no"}, TODAY))
    assert result.unanswered == [n for n in range(1, 25) if n not in (1, 5)]


@pytest.mark.parametrize("incidents, met", [(2, False), (3, True), (None, False), (0, False)])
def test_potential_escalation_boundary(incidents, met):
    result = score(DashInput({}, TODAY, police_incidents_past_12_months=incidents))
    assert ("potential_escalation" in [c.name for c in result.marac_criteria]) is met
    assert result.refer_to_marac is met


@pytest.mark.parametrize(
    "last, assessed, repeat",
    [
        (date(2025, 11, 24), date(2026, 11, 23), True),  # 364 days before
        (date(2025, 11, 22), date(2026, 11, 23), False),  # 366 days before
        (date(2025, 11, 23), date(2026, 11, 23), True),  # 365 days: the boundary day counts
        (date(2023, 3, 1), date(2024, 2, 29), True),  # 365 days across a leap day: within 12 months
        (date(2023, 2, 28), date(2024, 2, 29), False),  # 366 days across a leap day
        (date(2023, 3, 1), date(2024, 3, 1), False),  # 366 days, though 12 calendar months
        (date(2024, 2, 29), date(2025, 2, 28), True),  # 29 Feb + 12 months = 28 Feb
        (date(2024, 2, 29), date(2025, 3, 1), False),
        (None, TODAY, False),
    ],
)
def test_marac_repeat_boundary(last, assessed, repeat):
    assert marac_repeat(last, assessed) is repeat
    result = score(DashInput({}, assessed, last_marac_referral=last))
    assert ("marac_repeat" in [c.name for c in result.marac_criteria]) is repeat


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@pytest.mark.parametrize(
    "grounds, level, reasons, met",
    [(True, None, "Client disclosed a plan to flee; abuser has a history of violence.", True),
     (False, "high", "Threats to kill last night.", True),
     (False, None, "some reasons", False)],
)  # fmt: skip
def test_professional_judgement_with_reasons(grounds, level, reasons, met):
    result = score(DashInput({}, TODAY, marac_grounds=grounds, level=level, reasons=reasons))
    assert ("professional_judgement" in [c.name for c in result.marac_criteria]) is met
    assert result.risk_level == ("high" if met else "standard")


@pytest.mark.parametrize(
    "grounds, level, reasons",
    [(True, None, ""), (True, None, None), (True, None, "   "), (False, "high", None)],
)
def test_professional_judgement_without_reasons_is_refused(grounds, level, reasons):
    with pytest.raises(DashInputError, match="professional.reasons"):
        score(DashInput({}, TODAY, marac_grounds=grounds, level=level, reasons=reasons))


def test_professional_judgement_never_lowers_visible_high_risk():
    result = score(DashInput(_answers(15, no=9), TODAY, level="standard"))
    assert result.risk_level == "high"


@pytest.mark.parametrize(
    "band_on, yes, own, level, suggestion",
    [
        (False, 11, None, "standard", None),
        (True, 11, None, "medium", "medium"),
        (True, 9, None, "standard", None),
        (True, 10, None, "medium", "medium"),
        (True, 13, None, "medium", "medium"),
        (True, 11, "medium", "medium", "medium"),
        (False, 5, "medium", "medium", None),  # the practitioner may raise
        (True, 14, "standard", "high", None),  # visible high risk wins
    ],
)
def test_medium_band(band_on, yes, own, level, suggestion):
    rules = DashRules(medium_band_enabled=band_on)
    result = score(DashInput(_answers(yes), TODAY, level=own), rules)
    assert result.risk_level == level
    assert result.band_suggestion == suggestion


@pytest.mark.parametrize(
    "text, message",
    [
        ('[answers]\nq1 = "maybe"', "answers.q1"),
        ('[answers]\nq25 = "yes"', "answers.q25"),
        ('[answers]\nq1 = "yes"\n[extra]\nx = 1', "extra"),
        ('[context]\npolice_incidents_past_12_months = "three"', "police_incidents_past_12_months"),
        ('[context]\nlast_marac_referral = "soon"', "last_marac_referral"),
        ("[context]\nassessed_on = 2099-01-01", "future"),
        ("[context]\nlast_marac_referral = 2026-12-01\nassessed_on = 2026-11-01", "after"),
        ('[professional]\nlevel = "extreme"', "professional.level"),
        ('[professional]\nmarac_grounds = "yes"', "marac_grounds"),
        ('checklist = "dash-2009"', "checklist"),
        ("[answers\nq1 =", "not valid TOML"),
        ('{"answers": {"q1": "yes"', "not valid JSON"),
    ],
)
def test_malformed_checklists_name_the_key(text, message):
    with pytest.raises(DashInputError, match=message.replace(".", r"\.")):
        score_text(text, "file", TODAY, DashRules())


def test_json_input_is_read_like_toml():
    text = json.dumps(
        {"answers": {f"q{n}": "yes" for n in range(1, 15)}, "context": {"assessed_on": "2026-11-20"}}
    )
    result, data = score_text(text, "file", TODAY, DashRules())
    assert result.yes == 14 and data.assessed_on == date(2026, 11, 20)


def test_assessed_on_defaults_to_today():
    assert read_checklist({}, TODAY).assessed_on == TODAY


def _run(args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "dacli", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


FOURTEEN = "[answers]\n" + "\n".join(f'q{n} = "yes"' for n in range(1, 15)) + '\nq15 = "dont-know"\n'


def test_dash_score_cli_json_keys():
    out = _run(["dash", "score", "-", "--json"], FOURTEEN)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in (
        "yes",
        "dont_know",
        "unanswered",
        "visible_high_risk",
        "marac_criteria",
        "refer_to_marac",
        "risk_level",
    ):
        assert key in data
    assert data["yes"] == 14 and data["dont_know"] == [15] and data["unanswered"] == list(range(16, 25))
    assert data["marac_criteria"] == ["visible_high_risk"]
    assert data["refer_to_marac"] is True and data["risk_level"] == "high"


def test_dash_score_text_carries_the_attribution_and_medium_band():
    out = _run(
        ["dash", "score", "-", "--medium-band", "10-13"],
        "[answers]\n" + "\n".join(f'q{n} = "yes"' for n in range(1, 12)),
    )
    assert out.returncode == 0
    assert "Risk level: medium" in out.stdout
    assert ATTRIBUTION in out.stdout


def test_dash_score_errors_are_one_sentence_exit_2():
    out = _run(["dash", "score", "-"], '[answers]\nq7 = "perhaps"')
    assert out.returncode == 2
    assert out.stderr.strip() == "dacli: answers.q7: 'perhaps' is not yes, no or dont-know."
    missing = _run(["dash", "score", "/nonexistent.toml"])
    assert missing.returncode == 5
    assert _run(["dash", "score", "-", "--bogus"]).returncode == 2


def test_lean_and_full_paths_agree(tmp_path):
    """`dacli --store X dash score` goes through typer; plain `dacli dash score` takes the lean path.

    Both call dacli.dashscore by design; what this guards is the dispatch and the typer command's
    passing of arguments and exit codes."""
    lean = _run(["dash", "score", "-", "--json"], FOURTEEN)
    full = _run(["--store", str(tmp_path), "dash", "score", "-", "--json"], FOURTEEN)
    assert lean.returncode == full.returncode == 0, full.stderr
    assert json.loads(lean.stdout) == json.loads(full.stdout)


def test_lean_path_loads_no_typer_pydantic_or_store():
    code = (
        "import sys, io\n"
        "sys.argv = ['dacli', 'dash', 'score', '-']\n"
        "sys.stdin = io.StringIO('[answers]\\nq1 = \"yes\"\\n')\n"
        "from dacli.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "names = ('typer', 'pydantic', 'pyrage', 'rich', 'textual', 'dacli.store.store', 'cryptography')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "sys.stderr.write(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stderr.strip() == "", out.stderr


def test_template_round_trips_through_score(cli):
    template = cli("dash", "template").stdout
    assert ATTRIBUTION in template
    filled = "\n".join(
        line[2:].replace('"no"', '"yes"') if line.startswith("# q") else line
        for line in template.splitlines()
    )
    result, _ = score_text(filled, "template", TODAY, DashRules())
    assert result.yes == 24
