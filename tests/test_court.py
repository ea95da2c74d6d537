"""Court records: one summary per hearing; orders expiring within 28 days show in the caseload."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli.errors import InvalidInput
from dacli.rules.deadlines import expiring_orders
from dacli.services.case_view import show_case
from dacli.services.caseload import caseload
from dacli.services.court import parse_hearing, record_hearing

TODAY = dt.date(2026, 11, 23)
CIVIL = {
    "kind": "civil",
    "hearing_date": dt.date(2026, 11, 10),
    "court": "Example Family Court",
    "type_of_hearing": "full hearing",
    "victim_informed": True,
    "orders": [{"type": "non-molestation", "length": "12 months", "expiry_date": dt.date(2026, 12, 10),
                "conditions": ["no contact", "exclusion zone"]}],
    "next_court_date": dt.date(2026, 12, 1),
}  # fmt: skip
CRIMINAL = {
    "kind": "criminal",
    "hearing_date": dt.date(2026, 11, 12),
    "court": "Example Magistrates",
    "type_of_hearing": "first appearance",
    "victim_informed": False,
    "charges": [{"charge": "assault by beating", "plea": "not guilty"}],
    "bail_conditions": "No contact with the victim.",
    "special_measures": [{"application_for": "screens", "date_applied": dt.date(2026, 11, 12)}],
}


@pytest.mark.parametrize("days, listed", [(-1, False), (0, True), (28, True), (29, False)])
def test_orders_expiring_within_28_days(days, listed):
    expiry = TODAY + dt.timedelta(days=days)
    assert (expiry in expiring_orders([expiry], TODAY)) is listed


@pytest.mark.parametrize(
    "change, word",
    [({"kind": "family"}, "kind"), ({"court": ""}, "court"),
     ({"hearing_date": dt.date(2027, 1, 1)}, "future"),
     ({"next_court_date": dt.date(2026, 11, 1)}, "next_court_date"),
     ({"orders": [{"type": "restraining"}]}, r"orders\[1\]\.type"),
     ({"orders": [{"type": "occupation", "expiry_date": dt.date(2026, 1, 1)}]}, "expiry_date")],
)  # fmt: skip
def test_bad_hearings_are_refused(change, word):
    with pytest.raises(InvalidInput, match=word):
        parse_hearing({**CIVIL, **change}, TODAY)


def test_hearings_in_order_and_orders_in_the_caseload(session, case_ref):
    record_hearing(session, case_ref, parse_hearing(CRIMINAL, TODAY))
    record_hearing(session, case_ref, parse_hearing(CIVIL, TODAY))
    view = show_case(session, case_ref)
    assert [h.kind for _, h in view.hearings] == ["civil", "criminal"]  # by hearing date
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    (row,) = caseload(session, now=now)
    names = [d.name for d in row.deadlines]
    assert "order expires" in names and "court date" in names
    (row,) = caseload(session, now=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    assert "order expires" not in [d.name for d in row.deadlines]  # 35 days away: not yet a trigger


def test_cli_court(cli, case_ref):
    assert 'kind = "civil"' in cli("court", "record", case_ref, "--template", "civil").stdout
    import tomli_w

    made = cli("court", "record", case_ref, "--from", "-", input=tomli_w.dumps(CRIMINAL))
    assert made.exit_code == 0, made.stderr
    listed = cli("court", "list", case_ref).stdout
    assert "assault by beating" in listed and "VICTIM NOT INFORMED" in listed
    data = json.loads(cli("court", "list", case_ref, "--json").stdout)
    assert data[0]["charges"][0]["plea"] == "not guilty"


def test_court_summary_export_withholds_safe_values(session):
    from dacli.services.admin import audit_entries
    from dacli.services.court import summary
    from dacli.services.intake import intake, parse_intake

    address = "9 Fictional Testcase Mews"
    form = {"client": {"name": "Ione Testcase", "address": address}, "referral": {"date": TODAY}}
    case_ref = intake(session, parse_intake(form, TODAY)).case
    told = {**CRIMINAL, "bail_conditions": f"Not to enter the street of {address}."}
    record_hearing(session, case_ref, parse_hearing(told, TODAY))
    record_hearing(session, case_ref, parse_hearing(CIVIL, TODAY))
    text = summary(session, case_ref, [], None)
    assert "## Criminal Case Summary: 2026-11-12" in text and "## Civil Case Summary: 2026-11-10" in text
    assert "assault by beating" in text and "non-molestation" in text and "expires 2026-12-10" in text
    assert address not in text and "[withheld: safe field]" in text
    released = summary(session, case_ref, ["client.address"], "Court asked for the exclusion zone")
    assert address in released
    actions = [e["action"] for e in audit_entries(session)]
    assert actions.count("export") == 2 and "safe-field-release" in actions
    with pytest.raises(InvalidInput, match="reason"):
        summary(session, case_ref, ["client.address"], None)
