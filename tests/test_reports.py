"""Reports (issue 17): periods, small numbers, and the caseload report counted by hand on a small store.

Every person here is synthetic. The store holds six cases across three quarters; each figure of the
2026Q3 caseload report is worked out by hand below (the comments say from which cases) and compared with
what `dacli report caseload` prints, as a table, as JSON and as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest

from dacli import clock
from dacli.errors import InvalidInput, PermissionDenied
from dacli.rules import reports as rules
from dacli.schemas.common import Role
from dacli.services import issp, marac, review
from dacli.services.consent import parse_agreement, record_agreement
from dacli.services.dash import parse_dash, record_dash
from dacli.services.intake import intake, parse_intake
from dacli.services.notes import add_note, parse_note
from dacli.services.reports import caseload, outcomes, safe_accommodation
from dacli.services.reports import marac as marac_report
from dacli.services.soag import parse_soag, record_soag
from tests.conftest import PASSPHRASE

D = dt.date
Q3 = rules.period(D(2026, 11, 23), quarter="2026Q3")
HIGH = {
    "occurring": "yes",
    "severity": "high",
    "escalation_severity": "worse",
    "escalation_frequency": "worse",
}


# -- pure rules, at their boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "start", "end"),
    [
        ({"quarter": "2026Q1"}, D(2026, 1, 1), D(2026, 3, 31)),
        ({"quarter": "2026q2"}, D(2026, 4, 1), D(2026, 6, 30)),
        ({"quarter": "2026-Q3"}, D(2026, 7, 1), D(2026, 9, 30)),
        ({"quarter": "2026Q4"}, D(2026, 10, 1), D(2026, 12, 31)),
        ({"quarter": "2028Q1"}, D(2028, 1, 1), D(2028, 3, 31)),
        ({"year": "2026"}, D(2026, 1, 1), D(2026, 12, 31)),
        ({"start": D(2026, 2, 28), "end": D(2026, 2, 28)}, D(2026, 2, 28), D(2026, 2, 28)),
        ({"start": D(2026, 11, 1)}, D(2026, 11, 1), D(2026, 11, 23)),
        ({}, D(2026, 10, 1), D(2026, 11, 23)),  # none given: this quarter so far
    ],
)
def test_periods(given, start, end):
    p = rules.period(D(2026, 11, 23), **given)
    assert (p.start, p.end) == (start, end)
    assert start in p and end in p
    assert start - dt.timedelta(days=1) not in p and end + dt.timedelta(days=1) not in p


@pytest.mark.parametrize(
    "given",
    [
        {"quarter": "2026Q5"},
        {"quarter": "Q3"},
        {"quarter": "2026Q3", "year": "2026"},
        {"year": "26"},
        {"start": D(2026, 3, 1), "end": D(2026, 2, 1)},
        {"year": "2026", "start": D(2026, 1, 1)},
    ],
)
def test_impossible_periods_are_refused_in_one_sentence(given):
    with pytest.raises(InvalidInput) as caught:
        rules.period(D(2026, 11, 23), **given)
    assert caught.value.message.count(".") >= 1 and "\n" not in caught.value.message


def test_small_numbers_and_the_cell_that_would_give_one_away():
    assert [rules.shown(n, 5) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert rules.shown(9, 10) == "<10"
    # one small cell and the total shown: the next smallest goes too (else total - rest = the small one)
    assert rules.suppress({"a": 20, "b": 3, "c": 7, "d": 0}, 5) == {
        "a": "20",
        "b": "<5",
        "c": "<5*",
        "d": "0",
    }
    # two small cells adding up to the threshold: neither can be worked out alone
    assert rules.suppress({"a": 20, "b": 3, "c": 2}, 5) == {"a": "20", "b": "<5", "c": "<5"}
    # two cells of 1 add up to 2 (< 5): both would be 1; the next smallest is hidden with them
    got = rules.suppress({"a": 30, "b": 1, "c": 1, "d": 10}, 5)
    assert got == {"a": "30", "b": "<5", "c": "<5", "d": "<5*"}
    # k of n: k small, n - k small, or all of n
    assert [rules.rate_cell(k, n, 5) for k, n in ((2, 20), (18, 20), (20, 20), (10, 20), (0, 3))] == [
        "<5", "<5*", "5+*", "10", "0"]  # fmt: skip
    # no total shown: nothing to subtract from
    assert rules.suppress({"a": 20, "b": 3}, 5, total_shown=False) == {"a": "20", "b": "<5"}


@pytest.mark.parametrize(
    ("dob", "on", "band"),
    [
        (D(2010, 6, 1), D(2026, 5, 31), "under-16"),
        (D(2010, 6, 1), D(2026, 6, 1), "16-17"),
        (D(2008, 6, 2), D(2026, 6, 1), "16-17"),
        (D(2008, 6, 1), D(2026, 6, 1), "18-24"),
        (D(2001, 6, 2), D(2026, 6, 1), "18-24"),
        (D(2001, 6, 1), D(2026, 6, 1), "25-34"),
        (D(1951, 6, 2), D(2026, 6, 1), "65-74"),
        (D(1951, 6, 1), D(2026, 6, 1), "75-plus"),
        (D(2008, 2, 29), D(2026, 2, 28), "16-17"),  # a leap-day birthday: 18 only on 1 March
        (D(2008, 2, 29), D(2026, 3, 1), "18-24"),
        (None, D(2026, 6, 1), None),
        (D(2027, 1, 1), D(2026, 6, 1), None),  # born after the day: not a band
    ],
)
def test_age_bands(dob, on, band):
    assert rules.age_band(dob, on) == band


def test_review_due_and_marac_repeats():
    assert rules.review_due_on(D(2026, 7, 5), None) == D(2026, 8, 30)  # the first: 8 weeks from intake
    assert rules.review_due_on(D(2026, 7, 5), D(2026, 8, 20)) == D(2026, 10, 15)  # then every 8 weeks
    assert rules.review_due_on(D(2026, 7, 5), D(2026, 6, 1)) == D(2026, 8, 30)  # one before this referral
    earlier = [D(2025, 9, 30)]
    assert rules.repeat_within(earlier, D(2026, 9, 30))  # 12 months to the day
    assert not rules.repeat_within(earlier, D(2026, 10, 1))
    assert rules.repeat_within([D(2025, 2, 28)], D(2026, 2, 28))
    assert not rules.repeat_within([D(2026, 9, 30)], D(2026, 9, 30))  # the same referral is no repeat


# -- a small store, counted by hand ----------------------------------------------------------------------


def _at(day: D, hour: int = 10):
    return clock.pinned(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC))


def _case(session, day: D, route: str | None, worker: str, **extra) -> str:
    referral = {"date": day, "referred_by": route or "a neighbour", "time": dt.time(9, 0)}
    if route:
        referral["route"] = route
    client = {"name": f"Quorra Testperson-{day.isoformat()}", **extra.pop("client", {})}
    form = {"client": client, "referral": referral, "caseworker": worker, **extra}
    with _at(day, 9):
        return intake(session, parse_intake(form, day), new_case=True).case


def _contact(session, ref: str, day: D, hour: int) -> None:
    with _at(day, hour):
        note = {"at": clock.now(), "initials": "QT", "contact_type": "telephone", "contact_with": "client",
                "facts": "Spoke."}  # fmt: skip
        add_note(session, ref, parse_note(note, clock.now()))


def _dash(session, ref: str, day: D, yes: int) -> None:
    answers = {f"q{n}": "yes" if n <= yes else "no" for n in range(1, 25)}
    with _at(day):
        record_dash(session, ref, parse_dash({"answers": answers, "assessed_on": day}, day), day)


def _plan(session, ref: str, day: D) -> None:
    with _at(day):
        issp.record(
            session, ref, issp.parse_issp({"actions": [{"risk": "Fear", "action": "Phone"}]}, day), day
        )


def _review(session, ref: str, day: D) -> None:
    form = {"reviewed_on": day, "engaged": True, "new_concerns": False, "professional_judgement": "-",
            "worker_perception": "-", "client_perception": "-", "outcome": "continue",
            "reasons": ["-"]}  # fmt: skip
    with _at(day):
        review.record_review(session, ref, review.parse_review(form, day), day)


def _close(session, ref, day, reason="client-request", compared=None, moved=None) -> None:
    with _at(day):
        exit_form = {"closed_on": day, "reason": reason, "follow_up_consent": compared is not None,
                     "compared": {k: {"answer": v} for k, v in (compared or {}).items()}}  # fmt: skip
        if moved:
            exit_form["moved_on_to"] = moved
        review.close_case(session, ref, review.parse_exit(exit_form, day), day)


def _marac(session, ref: str, day: D) -> None:
    form = {"referred_on": day, "referring_agency": "Idva", "contact_name": "I",
            "contact_details": "i@x.invalid", "victim_aware": True, "consent_given": True,
            "afraid_of": "Him."}  # fmt: skip
    with _at(day):
        marac.refer(session, ref, marac.parse_marac(form, day), [], None, lambda text: None)


def _soag(session, ref: str, day: D, physical: dict) -> None:
    with _at(day):
        record_soag(session, ref, parse_soag({"assessed_on": day, "physical": physical}, day), day)


def _agree(session, ref: str, day: D, monitoring: bool) -> None:
    form = {"how": "telephone", "explained": True, "monitoring": monitoring,
            "confidential_unless_permission": True, "high_risk_exception": True, "caseworker_signed_on": day,
            "agencies": [{"agency": "Police", "permission": True, "date": day}]}  # fmt: skip
    with _at(day):
        record_agreement(session, ref, parse_agreement(form, day))


@pytest.fixture
def small_store(session):
    """Six cases; the cases named A to F in the comments of the test below."""
    session.add_user("cwa", Role.caseworker, PASSPHRASE)
    session.add_user("cwb", Role.caseworker, PASSPHRASE)
    a = _case(
        session, D(2026, 7, 5), "police", "cwa",
        monitoring={"ethnicity": "black-african", "sexual_orientation": "bisexual", "disabled": "yes",
                    "gender": "woman", "age_band": "25-34"},
        accommodation="refuge",
        perpetrators=[{"name": "Vexley Testperson-Gamma", "sex": "male", "age_band": "16-17",
                       "relationship_type": "ex-intimate-partner"}],
        children=[{"name": "Yoric Testperson-Beta", "dob": D(2019, 8, 30)}],
    )  # fmt: skip
    _contact(session, a, D(2026, 7, 6), 10)  # 25 hours after 09:00 on the 5th: within 48
    _dash(session, a, D(2026, 7, 7), 14)  # high
    _plan(session, a, D(2026, 7, 8))
    _review(session, a, D(2026, 8, 20))  # due by 30 August: on time
    _agree(session, a, D(2026, 7, 6), True)
    _marac(session, a, D(2026, 7, 9))
    _marac(session, a, D(2026, 9, 15))  # a repeat: within 12 months of 9 July
    b = _case(
        session, D(2026, 8, 10), "self", "cwa",
        client={"dob": D(2009, 1, 1)},
        monitoring={"gender": "man", "ethnicity": "white-british"},
        accommodation="dispersed",
    )  # fmt: skip
    _contact(session, b, D(2026, 8, 14), 10)  # 97 hours: late
    _agree(session, b, D(2026, 8, 14), True)
    _soag(session, b, D(2026, 8, 14), HIGH)
    _dash(session, b, D(2026, 8, 15), 3)  # standard
    _marac(session, b, D(2026, 8, 16))
    _dash(session, b, D(2026, 9, 18), 15)  # high at exit
    _soag(session, b, D(2026, 9, 19), {"occurring": "no"})
    _close(
        session, b, D(2026, 9, 20), compared={"frightened": "improved", "coping": "worse"},
        moved="private-rented-tenancy",
    )  # fmt: skip
    with _at(D(2026, 10, 20)):
        review.record_follow_up(session, b, D(2026, 10, 20), True, "Doing well.", D(2026, 10, 20))
    c = _case(session, D(2026, 9, 28), "police", "cwb")  # no contact, no Dash yet
    d = _case(
        session, D(2026, 5, 1), "health", "cwb", accommodation="refuge"
    )  # referred before the quarter, open through it
    _dash(session, d, D(2026, 5, 2), 5)  # standard at intake
    _plan(session, d, D(2026, 5, 3))
    _review(session, d, D(2026, 7, 20))  # due by 26 June: late
    _dash(session, d, D(2026, 9, 1), 15)  # high by the quarter's end
    _dash(session, d, D(2026, 10, 2), 2)  # after the quarter: not 'now' for it
    _marac(session, d, D(2026, 6, 1))
    _marac(session, d, D(2026, 8, 25))  # a repeat; D's client gave no consent to monitoring
    e = _case(session, D(2026, 10, 5), "police", "cwa")  # after the quarter
    f = _case(session, D(2026, 6, 1), None, "cwb")  # closed before the quarter, no route coded
    _close(session, f, D(2026, 6, 30), "client-request")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def _figures(report) -> dict[tuple[str, str], int]:
    return {(s.title.split(",")[0].split(" (")[0], item): v for s in report.sections for item, v in s.rows}


def test_the_caseload_report_matches_a_count_by_hand(session, small_store):
    report = caseload(session, Q3)
    got = _figures(report)
    assert report.cases == 6
    # referrals in Q3: A (police), B (self), C (police); D, F before it, E after it
    assert got[("Referrals in", "police")] == 2 and got[("Referrals in", "self")] == 1
    assert sum(v for (s, _), v in got.items() if s == "Referrals in") == 3
    sections = {s.title.split(",")[0]: s for s in report.sections}
    assert sections["Referrals in"].total == 3
    # open at its end: A, C, D (B closed 20 September)
    assert got[("Cases", "open at the end of the period")] == 3
    assert got[("Cases", "opened (or reopened) in the period")] == 3  # A, B, C
    assert got[("Cases", "closed in the period")] == 1  # B
    assert got[("Closed in the period", "client-request")] == 1
    # risk at intake of the cases referred in Q3: A high, B standard, C none yet
    risk = "Risk at intake"
    assert (got[(risk, "high")], got[(risk, "standard")], got[(risk, "no Dash")]) == (1, 1, 1)
    # risk now of the cases open at Q3's end: A high, C none, D high (1 September; October's is later)
    now = "Risk now"
    assert (got[(now, "high")], got[(now, "standard")], got[(now, "no Dash")]) == (2, 0, 1)
    # of the 3 referrals: first contact within 48 hours A only; Dash completed A and B
    assert got[("Referrals in the period", "first contact within 48 hours")] == 1
    assert got[("Cases referred in the period", "Dash completed")] == 2
    # reviews done in Q3: A's (on time) and D's (late)
    assert (
        got[("Reviews done in the period", "on time")] == 1
        and sections["Reviews done in the period"].total == 2
    )
    # open at the end: A and D have a plan, C none
    assert got[("Cases open at the period's end", "safety plan in place")] == 2


def test_a_worker_and_a_team(session, small_store, cli):
    assert caseload(session, Q3, worker="cwa").cases == 3  # A, B, E
    got = _figures(caseload(session, Q3, worker="cwb"))  # C, D, F
    assert got[("Referrals in", "police")] == 1 and got[("Cases", "open at the end of the period")] == 2
    with pytest.raises(InvalidInput, match="no member of staff called 'nobody'"):
        caseload(session, Q3, worker="nobody")
    with pytest.raises(InvalidInput, match="no team 'north'"):
        caseload(session, Q3, team="north")


def test_caseworkers_cannot_run_reports(session, small_store, store):
    with pytest.raises(PermissionDenied):
        caseload(store.unlock("cwa", PASSPHRASE), Q3)


def test_the_cli_table_json_and_csv(small_store, cli):
    table = cli("report", "caseload", "--quarter", "2026Q3")
    assert table.exit_code == 0, table.stderr
    assert (
        "Caseload report, 2026Q3 (2026-07-01 to 2026-09-30), the whole service: 6 cases in scope."
        in table.stdout
    )
    assert "first contact within 48 hours      1 of 3 (33%)" in table.stdout
    assert re.search(r"\n  police +2  #{30}\n", table.stdout)  # the largest count: a full bar
    assert re.search(r"\n  self +1  #{15}\n", table.stdout)  # half of it: half the bar
    for text in (table.stdout,):
        assert "Testperson" not in text and small_store["a"] not in text  # no name, no reference

    out = cli("report", "caseload", "--quarter", "2026Q3", "--json")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["period"] == {"name": "2026Q3", "from": "2026-07-01", "to": "2026-09-30"}
    figures = {(f["section"].split(",")[0], f["item"]): f["count"] for f in data["figures"]}
    assert figures[("Referrals in", "police")] == "<5"  # 2: small, suppressed in what leaves
    assert figures[("Referrals in", "total")] == "<5"
    assert figures[("Referrals in", "marac")] == "0"  # zero is shown
    counted = {k: v for k, v in figures.items() if k[0] != "Counted"}
    assert all(v == "0" or v.startswith("<") for v in counted.values()), figures  # everything here is small
    assert figures[("Counted", "cases in scope")] == "6"

    out = cli("report", "caseload", "--quarter", "2026Q3", "--csv")
    assert out.exit_code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["count"] for r in rows if r["section"] != "Counted"} <= {"0", "<5", "<5*"}
    assert rows[0]["report"] == "caseload" and rows[0]["from"] == "2026-07-01"
    assert (rows[0]["item"], rows[0]["count"]) == ("cases in scope", "6")
    assert "Testperson" not in out.stdout and small_store["a"] not in out.stdout


def test_the_cli_refuses_a_bad_period_in_one_sentence(small_store, cli):
    out = cli("report", "caseload", "--quarter", "2026Q9")
    assert out.exit_code != 0 and out.stderr.count("\n") == 1 and "2026Q3" in out.stderr
    out = cli("report", "caseload", "--from", "2026-02-30")
    assert out.exit_code != 0 and "--from must be a date" in out.stderr


def test_the_marac_report_matches_a_count_by_hand(session, small_store):
    report = marac_report(session, Q3)
    got = _figures(report)
    made = "Marac referrals made in the period"
    # A on 9 July and 15 September, B on 16 August, D on 25 August (D's June one is before the quarter)
    assert got[(made, "referrals")] == 4 and got[(made, "cases referred")] == 3
    # A's second (within 12 months of its first) and D's (after 1 June)
    assert got[(made, "repeat referrals (within 12 months)")] == 2
    assert got[(made, "children in the household of the cases referred")] == 1  # A's one child
    # A and B consented to monitoring; D did not: left out of the equality counts, and said so
    assert report.left_out == 1 and "1 of the cases referred left out" in report.notes()[0]
    eq = "Equality"
    assert got[(eq, "Black, Asian and racially minoritised")] == 1  # A
    assert got[(eq, "LGBT+")] == 1  # A
    assert got[(eq, "disabled")] == 1  # A
    assert got[(eq, "male")] == 1  # B
    assert got[(eq, "aged 16-17")] == 1  # B: no band given, 17 at referral by the date of birth
    assert got[(eq, "a perpetrator under 18")] == 1  # A's
    assert next(s for s in report.sections if s.title.startswith(eq)).total == 2


def test_the_outcomes_report_matches_a_count_by_hand(session, small_store):
    report = outcomes(session, Q3)
    got = _figures(report)
    # closed in Q3: B only (F closed in June), and B consented
    assert report.left_out == 0
    assert got[("Risk level at intake", "standard")] == 1 and got[("Risk level at exit", "high")] == 1
    against = "Dash at exit against intake"
    assert (got[(against, "fewer ticks (yes answers)")], got[(against, "more ticks")]) == (0, 1)
    assert got[("Risk level at exit against intake", "lower")] == 0
    soag = "Soag: physical occurring"
    assert (got[(soag, "at the first grid")], got[(soag, "at the latest grid")]) == (1, 0)
    assert (got[(soag, "high severity, first")], got[(soag, "high severity, latest")]) == (1, 0)
    frightened = "Compared to intake: How frightened do you now feel?"
    assert got[(frightened, "improved")] == 1 and got[(frightened, "worse")] == 0
    assert got[("Compared to intake: How is your ability to cope?", "worse")] == 1
    assert got[("Compared to intake: How is your confidence and self-esteem?", "not asked")] == 1
    assert got[("Follow-up calls", "called")] == 1 and got[("Follow-up calls", "reached")] == 1


def test_no_consent_no_outcome(session, small_store):
    """The agreement's own answer: a client who said no is never counted, whatever else is on file."""
    _agree(session, small_store["b"], D(2026, 9, 19), False)  # the agreement in force now says no
    report = outcomes(session, Q3)
    assert report.left_out == 1 and _figures(report)[("Follow-up calls", "called")] == 0


