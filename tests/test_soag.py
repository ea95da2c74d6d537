"""Severity of Abuse Grid: required fields, guidance, comparison with the intake grid."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli.errors import InvalidInput
from dacli.rules.soag import compare
from dacli.schemas.soag_bank import ABUSE_TYPES, ATTRIBUTION
from dacli.services.soag import parse_soag, record_soag, soag_comparison, soag_history

TODAY = dt.date(2026, 11, 23)
FULL = {
    "occurring": "yes",
    "severity": "moderate",
    "escalation_severity": "worse",
    "escalation_frequency": "unchanged",
}


def test_four_types_with_guidance_for_each_level():
    assert [t.key for t in ABUSE_TYPES] == [
        "physical", "sexual", "stalking_harassment", "jealous_controlling_emotional"
    ]  # fmt: skip
    for kind in ABUSE_TYPES:
        for level in ("high", "moderate", "standard"):
            assert kind.guidance(level).strip()


@pytest.mark.parametrize("missing", ["severity", "escalation_severity", "escalation_frequency"])
def test_occurring_yes_needs_all_three(missing):
    row = {k: v for k, v in FULL.items() if k != missing}
    with pytest.raises(InvalidInput, match=missing):
        parse_soag({"physical": row}, TODAY)


@pytest.mark.parametrize(
    "row, word",
    [({"occurring": "no", "severity": "high"}, "only when abuse is occurring"),
     ({"occurring": "sometimes"}, "physical.occurring"),
     ({**FULL, "severity": "extreme"}, "physical.severity")],
)  # fmt: skip
def test_bad_rows_are_refused(row, word):
    with pytest.raises(InvalidInput, match=word):
        parse_soag({"physical": row}, TODAY)


def test_record_and_compare_with_intake(session, case_ref):
    first = parse_soag({"assessed_on": dt.date(2026, 11, 2), "physical": {**FULL, "severity": "standard"},
                        "sexual": {"occurring": "no"}}, TODAY)  # fmt: skip
    record_soag(session, case_ref, first, TODAY)
    later = parse_soag({"physical": {**FULL, "severity": "high"}, "sexual": {"occurring": "no"},
                        "stalking_harassment": {"occurring": "dont-know"}}, TODAY)  # fmt: skip
    record_soag(session, case_ref, later, TODAY)
    grids = soag_history(session, case_ref)
    assert [g.physical.severity for _, g in grids] == ["standard", "high"]
    changes = {c.type: c for c in soag_comparison(grids)}
    assert changes["physical"].direction == "worse"
    assert changes["sexual"].direction == "same"
    assert changes["stalking_harassment"].direction == "unknown"


def test_compare_better():
    (change,) = compare({"physical": ("yes", "high")}, {"physical": ("no", None)})
    assert change.direction == "better" and change.before == "high" and change.after == "no"


def test_cli_soag(cli, case_ref):
    grid = (
        '[physical]\noccurring = "yes"\nseverity = "high"\n'
        'escalation_severity = "worse"\nescalation_frequency = "worse"\n'
    )
    made = cli("soag", "record", case_ref, "--from", "-", input=grid)
    assert made.exit_code == 0, made.stderr
    shown = cli("soag", "show", case_ref)
    assert "Physical" in shown.stdout and ATTRIBUTION in shown.stdout
    data = json.loads(cli("soag", "show", case_ref, "--json").stdout)
    assert data["grids"][0]["physical"]["severity"] == "high"
    bad = cli("soag", "record", case_ref, "--from", "-", input='[physical]\noccurring = "yes"\n')
    assert bad.exit_code == 2 and "severity" in bad.stderr


def test_cli_soag_interactive_shows_guidance(cli, case_ref):
    answers = "yes\nhigh\nworse\nunchanged\nno\n\n\n"
    made = cli("soag", "record", case_ref, input=answers)
    assert made.exit_code == 0, made.stderr
    assert ABUSE_TYPES[0].guidance("high")[:40] in made.stderr + made.stdout


def test_a_grid_with_no_type_answered_records_nothing(cli, case_ref):
    """An empty grid would become the baseline every later grid is compared with ('not-answered -> high')."""
    refused = cli("soag", "record", case_ref, "--from", "-", input="")
    assert refused.exit_code == 2 and "no abuse type is answered" in refused.stderr
    assert (
        cli("soag", "record", case_ref, "--from", "-", input='[physical]\noccurring = "no"\n').exit_code == 0
    )
