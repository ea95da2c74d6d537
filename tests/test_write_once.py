"""Store format 3: facts are written once. `case.toml` is never rewritten (a case's status and worker come
from its facts), an intake completed is a new version naming the one it replaces, and two offices changing
the same case while apart lose nothing and are told. Every person here is synthetic."""

from __future__ import annotations

import datetime as dt
import json

from dacli import clock
from dacli.rules.versions import Version, chains, closed, forks, leaves
from dacli.schemas.intake import IntakeForm
from dacli.services.case_view import load_case
from dacli.services.intake import finish_intake, intake
from dacli.services.review import close_case, parse_exit, reopen

T0 = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
EXIT = {"reason": "client-request", "follow_up_consent": False}


def _apart(session, ref, office_a, office_b):
    """Office A and office B each save a change to one case while apart, as a sync engine delivers them:
    B's change is made without A's new files in the folder, which arrive afterwards."""
    folder = session.store.root / ref
    before = set(folder.iterdir())
    office_a()
    made_by_a = [p for p in folder.iterdir() if p not in before and p.name.endswith(".toml.age")]
    aside = session.store.root.parent / "in-transit"
    aside.mkdir(exist_ok=True)
    for path in made_by_a:
        path.rename(aside / path.name)
    session._readable.pop(ref, None)
    try:
        office_b()
    finally:
        for path in made_by_a:
            (aside / path.name).rename(path)
    session._readable.pop(ref, None)


# -- the rules, at their boundaries ----------------------------------------------------------------------


def _v(name, *replaces, minutes=0):
    return Version(name, tuple(replaces), T0 + dt.timedelta(minutes=minutes), "s-x")


def test_one_chain_has_one_leaf_and_two_children_of_one_parent_are_a_fork():
    line = [_v("a"), _v("b", "a", minutes=1), _v("c", "b", minutes=2)]
    assert [v.name for v in leaves(line)] == ["c"] and forks(line) == []
    split = [*line, _v("d", "b", minutes=3)]
    assert [[v.name for v in f] for f in forks(split)] == [["c", "d"]]
    joined = [*split, _v("e", "c", "d", minutes=4)]
    assert [v.name for v in leaves(joined)] == ["e"] and forks(joined) == []
    # a parent not arrived yet: its child starts a chain of its own (and is not lost)
    assert [[v.name for v in g] for g in chains([_v("x", "missing"), _v("y", minutes=-1)])] == [["y"], ["x"]]


def test_a_case_is_closed_only_when_a_closure_answers_every_reopening():
    r1, r2 = ("intake-2", T0), ("reopen-1", T0)
    assert closed([], []) is False
    assert closed([(frozenset(), T0)], []) is True
    assert closed([(frozenset({"intake-2"}), T0)], [r1]) is True
    assert closed([(frozenset({"intake-2"}), T0)], [r1, r2]) is False  # a reopening the closure never saw
    assert closed([(frozenset({"intake-2"}), T0), (frozenset({"intake-2", "reopen-1"}), T0)], [r1, r2])
    # closures written before format 3 name nothing: compared by time, the same moment counts as open
    assert closed([(None, T0)], [("old", T0 - dt.timedelta(seconds=1))]) is True
    assert closed([(None, T0)], [("old", T0)]) is False


# -- case.toml is written once ----------------------------------------------------------------------------


def test_closing_reopening_and_a_repeat_referral_never_rewrite_case_toml(session, case_ref, form):
    path = session.store.root / case_ref / "case.toml.age"
    written = path.read_bytes()
    today = clock.today()
    close_case(session, case_ref, parse_exit(EXIT, today), today)
    assert load_case(session, case_ref).case.status == "closed"
    reopen(session, case_ref, "The client asked for support again.")
    assert load_case(session, case_ref).case.status == "open"
    close_case(session, case_ref, parse_exit(EXIT, today), today)  # the same (pinned) moment: still closes
    assert load_case(session, case_ref).case.status == "closed"
    again = intake(session, form.model_copy(update={"caseworker": "mgr"}))
    assert again.case == case_ref and again.intake == 2
    view = load_case(session, case_ref)
    assert view.case.status == "open" and view.summary.intakes == 2
    assert path.read_bytes() == written
    names = [n for n in session.record_names(case_ref) if n.startswith("intake-")]
    assert len(names) == 2 and all(n != "intake-2.toml.age" for n in names)  # no number from a local view


def test_a_closure_and_a_repeat_referral_made_at_once_in_two_offices_leave_the_case_open(
    session, case_ref, form, cli
):
    """Office A closes the case while office B, apart, takes the client's new referral into it: once both
    have each other's files, both see the case open (B's referral was never answered by A's closure), with
    the closure and the referral on file; nothing is lost and nothing depends on which arrived first."""
    today = clock.today()
    _apart(
        session, case_ref,
        lambda: close_case(session, case_ref, parse_exit(EXIT, today), today),
        lambda: intake(session, form),
    )  # fmt: skip
    view = load_case(session, case_ref)
    assert view.case.status == "open" and view.summary.intakes == 2 and len(view.closures) == 1
    (row,) = json.loads(cli("case", "list", "--json").stdout)
    assert row["status"] == "open"


