"""The help screen: the keys of every screen, from one table (`KEYS`) that tests hold to the screens' own
bindings and to the README's dashboard section."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: dict[str, list[tuple[str, str]]] = {
    "Caseload": [
        ("arrows, pgup, pgdn", "move (home and end: first and last); or click"),
        ("enter", "open the case (or double click)"),
        ("d", "my day: overdue, today, this week, sign-offs"),
        ("i", "take a new referral (the urgent details first)"),
        ("/", "filter by typing (reference, name, worker, flag)"),
        ("f", "find in the notes (mine, or every case)"),
        ("m", "my cases, or all"),
        ("s", "sort by the next column"),
        ("r", "one risk level, then the next"),
        ("o", "overdue cases only, or all"),
        ("p", "reports (seniors and managers)"),
        ("q", "quit"),
    ],
    "Reports": [
        ("[ ]", "the previous or next quarter"),
        ("t", "the next report (caseload, Marac, outcomes, housing)"),
        ("escape", "back to the caseload"),
    ],
    "Day": [
        ("arrows, enter", "choose an item; enter opens its case"),
        ("t", "the team's day, or mine (seniors and managers)"),
        ("escape", "back to the caseload"),
    ],
    "Case": [
        ("e", "every form of the pack for this case, in a menu"),
        ("/", "search this case's notes and timeline"),
        ("n", "add a case note"),
        ("c", "take a Dash checklist"),
        ("g", "record a Soag"),
        ("i", "finish the intake form"),
        ("l", "the whole safety plan (a new version)"),
        ("p", "add a safety-plan action (a new plan version)"),
        ("a", "mark a safety-plan action done"),
        ("k", "the client's copy of the plan (asks if safe)"),
        ("o", "record the consent agreement"),
        ("w", "record a share made with consent"),
        ("s", "record a decision to share without consent"),
        ("v", "sign off a share without consent (seniors)"),
        ("m", "refer to the Marac"),
        ("t", "record a criminal court hearing"),
        ("u", "record a civil court hearing (orders)"),
        ("h", "refer to children's social care"),
        ("j", "confirm that referral in writing"),
        ("r", "record a case review"),
        ("x", "close the case (exit form)"),
        ("f", "record the follow-up call"),
        ("z", "reopen the case"),
        ("b", "place a retention hold (seniors)"),
        ("escape", "back to the caseload"),
    ],
    "Dash": [
        ("y n d", "yes, no, don't know"),
        ("left right", "the previous or next question"),
        ("1 2 3 4 5 6 7 8 9", "tick or untick a sub-tick of the question"),
        ("c", "a comment, and the source if not the victim"),
        ("s", "the professional section, then ctrl+s saves"),
        ("escape", "cancel"),
    ],
    "Forms": [
        ("tab, enter", "the next field (in a text box enter starts a line)"),
        ("shift+tab", "the previous field"),
        ("enter, space", "open a choice"),
        ("ctrl+s", "save: a refusal is shown below, its field focused"),
        ("escape", "cancel (asks first if anything was typed)"),
    ],
    "Anywhere": [
        ("ctrl+l", "lock now"),
        ("ctrl+p", "the command palette: every command of this screen"),
        ("?", "this help (escape closes it)"),
    ],
}
"""Each screen's keys, as the help shows them (and the README lists them)."""


def help_text() -> str:
    width = max(len(keys) for rows in KEYS.values() for keys, _ in rows)
    lines = ["dacli dashboard: the keys (up and down scroll this list)", ""]
    for screen, rows in KEYS.items():
        lines.append(screen)
        lines.extend(f"  {keys.ljust(width)}  {what}" for keys, what in rows)
    lines += ["", "It locks itself after a spell without a key press or click."]
    return "\n".join(lines)


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text())
