"""One clock (dacli/clock.py): the only reader of the time; local time in, UTC inside, local time out."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from dacli import clock
from dacli.rules.deadlines import DeadlineState, issp_action, referral_moment

UTC = dt.UTC
ROOT = Path(__file__).resolve().parent.parent


def test_only_the_clock_module_reads_the_time():
    """Nothing in dacli but clock.py reads the time of day, and no test does either
    (a test that did would pass only on the day it was written). The agent's and dashboard's idle timers
    count elapsed seconds on monotonic clocks, which is not a time of day."""
    pattern = re.compile(
        r"date\.today\(|datetime\.now\(|datetime\.utcnow\(|datetime\.today\(|time\.time\(|time\.localtime\("
        r"|time\.gmtime\(|time\.strftime\(|\.astimezone\(\)"
    )
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("dacli", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name not in ("clock.py", "test_clock.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_a_time_typed_in_summer_is_british_summer_time():
    typed = dt.datetime(2026, 7, 14, 14, 30)
    assert clock.to_utc(typed) == dt.datetime(2026, 7, 14, 13, 30, tzinfo=UTC)
    assert clock.to_utc(dt.datetime(2026, 1, 14, 14, 30)) == dt.datetime(2026, 1, 14, 14, 30, tzinfo=UTC)
    assert clock.show(dt.datetime(2026, 7, 14, 13, 30, tzinfo=UTC)) == "2026-07-14 14:30"
    # a referral typed as received at 09:00 on a summer day starts the 48 hours at 08:00 UTC
    assert referral_moment(dt.date(2026, 7, 1), dt.time(9, 0)) == dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_today_is_the_local_date():
    """At 00:30 on 15 July in London it is still 14 July in UTC: dacli's 'today' is the 15th, so an action
    due by the 14th is overdue."""
    with clock.pinned(dt.datetime(2026, 7, 14, 23, 30, tzinfo=UTC)):
        assert clock.today() == dt.date(2026, 7, 15)
        assert issp_action(dt.date(2026, 7, 14), clock.today()).state == DeadlineState.overdue
        # the action's due day starts at local midnight, 23:00 UTC the day before
        assert issp_action(dt.date(2026, 7, 14), clock.today()).due_at == dt.datetime(
            2026, 7, 13, 23, 0, tzinfo=UTC
        )


def test_another_zone_is_a_store_setting(cli, case_ref):
    assert cli("settings", "set", "timezone", "America/New_York").exit_code == 0
    added = cli("note", "add", case_ref, "--at", "2026-11-03T10:00", "--type", "telephone",
                "--with", "client", "--text", "Called back.")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    notes = json.loads(cli("note", "list", case_ref, "--json").stdout)
    assert notes[-1]["at"].startswith("2026-11-03T15:00")  # 10:00 in New York is 15:00 UTC
    assert "2026-11-03 10:00" in cli("note", "list", case_ref).stdout
    bad = cli("settings", "set", "timezone", "Mars/Olympus")
    assert bad.exit_code == 2 and "time zone" in bad.stderr


def test_cli_reads_and_shows_local_time_without_a_zone_suffix(run_dacli, case_ref):
    """Through a real process: `--at 14:30` in July is 14:30 BST, kept as 13:30 UTC, shown as 14:30."""
    july = {"DACLI_NOW": "2026-07-20T12:00:00+00:00"}
    added = run_dacli("note", "add", case_ref, "--at", "2026-07-14T14:30", "--type", "telephone", "--with",
                      "client", "--text", "Safe to talk.", extra_env=july)  # fmt: skip
    assert added.returncode == 0, added.stderr
    stored = json.loads(run_dacli("note", "list", case_ref, "--json", extra_env=july).stdout)
    assert stored[-1]["at"].startswith("2026-07-14T13:30")
    listed = run_dacli("note", "list", case_ref, extra_env=july).stdout
    assert "2026-07-14 14:30" in listed
    shown = run_dacli("case", "show", case_ref, extra_env=july).stdout
    assert "2026-07-14 14:30" in shown and "UTC" not in shown


def test_a_pinned_clock_that_cannot_be_read_is_one_sentence(run_dacli, case_ref):
    bad = run_dacli("case", "list", extra_env={"DACLI_NOW": "yesterday"})
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "DACLI_NOW" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "typed",
    ["0001-01-01T00:10+23:59", "9999-12-31T23:59-23:59", "0001-01-01T00:00+00:00", "1899-12-31T23:00"],
)
def test_a_time_out_of_range_is_refused_in_one_sentence(cli, case_ref, typed):
    bad = cli(
        "note", "add", case_ref, "--at", typed, "--type", "telephone", "--with", "client", "--text", "x"
    )
    assert bad.exit_code == 2, bad.stdout
    assert bad.stderr.count("\n") == 1
    assert "at is not a time dacli can record" in bad.stderr or "at is before 1900" in bad.stderr
    assert cli("note", "list", case_ref).exit_code == 0  # nothing written that locks the case


def test_the_sweep_never_destroys_by_a_clock_set_ahead(store):
    from dacli.errors import InvalidInput
    from dacli.services.sweep import apply

    assert not clock.ahead_of_computer()  # the suite's pin is in the past
    with clock.pinned(clock.computer_now() + dt.timedelta(days=400)):
        assert clock.ahead_of_computer()
        with pytest.raises(InvalidInput, match="ahead"):
            apply(store, None, clock.today(), "destroy", "test sweep")


def test_an_audit_entry_written_under_dacli_now_says_so_with_the_computers_time(run_dacli, case_ref):
    """DACLI_NOW can date a note in the past; it cannot do so unseen."""
    back = {"DACLI_NOW": "2020-01-01T09:00"}
    added = run_dacli("note", "add", case_ref, "--type", "telephone", "--with", "client", "--text", "x",
                      extra_env=back)  # fmt: skip
    assert added.returncode == 0, added.stderr
    entries = json.loads(run_dacli("audit", "show", "--case", case_ref, "--json").stdout)
    [note] = [e for e in entries if e["action"] == "note-add" or (e.get("record") or "").startswith("note-")][
        :1
    ]
    assert note["at"].startswith("2020-01-01")
    assert "set by DACLI_NOW" in note["detail"]["clock"]
    assert str(clock.computer_now().year) in note["detail"]["clock"]
