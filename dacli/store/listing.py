"""The caseload listing: the columns a caseload shows, pre-sorted, beside this person's index (index.py).

`dacli case list`, the dashboard's caseload and `dacli close --candidates` show a few columns of every case.
The index (index.py) holds every field a row has (dates of birth, perpetrators, the retention facts): 10 MB
of JSON at 20,000 cases, most of a listing's time spent parsing it. So each time the index is saved, this
file is saved from it too (`listing-<staff id>.age` in the same cache folder, encrypted to the same person
and signed by them): per case only the reference, client, worker, status, risk, referral date, last
contact, referral moment, flags, the deadlines resolved as codes (`rules.schedule.encode`) and the case
folder's stamp, as a list, in the caseload's order (open first, then by referral).

It is believed only as the index is, and no more: it must be signed by this person, of this format, under
the same deadline policy (`rules.schedule.fingerprint`), and every case folder's stamp must be the one its
row was built from, with no folder more or fewer. Anything else (a folder changed, arrived or went, a
damaged or missing file, another policy) and the reader goes through the index, which rebuilds the rows of
what changed and saves both files again.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC
from itertools import chain
from operator import itemgetter
from typing import Any

from dacli import clock
from dacli.errors import DacliError
from dacli.store import crypto
from dacli.store.fsio import atomic_write
from dacli.store.index import empty_index, fill_schedules
from dacli.text import Refused, load_json

LISTING_SCHEMA = "caseload-listing/2"
COLUMNS = (
    "ref", "client", "worker", "status", "risk", "referral_date", "last_contact", "referred_at", "flags",
    "_due",
)  # fmt: skip
"""A listed row, in this order, then the folder's stamp, then its deadlines' answer when saved (`ANSWER`)."""
ANSWER = 11
"""Where a row's saved answer starts: the letter of its next deadline ("" for none), that deadline's due
moment, the states (1: it is overdue, 2: any is, 4: a closure candidate), and the window [lo, hi) in which
the answer holds on the listing's ``day`` (`rules.schedule.next_code`, `after_window`)."""
_TEXT, _NONE, _INT = str, type(None), int
_SHAPES = frozenset(
    (
        _TEXT,
        _TEXT,
        _TEXT,
        _TEXT,
        risk,
        _TEXT,
        contact,
        _TEXT,
        list,
        _TEXT,
        _TEXT,
        *(_TEXT, _INT, _INT, _INT, _INT),
    )
    for risk in (_TEXT, _NONE)
    for contact in (_TEXT, _NONE)
)
"""The kinds of a listed row's cells (risk and last contact may be missing)."""


def project(index: dict) -> dict:
    """The listing of ``index`` (its rows' listed columns and stamps, in the caseload's order)."""
    stamps, cases = index["stamps"], index["cases"]
    get = stamps.get
    rows = [
        [
            ref,
            r.get("client"),
            r.get("worker"),
            r.get("status"),
            r.get("risk"),
            r.get("referral_date"),
            r.get("last_contact"),
            r.get("referred_at"),
            r.get("flags") or [],
            r.get("_due"),
            get(ref, ""),
        ]
        for ref, r in cases.items()
    ]
    rows.sort(key=_order)
    others = {ref: s for ref, s in stamps.items() if ref not in cases}
    day = _answer(rows)
    return {
        "schema": LISTING_SCHEMA,
        "schedule": index.get("schedule"),
        "day": day,
        "rows": rows,
        "others": others,
    }


_FAR = 9_000_000_000_000_000
"""A moment in the year 2255 (microseconds): no answer is saved as holding after it."""


def _answer(rows: list[list]) -> int:
    """Append to each row its deadlines' answer now (`ANSWER`), and return the local day it is for (the
    first moment of today): a caseload read the same day, within a row's window, takes it as it is."""
    from dacli.rules import schedule

    when = schedule.When(clock.now().astimezone(UTC))
    now_us = when[0]
    code, window = schedule.next_code, schedule.after_window
    for r in rows:
        encoded = r[9]
        first, late_any, quiet = code(encoded, when)
        lo, hi = window(encoded, now_us)
        lo, hi = max(lo, 0), min(hi, _FAR)  # narrower is as true, and the file shorter
        if first is None:
            r += ["", 0, 2 * late_any + 4 * quiet, lo, hi]
        else:
            r += [first[0], first[1], first[2] + 2 * late_any + 4 * quiet, lo, hi]
    return when[1]