def test_the_safe_accommodation_report_matches_a_count_by_hand(session, small_store):
    report = safe_accommodation(session, Q3)
    got = _figures(report)
    kinds = "People supported in safe accommodation in the period"
    # A (refuge), B (dispersed), D (refuge): each open in Q3; C and the rest are in none
    assert (got[(kinds, "refuge")], got[(kinds, "dispersed")], got[(kinds, "sanctuary-scheme")]) == (2, 1, 0)
    assert report.left_out == 1  # D: no consent to monitoring
    assert (got[("Gender", "woman")], got[("Gender", "man")]) == (1, 1)
    assert (got[("Age", "25-34")], got[("Age", "16-17")]) == (1, 1)
    assert (got[("Ethnic group", "black")], got[("Ethnic group", "white")]) == (1, 1)
    traits = "Characteristics"
    assert got[(traits, "disabled")] == 1 and got[(traits, "with children")] == 1
    assert got[(traits, "trans")] == 0 and got[(traits, "no recourse to public funds")] == 0
    assert got[("Support ended in the period", "client-request")] == 1  # B, closed 20 September
    assert got[("Support ended in the period", "private-rented-tenancy")] == 1


def test_a_report_sent_on_is_audited_and_a_table_is_not(small_store, cli, session):
    from dacli.store import audit as auditlog

    def exports() -> list[dict]:
        logs = sorted(session.store.audit_dir().glob("*.jsonl"))
        return [e for path in logs for e in auditlog.iter_entries(path) if e.get("action") == "report-export"]

    assert cli("report", "outcomes", "--quarter", "2026Q3").exit_code == 0
    assert exports() == []
    assert cli("report", "marac", "--quarter", "2026Q3", "--worker", "cwa", "--csv").exit_code == 0
    (entry,) = exports()
    assert entry["detail"] == {"report": "marac", "from": "2026-07-01", "to": "2026-09-30",
                               "scope": "worker cwa", "format": "csv"}  # fmt: skip
    out = cli("report", "caseload", "--csv")  # no cell of the CSV is empty-quoted or a formula
    cells = [c for row in csv.reader(io.StringIO(out.stdout)) for c in row]
    assert not [c for c in cells if c.startswith("'")] and not [c for c in cells if c[:1] in "=+-@" and c]


