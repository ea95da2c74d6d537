"""Issue 16: a client taken from referral to closure and the follow-up call with the CLI alone, every form
answered question by question (no --from file, no template), and every record read back from disk."""

from __future__ import annotations

import json

from dacli.schemas.fields import form_fields


def script(fields, given: dict) -> list[str]:
    """The lines a person types to answer ``fields`` (blank where ``given`` has no answer): a paragraph
    ends at a '.' line off a terminal, a list at a blank line, yes or no as y or n."""
    out: list[str] = []
    for f in fields:
        value = given.get(f.key)
        if f.kind == "lines":
            out += ([value] if value else []) + ["."]
        elif f.kind == "list":
            out += [*(value or []), ""]
        elif f.kind == "yesno":
            out.append("" if value is None else ("y" if value else "n"))
        elif f.kind == "choices":
            out.append(",".join(value or []))
        else:
            out.append(value or "")
    return out


def _run(cli, *args: str, lines: list[str]):
    result = cli(*args, input="\n".join(lines) + "\n")
    assert result.exit_code == 0, (args, result.stderr)
    return result


def test_referral_to_closure_and_follow_up_with_no_form_file(cli, store_path):
    from dacli.schemas.consent import AgencyPermission, AgreementForm
    from dacli.schemas.court import Charge, CriminalHearing
    from dacli.schemas.intake import Checklist, ChildrenInfo, Client, Perpetrator, Referral
    from dacli.schemas.issp import Action, IsspForm
    from dacli.schemas.monitoring import Monitoring
    from dacli.schemas.review import ExitForm, ReviewForm, compared_fields
    from dacli.schemas.sharing import ShareForm
    from dacli.services.case_view import load_case
    from dacli.store.store import Store
    from tests.conftest import MANAGER, PASSPHRASE

    # the urgent part on the phone, then the rest of the form at once, section by section
    urgent = ["Wren Testcase", "07700 900456", "mornings", "kestrel", "n", "2026-11-22", "10:15", "self"]
    rest = ["y"]  # complete the rest now
    rest += script(form_fields(Client), {"dob": "1991-02-03"})
    rest += script(form_fields(Referral), {})
    rest += [""]  # caseworker: the one taking the referral
    rest += [
        "y",
        *script(form_fields(Perpetrator), {"name": "Rook Testcase", "relationship": "ex-partner"}),
        "n",
    ]
    rest += ["n", *script(form_fields(ChildrenInfo), {})]
    rest += script(form_fields(Checklist), {})
    rest += ["n", ".", ".", ""]  # no conflict of interest; no details; nothing other; accommodation not asked
    rest += script(form_fields(Monitoring), {"gender": "woman", "ethnicity": "white-irish"})  # coded
    made = _run(cli, "intake", "--json", lines=urgent + rest)
    ref = json.JSONDecoder().raw_decode(made.stdout[made.stdout.index("{\n") :])[0]["case"]
    assert f"Intake of {ref} completed." in made.stderr

    # the Dash, question by question: 'Rook Testcase' is named in the questions
    dash = _run(cli, "dash", "record", ref, lines=["n"] * 24 + [".", ".", ".", ".", "n", "n", ".", ""])
    assert "Rook Testcase" in dash.stderr and "[name of abuser(s)]" not in dash.stderr

    agreement = {"how": "telephone", "explained": True, "monitoring": True,
                 "confidential_unless_permission": True, "high_risk_exception": True,
                 "caseworker_signed_on": "2026-11-22"}  # fmt: skip
    agency = {"agency": "Housing options", "permission": True, "date": "2026-11-22"}
    _run(cli, "consent", "record", ref, lines=[
        *script(form_fields(AgreementForm, skip=("agencies",)), agreement), "y",
        *script(form_fields(AgencyPermission), agency), "n"])  # fmt: skip

    plan = {"advice.housing": "Homeless application explained.", "take.if_leave": ["Passport", "Keys"]}
    action = {"risk": "Rook knows the address", "action": "Apply for a move", "who": "Worker",
              "by": "2026-12-10"}  # fmt: skip
    _run(cli, "issp", "record", ref, lines=[
        *script(form_fields(IsspForm), plan), "y", *script(form_fields(Action), action), "n"])  # fmt: skip

    share = {"sent_to": "Police PPU", "shared_at": "2026-11-23 09:00", "information_shared": "A threat.",
             "concerned_about": ["client"], "at_risk_from": ["perpetrator"], "concerns_fact": "Threat made.",
             "immediate_risk": True, "legal_basis": ["1", "4"], "considerations": "Risk to life.",
             "discussed_with": "Duty manager", "action": "Phoned.", "client_notified": True}  # fmt: skip
    shared = _run(cli, "share-without-consent", "record", ref, lines=script(form_fields(ShareForm), share))
    assert "share-" in shared.stdout

    hearing = {"hearing_date": "2026-11-20", "court": "Magistrates", "type_of_hearing": "First hearing",
               "victim_informed": True}  # fmt: skip
    _run(cli, "court", "record", ref, lines=[
        "criminal", *script(form_fields(CriminalHearing, skip=("kind",)), hearing),
        "y", *script(form_fields(Charge), {"charge": "Criminal damage"}), "n", "n"])  # fmt: skip

    # the review: one answer missing is asked again, the others kept
    review = {"engaged": True, "new_concerns": False, "professional_judgement": "Risk reducing.",
              "worker_perception": "Safer.", "client_perception": "Feels safer.", "outcome": "close",
              "reasons": ["Moved away"]}  # fmt: skip
    lines = script(form_fields(ReviewForm), {**review, "reviewed_on": "2026-13-01"})
    reviewed = _run(cli, "review", ref, lines=[*lines, "2026-11-23"])
    assert "reviewed_on" in reviewed.stderr and "Please answer it again" in reviewed.stderr
    assert "outcome close" in reviewed.stdout

    exit_form = {"reason": "client-request", "follow_up_consent": True, "knows_what_to_do": True,
                 "compared.frightened.answer": "improved",
                 "compared.frightened.comment": "Much less."}  # fmt: skip
    fields = form_fields(ExitForm)
    at = [f.key for f in fields].index("reason_detail") + 1
    closed = _run(
        cli, "close", ref, lines=script(fields[:at] + compared_fields(False) + fields[at:], exit_form)
    )
    assert "case closed (client-request)" in closed.stdout
    _run(cli, "follow-up", ref, "--reached", "--outcome", "Settled in the new flat.", lines=[])

    view = load_case(Store(store_path).unlock(MANAGER, PASSPHRASE), ref)
    assert view.summary.client == "Wren Testcase" and view.summary.status.value == "closed"
    assert view.intakes[-1].complete and view.intakes[-1].client.dob.isoformat() == "1991-02-03"
    assert [p.name for p in view.people().perpetrators] == ["Rook Testcase"]
    coded = view.intakes[-1].monitoring
    assert (coded.gender, coded.ethnicity, coded.religion) == ("woman", "white-irish", None)  # not asked
    assert view.dashes[-1][1].result.yes == 0
    assert view.agreements[-1][1].agencies[0].agency == "Housing options"
    plan_on_file = view.plans[-1][1]
    assert plan_on_file.actions[0].action == "Apply for a move" and plan_on_file.take.if_leave == [
        "Passport",
        "Keys",
    ]
    assert view.shares[-1][1].legal_basis == ["Child Protection Act", "Crime and Disorder Act"]
    assert view.hearings[-1][1].charges[0].charge == "Criminal damage"
    assert view.reviews[-1][1].reviewed_on.isoformat() == "2026-11-23"
    closure = view.closures[-1][1]
    assert closure.compared["frightened"].comment == "Much less." and closure.follow_up_consent
    assert view.followups[-1][1].reached


def test_the_end_of_input_part_way_through_a_form_writes_nothing(cli, case_ref, store_path):
    from dacli.store.store import Store
    from tests.conftest import MANAGER, PASSPHRASE

    before = Store(store_path).unlock(MANAGER, PASSPHRASE).record_names(case_ref)
    ended = cli("consent", "record", case_ref, input="telephone\ny\n")
    assert ended.exit_code == 10
    assert "the input ended before the form was complete; nothing was written" in ended.stderr
    assert Store(store_path).unlock(MANAGER, PASSPHRASE).record_names(case_ref) == before
