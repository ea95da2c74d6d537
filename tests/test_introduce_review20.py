"""Twentieth security review (rev25t) of "a computer introduced by another" (issue 14, H1), at cecfb04.
Each test asserts the correct behaviour. Within the 30-minute box no new failing attack was established;
these pin what held for the times an introduction hands on (`introduce._first_read_times`)."""

from __future__ import annotations

from datetime import datetime

from dacli.errors import DacliError
from dacli.services.admin import add_user
from dacli.services.sync import introduce
from dacli.store import seen
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review14 import _at
from tests.test_introduce_review19 import _resigned
from tests.test_keys_that_merge import PW, _unlock, office

two = test_keys_that_merge.two

EARLY = "1970-01-01T00:00:00+00:00"


def _times_before_and_beyond(data) -> None:
    """Every named change 'first read' in 1970 (before it was made), plus a time for a file it does not
    name, plus a zone-less time."""
    names = sorted(data["memory"]["changes"])
    data["memory"]["seen_at"] = dict.fromkeys(names, EARLY)
    data["memory"]["seen_at"]["20990101T000000Z-not-named.toml"] = EARLY
    data["memory"]["seen_at"][names[0]] = "2026-11-23T12:00:00"  # no zone


def test_T1_times_handed_on_are_bounded_by_each_changes_date_and_kept_only_for_named_changes(
    two, tmp_path, monkeypatch
):
    a, _ = two
    with _at(5):
        add_user(_unlock(a, MANAGER), "cw.cal", "caseworker", PW)
    with _at(10):
        founder = _unlock(a, MANAGER)
        made = _resigned(introduce(founder), founder, _times_before_and_beyond)
    with office(tmp_path, "fresh", monkeypatch), _at(20):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        kept = seen.remembered(Store(a).settings.store_id)
        times = kept["seen_at"]
        assert "20990101T000000Z-not-named.toml" not in times
        for name, when in times.items():
            assert datetime.fromisoformat(when).tzinfo is not None
            assert datetime.fromisoformat(when).year >= 2026, (name, when)  # never before the change
        assert seen.vouches(kept)
