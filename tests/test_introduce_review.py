"""An independent security review's attack tests on "a computer introduced by another" (`dacli sync
introduce` / `sync join`, issue 14, H1), written at 4799265 (where F1 to F7 failed) and kept, adapted to
the introduction's second format (no username of its own; the changes it refused) and to `sync join`
checking with the joining person's identity. Each test asserts the correct behaviour."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from dacli import clock
from dacli.errors import DacliError
from dacli.schemas.store import StaffList, StaffMember
from dacli.services.admin import add_user, remove_user
from dacli.services.sync import introduce, memory_warning, prepare_join, take_join
from dacli.store import crypto, seen, signing
from dacli.store.documents import certificate_context, dump_plain_toml, signed_context
from dacli.store.introduce import SCHEMA, _context
from dacli.store.layout import STAFF_TOML
from dacli.store.staffformat import StaffEvent
from dacli.store.store import Store
from tests import test_keys_that_merge
from tests.conftest import MANAGER, PASSPHRASE
from tests.test_keys_that_merge import PW, _forge, _later, _unlock, office
from tests.test_leavers_keys import DAY, _crony, _who
from tests.test_leavers_keys_review6 import _post_dated, _remove

two = test_keys_that_merge.two


def _intro(a, by: str, seed: str, memory: dict, username: str, refused: dict | None = None) -> bytes:
    """An introduction signed with ``seed`` as staff id ``by``, holding ``memory`` (``username``: what the
    first format let a file call its signer, now ignored by the reader: kept as an extra key, refused)."""
    sid = Store(a).settings.store_id
    full = {"key_epoch": 0, "removed": [], "members": [], "changes": {}, **memory}
    body = {
        "schema": SCHEMA,
        "store_id": sid,
        "by": by,
        "at": clock.now().isoformat(timespec="seconds"),
        "memory": full,
        "refused": refused or {},
    }
    text = json.dumps(body, indent=1, sort_keys=True).encode()
    return signing.Signer(by, seed).seal(_context(sid), text)


def join(store: Store, raw: bytes, user: str = "sen.ada"):
    """`dacli sync join --yes` as ``user``: the checked introduction, taken."""
    joining = prepare_join(store, *store.credentials(user, PASSPHRASE if user == MANAGER else PW), raw)
    take_join(joining)
    return joining


def _joined(a, raw: bytes):
    """`join`'s answer, or the error it raised."""
    try:
        return join(Store(a), raw)
    except DacliError as exc:
        return exc


def _memory(a) -> dict:
    return seen.remembered(Store(a).settings.store_id)


# -- F1: the name `sync join` shows is the one the file chose ---------------------------------------------


def test_join_names_the_signer_as_the_staff_list_does_not_as_the_file_claims(two, tmp_path, monkeypatch):
    """A caseworker signs an introduction naming the founding manager as its author: `sync join` says
    "as mgr's computer did" (README: "says whose memory it is"; the CLI: "Check that this is who gave you
    the file"). Correct: the name comes from the staff list for the signing id (or the file is refused)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        bex = _unlock(a, "cw.bex")
    with office(tmp_path, "new", monkeypatch):
        made = _intro(a, bex.member.id, bex.signer.seed, {"key_epoch": 0}, username=MANAGER)
        joined = _joined(a, made)
    assert isinstance(joined, DacliError) or joined.username == "cw.bex", joined


def test_a_leavers_crony_added_after_their_removal_cannot_introduce(two, tmp_path, monkeypatch):
    """`given_keys` gives a key to every addition a manager's key ever signed, also one a leaver signs
    after their removal (the fold refuses it). So a leaver adds a "manager" called like the founder with
    keys they hold, and its introduction is joined as "mgr's computer". Correct: only someone on the staff
    list as read here (not a refused addition) can introduce."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver = _unlock(a, "mgr.two")
        with _later(DAY):
            remove_user(_unlock(a, MANAGER), "mgr.two", "left the service (test)")
    with _later(DAY * 3):
        crony = _crony(leaver, clock.now(), username=MANAGER + "2")
    with office(tmp_path, "new", monkeypatch), _later(DAY * 3 + 5):
        made = _intro(a, crony.id, leaver.signer.seed, {"key_epoch": 1}, username=MANAGER)
        joined = _joined(a, made)
    assert isinstance(joined, DacliError), joined


