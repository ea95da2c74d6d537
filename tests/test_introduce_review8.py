"""Eighth independent security review of "a computer introduced by another" (`dacli sync introduce` /
`sync join`, issue 14, H1), written at d554562. Each test asserts the correct behaviour; the ones named
P... failed at d554562. The earlier reviews' attacks are in `test_introduce_review.py` (F1-F7) to
`_review7.py` (N1-N3); these do not repeat them.

P1: `seen.check` now takes the memories' lock before writing; `_locked` makes the folder outside the
`try` that turns a home folder that cannot be written into a lost memory: an unlock crashes (exit 70, a
traceback) where it used to carry on. P2: a session opened before `sync join` keeps the fooled reading it
folded (the session's staff mark is the store's files only, not the memory): the dashboard goes on
believing a forged removal the join undid. P3: a leaver's crony, added in a change dated within the grace
before the leaver's removal (believed everywhere, listed for a manager to check), signs an introduction of
the files-alone memory: taken with no difference named, and the new computer's warning is gone."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from dacli import clock
from dacli.errors import DacliError
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce, memory_warning, prepare_join, staff_memory, take_join
from dacli.store import seen
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER, PASSPHRASE
from tests.test_introduce_review import _intro
from tests.test_introduce_review3 import _files_alone_memory, _joined
from tests.test_keys_that_merge import PW, _later, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who
from tests.test_leavers_keys_review6 import _remove

two = test_keys_that_merge.two


def _at(minutes: int):
    """The clock pinned ``minutes`` after the test's start (not nested: each call from the same base)."""
    return _later(minutes)


def _prepare(root, raw: bytes, user: str = "sen.ada"):
    store = Store(root)
    return prepare_join(store, *store.credentials(user, PASSPHRASE if user == MANAGER else PW), raw)


# -- P1: a home folder that cannot hold the memory stops every unlock ------------------------------------


def test_a_home_folder_that_cannot_hold_the_memory_does_not_stop_an_unlock(cli, store, case_ref):
    """`seen.check`'s docstring (and the design since the memory existed): "A home folder that cannot be
    written only loses the memory, never blocks work." Since the seventh review every write of the memory
    goes through `seen._locked`, which calls `path.parent.mkdir(...)` before `folder_lock`, and `check`
    only catches DacliError around it: an OSError from the mkdir (the data folder's `dacli/seen` is a
    file, a read-only or full home folder, a path through a file) escapes `watched_fold`, and `dacli case
    list` ends on a traceback (exit 70) instead of working without the memory. (Before, `_write` caught
    OSError.) Root in this container cannot be refused a chmod, so the folder is made impossible by a
    file where it should be. Severity: medium (a lock-out of honest users on a computer whose home folder
    cannot be written: every command that unlocks; no security loss). Correct: `_locked`'s mkdir and the
    lock's OSError are a lost memory in `check` (a StoreError in `adopt`), as `_write`'s were."""
    folder = Path(os.environ["XDG_DATA_HOME"]) / "dacli" / "seen"
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    folder.write_bytes(b"not a folder")  # `dacli/seen` cannot be made
    result = cli("case", "list")
    assert result.exit_code == 0, (result.exit_code, result.stderr[-400:])


# -- P2: a session opened before a join keeps the fooled reading -----------------------------------------


def _fooled(a, tmp_path, monkeypatch):
    """Review 4's J3 computer ("here"): first look after the founder removed mgr.two; then fooled by
    mgr.two's removal of mgr.three dated an hour before their own removal (within the grace). The old
    computer (first look before anyone left) refuses it. Returns mgr.three's id."""
    with _at(5):
        three = add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)[0].id
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 30):
        _who(a, "sen.ada")
    with office(tmp_path, "here", monkeypatch), _at(DAY + 60):
        _who(a, "sen.ada")
    with _at(DAY + 120):
        _remove(leaver, three, clock.now() - dt.timedelta(hours=3))
    with office(tmp_path, "here", monkeypatch), _at(DAY + 180):
        assert "mgr.three" not in _who(a, "sen.ada")
    return three


def test_a_session_open_during_a_join_reads_the_staff_list_again_with_the_memory_taken(
    two, tmp_path, monkeypatch
):
    """The fooled computer's dashboard (a long-lived Session) is open when the person runs `sync join` on
    the old computer's honest introduction (the difference named, taken). The session's `_checked_staff`
    folds again only when `staff_mark` (the store's staff files) changes; a join changes the memory, not
    the files, so the open session keeps the reading made with the replaced memory: mgr.three stays
    removed there (records mgr.three signs are refused as by a removed manager, mgr.three's caseload
    hidden), and `staff_memory` on the same computer meanwhile says it "was introduced". The N2 fix
    (`MemoryReplaced`) covers a fold in flight, not one already cached. Severity: low (a stale view until
    the next staff change or restart; nothing written from it). Correct: the session's mark includes the
    memory's `introduced_mark` (or the join is told to the session), so the next look folds again."""
    a, _ = two
    _fooled(a, tmp_path, monkeypatch)
    with office(tmp_path, "old", monkeypatch), _at(DAY * 3):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 10):
        dashboard = _unlock(a, "sen.ada")
        assert not any(m.username == "mgr.three" for m in dashboard.staff().active())
        joining = _prepare(a, made)
        assert any("mgr.three" in d for d in joining.differences), joining.differences
        take_join(joining)
        fresh = sorted(m.username for m in _unlock(a, "cw.bex").staff().active())
        assert "mgr.three" in fresh, fresh  # a new unlock reads with the memory taken
        still = sorted(m.username for m in dashboard.staff().active())
    assert still == fresh, still