def _order(r: list) -> tuple:
    return (r[3] != "open", r[7], r[0])


def well_formed(listing: Any) -> bool:
    """Whether ``listing`` (as parsed) has the shape `project` gives it."""
    if not isinstance(listing, dict) or listing.get("schema") != LISTING_SCHEMA:
        return False
    rows, others = listing.get("rows"), listing.get("others")
    if not isinstance(rows, list) or not isinstance(others, dict) or type(listing.get("day")) is not int:
        return False
    try:  # one pass in C per row: 100,000 rows are checked in a few milliseconds
        if not all(type(r) is list and tuple(map(type, r)) in _SHAPES for r in rows):
            return False
        "".join(chain.from_iterable(r[8] for r in rows))  # every flag is text
    except TypeError:
        return False
    return all(type(s) is str for s in others.values())


class ListingRoom:
    """The part of a `Session` that keeps the caseload listing (beside `IndexRoom`'s index)."""

    def _listing_path(self):
        return self._cache_dir() / f"listing-{self.member.id}.age"

    def _save_listing(self, index: dict) -> dict:
        """Save the listing of ``index`` and return it (the caller holds the index lock, and has just saved
        the index)."""
        listing = project(index)
        data = json.dumps(listing, separators=(",", ":")).encode()
        sealed = crypto.encrypt(self._signed("listing", data), [self.identity.public])
        atomic_write(self._listing_path(), sealed)
        return listing

    def _load_listing(self) -> dict | None:
        """The listing saved on this computer, or None (missing, damaged, of another format, not theirs)."""
        try:
            sealed = self._listing_path().read_bytes()
        except OSError:
            return None
        try:
            plain = crypto.decrypt(sealed, [self.identity], "The caseload listing")
            body, author = self._checked("listing", plain, "The caseload listing")
            listing = load_json(body, "The caseload listing", stored=True)
        except (DacliError, Refused):
            return None
        if author.id != self.member.id or not well_formed(listing):
            return None
        return listing

    def read_listing(self) -> dict:
        """The caseload listing, up to date with the case folders: the saved one when no folder changed since
        it was made and the policy is the same, else made from the index (brought up to date and saved)."""
        from dacli.rules import schedule

        policy = self.store.policy
        review = policy.review
        fingerprint = schedule.fingerprint(review.first_contact_hours, policy.dash.reassess_weeks, review)
        with self._index_lock():
            with self._scanning() as scan:  # the folders' stamps taken while the listing is read
                listing = self._load_listing()
                now = scan.result()
            if listing is not None and listing["schedule"] == fingerprint and _same(listing, now):
                return listing
            index = self._load_index()
            full = index is None
            if full:
                index = empty_index()
            if self._refresh(index, now) or full or index.get("schedule") != fingerprint:
                with suppress(DacliError):  # a cache: a full disk leaves it in memory, as the index
                    return self._save_index(index)  # and the listing with it
                fill_schedules(index, policy)  # as the save does: each row's deadlines under this policy
            else:  # the index was up to date and the listing was not (missing, or not saved last time)
                with suppress(DacliError):
                    return self._save_listing(index)
            return project(index)


def _same(listing: dict, now: dict[str, str]) -> bool:
    """Whether every case folder is as the listing saw it (none changed, arrived or went)."""
    rows, others = listing["rows"], listing["others"]
    saved = dict(zip(map(itemgetter(0), rows), map(itemgetter(10), rows), strict=True))
    # each folder once: a row twice cannot stand in for a folder left out
    if len(saved) != len(rows) or not saved.keys().isdisjoint(others):
        return False
    saved.update(others)
    return saved == now and "" not in saved.values()  # compared in C; an unsettled stamp is never the same
