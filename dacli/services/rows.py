"""Hands the store's caseload index the way to build one case's row from its records (the store cannot read
records as cases). Imported by the services that read the index without loading a case themselves; the
case file (`case_view`) is imported only when a row is really rebuilt."""

from __future__ import annotations

from dacli.store.store import Session


def build_row(session: Session, ref: str) -> dict:
    from dacli.services.case_view import index_row

    return index_row(session, ref)


if Session.build_row is None:  # case_view, once imported, sets its own
    Session.build_row = build_row
