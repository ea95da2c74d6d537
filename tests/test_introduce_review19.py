"""Nineteenth security review of "a computer introduced by another" (issue 14, H1), written at c1d7c18.
Each test asserts the correct behaviour; C1 failed at c1d7c18 and passes since the times an introduction
hands on are bounded (`introduce._first_read_times`). The earlier reviews' attacks are in
`test_introduce_review.py` to `_review18.py` and `test_missing_when_read.py`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce
from dacli.store import signing
from dacli.store.introduce import _context
from dacli.store.staffformat import StaffEvent
from tests import test_keys_that_merge
from tests.conftest import MANAGER
from tests.test_introduce_review3 import _joined
from tests.test_introduce_review14 import _at, _state
from tests.test_keys_that_merge import PW, _forge, _unlock, office
from tests.test_leavers_keys import DAY, _who

two = test_keys_that_merge.two

FAR = "2099-01-01T00:00:00+00:00"


def _resigned(raw: bytes, session, change) -> bytes:
    """``raw`` (an introduction) with its body changed by ``change(data)``, signed again by ``session``'s
    person (current, not in doubt: a colleague who edits the file, or whose computer's clock ran far ahead
    when it first read the store)."""
    body, _author, _sig = signing.split(raw, "x")
    data = json.loads(body)
    change(data)
    text = json.dumps(data, indent=1, sort_keys=True).encode()
    return session.signer.seal(_context(session.store.settings.store_id), text)


def _far_future_times(data) -> None:
    data["memory"]["seen_at"] = dict.fromkeys(data["memory"]["changes"], FAR)


@pytest.mark.parametrize("forged", [True, False], ids=["seen-at-in-2099", "control-honest-times"])
def test_C1_times_in_an_introduction_arm_a_false_alarm_a_leaver_fires_later(
    forged, two, tmp_path, monkeypatch
):
    """C1: an introduction's `seen_at` is taken as given: any time, even years ahead of the introduction's
    own `at` and of the join (and, for a change it does not name, over the join's own time). The fresh
    computer takes one whose times all say 2099 with no difference named (nothing calls any change
    back-dated yet, so the given fold has nothing `held`). Later mgr.two honestly removes mgr.three, and
    days after that the leaver mgr.three plants the known mirror reply (a removal of mgr.two dated within the
    grace after their own, sealing nothing: it stands on the shared files alone, and calls mgr.two's old
    addition of cw.cal back-dated). Every computer that read cw.cal's addition when it was made is silent
    (the reply is dated long after it was first read); the introduced computer 'first read' it in 2099, so
    `_missing_when_read` flags it: it warns that it may have been fooled and vouches no more, though it read
    exactly what the founder's computer read. The times an introduction hands on should be bounded (no
    later than its own `at`, for changes it names only) or the join's own time used."""
    a, _ = two
    with _at(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _at(6):
        add_user(_unlock(a, "mgr.two"), "cw.cal", "caseworker", PW)  # mgr.two's own, old change
    with _at(10):
        three = _unlock(a, "mgr.three")
        founder = _unlock(a, MANAGER)
        made = introduce(founder)
        if forged:
            made = _resigned(made, founder, _far_future_times)
    with office(tmp_path, "fresh", monkeypatch), _at(20):
        joined = _joined(a, made, user="cw.bex")
        assert not isinstance(joined, DacliError), joined.message
        assert joined.differences == [], joined.differences  # taken with nothing named
    with _at(DAY):
        two_id = _unlock(a, "mgr.two").member.id
        remove_user(_unlock(a, "mgr.two"), "mgr.three", "left the service (test)")
    with office(tmp_path, "fresh", monkeypatch), _at(DAY + 5):
        assert "mgr.three" not in _who(a, "cw.bex")
    with _at(DAY + 5):
        assert "mgr.three" not in _who(a, MANAGER)
    with _at(4 * DAY):
        when = clock.now() - dt.timedelta(minutes=4 * DAY - DAY - 23 * 60)  # DAY + 23 h: within the grace
        _forge(three, StaffEvent(kind="remove", at=when, author=three.member.id, staff=two_id, seal=[]))
    with _at(4 * DAY + 10):
        founder_reads = _who(a, MANAGER)
        assert _state(a) == (None, True)  # the founder's computer: silent, vouching
    with office(tmp_path, "fresh", monkeypatch), _at(4 * DAY + 20):
        assert _who(a, "cw.bex") == founder_reads
        assert _state(a) == (None, True)
