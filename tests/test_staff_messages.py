"""What `user remove` and `rekey` say: a removal is a decision and needs its reason; a re-key counts the key
rings it changed, and says so when none needed it (never a count of rings it did not touch)."""

from __future__ import annotations

from dacli.services.admin import add_user
from dacli.store.store import Store


def test_a_removal_without_a_reason_is_refused_off_a_terminal(session, cli):
    add_user(session, "cw.leaves", "caseworker", "a long synthetic passphrase")
    result = cli("user", "remove", "cw.leaves", input="")
    assert result.exit_code == 2 and "--reason is needed" in result.stderr
    assert Store(session.store.root).staff().by_username("cw.leaves") is not None  # still current


def test_rekey_says_how_many_rings_it_changed_and_when_none(session, case_ref, cli):
    add_user(session, "cw.stays", "caseworker", "a long synthetic passphrase")
    removed = cli("user", "remove", "cw.stays", "--reason", "left the service (test)")
    assert removed.exit_code == 0 and "key rings:" in removed.stdout
    again = cli("rekey")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == "Every key ring already holds the current staff: no key ring was changed."
