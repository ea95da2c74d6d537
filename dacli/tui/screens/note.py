"""The case note form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Label,
    Select,
)

from dacli.tui.screens.form import save_or_refuse

CONTACT_TYPES = ("telephone", "email", "letter", "face-to-face", "meeting", "text")


class NoteScreen(ModalScreen[bool]):
    """Add a case note: the same reader and rules as `dacli note add` (services.notes.parse_note)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Label(f"New case note for {self.ref}")
            yield Select([(t, t) for t in CONTACT_TYPES], value="telephone", allow_blank=False, id="type")
            yield Input(value="client", placeholder="contact with (client or agency)", id="with")
            yield Input(placeholder="facts: what happened, what was said", id="facts")
            yield Input(placeholder="professional opinion (optional)", id="opinion")
            yield Input(placeholder="activity codes, e.g. G,P (optional)", id="codes")
            yield Input(placeholder="your initials", id="initials")
            yield Label("", id="error")
            yield Button("Save", variant="primary", id="save")

    def on_mount(self) -> None:
        self.query_one("#facts", Input).focus()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def save(self) -> None:
        from dacli.services.notes import add_note, parse_note

        now = self.app.now()
        codes = [c.strip().upper() for c in self.query_one("#codes", Input).value.split(",") if c.strip()]
        data = {
            "at": now,
            "contact_type": self.query_one("#type", Select).value,
            "contact_with": self.query_one("#with", Input).value.strip(),
            "facts": self.query_one("#facts", Input).value.strip(),
            "initials": self.query_one("#initials", Input).value.strip(),
            "activities": codes,
        }
        opinion = self.query_one("#opinion", Input).value.strip()
        if opinion:
            data["opinion"] = opinion
        save_or_refuse(self, lambda: add_note(self.app.session, self.ref, parse_note(data, now)))

    def action_cancel(self) -> None:
        self.dismiss(False)