def test_an_intake_completed_in_two_offices_at_once_is_shown_and_joined(session, case_ref, form, cli):
    def finish(worker: str, note: str) -> None:
        done = form.model_copy(deep=True)
        done.caseworker = worker
        done.concerns.details = note
        finish_intake(session, case_ref, IntakeForm.model_validate(done.model_dump()))

    first = [n for n in session.record_names(case_ref) if n.startswith("intake-")]
    _apart(
        session, case_ref,
        lambda: finish(MANAGER, "Office A: the client's sister is a safe contact."),
        lambda: finish(MANAGER, "Office B: the client moved to the refuge."),
    )  # fmt: skip
    view = load_case(session, case_ref)
    assert view.summary.intakes == 1 and len(view.all_intakes) == 3
    assert len(view.forks) == 1 and "completed in two places at once, by mgr" in view.forks[0]
    shown = cli("case", "show", case_ref)
    assert "MADE AT ONCE: The intake of case" in shown.stdout
    assert json.loads(cli("case", "show", case_ref, "--json").stdout)["forks"] == view.forks
    finish(MANAGER, "Joined: sister is a safe contact; client in refuge.")
    view = load_case(session, case_ref)
    assert view.forks == [] and view.summary.intakes == 1
    latest = [r for n, r in view.all_intakes if n not in first and len(r.replaces) == 2]
    assert len(latest) == 1 and view.intakes[-1].concerns.details.startswith("Joined")


MANAGER = "mgr"


def test_the_sweep_keeps_a_folder_whose_referral_came_after_its_closure(tmp_path):
    """The sweep reads record names only (no key): a format-3 intake named after the last closure is a new
    referral, so the case is kept whatever an older register says; one in the same second is the referral
    the closure closed."""
    from dacli.store.retention import folder_says_keep

    folder = tmp_path / "DA-AAAAA-AAAAA"
    folder.mkdir()
    for name in [
        "case.toml.age",
        "intake-20200101T090000-aaaaaa.toml.age",
        "closure-20200301T090000-bbbbbb.toml.age",
    ]:
        (folder / name).write_bytes(b"x")
    assert folder_says_keep(folder) is None
    (folder / "intake-20200301T090000-cccccc.toml.age").write_bytes(b"x")
    assert folder_says_keep(folder) is None
    (folder / "intake-20200301T090001-dddddd.toml.age").write_bytes(b"x")
    assert folder_says_keep(folder) == "its folder shows a referral taken after its last closure"


def test_the_dashboard_case_screen_tells_of_a_plan_changed_in_two_places_at_once(tmp_path):
    import asyncio
    import shutil

    from textual.widgets import Static

    from dacli.services import issp
    from dacli.store.store import Store
    from dacli.tui.app import DacliApp
    from tests.test_tui import EXAMPLE, NOW, _open_case

    store = tmp_path / "store"
    shutil.copytree(EXAMPLE, store)
    session = Store(store).unlock("demo", "demo-passphrase")
    ref = next(r for r in Store(store).case_refs() if any((store / r).glob("issp-*")))
    today = clock.today()
    _apart(
        session, ref,
        lambda: issp.complete(session, ref, 1, today, "Done in office A.", today),
        lambda: issp.complete(session, ref, 2, today, "Done in office B.", today),
    )  # fmt: skip

    async def run():
        app = DacliApp(store, "demo", idle_seconds=600, now=NOW)
        async with app.run_test(size=(120, 40)) as pilot:
            name = load_case(session, ref).summary.client.split()[0].lower()
            await _open_case(app, pilot, name)
            safe = str(app.screen.query_one("#safe", Static).render())
            assert f"MADE AT ONCE: The safety plan of case {ref} has versions made at once" in safe

    asyncio.run(run())


def test_a_written_confirmation_is_a_record_of_its_own_and_the_referral_is_never_rewritten(session, case_ref):
    """A children's-services referral made by phone, confirmed in writing in two offices at once: the referral
    record is written once; each confirmation is its own record, and the earliest moment stands."""
    from dacli.services.children import confirm_csc_referral, parse_csc, record_csc_referral

    at = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    name = record_csc_referral(
        session, case_ref, parse_csc({"referred_at": at, "to": "MASH", "how": "verbal"})
    )
    written = (session.store.root / case_ref / name).read_bytes()
    _apart(
        session, case_ref,
        lambda: confirm_csc_referral(session, case_ref, name, at + dt.timedelta(hours=5)),
        lambda: confirm_csc_referral(session, case_ref, name, at + dt.timedelta(hours=3)),
    )  # fmt: skip
    assert (session.store.root / case_ref / name).read_bytes() == written
    (referral,) = [r for n, r in load_case(session, case_ref).csc if n == name]
    assert referral.written_confirmation_at == at + dt.timedelta(hours=3)
    assert len([n for n in session.record_names(case_ref) if n.startswith("cscconfirm-")]) == 2
