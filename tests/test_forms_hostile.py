"""Issue 16, the forms under hostile or careless input: refusals about the rows a person filled in, the end
of input while a form is asked, a path that cannot be, digits that are not ASCII, going back in the Dash,
a damaged case in a note search, two forms asked for at once, and escape on a half-taken Dash."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sys

import pytest

from dacli.schemas.fields import assemble, form_fields, renumber, slot_numbers
from dacli.schemas.issp import IsspForm
from tests.test_tui import EXAMPLE, _wait

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def example(tmp_path):
    target = tmp_path / "store"
    shutil.copytree(EXAMPLE, target)
    return target


def test_a_refusal_names_the_slot_as_filled_in_not_as_closed_up():
    fields = form_fields(IsspForm, repeat={"actions": 3})
    answers = {"actions[2].risk": "R", "actions[2].action": "A", "actions[3].risk": "S"}
    assert assemble(fields, answers)["actions"][0] == {"risk": "R", "action": "A"}
    numbers = slot_numbers(fields, answers)
    assert numbers == {"actions": [2, 3]}
    assert renumber("actions[1].by is not a date; actions[2].action", numbers) == (
        "actions[2].by is not a date; actions[3].action"
    )
    assert renumber("actions[9].by", numbers) == "actions[9].by"  # out of range: left as said


def test_a_plan_refusal_counts_the_seeded_rows_left_out():
    from dacli.errors import InvalidInput
    from dacli.services.issp import parse_issp

    seeded = {"risk": "Dash q13", "source": "Dash q13"}  # left as the template seeded it
    bad = {"risk": "Dash q14", "source": "Dash q14", "action": "Move", "by": "2026-02-30"}
    with pytest.raises(InvalidInput, match=r"actions\[2\]\.by"):
        parse_issp({"actions": [seeded, bad]}, TODAY)
    with pytest.raises(InvalidInput, match=r"actions\[2\]\.action"):
        parse_issp({"actions": [seeded, {"risk": "x", "who": "Worker"}]}, TODAY)


def test_the_end_of_input_while_a_refused_field_is_asked_again_ends_the_form(cli, case_ref):
    from dacli.schemas.sharing import ShareForm
    from tests.test_cli_journey import script

    share = {"sent_to": "Police", "shared_at": "2026-11-23 09:00", "information_shared": "A threat.",
             "concerned_about": ["client"], "at_risk_from": ["perpetrator"], "concerns_fact": "A threat.",
             "immediate_risk": True, "legal_basis": ["1"], "considerations": "Risk to life.",
             "discussed_with": "Duty manager", "action": "Phoned.", "client_notified": False}  # fmt: skip
    lines = script(form_fields(ShareForm), share)
    ended = cli("share-without-consent", "record", case_ref, input="\n".join(lines) + "\n")
    assert ended.exit_code == 10, ended.stderr[-500:]
    assert "not_notified_reason" in ended.stderr and len(ended.stderr) < 20000


@pytest.mark.parametrize("out", ["~nosuchuser-testcase/plan.md", "pl\x00an.md"])
def test_an_export_path_that_cannot_be_is_one_sentence(cli, case_ref, out):
    made = cli("issp", "record", case_ref, "--from", "-", input='[[actions]]\nrisk = "r"\naction = "a"\n')
    assert made.exit_code == 0, made.stderr
    refused = cli("issp", "export", case_ref, "--safe-to-take-home", "yes", "--out", out)
    assert refused.exit_code == 2 and "not a path dacli can write to" in refused.stderr


def test_a_digit_that_is_not_ascii_is_asked_again(cli, case_ref):
    got = cli("consent", "record", case_ref, input="²\n")
    assert got.exit_code == 10  # asked again ('Please choose from'), then the input ended
    assert "Please choose from: in-writing, telephone." in got.stderr


def test_going_back_in_the_dash_keeps_the_comment_source_and_ticks(cli, case_ref, store_path):
    from dacli.store.store import Store
    from tests.conftest import MANAGER, PASSPHRASE

    answers = ["y", "Broken wrist", "Her sister", "b", "", "", ""]  # q1 yes; at q2 back; q1 kept as it was
    answers += ["n"] * 23 + [".", ".", ".", ".", "n", "n", ".", ""]
    made = cli("dash", "record", case_ref, "--json", input="\n".join(answers) + "\n")
    assert made.exit_code == 0, made.stderr
    out = json.loads(made.stdout[made.stdout.index("{\n") :])
    doc = Store(store_path).unlock(MANAGER, PASSPHRASE).read_record(case_ref, out["record"])
    assert (
        doc["answers"]["q1"]["comment"] == "Broken wrist" and doc["answers"]["q1"]["source"] == "Her sister"
    )


def test_a_damaged_case_is_named_and_the_note_search_goes_on(session, case_ref, monkeypatch):
    from dacli.errors import IntegrityError
    from dacli.services import case_view
    from dacli.services.admin import audit_entries
    from dacli.services.intake import intake, parse_intake
    from dacli.services.search import find_in_notes
    from tests.conftest import add_phone_note

    other = intake(session, parse_intake({"client": {"name": "Una Testcase"}, "referral": {"date": TODAY}},
                                         TODAY)).case  # fmt: skip
    add_phone_note(session, case_ref, "Housing options will call.")
    real = case_view.load_case

    def damaged(s, ref, *args, **kwargs):  # a case listed, whose records can no longer be opened
        if ref == other and sys._getframe(1).f_code.co_name == "find_in_notes":
            raise IntegrityError(f"Case {ref} is incomplete.")
        return real(s, ref, *args, **kwargs)

    monkeypatch.setattr(case_view, "load_case", damaged)
    hits = find_in_notes(session, "housing", everyone=True)
    assert [h.ref for h in hits] == [case_ref] and hits.skipped == [other]
    entry = [e for e in audit_entries(session) if e["action"] == "note-search"][-1]
    assert entry["detail"] == {"cases": 1, "found": 1, "skipped": [other]}


def test_two_forms_asked_for_at_once_open_the_first_only(example):
    from dacli.tui.app import DacliApp
    from tests.test_tui import _open_case

    async def run() -> None:
        app = DacliApp(example, "sam.cw", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            await _open_case(app, pilot, "ailsa")
            case = app.screen
            case.action_plan()
            case.action_finish_intake()  # while the plan is read: ignored, never built from the plan
            await _wait(pilot, lambda: app.screen is not case)
            await pilot.pause(0.3)
            assert type(app.screen).__name__ == "PlanScreen"

    asyncio.run(run())


def test_escape_on_a_half_taken_dash_asks_first(example):
    from dacli.tui.app import DacliApp
    from tests.test_tui import _open_case

    async def run() -> None:
        app = DacliApp(example, "sam.cw", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            await _open_case(app, pilot, "ailsa")
            await pilot.press("c")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DashScreen")
            await pilot.press("y", "y", "escape")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DiscardScreen")
            await pilot.press("n")  # keep answering
            await _wait(pilot, lambda: type(app.screen).__name__ == "DashScreen")
            assert app.screen.answers == {1: "yes", 2: "yes"}
            await pilot.press("escape", "y")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen")

    asyncio.run(run())


def test_a_safe_detail_on_file_is_never_shown_back_when_the_plan_is_asked(cli, case_ref):
    from dacli.schemas.issp import Action
    from tests.test_cli_journey import script

    plan = '[[actions]]\nrisk = "r"\naction = "a"\n[safe]\ncode_word = "kestrel-testcase"\n'
    made = cli("issp", "record", case_ref, "--from", "-", input=plan)
    assert made.exit_code == 0, made.stderr
    kept = [*script(form_fields(IsspForm), {}), *script(form_fields(Action), {}), "n"]  # blank keeps each
    again = cli("issp", "record", case_ref, input="\n".join(kept) + "\n")
    assert again.exit_code == 2 and "nothing was changed" in again.stderr  # every answer kept: no new version
    assert "kestrel-testcase" not in again.stderr + again.stdout
    assert "a value is on file for the next question" in again.stderr
    shown = cli("issp", "show", case_ref, "--json")
    assert "kestrel-testcase" in shown.stdout  # kept, not blanked


def test_the_form_and_the_reason_cannot_both_read_standard_input(cli, case_ref):
    refused = cli("marac", "refer", case_ref, "--release", "safe.code_word", "--reason", "-", input="")
    assert refused.exit_code == 2 and "Only one of the form and --reason" in refused.stderr
