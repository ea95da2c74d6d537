"""`dacli case show`: plan, consents, ledger, Marac and court dates together on one screen of text."""

from __future__ import annotations

import datetime as dt

from dacli import clock
from tests import test_consent, test_court, test_issp, test_marac, test_sharing


def test_one_screen_holds_plan_consent_ledger_marac_and_court(session, case_ref, cli):
    from dacli.services import issp
    from dacli.services.consent import parse_agreement, record_agreement
    from dacli.services.court import parse_hearing, record_hearing
    from dacli.services.marac import parse_marac, refer
    from dacli.services.notes import add_note, parse_note
    from dacli.services.sharing import parse_share, share_without_consent

    today = clock.today()
    now = clock.now()
    record_agreement(session, case_ref, parse_agreement(test_consent.FORM, today))
    share_without_consent(session, case_ref, parse_share(test_sharing.FORM, now))
    refer(session, case_ref, parse_marac({**test_marac.FORM, "referred_on": today}, today), [], None)
    hearing = {**test_court.CIVIL, "hearing_date": today, "next_court_date": today + dt.timedelta(days=20)}
    hearing["orders"] = [{**hearing["orders"][0], "expiry_date": today + dt.timedelta(days=300)}]
    record_hearing(session, case_ref, parse_hearing(hearing, today))
    plan = test_issp._plan(created_on=today)
    plan["actions"][0]["by"] = today - dt.timedelta(days=3)
    issp.record(session, case_ref, issp.parse_issp(plan, today), today)
    note = {"initials": "QT", "contact_type": "telephone", "contact_with": "client", "facts": "Check-in."}
    for hour in range(12):  # a long timeline is cut to the latest entries
        add_note(session, case_ref, parse_note({**note, "at": now - dt.timedelta(hours=hour + 1)}, now))

    shown = cli("case", "show", case_ref)
    assert shown.exit_code == 0, shown.stderr
    text = shown.stdout
    assert "consent: agreement in-writing" in text and "Police yes" in text
    assert "safety plan: version 1" in text and "ACTION 1 OVERDUE" in text
    assert "marac: referred" in text
    assert "disclosures:" in text and "Police public protection unit (no consent" in text
    assert "court: " in text and f"next {today + dt.timedelta(days=20)}" in text
    assert "earlier with --all" in text
    assert len(text.splitlines()) <= 40, text
    assert max(len(line) for line in text.splitlines()) <= 110
    assert len(cli("case", "show", case_ref, "--all").stdout.splitlines()) > len(text.splitlines())
