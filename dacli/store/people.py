"""Who is in the caseload, by date of birth: what an intake matches a referral against, beside the index.

An intake is matched against every case (a repeat referral; a conflict of interest: the client or a
perpetrator already known in another case), and two people match only with the same date of birth
(`rules.matching.same_person`). Reading the whole index for it (10 MB of JSON at 20,000 cases, 50 MB at
100,000) cost most of an intake's time. So each time the index is saved, this file is saved from it too
(`people-<staff id>.age` in the same cache folder, encrypted to the same person and signed by them): text
lines, one per case folder's stamp (``S``), one per date of birth a case holds (``D``: the client's and
each perpetrator's), and per case with a date of birth the few fields matching reads (``R``: reference,
client, aka, date of birth, perpetrators, worker, status, referral moment), so an intake reads the lines of
the referral's dates of birth alone.

It is believed only as the index is: signed by this person, of this format. A case folder changed, arrived
or went since it was saved (a case written since, or one a sync engine brought) is read from its records
instead (`IndexRoom.build_row`, as the index would), and a gone one is left out; with more than
`MAX_CHANGED` such folders, or no file, the index is read instead (and this file saved from it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from dacli.errors import DacliError
from dacli.store import crypto
from dacli.store.fsio import atomic_write
from dacli.store.index import empty_index

if TYPE_CHECKING:
    from dacli.store.scan import Scan

PEOPLE_SCHEMA = "caseload-people/1"
MAX_CHANGED = 100
"""More case folders than this changed since the file was saved: the index is read (and the file saved)."""
FIELDS = ("ref", "client", "aka", "dob", "perpetrators", "worker", "status", "referred_at")
"""What a matching row holds of an index row."""


def _slim(row: dict) -> dict:
    return {k: row[k] for k in FIELDS if row.get(k) is not None}


def _dobs(row: dict) -> set[str]:
    found = {row["dob"]} if row.get("dob") else set()
    found.update(p["dob"] for p in row.get("perpetrators") or () if isinstance(p, dict) and p.get("dob"))
    return {str(d) for d in found}


def project(index: dict) -> bytes:
    """The people file's text for ``index``."""
    lines = [PEOPLE_SCHEMA]
    lines.extend(f"S\t{ref}\t{stamp}" for ref, stamp in index["stamps"].items())
    for ref, row in index["cases"].items():
        dobs = _dobs(row)
        if not dobs:
            continue  # no date of birth: nothing can match it
        lines.extend(f"D\t{dob}\t{ref}" for dob in sorted(dobs))
        lines.append(
            f"R\t{ref}\t{json.dumps(_slim({**row, 'ref': ref}), separators=(',', ':'), default=str)}"
        )
    return ("\n".join(lines) + "\n").encode()


_DOB = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _after(text: str, marker: str) -> list[str]:
    """The rest of each line of ``text`` that starts with ``marker`` (which begins with a newline)."""
    found = []
    at = text.find(marker)
    while at >= 0:
        start = at + len(marker)
        end = text.find("\n", start)
        found.append(text[start : end if end >= 0 else len(text)])
        at = text.find(marker, start)
    return found


class PeopleRoom:
    """The part of a `Session` that keeps the people file (beside `IndexRoom`'s index)."""

    def _people_path(self):
        return self._cache_dir() / f"people-{self.member.id}.age"

    def _save_people(self, index: dict) -> None:
        """Save the people file of ``index`` (the caller holds the index lock, and has saved the index)."""
        sealed = crypto.encrypt(self._signed("people", project(index)), [self.identity.public])
        atomic_write(self._people_path(), sealed)

    def _load_people(self) -> str | None:
        try:
            sealed = self._people_path().read_bytes()
        except OSError:
            return None
        try:
            plain = crypto.decrypt(sealed, [self.identity], "The caseload's people file")
            body, author = self._checked("people", plain, "The caseload's people file")
            text = body.decode("utf-8")
        except (DacliError, UnicodeDecodeError):
            return None
        if author.id != self.member.id or not text.startswith(PEOPLE_SCHEMA + "\n"):
            return None
        return text

    def rows_born(self, dobs: set[str], scan: Scan) -> list[dict] | None:
        """The index rows (matching fields only) of every case holding one of ``dobs`` (ISO dates), for the
        case folders as they are now (``scan``, `IndexRoom._scanning`, taken while the people file is read);
        None when the people file cannot say (missing, not believed, or too many folders changed since it
        was saved): the caller reads the index. The caller holds the index lock."""
        text = self._load_people()
        now = scan.result()
        if text is None:
            return None
        ends = [i for i in (text.find("\nD\t"), text.find("\nR\t")) if i >= 0]
        head = text[len(PEOPLE_SCHEMA) + 1 : min(ends, default=len(text) - 1)]
        try:  # one "S<tab>ref<tab>stamp" line per case folder
            stamps = dict(line[2:].split("\t", 1) for line in head.split("\n") if line)
        except ValueError:
            return None
        changed = [ref for ref, stamp in now.items() if not stamp or stamps.get(ref) != stamp]
        if len(changed) > MAX_CHANGED:
            return None
        fresh = set(changed)
        wanted: set[str] = set()
        for dob in dobs:
            if _DOB.fullmatch(dob):
                wanted.update(_after(text, f"\nD\t{dob}\t"))
        rows = []
        for ref in sorted(wanted - fresh):
            if ref not in now:
                continue  # gone since
            found = _after(text, f"\nR\t{ref}\t")
            if len(found) != 1:
                return None
            try:
                row = json.loads(found[0])
            except ValueError:
                return None
            if not isinstance(row, dict) or row.get("ref") != ref:
                return None
            rows.append(row)
        for ref in sorted(fresh):
            if not self._holds_record(ref):
                continue  # a case being made, or still arriving (the index leaves it out too)
            with suppress(DacliError):  # unreadable: the index leaves it out of matching too
                row = json.loads(json.dumps(self.build_row(ref), default=str))
                if _dobs(row) & dobs:
                    rows.append(_slim({**row, "ref": ref}))
        return rows


class Matching:
    """What an intake matches against (`PeopleRoom.match_transaction`): the rows of the referral's dates of
    birth (from the people file, else the index), and the whole index when the intake needs it (a repeat
    referral: the earlier case's status, the retention register)."""

    def __init__(self, session, dobs: set[str], scan: Scan) -> None:
        with scan:
            self.rows = session.rows_born(dobs, scan)
        self._session, self._now, self._index = session, scan.result(), None
        if self.rows is None:
            index = self.index()
            self.rows = [row for ref, row in index["cases"].items() if _dobs({**row, "ref": ref}) & dobs]
            with suppress(DacliError):  # a cache: the next intake reads it (the index itself is not saved)
                session._save_people(index)

    def index(self) -> dict:
        """The caseload index, up to date (read, and its changed rows rebuilt, the first time asked)."""
        if self._index is None:
            index = self._session._load_index() or empty_index()
            self._session._refresh(index, self._now)
            self._index = index
        return self._index


class MatchRoom:
    """`match_transaction`, for an intake (a `Session` part, with `PeopleRoom` and `IndexRoom`)."""

    @contextmanager
    def match_transaction(self, dobs: set[str]) -> Iterator[Matching]:
        """`IndexRoom.index_transaction` for an intake: the same locks and audit anchoring, but the rows the
        referral can match come from the people file when it can say, and the index is read only if asked
        (`Matching.index`)."""
        with self._caseload_change(lambda: Matching(self, dobs, self._scanning())) as found:
            yield found
