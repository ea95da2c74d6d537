"""The caseload index (derived from the records, encrypted to the store key), its audit anchors, and the
retention register written with it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from dacli import clock
from dacli.errors import (
    DacliError,
    IntegrityError,
    NotFound,
)
from dacli.schemas.store import Policy
from dacli.store import audit as auditlog
from dacli.store import crypto
from dacli.store.fsio import (
    atomic_write,
)
from dacli.store.layout import ANCHORS, INDEX, STORE_KEYS
from dacli.text import Refused, load_json

INDEX_SCHEMA = "caseload-index/3"
"""/3: rows carry the accumulated view (perpetrators of every intake), the incomplete and marac-referral-due
flags, and the sign-off clock from the sharing: an older index is rebuilt from the records when met."""


class StaleIndex(IntegrityError):
    """An index written by an earlier dacli: a cache of the records, rebuilt from them (`dacli reindex`)."""


class IndexRoom:
    """The part of a `Session` that keeps the derived caseload index."""

    def _sign_register(self, body: bytes) -> bytes:
        return self._signed("register", body)

    def write_register(self, index: dict) -> None:
        """Write the retention register from ``index`` now (the caller holds the store lock). Called before a
        hold or a reopening is written, so the register never shows a case as purgeable that is not."""
        from dacli.store import retention

        self.store.settings = self.checked_settings()
        if self.store.settings.retention_recipient:
            retention.write_register(
                self.store.meta,
                index["cases"],
                [self.store.settings.retention_recipient, self.store_ring().current.public],
                self._sign_register,
            )

    def read_index(self) -> dict | None:
        """The decrypted index, or None when it is missing (rebuild with `dacli reindex`)."""
        path = self.store.meta / INDEX
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            plain = crypto.decrypt(sealed, self.store_ring().identities, "The caseload index")
        except IntegrityError:
            self._store_ring = None  # rotated by another process since we cached it: reload once
            plain = crypto.decrypt(sealed, self.store_ring().identities, "The caseload index")
        body, author = self._checked("index", plain, "The caseload index")
        if not author.active:  # the re-wrap after a removal writes it again (or drops it)
            raise IntegrityError(
                f"The caseload index is signed by {author.username}, who has left; a manager runs "
                "`dacli rekey`."
            )
        try:
            index = load_json(body, "The caseload index", stored=True)
        except Refused:
            raise IntegrityError("The caseload index is damaged; run `dacli reindex`.") from None
        if not isinstance(index, dict) or not str(index.get("schema", "")).startswith("caseload-index/"):
            raise IntegrityError("The caseload index is damaged; run `dacli reindex`.")
        shapes = (("cases", dict), ("audit_heads", dict), ("unreadable", list))
        if any(not isinstance(index.get(key, kind()), kind) for key, kind in shapes) or not all(
            isinstance(row, dict) for row in index.get("cases", {}).values()
        ):
            raise IntegrityError("The caseload index is damaged; run `dacli reindex`.")
        if index["schema"] != INDEX_SCHEMA:
            raise StaleIndex(
                "The caseload index was written by another version of dacli; run `dacli reindex` "
                "(the records are untouched)."
            )
        return index

    def read_anchors(self) -> dict[str, tuple[int, str]]:
        """The audit anchors kept beside the index ({log name: (seq, head)}); empty when there are none yet,
        or when they are signed by someone who has left (the next index write signs them afresh)."""
        path = self.store.meta / ANCHORS
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            return {}
        plain = crypto.decrypt(sealed, self.store_ring().identities, "The audit anchors")
        body, author = self._checked("anchors", plain, "The audit anchors")
        if not author.active:
            return {}
        try:
            heads = json.loads(body)["audit_heads"]
            return {str(k): (int(v[0]), str(v[1])) for k, v in heads.items()}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            raise IntegrityError("The audit anchors are damaged.") from None

    def _read_index_any_version(self) -> dict:
        """An older index, for its audit anchors only (reindex keeps them across a format change)."""
        try:
            sealed = (self.store.meta / INDEX).read_bytes()
            plain = crypto.decrypt(sealed, self.store_ring().identities, "index")
            body, author = self._checked("index", plain, "The caseload index")
            if not author.active:
                return {}
            index = load_json(body, "The caseload index", stored=True)
            return index if isinstance(index, dict) else {}
        except (OSError, ValueError, DacliError):
            return {}

    def _seal_index(self, index: dict) -> None:
        """Encrypt and write the index. The caller holds the store lock; the ring is re-read from disk."""
        staff = self.staff()
        self._store_ring = None
        ring = self.store_ring()
        if ring.epoch < staff.key_epoch:
            ring.rotate(staff.key_epoch)
            self._save_ring(self.store.meta / STORE_KEYS, ring, staff)
        from dacli.store import retention

        for ref in retention.tombstones(self.store.meta):
            if retention.gone_for_good(self.store.root, ref):
                index["cases"].pop(ref, None)  # purged by the retention sweep since the last write
        _fill_schedules(index, self.store.policy)
        index["schema"] = INDEX_SCHEMA
        index["updated"] = clock.now().isoformat()
        heads = index.setdefault("audit_heads", {})
        try:
            kept = self.read_anchors()
        except DacliError:
            kept = {}  # damaged: `audit verify` reports it; this write anchors afresh
        for name, (seq, head) in [*kept.items(), *self._own_heads().items()]:
            if seq >= heads.get(name, [0, ""])[0]:
                heads[name] = [seq, head]
        data = json.dumps(index, separators=(",", ":"), default=_json_default).encode()
        anchors = json.dumps({"schema": "audit-anchors/1", "audit_heads": heads}).encode()
        atomic_write(
            self.store.meta / ANCHORS, crypto.encrypt(self._signed("anchors", anchors), [ring.current.public])
        )
        atomic_write(
            self.store.meta / INDEX, crypto.encrypt(self._signed("index", data), [ring.current.public])
        )
        self.store.settings = self.checked_settings()
        retention_key = self.store.settings.retention_recipient  # re-read: `retention init` may be newer
        if retention_key:
            retention.write_register(
                self.store.meta, index["cases"], [retention_key, ring.current.public], self._sign_register
            )

    def _own_heads(self) -> dict[str, tuple[int, str]]:
        path = self._audit_path()
        if not path.exists():
            return {}
        return {path.name: auditlog.head(path)}

    def write_index(self, rows: dict[str, dict], unreadable: list[str] = ()) -> None:
        """Replace every row (reindex), keeping the audit anchors of the old index if readable.
        ``unreadable``: cases reindex could not read, so that a new intake knows they were seen."""
        with self.store.meta_lock():
            try:
                old = self.read_index() or {}
            except IntegrityError:
                old = self._read_index_any_version()
            except DacliError:
                old = {}
            index = {"cases": rows, "audit_heads": old.get("audit_heads", {})}
            if unreadable:
                index["unreadable"] = sorted(unreadable)
            self._seal_index(index)

    rebuild_index: Callable[[Any], Any] | None = None
    """Rebuilds a missing index from the records (`services.case_view.reindex`, set there: the store cannot
    read records as cases). The retention sweep deletes the index after each purge."""

    @contextmanager
    def index_transaction(self) -> Iterator[dict]:
        """Hold the store lock, yield the index for changing, and seal it on a clean exit.

        Take it *before* writing a new case: a busy store then fails before anything is written, and the
        index never misses a case that was created. Lock order is always store lock, then case lock.
        A missing index (deleted by the retention sweep) or one an earlier dacli wrote is rebuilt from the
        records first (outside the lock, which the rebuild takes itself).
        """
        with self.unit():
            for last in (False, True):
                with self.store.meta_lock():
                    try:
                        index = self.read_index()
                    except StaleIndex:
                        if last or self.rebuild_index is None:
                            raise
                        index = None
                    if index is not None or last or self.rebuild_index is None:
                        if index is None:
                            raise NotFound("The caseload index is missing; run `dacli reindex`.")
                        self._unit_index = "pending"
                        yield index
                        self._unit_finishing = True
                        self._flush_audits()  # the records' entries, then the index anchors them
                        self._seal_index(index)
                        self._unit_index = "done"
                        self._unit_finishing = False
                        return
                self.rebuild_index()

    def update_index_row(self, ref: str, row: dict | None) -> None:
        """Set (or with None, drop) one row, under the store lock."""
        with self.index_transaction() as index:
            if row is None:
                index["cases"].pop(ref, None)
            else:
                index["cases"][ref] = row


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _fill_schedules(index: dict, policy: Policy) -> None:
    """Resolve each row's deadlines (rules.schedule.encode) where not done yet under this policy, so listing
    the caseload compares integers instead of running every rule on every row. Services replace a changed
    row with a new dict, which has no "_due" yet."""
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