@pytest.mark.parametrize("given", [{"year": "0000"}, {"quarter": "0000Q1"}, {"quarter": "9999Q4"}])
def test_years_out_of_range_are_refused_in_one_sentence(given):
    with pytest.raises(InvalidInput, match="is not a year dacli reports on"):
        rules.period(D(2026, 11, 23), **given)


def test_an_agreement_that_cannot_be_read_counts_as_no(session, small_store):
    """The newest agreement may be the one that says no: damaged (or not arrived), it is not skipped for an
    older yes."""
    b = small_store["b"]
    _agree(session, b, D(2026, 9, 19), False)
    newest = max((session.store.root / b).glob("agreement-*.toml.age"))
    newest.write_bytes(newest.read_bytes()[:-20])
    report = outcomes(session, Q3)
    assert report.left_out == 1 and _figures(report)[("Follow-up calls", "called")] == 0


def test_the_route_added_when_the_intake_is_finished_is_counted(session, small_store):
    from dacli.services.intake import finish_intake

    c = small_store["c"]
    form = {"client": {"name": "Quorra Testperson-2026-09-28"}, "referral": {"date": D(2026, 9, 28),
            "referred_by": "housing", "route": "housing"}, "caseworker": "cwb"}  # fmt: skip
    finish_intake(session, c, parse_intake(form, D(2026, 9, 28)))
    got = _figures(caseload(session, Q3))
    assert (got[("Referrals in", "police")], got[("Referrals in", "housing")]) == (1, 1)


