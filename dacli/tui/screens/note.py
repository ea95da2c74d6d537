"""The case note form: every field of `dacli note add` (when, who with, attempt, incident, facts, opinion,
activity codes, initials), read by the same parser (`services.notes.parse_note`)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, TextArea

from dacli import clock
from dacli.tui.screens.form import FormScreen

CONTACT_TYPES = ("telephone", "email", "letter", "face-to-face", "meeting", "text")


class NoteScreen(FormScreen):
    """Add a case note. Enter moves to the next field (in the facts and the opinion it starts a new line);
    ctrl+s saves; escape asks before it throws typed words away. The initials default to the worker's own
    (`services.notes.initials_of`, as the CLI's), the time to now."""

    TITLE_TEXT = "{ref}: new case note. ctrl+s saves, escape cancels."
    FIRST = "facts"

    def fields(self) -> ComposeResult:
        from dacli.services.notes import initials_of

        yield Label("When (local time, YYYY-MM-DD HH:MM)")
        yield Input(clock.show(self.app.now()), id="at")
        yield Label("Contact type")
        yield Select([(t, t) for t in CONTACT_TYPES], value="telephone", allow_blank=False, id="contact_type")
        yield Label("Contact with ('client' or the agency's name)")
        yield Input("client", id="contact_with")
        yield Checkbox("An attempt that reached no one", id="attempt")
        yield Checkbox("A new incident was disclosed (a Dash falls due)", id="incident")
        yield Label("Case note: what happened, what was said, agreed actions (facts only)")
        yield TextArea(id="facts", classes="text")
        yield Label("Professional opinion (optional; kept apart from the facts)")
        yield TextArea(id="opinion", classes="text")
        yield Label("Activity codes (optional): CH CI CR F G H HW I M P PR, e.g. G, P")
        yield Input(id="activities")
        yield Label("Your initials")
        yield Input(initials_of(self.app.session.member.username), id="initials")

    def prepare(self) -> Callable[[], object]:
        from dacli.services.notes import add_note, parse_note

        now = self.app.now()
        codes = [c.upper() for c in self.value("activities").replace(",", " ").split()]
        data = {
            "at": self.value("at").replace(" ", "T", 1),
            "contact_type": self.query_one("#contact_type", Select).value,
            "contact_with": self.value("contact_with"),
            "successful": not self.query_one("#attempt", Checkbox).value,
            "incident": self.query_one("#incident", Checkbox).value,
            "facts": self.text("facts"),
            "initials": self.value("initials"),
            "activities": codes,
        }
        if self.text("opinion"):
            data["opinion"] = self.text("opinion")
        note = parse_note(data, now)
        session, ref = self.app.session, self.ref
        return lambda: add_note(session, ref, note)
