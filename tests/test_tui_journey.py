"""Issue 16: a client taken from referral to closure and the follow-up call in the dashboard alone, every
act on a form (no file, no CLI), and every record read back from disk afterwards."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from tests.test_tui import DEMO, EXAMPLE, _error, _table, _unlock, _wait


@pytest.fixture
def example(tmp_path):
    target = tmp_path / "store"
    shutil.copytree(EXAMPLE, target)
    return target


async def fill(app, pilot, answers: dict) -> None:
    """Answer a schema form's fields, by their keys ('client.name', 'actions[1].risk')."""
    from textual.widgets import Select, SelectionList, TextArea

    screen = app.screen
    for key, value in answers.items():
        widget = screen.query_one(f"#{screen.ids[key]}")
        if isinstance(widget, TextArea):
            widget.load_text(value)
        elif isinstance(widget, SelectionList):
            for item in value:
                widget.select(item)
        elif isinstance(widget, Select):
            widget.value = value
        else:
            widget.value = value
    await pilot.pause()


async def save(app, pilot) -> None:
    """ctrl+s, and wait for the form to close; a refusal fails the test with its sentence."""
    form = app.screen
    await pilot.press("ctrl+s")
    await _wait(
        pilot,
        lambda: app.screen is not form or (not form.saving and _error(app) not in ("", "Saving...")),
    )
    assert app.screen is not form, _error(app)


async def open_form(app, pilot, key: str, name: str) -> None:
    await _wait(pilot, lambda: type(app.screen).__name__ == "CaseScreen" and app.screen.view is not None)
    await pilot.press(key)
    await _wait(pilot, lambda: type(app.screen).__name__ == name and app.screen.is_mounted)
    await pilot.pause()


async def case_ready(app, pilot) -> None:
    await _wait(
        pilot,
        lambda: (
            type(app.screen).__name__ == "CaseScreen"
            and app.screen.view is not None
            and not app.screen.query_one("#busy").display
        ),
    )