# -- F2: a planted snapshot vouches for its own key ---------------------------------------------------------


def test_a_planted_staff_snapshot_does_not_make_an_introduction_believed(two, tmp_path, monkeypatch):
    """Someone with only write access to the folder (no key at all) puts a staff.toml of their own making
    (its founder their key, self-signed, for this store id) in place, has the new computer join their
    introduction, and puts the real one back. `_keys` checks the snapshot against the founder the snapshot
    itself names, so the join passes; the memory taken (a key epoch far ahead) then stops every unlock on
    that computer. Correct: refused (nothing anchors the snapshot without a passphrase), memory unchanged."""
    a, _ = two
    meta = a / ".dacli"
    sid = Store(a).settings.store_id
    real = (meta / STAFF_TOML).read_bytes()
    seed, public = signing.generate()
    fake = StaffMember(
        id="s-0000000000aa",
        username=MANAGER,
        role="manager",
        recipient=crypto.Identity.generate().public,
        signing_key=public,
        certificate="",
        added=clock.now(),
    )
    fake.certificate = signing.Signer(fake.id, seed).sign(certificate_context(sid, fake))
    planted = signing.Signer(fake.id, seed).seal(
        signed_context("staff", sid), dump_plain_toml(StaffList(staff=[fake]))
    )
    with office(tmp_path, "new", monkeypatch):
        (meta / STAFF_TOML).write_bytes(planted)
        try:
            joined = _joined(a, _intro(a, fake.id, seed, {"key_epoch": 10**6}, username=MANAGER))
        finally:
            (meta / STAFF_TOML).write_bytes(real)
        who = _who(a, MANAGER)
    assert isinstance(joined, DacliError), joined
    assert isinstance(who, list) and MANAGER in who, who


# -- F3: a staff member's introduction locks this computer out ---------------------------------------------


