"""Finding cases: by a name, an also-known-as name or a reference across the caseload (`dacli case find`, the
dashboard's search). The matching itself is `rules.search`; what a person may see is the caseload's own
(`services.caseload.caseload`: the cases of this person's index)."""

from __future__ import annotations

from dataclasses import dataclass

from dacli.errors import DacliError, InvalidInput
from dacli.rules.search import name_matches
from dacli.schemas.case import CaseRow, CaseStatus
from dacli.store.store import Session
from dacli.text import ref_prefixes

MIN_QUERY = 2
"""A query shorter than this (folded) finds nothing useful: refused."""


@dataclass
class Found:
    row: CaseRow
    by: str
    """What matched: 'reference', 'name' or 'aka'."""


def matched_by(query: str, row: CaseRow, ref_starts: list[str]) -> str | None:
    if ref_starts and (row.ref[3:8] + row.ref[9:]).startswith(tuple(ref_starts)):
        return "reference"
    if name_matches(query, row.client):
        return "name"
    if name_matches(query, row.aka):
        return "aka"
    return None


def find_cases(session: Session, query: str) -> list[Found]:
    """Every case of the caseload (open first, then closed; each by client name) whose reference begins with
    ``query`` (three characters or more) or whose client's name or aka it matches (`rules.search`)."""
    from dacli.rules.search import words
    from dacli.services.caseload import caseload

    if len("".join(words(query))) < MIN_QUERY:
        raise InvalidInput(f"Give at least {MIN_QUERY} letters of a name, or the start of a reference.")
    ref_starts = [p for p in ref_prefixes(query) if len(p) >= 3]
    found = []
    for row in caseload(session):
        by = matched_by(query, row, ref_starts)
        if by:
            found.append(Found(row, by))
    found.sort(key=lambda f: (f.row.status is not CaseStatus.open, f.row.client.casefold(), f.row.ref))
    session.audit("case-find", detail={"found": len(found)})  # the query is a name: not in the log
    return found


@dataclass
class NoteHit:
    ref: str
    client: str
    at: object
    """When the fact on file happened (aware datetime)."""
    kind: str
    line: str
    """The line of the text that matched."""


def in_case(view, query: str) -> list:
    """The timeline entries of a case (a note's facts and opinion, a reason, an outcome) that hold every
    word of ``query`` (`rules.search.text_matches`), oldest first."""
    from dacli.rules.search import text_matches

    return [e for e in view.timeline() if text_matches(query, f"{e.summary}\n{e.detail}")]


class NoteHits(list):
    """The hits, newest first; ``skipped``: cases that could not be read (damaged), named, not searched."""

    def __init__(self, hits: list[NoteHit], skipped: list[str]) -> None:
        super().__init__(hits)
        self.skipped = skipped


def find_in_notes(session: Session, query: str, everyone: bool = False) -> NoteHits:
    """Every fact on file whose text holds ``query`` (notes, reasons, outcomes), in this worker's open
    cases, or in every case of the caseload with ``everyone`` (each case is decrypted: slower, and the
    search is audited with how many cases it read; the words searched are not logged)."""
    from dacli.rules.search import matching_line, words
    from dacli.services.case_view import load_case
    from dacli.services.caseload import caseload

    if len("".join(words(query))) < MIN_QUERY:
        raise InvalidInput(f"Give at least {MIN_QUERY} letters to look for.")
    me = session.member.username
    rows = [r for r in caseload(session) if everyone or (r.worker == me and r.status is CaseStatus.open)]
    hits: list[NoteHit] = []
    skipped: list[str] = []
    read = 0
    try:
        for row in rows:
            try:
                view = load_case(session, row.ref)
            except DacliError:  # a damaged case is named, and the search goes on through the others
                skipped.append(row.ref)
                continue
            read += 1
            for e in in_case(view, query):
                line = matching_line(query, f"{e.summary}\n{e.detail}")
                hits.append(NoteHit(row.ref, row.client, e.at, e.kind, line))
    finally:  # audited however it ends: what was decrypted is on the record
        session.audit("note-search", detail={"cases": read, "found": len(hits), "skipped": skipped})
    hits.sort(key=lambda h: (h.at, h.ref), reverse=True)
    return NoteHits(hits, skipped)
