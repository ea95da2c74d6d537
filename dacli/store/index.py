"""The caseload index: derived from the records, kept on this computer for this person, never in the store.

Format 3 of the store shares its folder through a file-sync engine, so nothing derived is written there
(every writer rewriting one shared index made conflict copies, and one office's new referrals vanished from
the other's caseload). Each person's index lives in this computer's cache folder (`DACLI_CACHE`, else the
user cache folder; then `<store id>/index-<staff id>.age`), encrypted to that person's own key and signed by
them, beside their audit anchors (the heads of every audit log they have seen, so a log put back shorter
is noticed). It is never believed over the records:

- every read compares each case folder's stamp (modification time and inode) with the stamp its row was
  built from, and rebuilds only the rows of folders that changed, arrived or went (a note saved here, or a
  folder a sync engine filled since): a write costs one fact, not the whole caseload;
- a folder changed in the last two seconds is looked at again next time (file times have a coarse tick);
- `dacli reindex` rebuilds every row.

This person's retention register on this computer (`.dacli/retention/<staff id>-<machine>.json.age`, what
the unattended sweep decides from, merged with everyone else's: registers.py) is written from the index
whenever a row it carries changed. Each of its rows holds the case folder's fingerprint (record names and
sizes, taken before the records were read), and the sweep keeps a case whose folder no register saw as it
is now: a register written before a fact arrived never destroys it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dacli import clock
from dacli.errors import DacliError, IntegrityError, StoreError
from dacli.schemas.common import CASE_REF_RE
from dacli.schemas.store import Policy
from dacli.store import audit as auditlog
from dacli.store import crypto
from dacli.store.fsio import atomic_write, folder_lock, make_dir
from dacli.store.scan import SETTLE_NS, Scan, cache_root, files_now_ns, prestarted, stamps
from dacli.store.sync import audit_logs
from dacli.text import Refused, load_json

INDEX_SCHEMA = "caseload-index/5"
"""/5: each row carries the facts reports count (`services.report_facts`). /4: on this computer, one
person's, each row with its folder's stamp and fingerprint. Up to /3 it lived in the store
(`.dacli/index.json.age`, shared by everyone); `dacli upgrade` removes that file."""

ANCHORS_SCHEMA = "audit-anchors/2"
PROGRESS_FROM = 200
"""A refresh that rebuilds at least this many rows reports its progress (`IndexRoom.on_progress`)."""


class StaleIndex(IntegrityError):
    """An index written by an earlier dacli: a cache of the records, rebuilt from them."""


def folder_stamp(st: os.stat_result, now_ns: float | None = None) -> str:
    """What tells a changed case folder: its modification time and inode ("" when too recent to trust).
    ``now_ns``: the computer's time in nanoseconds (read once for a whole listing)."""
    if now_ns is None:
        now_ns = clock.computer_now().timestamp() * 1e9
    if now_ns - st.st_mtime_ns < SETTLE_NS:
        return ""
    return f"{st.st_mtime_ns}:{st.st_ino}"


def empty_index() -> dict:
    return {"schema": INDEX_SCHEMA, "cases": {}, "stamps": {}, "unreadable": {}}


