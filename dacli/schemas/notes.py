"""Case notes and case contacts (SafeLives Case Management Pack, 2014).

Case notes are append-only: a correction is a new note that names the note it supersedes; nothing is
edited. The last successful contact with the client drives the retention clock and review deadlines.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from dacli.schemas.common import Strict

NOTE_SCHEMA = "note/1"
CONTACT_SCHEMA = "contact/1"


class ContactType(StrEnum):
    telephone = "telephone"
    email = "email"
    letter = "letter"
    face_to_face = "face-to-face"
    meeting = "meeting"
    text = "text"


class ActivityCode(StrEnum):
    """The pack's activity codes (case notes page)."""

    CH = "CH"
    CI = "CI"
    CR = "CR"
    F = "F"
    G = "G"
    H = "H"
    HW = "HW"
    I = "I"  # noqa: E741 - the pack's own code for Immigration
    M = "M"
    P = "P"
    PR = "PR"


ACTIVITY_MEANINGS = {
    "CH": "Children",
    "CI": "Civil Justice Orders",
    "CR": "Criminal Court",
    "F": "Financial/benefits",
    "G": "General advocacy",
    "H": "Housing",
    "HW": "Health/wellbeing",
    "I": "Immigration",
    "M": "MARAC",
    "P": "Police",
    "PR": "Probation",
}


class NoteForm(Strict):
    at: dt.datetime
    """Date and time of the contact (typed in local time, kept in UTC); in the past, never the future."""
    initials: str = Field(min_length=1, max_length=5, pattern=r"^[A-Za-z]+$")
    """Case worker initials."""
    contact_type: ContactType
    """Contact type: telephone, email, letter, face-to-face, meeting or text."""
    contact_with: str = Field(min_length=1, max_length=200)
    """Contact with: 'client', or the agency's name."""
    successful: bool = True
    """False for an attempt that did not reach anyone (it does not count as contact)."""
    facts: str = Field(min_length=1, max_length=20000)
    """Case notes: summary of the conversation, agreed actions and who will do them. Facts only."""
    opinion: str | None = Field(None, max_length=20000)
    """Professional opinion, kept apart from the facts."""
    activities: list[ActivityCode] = []
    """Activity codes: CH, CI, CR, F, G, H, HW, I, M, P, PR."""
    incident: bool = False
    """A new incident was disclosed or reported in this contact (a Dash reassessment falls due)."""
    supersedes: str | None = Field(None, max_length=80)
    """The note this one corrects (its record name); the old note stays on file."""

    @property
    def with_client(self) -> bool:
        return self.contact_with.strip().lower() == "client"


class NoteRecord(NoteForm):
    schema_: str = Field(NOTE_SCHEMA, alias="schema")
    case: str
    written_by: str
    """Staff id of the author."""
    written_at: dt.datetime
    """When the note was recorded (UTC)."""


class ContactForm(Strict):
    agency: str = Field(min_length=1, max_length=200)
    """Agency."""
    role: str | None = Field(None, max_length=200)
    """Role/title."""
    name: str | None = Field(None, max_length=200)
    """Name."""
    address: str | None = Field(None, max_length=500, json_schema_extra={"lines": True})
    """Address."""
    telephone: str | None = Field(None, max_length=50)
    """Telephone."""
    email: str | None = Field(None, max_length=200)
    """Email address."""
    comments: str | None = Field(None, max_length=5000)
    """Comments."""


class ContactRecord(ContactForm):
    schema_: str = Field(CONTACT_SCHEMA, alias="schema")
    case: str
    added_by: str
    added_at: dt.datetime
