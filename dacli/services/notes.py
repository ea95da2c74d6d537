"""Case notes (append-only; a correction supersedes) and case contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dacli import clock
from dacli.errors import InvalidInput
from dacli.schemas.notes import (
    CONTACT_SCHEMA,
    NOTE_SCHEMA,
    ContactForm,
    ContactRecord,
    NoteForm,
    NoteRecord,
)
from dacli.services.case_view import append_record
from dacli.services.forms import parse_form, typed_moment
from dacli.store.layout import check_case_ref
from dacli.store.store import Session


def initials_of(username: str) -> str:
    """A worker's initials from their username ('sam.cw' is 'SC'): the note's default, in the CLI and the
    dashboard alike."""
    parts = [p for p in username.replace("_", ".").replace("-", ".").split(".") if p]
    return "".join(p[0] for p in parts if p[0].isalpha()).upper()[:5] or "X"


def parse_note(data: dict[str, Any], now: dt.datetime) -> NoteForm:
    note = parse_form(NoteForm, data, "Note")
    return note.model_copy(update={"at": typed_moment(note.at, now, "Note", "at")})


def add_note(session: Session, ref: str, note: NoteForm) -> str:
    """Append a case note. Notes are never edited: a correction names the note it supersedes."""
    check_case_ref(ref)
    names = session.record_names(ref)
    if note.supersedes is not None and note.supersedes not in names:
        raise InvalidInput(f"supersedes: case {ref} has no note {note.supersedes}.")
    fields = {
        **note.model_dump(mode="python"),
        "schema": NOTE_SCHEMA,
        "written_by": session.member.id,
        "written_at": clock.now(),
    }
    name, _ = append_record(
        session, ref, kind="note", at=note.at, model=NoteRecord, fields=fields, action="note-add"
    )
    return name


def parse_contact(data: dict[str, Any]) -> ContactForm:
    return parse_form(ContactForm, data, "Contact")


def add_contact(session: Session, ref: str, contact: ContactForm) -> str:
    check_case_ref(ref)
    session.record_names(ref)  # the case must exist
    now = clock.now()
    fields = {
        **contact.model_dump(mode="python"),
        "schema": CONTACT_SCHEMA,
        "added_by": session.member.id,
        "added_at": now,
    }
    name, _ = append_record(
        session,
        ref,
        kind="contact",
        at=now,
        model=ContactRecord,
        fields=fields,
        action="contact-add",
        index=False,
    )
    return name