def test_an_introduction_that_does_not_fit_the_staff_list_is_refused(two, tmp_path, monkeypatch):
    """A caseworker (or a leaver) signs an introduction saying the founder and mgr.two were seen removed:
    after the join no one can unlock on the new computer ("shows mgr as current, but this computer has
    seen them removed"), worse than reading the files alone. Correct: `join` checks the memory against the
    staff list before taking it (as `seen.check` would) and refuses one that does not fit."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        bex = _unlock(a, "cw.bex")
        ids = [_unlock(a, u).member.id for u in (MANAGER, "mgr.two")]
    with office(tmp_path, "new", monkeypatch):
        joined = _joined(a, _intro(a, bex.member.id, bex.signer.seed, {"removed": ids}, "cw.bex"))
        who = _who(a, MANAGER)
    assert isinstance(who, list) and MANAGER in who, (joined, who)


# -- F4: a leaver's introduction makes a back-dated change believed ---------------------------------------


def _back_dated(a):
    """mgr.three removes mgr.two three days on; mgr.two then signs a removal of mgr.three dated two days
    BEFORE that (more than the grace: the seal of mgr.three's removal refuses it on any computer)."""
    with _later(5):
        add_user(_unlock(a, MANAGER), "mgr.three", "manager", PW)
    with _later(10):
        leaver = _unlock(a, "mgr.two")
        three = _unlock(a, "mgr.three").member.id
    with _later(DAY * 3):
        remove_user(_unlock(a, "mgr.three"), "mgr.two", "left the service (test)")
    return leaver, three


def test_an_introduction_cannot_make_a_change_the_seals_refuse_believed(two, tmp_path, monkeypatch):
    """A leaver's back-dated removal of their remover is refused on a new computer reading the files alone.
    The leaver (told by name: "mgr.two's computer", not that mgr.two has left) or a caseworker helping them
    signs an introduction whose memory "believed" that file: on the joined computer mgr.two is a current
    manager and mgr.three removed. Correct: not believed (refuse an introduction by someone removed, and let
    a memory's "believed" not outweigh a seal for a change it could not have believed honestly)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        leaver, three = _back_dated(a)
    with _later(DAY * 4):
        path = _forge(
            leaver,
            StaffEvent(
                kind="remove", at=clock.now() - dt.timedelta(days=3), author=leaver.member.id, staff=three
            ),
        )
    changes = {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    with office(tmp_path, "alone", monkeypatch), _later(DAY * 4 + 5):
        alone = _who(a, "sen.ada")
    assert isinstance(alone, list) and "mgr.three" in alone and "mgr.two" not in alone, alone
    bex = _unlock(a, "cw.bex")
    fooled = {}
    for name, by in (("leaver", leaver), ("caseworker", bex)):
        with office(tmp_path, f"new-{name}", monkeypatch), _later(DAY * 4 + 5):
            _joined(a, _intro(a, by.member.id, by.signer.seed, {"changes": changes}, by.member.username))
            who = _who(a, "sen.ada")
        if not (isinstance(who, list) and "mgr.three" in who and "mgr.two" not in who):
            fooled[name] = who
    assert not fooled, fooled


# -- F5/F6: a stale introduction -----------------------------------------------------------------------


def test_a_stale_introduction_does_not_silence_the_warning(two, tmp_path, monkeypatch):
    """An introduction made before mgr.two left (the old computer's memory names no leaver) is joined after
    mgr.two's removal and their post-dated removal of mgr.three (review 6's case). The new computer reads
    the staff files alone for everything since, is fooled exactly as one not introduced, but says nothing:
    `memory_warning` is None because it was "introduced". Correct: it still warns (the join's one line
    about unknown changes is not enough: `sync status`, `user list` and `unlock` stay silent)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        made = introduce(_unlock(a, "sen.ada"))
        leaver, three = _post_dated(a)
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "new", monkeypatch), _later(DAY * 5 + 5):
        joined = _joined(a, made)
        who = _who(a, "sen.ada")
        warning = memory_warning(Store(a))
    # refused (made before the removals now in the store, counting those some reading here could believe:
    # the leaver's post-dated one; mgr.three's, refused on every reading here, is not counted): the computer
    # says it reads the files alone
    assert isinstance(joined, DacliError) and "made before a staff removal" in joined.message, joined
    assert "mgr.three" not in who  # fooled, as a computer not introduced
    assert warning is not None, who


def test_joining_a_stale_introduction_does_not_make_a_used_computer_forget_a_removal(
    two, tmp_path, monkeypatch
):
    """A computer that has used the store saw mgr.two removed (so it is not fooled by their post-dated
    removal of mgr.three). It is handed an older introduction (made before the removal; or replayed by
    the leaver) and joins it: its memory is replaced, not merged, so it forgets the removal and the key
    epoch it saw, and the leaver's later removal of mgr.three is believed there. README: "in place of any
    first look it took". Correct: a join never makes a computer forget a removal or key epoch it saw after
    its first look (refuse, or keep them)."""
    a, _ = two
    with office(tmp_path, "old", monkeypatch):
        stale = introduce(_unlock(a, "sen.ada"))
    with office(tmp_path, "used", monkeypatch):
        _who(a, "sen.ada")
        leaver, three = _post_dated(a)
        with _later(DAY + 5):
            assert "mgr.two" not in _who(a, "sen.ada")
    with _later(DAY * 5):
        _remove(leaver, three, clock.now())
    with office(tmp_path, "used", monkeypatch), _later(DAY * 5 + 5):
        before = _who(a, "sen.ada")
        assert "mgr.three" in before and "mgr.two" not in before, before  # not fooled: its memory holds
        _joined(a, stale)
        after = _who(a, "sen.ada")
    assert isinstance(after, list) and "mgr.three" in after and "mgr.two" not in after, after