def test_intake_to_closure_and_follow_up_in_the_dashboard_alone(example, tmp_path):
    from dacli.services.case_view import load_case
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp

    copy = tmp_path / "plan.md"
    marac = tmp_path / "marac.md"

    async def run() -> str:
        app = DacliApp(example, "sam.cw", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            await _unlock(app, pilot, DEMO)
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            # a referral on the phone: the urgent details first, typed
            await pilot.press("i")
            await _wait(pilot, lambda: type(app.screen).__name__ == "UrgentIntakeScreen")
            screen = app.screen
            screen.query_one(f"#{screen.ids['client.name']}").focus()
            await pilot.press(*"Orla Testcase")
            await fill(app, pilot, {"client.safe_number": "07700 900123", "client.code_word": "heron",
                                    "concerns.flag": False})  # fmt: skip
            await save(app, pilot)
            # the case opens, and the whole intake form follows
            await _wait(pilot, lambda: type(app.screen).__name__ == "FinishIntakeScreen")
            ref = app.screen.ref
            assert app.screen.answers()["client.name"] == "Orla Testcase"  # what was saved is the start
            await fill(app, pilot, {"client.dob": "1990-04-02", "perpetrators[1].name": "Piers Testcase",
                                    "perpetrators[1].relationship": "ex-partner",
                                    "children[1].name": "Ivy Testcase",
                                    "children[1].dob": "2019-06-01"})  # fmt: skip
            await save(app, pilot)
            await case_ready(app, pilot)
            # the Dash, answered with the keys
            await open_form(app, pilot, "c", "DashScreen")
            for _ in range(24):
                await pilot.press("n")
            await pilot.press("s")
            await _wait(pilot, lambda: type(app.screen).__name__ == "ProfessionalScreen")
            await fill(app, pilot, {"professional.victim_priorities": "A move away from the area."})
            await save(app, pilot)
            await case_ready(app, pilot)
            await open_form(app, pilot, "o", "ConsentScreen")
            await fill(app, pilot, {"how": "telephone", "explained": True, "monitoring": True,
                                    "confidential_unless_permission": True, "high_risk_exception": True,
                                    "agencies[1].agency": "Housing options", "agencies[1].permission": True,
                                    "agencies[1].date": "2026-11-23"})  # fmt: skip
            await save(app, pilot)
            await open_form(app, pilot, "w", "DisclosureScreen")
            await fill(app, pilot, {"sent_to": "Housing options duty desk", "agency": "Housing options",
                                    "information_shared": "Need for a move on safety grounds."})  # fmt: skip
            await save(app, pilot)
            await open_form(app, pilot, "l", "PlanScreen")
            await fill(app, pilot, {"actions[1].risk": "Ex-partner knows the address",
                                    "actions[1].action": "Apply for a move with housing options",
                                    "actions[1].who": "Worker", "actions[1].by": "2026-12-01",
                                    "advice.housing": "Homeless application explained.",
                                    "take.if_leave": "Passport\nMedication"})  # fmt: skip
            await save(app, pilot)
            await open_form(app, pilot, "k", "ClientCopyScreen")
            app.screen.query_one("#safe").value = True
            app.screen.query_one("#format").value = "md"
            app.screen.query_one("#out").value = str(copy)
            await save(app, pilot)
            await open_form(app, pilot, "m", "MaracScreen")
            await fill(app, pilot, {"referring_agency": "Idva service", "contact_name": "Sam Worker",
                                    "contact_details": "01632 960000", "victim_aware": True,
                                    "consent_given": True, "afraid_of": "Being found."})  # fmt: skip
            app.screen.query_one("#out").value = str(marac)
            await save(app, pilot)
            await open_form(app, pilot, "t", "CriminalCourtScreen")
            await fill(app, pilot, {"hearing_date": "2026-11-20", "court": "Magistrates",
                                    "type_of_hearing": "First hearing", "victim_informed": True,
                                    "charges[1].charge": "Assault by beating"})  # fmt: skip
            await save(app, pilot)
            await open_form(app, pilot, "h", "ChildrenScreen")
            await fill(app, pilot, {"to": "Children's services front door", "how": "verbal"})
            await save(app, pilot)
            await case_ready(app, pilot)
            await open_form(app, pilot, "j", "ConfirmChildrenScreen")
            select = app.screen.query_one("#referral")
            select.value = app.screen.referrals[0][0]
            await save(app, pilot)
            # close: a refusal first (nothing chosen), with its field focused, then the answers
            await open_form(app, pilot, "x", "CloseScreen")
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: "not answered" in _error(app))
            said = _error(app)  # in the labels on screen, not the keys of a form file
            assert "'Reason for closure'" in said and "call you in six months" in said, said
            assert "follow_up_consent" not in said
            assert app.focused is app.screen.query_one(f"#{app.screen.ids['reason']}")
            await fill(app, pilot, {"reason": "client-request", "follow_up_consent": True,
                                    "compared.frightened.answer": "improved"})  # fmt: skip
            await save(app, pilot)
            await open_form(app, pilot, "f", "FollowUpScreen")
            app.screen.query_one("#reached").value = True
            await save(app, pilot)
            await case_ready(app, pilot)
            timeline = str(app.screen.query_one("#timeline").render())
            assert "closure" in timeline or "closed" in timeline
            summary = str(app.screen.query_one("#summary").render())
            assert "CLOSED on" in summary and "client-request" in summary and "Soag: none yet" in summary
        return ref

    ref = asyncio.run(run())
    session = Store(example).unlock("sam.cw", DEMO)
    view = load_case(session, ref)
    assert view.summary.client == "Orla Testcase" and view.summary.status.value == "closed"
    people = view.people()
    assert [p.name for p in people.perpetrators] == ["Piers Testcase"]
    assert [c.name for c in people.children] == ["Ivy Testcase"]
    assert view.intakes[-1].complete
    assert len(view.dashes) == 1 and view.dashes[0][1].result.yes == 0
    assert view.dashes[0][1].professional.victim_priorities == "A move away from the area."
    assert view.agreements[-1][1].agencies[0].agency == "Housing options"
    assert view.consented[-1][1].agency == "Housing options"
    plan = view.plans[-1][1]
    assert plan.actions[-1].action == "Apply for a move with housing options"
    assert plan.take.if_leave == ["Passport", "Medication"]
    assert "Apply for a move with housing options" in copy.read_text()
    assert view.marac and marac.read_text()
    assert view.hearings[-1][1].charges[0].charge == "Assault by beating"
    assert view.csc[-1][1].written_confirmation_at is not None
    closure = view.closures[-1][1]
    assert closure.reason == "client-request" and closure.compared["frightened"].answer == "improved"
    assert view.followups and view.followups[-1][1].reached


