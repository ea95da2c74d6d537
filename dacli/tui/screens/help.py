"""The help screen: the keys of every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import (
    Static,
)

HELP = """\
dacli dashboard

Caseload:  up/down, page up/down, home/end move; enter (or double click) opens a case
           /  filter by typing     m  my cases / all     s  next sort column
           r  risk filter          o  overdue only       ctrl+l  lock now     q  quit
Case:      n  add a case note      c  Dash checklist (y/n/d, arrows, s to save)
           g  record a Soag        p  add a safety-plan action (a new plan version)
           a  complete a safety-plan action                r  record a case review
           escape  back to the caseload
Forms:     tab / enter  next field   enter or space opens a choice   ctrl+s  save
           escape  cancel; a refusal is shown below the form and its field is focused
Anywhere:  ctrl+p  command palette ?  this help

It locks itself after a spell without a key press or click; the passphrase is asked again.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help")