# -- F7: control characters from the file reach the terminal -----------------------------------------------


def test_join_and_status_print_no_control_characters_from_the_file(two, run_dacli, tmp_path):
    """The username and time in an introduction are the signer's free text: `sync join` prints them, and
    `sync status` prints them on every run afterwards (kept in the memory). A caseworker's file with a
    carriage return and an OSC escape (click strips only CSI colours when not a terminal) rewrites what the
    person joining reads. Correct: no control character from the file is printed."""
    a, _ = two
    bex = _unlock(a, "cw.bex")
    evil = "cw.bex\r\x1b]0;owned\x07\x1b[2K" + MANAGER
    made = _intro(a, bex.member.id, bex.signer.seed, {"key_epoch": 0}, username=evil)
    (tmp_path / "intro").write_bytes(made)
    home = {"XDG_DATA_HOME": str(tmp_path / "new-data"), "XDG_CACHE_HOME": str(tmp_path / "new-cache")}
    joined = run_dacli("sync", "join", str(tmp_path / "intro"), extra_env=home)
    status = run_dacli("sync", "status", extra_env=home)
    for out in (joined.stdout + joined.stderr, status.stdout + status.stderr):
        assert not any(c in out for c in "\r\x1b\x07"), repr(out)


# -- what held ----------------------------------------------------------------------------------------------


def test_hostile_files_get_one_sentence_and_change_nothing(two, cli, tmp_path, monkeypatch):
    """Held: deep nesting, non-UTF-8, an integer over 64 bits, wrong types, over the size limit, an
    introduction signed in the staff-change context, a store settings file: each one sentence, exit 2 or
    6, and this computer's memory as it was."""
    a, _ = two
    made = introduce(_unlock(a, "sen.ada"))
    body, who, _sig = signing.split(made, "x")
    ada = _unlock(a, "sen.ada")
    sid = Store(a).settings.store_id
    from dacli.store.staffformat import event_context

    def signed(text: bytes, context: bytes | None = None) -> bytes:
        return ada.signer.seal(context if context is not None else _context(sid), text)

    data = json.loads(body)
    wrong = [
        dict(data, memory=dict(data["memory"], key_epoch="1")),
        dict(data, username=7),
        dict(data, by=MANAGER),
    ]
    files = [
        signed(b"[" * 100_000 + b"]" * 100_000),
        signed(b'{"schema": "\xff\xfe"}'),
        signed(json.dumps(dict(data, memory=dict(data["memory"], key_epoch=10**40))).encode()),
        *(signed(json.dumps(w).encode()) for w in wrong),
        signed(body, event_context(sid, "20261123T120000Z-abcdef.toml")),
        (a / ".dacli" / "store.toml").read_bytes(),
        b"x" * (17 * 1024 * 1024),
    ]
    before = _memory(a)
    for i, raw in enumerate(files):
        (tmp_path / f"f{i}").write_bytes(raw)
        result = cli("sync", "join", str(tmp_path / f"f{i}"))
        assert result.exit_code in (2, 6), (i, result.exit_code, result.output[:300])
        assert len(result.stderr.strip().splitlines()) == 1, (i, result.stderr[:300])
        assert _memory(a) == before, i


def test_the_warning_is_not_shown_where_it_should_not_be(two, tmp_path, monkeypatch):
    """Held: no warning on the computer that made the store (even after someone leaves), nor on a new
    computer whose first look was at a store with no leavers; one on a new computer after a removal."""
    a, _ = two
    _who(a, MANAGER)
    with office(tmp_path, "early", monkeypatch):
        _who(a, "sen.ada")
    remove_user(_unlock(a, MANAGER), "cw.bex", "left the service (test)")
    assert memory_warning(Store(a)) is None
    with office(tmp_path, "early", monkeypatch):
        _who(a, "sen.ada")
        assert memory_warning(Store(a)) is None
    with office(tmp_path, "late", monkeypatch):
        _who(a, "sen.ada")
        assert "1 person had already been removed" in memory_warning(Store(a))