class IndexRoom:
    """The part of a `Session` that keeps the derived caseload index."""

    build_row: Callable[[Any, str], dict] | None = None
    """Builds one case's row from its records (`services.case_view`, set there: the store cannot read
    records as cases)."""
    on_progress: Callable[[int, int], None] | None = None
    """Told (rows done, rows to do) while many rows are rebuilt (a new computer's first caseload): the CLI
    draws a progress bar on a terminal, the dashboard a line above the caseload."""

    def _cache_dir(self) -> Path:
        return cache_root() / self.store.settings.store_id

    def _index_path(self) -> Path:
        return self._cache_dir() / f"index-{self.member.id}.age"

    def _anchors_path(self) -> Path:
        return self._cache_dir() / f"anchors-{self.member.id}.age"

    @contextmanager
    def _index_lock(self) -> Iterator[None]:
        folder = self._cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"Cannot make the cache folder {folder} ({exc.strerror}).") from None
        make_dir(folder)
        with folder_lock(folder, self.store.lock_timeout(), "the caseload index on this computer"):
            yield

    # -- the retention register ------------------------------------------------------------------------

    def _sign_register(self, body: bytes) -> bytes:
        return self._signed("register", body)

    def write_register(self, index: dict) -> None:
        """Write the retention register from ``index`` now. Called before a hold or a reopening is written
        (so the register never shows a case as purgeable that is not), and by a read of the index that
        changed a row the register carries."""
        from dacli.store import registers
        from dacli.store.layout import machine_id

        self.store.settings = self.checked_settings()
        if self.store.settings.retention_recipient:
            key = self._store_ring_for_write().current.public  # never a key a leaver held
            registers.write_register(
                self.store.meta,
                self.member.id,
                machine_id(),
                index["cases"],
                [self.store.settings.retention_recipient, key],
                self._sign_register,
            )

    # -- the index -----------------------------------------------------------------------------------

    def _load_index(self) -> dict | None:
        """This person's index as saved on this computer, or None (missing, from another dacli, damaged, or
        not theirs: it is a cache, rebuilt from the records)."""
        try:
            sealed = self._index_path().read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"Cannot read the caseload index on this computer ({exc.strerror}).") from None
        try:
            plain = crypto.decrypt(sealed, [self.identity], "The caseload index")
            body, author = self._checked("index", plain, "The caseload index")
            index = load_json(body, "The caseload index", stored=True)
        except (DacliError, Refused):
            return None
        if author.id != self.member.id or not isinstance(index, dict) or index.get("schema") != INDEX_SCHEMA:
            return None
        shapes = (("cases", dict), ("stamps", dict), ("unreadable", dict))
        if any(not isinstance(index.get(k), kind) for k, kind in shapes) or not all(
            isinstance(row, dict) for row in index["cases"].values()
        ):
            return None
        return index

    def read_index(self, *, full: bool = False) -> dict:
        """The caseload index, brought up to date with the case folders first (only the rows of folders that
        changed are rebuilt; ``full`` rebuilds every row) and saved when anything changed."""
        with self._index_lock():
            index = None if full else self._load_index()
            if index is None:
                index = empty_index()
                full = True
            if self._refresh(index) or full:
                self._save_index_if_room(index)
            return index

    def _scan(self) -> dict[str, str]:
        """Every case folder's stamp now ({reference: `folder_stamp`})."""
        return stamps(self.store.root, self._files_now_ns() - SETTLE_NS)

    def _scanning(self) -> Scan:
        """`_scan`, begun: its stamps are taken (in a child process where they can be: `store.scan`) while
        the caller reads its saved files, and given by `Scan.result`; the one `dacli case list` began
        before it unlocked the store, when there is one for this store (`scan.prestart`)."""
        return prestarted(self.store.root) or Scan(self.store.root, self._files_now_ns() - SETTLE_NS)

    def _refresh(self, index: dict, now: dict[str, str] | None = None) -> bool:
        """Rebuild the rows of case folders that changed since their rows were built (``now``: the folders'
        stamps, `_scan`, when already taken); write the retention register if a row it carries changed.
        True if anything changed."""
        from dacli.store.registers import register_row
        from dacli.store.retention import folder_print, gone_for_good

        root = self.store.root
        if now is None:
            now = self._scan()
        stamps, rows, unreadable = index["stamps"], index["cases"], index["unreadable"]
        changed = [r for r, s in now.items() if not s or stamps.get(r) != s]
        went = [r for r in {*stamps, *rows, *unreadable} if r not in now]
        if not changed and not went:
            return False
        before = {r: register_row(rows[r]) for r in [*changed, *went] if r in rows}
        for ref in went:
            for part in (stamps, rows, unreadable):
                part.pop(ref, None)
        gone = self.tombstone_book() if changed else None  # believed lines only
        progress = self.on_progress if len(changed) >= PROGRESS_FROM else None
        step = max(1, len(changed) // 100)
        for done, ref in enumerate(changed):
            if progress is not None and done % step == 0:
                progress(done, len(changed))
            for part in (stamps, rows, unreadable):
                part.pop(ref, None)
            if gone is not None and gone_for_good(root, ref) and gone.believed(ref):
                stamps[ref] = now[ref]  # boiled down by the retention sweep: only its summary is left
                continue
            if not self._holds_record(ref):
                continue  # a case being made, or still arriving: looked at again next time
            fingerprint = folder_print(root / ref)  # before the records are read: see the module's notes
            if self.build_row is None:
                raise StoreError("The caseload index cannot be built here (no service loaded).")
            try:
                row = self.build_row(ref)
            except DacliError as exc:
                unreadable[ref] = str(exc)
            else:
                row["_folder"] = fingerprint
                rows[ref] = row
            stamps[ref] = now[ref]
        if progress is not None:
            progress(len(changed), len(changed))
        after = {r: register_row(rows[r]) for r in [*changed, *went] if r in rows}
        if before != after:
            self.write_register(index)
        return True

    def _files_now_ns(self) -> float:
        """The time as the file system stamps files (`scan.files_now_ns`, in this store's cache folder)."""
        return files_now_ns(self._cache_dir())

    def _save_index_if_room(self, index: dict) -> None:
        """Save the index unless this computer's cache folder cannot take it (a full disk, a read-only
        home): it is a cache, so the caller goes on with it in memory and the next read builds it again."""
        with suppress(DacliError):
            self._save_index(index)

    def _save_index(self, index: dict) -> dict:
        """Encrypt the index to this person, sign it, and write it (the caller holds the index lock), and
        the listing made from it (`ListingRoom`), which it returns."""
        fill_schedules(index, self.store.policy)
        index["schema"] = INDEX_SCHEMA
        index["updated"] = clock.now().isoformat()
        data = json.dumps(index, separators=(",", ":"), default=_json_default).encode()
        atomic_write(self._index_path(), crypto.encrypt(self._signed("index", data), [self.identity.public]))
        listing = self._save_listing(index)  # what a caseload shows, read without the rest (listing.py)
        self._save_people(index)  # who is in it, by date of birth, for an intake's matching (people.py)
        self._save_anchors()
        return listing

    @contextmanager
    def index_transaction(self) -> Iterator[dict]:
        """The caseload index, up to date, for a change that reads other cases (an intake matching earlier
        referrals) or must show in the retention register before it is written (a hold, a reopening).

        Holds the store lock (writers on this computer wait; a busy store fails before anything is written)
        and this person's index lock. The index is not saved after: the cases written changed their folders,
        so the next read rebuilds their rows (a write costs its case, not a rewrite of every row: 10 MB at
        20,000 cases).
        """
        with self._caseload_change(self._fresh_index) as index:
            yield index

    def _fresh_index(self) -> dict:
        index = self._load_index() or empty_index()
        self._refresh(index)
        return index

    @contextmanager
    def _caseload_change(self, read: Callable[[], Any]) -> Iterator[Any]:
        """A change that reads the caseload first (``read``, under the locks): the store lock and this
        person's index lock held throughout, and this person's audit entries anchored on this computer
        after (the index, not saved, no longer does it)."""
        with self.unit(), self.store.meta_lock(), self._index_lock():
            found = read()
            self._unit_index = "pending"
            yield found
            self._unit_finishing = True
            self._flush_audits()
            self._unit_index = "done"
            with suppress(DacliError):  # a cache: the next index save anchors them
                self._save_anchors(own_only=True)  # this person's entries, anchored on this computer
            self._unit_finishing = False

    # -- changes that stopped part way ---------------------------------------------------------------

    def _unfinished_path(self) -> Path:
        return self._cache_dir() / f"unfinished-{self.member.id}.json"

    def note_unfinished(self, refs: list[str]) -> None:
        """Remember on this computer the cases of a change that stopped after saving a record (references
        only): a new intake refuses until `dacli reindex` has made them whole, so a referral taken again
        before anyone reads the message does not become a second case, or a repeat of itself."""
        with self._index_lock():
            known = set(self.unfinished_cases())
            data = json.dumps({"schema": "unfinished/1", "cases": sorted(known | set(refs))}).encode()
            atomic_write(self._unfinished_path(), data)

    def unfinished_cases(self) -> list[str]:
        """The cases `note_unfinished` remembered (none when its file is missing or unreadable)."""
        try:
            doc = load_json(self._unfinished_path().read_bytes(), "unfinished", stored=True)
        except (OSError, Refused):
            return []
        cases = doc.get("cases") if isinstance(doc, dict) else None
        if not isinstance(cases, list):
            return []
        return [c for c in cases if isinstance(c, str) and CASE_REF_RE.fullmatch(c)]

    def clear_unfinished(self) -> None:
        """`dacli reindex` audited what no entry named: nothing is unfinished any more."""
        with suppress(FileNotFoundError):
            self._unfinished_path().unlink()

    def seed_index(self, rows: dict[str, dict]) -> None:
        """Start this person's index from rows built in this process from the records just written (the
        benchmark's generator builds each row as it writes the case), each stamped with its folder now."""
        from dacli.store.retention import folder_print

        with self._index_lock():
            index = empty_index()
            for ref, row in rows.items():
                folder = self.store.root / ref
                index["stamps"][ref] = folder_stamp(folder.stat())
                index["cases"][ref] = {**row, "_folder": folder_print(folder)}
            self._save_index(index)
            self.write_register(index)

    # -- audit anchors -------------------------------------------------------------------------------

    def read_anchors(self) -> dict[str, tuple[int, str]]:
        """The heads of the audit logs this person has seen on this computer ({log name: (seq, head)}):
        a log met shorter than that was cut or put back from an older copy. Empty when there are none yet."""
        try:
            sealed = self._anchors_path().read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"Cannot read the audit anchors ({exc.strerror}).") from None
        plain = crypto.decrypt(sealed, [self.identity], "The audit anchors")
        body, author = self._checked("anchors", plain, "The audit anchors")
        try:
            if author.id != self.member.id:
                raise ValueError
            heads = json.loads(body)["audit_heads"]
            return {str(k): (int(v[0]), str(v[1])) for k, v in heads.items()}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            raise IntegrityError("The audit anchors on this computer are damaged.") from None

    def _save_anchors(self, *, own_only: bool = False) -> None:
        """Anchor the head of every audit log as it is now, or (``own_only``, after a change) of this
        person's log on this computer alone; never lower than seen before."""
        try:
            heads = {k: list(v) for k, v in self.read_anchors().items()}
        except DacliError:
            heads = {}  # damaged: `audit verify` reports it; anchored afresh
        folder = self.store.audit_dir()
        if own_only:
            paths = [self._audit_path()]
        else:
            paths = audit_logs(folder)
        for path in paths:
            seq, head = auditlog.head(path)
            if seq and seq >= heads.get(path.name, [0, ""])[0]:  # an empty log anchors nothing
                heads[path.name] = [seq, head]
        data = json.dumps({"schema": ANCHORS_SCHEMA, "audit_heads": heads}).encode()
        sealed = crypto.encrypt(self._signed("anchors", data), [self.identity.public])
        atomic_write(self._anchors_path(), sealed)

    def anchor_audit(self) -> None:
        """Anchor this person's own audit log now (after a change wrote entries to it)."""
        with self._index_lock():
            self._save_anchors(own_only=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def fill_schedules(index: dict, policy: Policy) -> None:
    """Resolve each row's deadlines (rules.schedule.encode) where not done yet under this policy, so listing
    the caseload compares integers instead of running every rule on every row. A row rebuilt from its
    records has no "_due" yet."""
    from dacli.rules import schedule
    from dacli.schemas.case import CaseRow

    review = policy.review
    args = (review.first_contact_hours, policy.dash.reassess_weeks, review)
    fingerprint = schedule.fingerprint(*args)
    fresh = index.get("schedule") != fingerprint
    index["schedule"] = fingerprint
    for row in index["cases"].values():
        if fresh or "_due" not in row:
            row["_due"] = schedule.encode(CaseRow.from_index(row), *args)