def test_a_case_closed_and_reopened_counts_in_each_quarter_as_it_was(session, small_store):
    b = small_store["b"]  # closed on 20 September (Q3)
    with _at(D(2026, 10, 10)):
        review.reopen(session, b, "New incident.")
    q3, q4 = (
        _figures(caseload(session, Q3)),
        _figures(caseload(session, rules.period(D(2026, 12, 31), quarter="2026Q4"))),
    )
    assert q3[("Cases", "closed in the period")] == 1 and q3[("Cases", "open at the end of the period")] == 3
    assert q4[("Cases", "opened (or reopened) in the period")] == 2  # E's referral and B's reopening
    assert q4[("Cases", "closed in the period")] == 0


def test_a_review_after_a_new_referral_is_due_from_that_referral(session, small_store):
    f = small_store["f"]  # referred 1 June, closed 30 June; referred again in Q3, reviewed 6 weeks later
    _case_again = {"client": {"name": "Quorra Testperson-2026-06-01"}, "referral": {"date": D(2026, 7, 20),
                   "referred_by": "self", "route": "self"}, "caseworker": "cwb"}  # fmt: skip
    with _at(D(2026, 7, 20), 9):
        intake(session, parse_intake(_case_again, D(2026, 7, 20)), repeat_of=f)
    _review(session, f, D(2026, 8, 31))  # due by 14 September (8 weeks from 20 July): on time
    got = _figures(caseload(session, Q3))
    assert got[("Reviews done in the period", "on time")] == 2  # A's and F's; D's is late


def test_a_figure_worked_out_from_another_section_is_hidden_with_it():
    """'Dash completed' is the risk-at-intake total less its 'no Dash': hidden when a level there is."""
    report = rules.Report("caseload", Q3, "the whole service", 5, 62)
    levels = rules.Section("Risk at intake", [("high", 2), ("standard", 30), ("no Dash", 30)], total=62)
    dashed = rules.Section(
        "Cases referred", [("Dash completed", 32)], 62, rate=True, hide_with="Risk at intake"
    )
    report.sections += [levels, dashed]
    cells = {(r["section"], r["item"]): r["count"] for r in rules.export_rows(report)}
    assert cells[("Risk at intake", "high")] == "<5"
    assert sorted([cells[("Risk at intake", "standard")], cells[("Risk at intake", "no Dash")]]) == [
        "30",
        "<5*",
    ]
    assert cells[("Cases referred", "Dash completed")] == "<5*"
    report.sections[0] = rules.Section(
        "Risk at intake", [("high", 12), ("standard", 20), ("no Dash", 30)], 62
    )
    cells = {(r["section"], r["item"]): r["count"] for r in rules.export_rows(report)}
    assert cells[("Cases referred", "Dash completed")] == "32"  # nothing hidden there: shown
