"""The confidentiality and information sharing agreement: four statements, monitoring apart, agencies."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dacli.errors import InvalidInput
from dacli.schemas.consent import STATEMENTS
from dacli.services.consent import agreements, may_share_with, parse_agreement, record_agreement

TODAY = dt.date(2026, 11, 23)
FORM = {
    "how": "in-writing",
    "explained": True,
    "monitoring": False,
    "confidential_unless_permission": True,
    "high_risk_exception": True,
    "client_signed_on": dt.date(2026, 11, 3),
    "caseworker_signed_on": dt.date(2026, 11, 3),
    "agencies": [
        {
            "agency": "Police",
            "permission": True,
            "date": dt.date(2026, 11, 3),
            "review_date": dt.date(2027, 1, 3),
        },
        {"agency": "Housing", "permission": False, "date": dt.date(2026, 11, 3)},
    ],
}


def test_the_four_statements_word_for_word():
    assert len(STATEMENTS) == 4
    assert (
        STATEMENTS["explained"] == "The confidentiality and information agreement has been explained to me."
    )


@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_each_statement_must_be_answered(statement):
    data = {k: v for k, v in FORM.items() if k != statement}
    with pytest.raises(InvalidInput, match=statement):
        parse_agreement(data, TODAY)


@pytest.mark.parametrize(
    "change, word",
    [({"how": "email"}, "how"), ({"client_signed_on": None}, "client_signed_on"),
     ({"caseworker_signed_on": dt.date(2027, 1, 1)}, "future"),
     ({"agencies": [{"agency": "Police", "permission": True, "date": dt.date(2026, 11, 3),
                     "review_date": dt.date(2026, 11, 1)}]}, "review_date")],
)  # fmt: skip
def test_bad_agreements_are_refused(change, word):
    with pytest.raises(InvalidInput, match=word):
        parse_agreement({**FORM, **change}, TODAY)


def test_telephone_agreement_needs_no_client_signature():
    form = parse_agreement({**FORM, "how": "telephone", "client_signed_on": None}, TODAY)
    assert form.how == "telephone"


def test_record_latest_in_force_and_agency_permissions(session, case_ref):
    record_agreement(session, case_ref, parse_agreement(FORM, TODAY))
    (name, agreement) = agreements(session, case_ref)[-1]
    assert agreement.monitoring is False  # monitoring consent is its own answer
    assert may_share_with(agreement, "police", TODAY) is True
    assert may_share_with(agreement, "Housing", TODAY) is False
    assert may_share_with(agreement, "GP", TODAY) is None  # not named: ask
    assert may_share_with(agreement, "Police", dt.date(2027, 1, 4)) is None  # past its review date
    # from the day the client gave it: a share dated the day before is not consented, that day is
    given = next(p.date for p in agreement.agencies if p.agency == "Police")
    assert may_share_with(agreement, "Police", given - dt.timedelta(days=1)) is None
    assert may_share_with(agreement, "Police", given) is True


def _filled(template: str) -> str:
    """The template as a person fills it in: every statement yes, signed, Police permitted."""
    filled = re.sub(r"^# ([a-z_]+ =) +# true or false.*$", r"\1 true", template, flags=re.M)
    filled = (
        filled.replace('how = ""', 'how = "in-writing"')
        .replace("# client_signed_on = YYYY-MM-DD", "client_signed_on = 2026-11-03")
        .replace("# caseworker_signed_on = YYYY-MM-DD", "caseworker_signed_on = 2026-11-03")
        .replace("# [[agencies]]", "[[agencies]]")
        .replace('# agency = ""', 'agency = "Police"')
        .replace("# date = YYYY-MM-DD", "date = 2026-11-03")
        .replace("# review_date = YYYY-MM-DD", "review_date = 2027-01-03")
    )
    return filled


def test_cli_consent(cli, case_ref, tmp_path):
    template = cli("consent", "record", case_ref, "--template").stdout
    assert all(text in template for text in STATEMENTS.values())
    assert not re.search(r"^[a-z_]+ = (true|false|[0-9])", template, re.M)  # nothing answered for you
    filled = _filled(template)
    made = cli("consent", "record", case_ref, "--from", "-", input=filled)
    assert made.exit_code == 0, made.stderr
    shown = cli("consent", "show", case_ref).stdout
    assert "Police: permission yes" in shown
    assert cli("consent", "record", case_ref, "--from", "-", input='how = "in-writing"').exit_code == 2


def test_consented_shares_need_the_agreement_and_join_the_ledger(session, case_ref):
    from dacli.services.case_view import show_case
    from dacli.services.consent import parse_disclosure, share_with_consent

    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    share = {"agency": "Police", "sent_to": "PC Testcase", "information_shared": "Bail conditions",
             "shared_at": dt.datetime(2026, 11, 20, 9)}  # fmt: skip
    with pytest.raises(InvalidInput, match="not on file"):
        share_with_consent(session, case_ref, parse_disclosure(share, now))
    record_agreement(session, case_ref, parse_agreement(FORM, TODAY))
    with pytest.raises(InvalidInput, match="refused"):
        share_with_consent(session, case_ref, parse_disclosure({**share, "agency": "Housing"}, now))
    share_with_consent(session, case_ref, parse_disclosure(share, now))
    (entry,) = show_case(session, case_ref).ledger()
    assert entry["consent"] is True and entry["to"] == "PC Testcase" and entry["what"] == "Bail conditions"


def test_cli_share(cli, session, case_ref):
    assert cli("share", case_ref, "--agency", "Police", "--what", "x").exit_code == 2
    record_agreement(session, case_ref, parse_agreement(FORM, TODAY))
    # no permission: refused before what was shared is asked for (it was asked, then thrown away)
    asked = cli("share", case_ref, "--agency", "Housing", input="Dates of the incidents.\n")
    assert asked.exit_code == 2 and "refused" in asked.stderr and "What was shared" not in asked.stderr
    # what was shared can stay out of shell history: read from standard input
    made = cli("share", case_ref, "--agency", "Police", "--what", "-", "--at", "2026-11-20T09:00",
               input="Bail conditions, and the dates of the incidents.\n")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    from dacli.services.case_view import show_case

    (entry,) = show_case(session, case_ref).ledger()
    assert entry["what"] == "Bail conditions, and the dates of the incidents."


def test_case_show_lists_consents(cli, case_ref):
    assert "NO AGREEMENT ON FILE" in cli("case", "show", case_ref).stdout
    template = cli("consent", "record", case_ref, "--template").stdout
    filled = _filled(template)
    assert cli("consent", "record", case_ref, "--from", "-", input=filled).exit_code == 0
    shown = cli("case", "show", case_ref).stdout
    assert "consent: agreement in-writing 2026-11-03; monitoring yes; agencies: Police yes" in shown