def test_share_without_consent_then_a_managers_sign_off_and_hold_from_the_more_menu(example):
    from dacli.services.case_view import load_case
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp
    from tests.test_tui import _open_case

    async def caseworker() -> str:
        app = DacliApp(example, "sam.cw", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            ref = await _open_case(app, pilot, "ailsa")
            await open_form(app, pilot, "s", "ShareScreen")
            await fill(app, pilot, {"sent_to": "Police public protection unit",
                                    "information_shared": "Threat to kill disclosed today.",
                                    "concerned_about": ["client"], "at_risk_from": ["perpetrator"],
                                    "concerns_fact": "Threat to kill made by phone.", "immediate_risk": True,
                                    "legal_basis": ["Crime and Disorder Act"],
                                    "considerations": "Risk to life outweighs confidentiality.",
                                    "discussed_with": "Duty senior", "action": "Phoned the PPU.",
                                    "client_notified": False})  # fmt: skip
            await pilot.press("ctrl+s")  # refused in plain words: why was the client not told?
            await _wait(pilot, lambda: not app.screen.saving and _error(app) not in ("", "Saving..."))
            assert type(app.screen).__name__ == "ShareScreen", "saved without the reason"
            said = _error(app)
            assert "If client not notified, why not?" in said and "Value error" not in said, said
            await fill(app, pilot, {"not_notified_reason": "Telling her could raise the risk."})
            await save(app, pilot)
        return ref

    ref = asyncio.run(caseworker())

    async def manager() -> None:
        app = DacliApp(example, "demo", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            await _open_case(app, pilot, "ailsa")
            await pilot.press("e")  # every form, in a menu
            await _wait(pilot, lambda: type(app.screen).__name__ == "ActsScreen")
            menu = app.screen.query_one("OptionList")
            menu.highlighted = [o.id for o in menu._options].index("sign_off")
            await pilot.press("enter")
            await _wait(pilot, lambda: type(app.screen).__name__ == "SignOffScreen")
            app.screen.query_one("#decision").value = app.screen.waiting[0][0]
            app.screen.query_one("#comment").load_text("Agreed: risk to life.")
            await save(app, pilot)
            await open_form(app, pilot, "b", "HoldScreen")
            app.screen.query_one("#reason").load_text("Domestic homicide review requested.")
            await save(app, pilot)

    asyncio.run(manager())
    view = load_case(Store(example).unlock("demo", DEMO), ref)
    assert view.shares[-1][1].not_notified_reason == "Telling her could raise the risk."
    assert view.signoffs and "share-awaiting-sign-off" not in view.summary.flags
    assert view.holds and view.holds[-1][1].reason == "Domestic homicide review requested."


def test_the_dash_names_the_abuser_takes_ticks_and_comments_and_asks_before_saving_unanswered(example):
    from dacli.services.dash import dash_history
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp
    from tests.test_tui import _open_case

    async def run() -> str:
        app = DacliApp(example, "sam.cw", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            ref = await _open_case(app, pilot, "ailsa")
            await open_form(app, pilot, "c", "DashScreen")
            await _wait(pilot, lambda: app.screen.texts)
            await pilot.press(*["right"] * 5)  # question 6 names the person who abuses
            question = str(app.screen.query_one("#question").render())
            assert "Corin Testcase-Morrow" in question and "[name of abuser(s)]" not in question
            await pilot.press(*["left"] * 5)
            await pilot.press("y")  # q1 yes, with a comment and its source
            await pilot.press("left")
            await pilot.press("c")
            await _wait(pilot, lambda: type(app.screen).__name__ == "CommentScreen")
            app.screen.query_one("#comment").value = "Bruising seen"
            app.screen.query_one("#source").value = "GP"
            await pilot.press("ctrl+s")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DashScreen")
            for _ in range(13):
                await pilot.press("right")
            assert app.screen.current == 14
            await pilot.press("1")  # q14's first sub-tick
            await pilot.press("y")
            await pilot.press("s")  # 22 questions unanswered: asked first
            await _wait(pilot, lambda: type(app.screen).__name__ == "AskScreen")
            assert "22 questions are not answered" in str(app.screen.query_one("Label").render())
            await pilot.press("n")  # back to the questions
            await _wait(pilot, lambda: type(app.screen).__name__ == "DashScreen")
            await pilot.press("s")
            await _wait(pilot, lambda: type(app.screen).__name__ == "AskScreen")
            await pilot.press("y")
            await _wait(pilot, lambda: type(app.screen).__name__ == "ProfessionalScreen")
            await save(app, pilot)
            await case_ready(app, pilot)
        return ref

    ref = asyncio.run(run())
    history = dash_history(Store(example).unlock("sam.cw", DEMO), ref)
    record = next(r for _, r in history if set(r.answers) == {"q1", "q14"})
    assert record.answers["q1"].comment == "Bruising seen" and record.answers["q1"].source == "GP"
    assert record.answers["q14"].ticks and record.answers["q14"].answer == "yes"
    assert record.result.unanswered == [n for n in range(1, 25) if n not in (1, 14)]


def test_find_in_the_notes_from_the_caseload_and_search_a_cases_timeline(example):
    from textual.widgets import Input

    from dacli.tui.app import DacliApp

    async def run() -> None:
        app = DacliApp(example, "sam.cw", idle_seconds=600)
        async with app.run_test(size=(100, 40)) as pilot:
            await _unlock(app, pilot, DEMO)
            await _wait(pilot, lambda: type(app.screen).__name__ == "CaseloadScreen" and _table(app).rows)
            await pilot.press("f")
            await _wait(pilot, lambda: type(app.screen).__name__ == "FindScreen")
            await pilot.press(*"bail conditions", "enter")
            await _wait(pilot, lambda: "found" in str(app.screen.query_one("#found").render()))
            assert str(app.screen.query_one("#found").render()).startswith("1 found")
            await pilot.press("enter")  # opens the case the note is in
            await case_ready(app, pilot)
            assert app.screen.view.summary.client == "Ailsa Testcase-Morrow"
            await pilot.press("slash")
            app.screen.query_one("#search", Input).value = "exclusion"
            await pilot.pause()
            timeline = str(app.screen.query_one("#timeline").render())
            assert "1 entries holding 'exclusion'" in timeline and "First contact" not in timeline
            await pilot.press("escape")  # leaves the search: the whole timeline again
            await pilot.pause()
            assert "First contact" in str(app.screen.query_one("#timeline").render())
            assert type(app.screen).__name__ == "CaseScreen"

    asyncio.run(run())