# -- P3: a leaver's crony in the grace window introduces a new computer, nothing named ----------------------


def test_a_leavers_crony_added_within_the_grace_cannot_introduce_unnamed(two, tmp_path, monkeypatch):
    """The founder removes mgr.two at DAY. Two hours later mgr.two, with the key they kept, signs an
    addition of "sen-ada" (a manager with keys mgr.two holds) dated an hour BEFORE their removal: within
    the grace, so every reading believes it and lists it for a manager to check (`staff_doubts`); the old
    computer believes it too (it arrived within the grace of its date). A new computer's first look comes
    after: it warns. The leaver signs, as sen-ada, an introduction of the files-alone memory. `sync join`
    says "An introduction signed by sen-ada (manager)", names NO difference (the list it gives is the
    files-alone one, the signer current on every reading, same key), takes it, and the computer "was
    introduced to the store by sen-ada": its warning is gone and it now vouches (its introductions are
    taken elsewhere), though it is exactly as fooled as the files alone. N1's fix checks the signer's key,
    not whether the signer is a change a manager is asked to check. Severity: medium (a leaver alone, in
    the grace window after their removal; the crony's username chosen to pass for a colleague's; the doubt
    is listed by `sync status`). Correct: refused, or named among the differences: a signer whose addition
    is listed for a manager to check (made by someone removed since, sealed by no removal of them)."""
    a, _ = two
    with _at(10):
        leaver = _unlock(a, "mgr.two")
    with office(tmp_path, "old", monkeypatch), _at(15):
        _who(a, "sen.ada")
    with _at(DAY):
        remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _at(DAY + 120):
        crony = _crony(leaver, clock.now() - dt.timedelta(hours=3), username="sen-ada")
    with office(tmp_path, "old", monkeypatch), _at(DAY + 150):
        assert "sen-ada" in _who(a, "sen.ada")  # believed everywhere (a doubt for a manager)
        assert any("sen-ada" in d for d in _unlock(a, MANAGER).staff_doubts())
    with office(tmp_path, "leaver", monkeypatch), _at(DAY + 160):
        memory = _files_alone_memory(a)
        made = _intro(a, crony.id, leaver.signer.seed, memory, "sen-ada")
    with office(tmp_path, "new", monkeypatch), _at(DAY + 170):
        _who(a, "cw.bex")
        assert memory_warning(Store(a)) is not None
        joined = _joined(a, made, user="cw.bex")
        said = staff_memory(Store(a))
    assert isinstance(joined, DacliError) or any("sen-ada" in d for d in joined.differences), (
        joined.username,
        joined.differences,
        said,
    )


# -- what held ---------------------------------------------------------------------------------------------


def test_held_a_dead_writers_lock_and_temp_file_stop_no_one_and_the_rewrite_keeps_introduced(
    two, tmp_path, monkeypatch
):
    """Held: a `.lock` and a `.tmp-` file left in the memories' folder by a writer that died (flock: the
    kernel released it) stop no unlock and the temp file is cleared; after an honest join, a read that
    rewrites the memory (a staff change arrived) keeps `introduced` and adds no `first_look`."""
    a, _ = two
    _fooled(a, tmp_path, monkeypatch)
    with office(tmp_path, "old", monkeypatch), _at(DAY * 3):
        made = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 10):
        sid = Store(a).settings.store_id
        folder = seen._path(sid).parent
        (folder / ".lock").write_bytes(b"")
        (folder / ".tmp-0123456789abcdef").write_bytes(b"{}")
        joined = _joined(a, made)
        assert not isinstance(joined, DacliError), joined.message
        assert not (folder / ".tmp-0123456789abcdef").exists()
    with _at(DAY * 3 + 20):
        add_user(_unlock(a, MANAGER), "cw.dot", "caseworker", PW)
    with office(tmp_path, "here", monkeypatch), _at(DAY * 3 + 30):
        assert "mgr.three" in _who(a, "sen.ada") and "cw.dot" in _who(a, "sen.ada")
        kept = seen.remembered(sid)
    assert kept.get("introduced", {}).get("username") == "sen.ada" and "first_look" not in kept


# -- found while fixing P3 ---------------------------------------------------------------------------------


def test_a_reading_that_does_not_believe_a_removal_lists_no_doubt_of_its_target(two, tmp_path, monkeypatch):
    """Review 7's case A: mgr.two, removed by mgr.three, later removes the founder (a forgery the old
    computer does not believe: the founder is current there). The founder's own earlier changes (adding
    sen.ada, cw.bex, mgr.three) were listed on that computer as "made by mgr shortly before their
    removal", a manager to check: a false sentence in `sync status`, and P3's check then refused the old
    computer's honest introduction. A doubt is of a leaver's change: only someone removed on that reading."""
    from tests.test_introduce import _case_a

    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        forge, current, _gone = _case_a(a)
    with _at(DAY * 8):
        forge()
    with office(tmp_path, "old", monkeypatch), _at(DAY * 8 + 5):
        session = _unlock(a, MANAGER)
        assert current <= {m.username for m in session.staff().active()}
        assert not [d for d in session.staff_doubts() if "made by mgr shortly" in d], session.staff_doubts()
