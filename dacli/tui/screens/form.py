"""The base of the dashboard's full-screen forms: fields read and checked by the service's own parser,
a refusal shown inline with its field focused, the save in a worker thread."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    SelectionList,
    Static,
    TextArea,
)
from textual.worker import Worker, WorkerState

from dacli.errors import DacliError


def save_or_refuse(screen: Screen, save: Callable[[], object]) -> None:
    """For the short forms that save at once: run ``save``; close the screen saying it saved, or show the
    service's refusal in the screen's ``#error`` line and stay."""
    try:
        save()
    except DacliError as exc:
        screen.query_one("#error", Label).update(exc.message)
        return
    screen.dismiss(True)


class FormScreen(Screen[bool]):
    """A form on a screen of its own: it scrolls (so it fits 80x24), enter moves to the next field, ctrl+s
    (or the Save button) saves, escape cancels.

    ``prepare`` reads the entries with the service's own parser, so the rules and messages are the CLI's; a
    refusal is shown inline, below the form, and the field it names is focused. The write runs in a worker
    thread; on success the screen is dismissed with True (the case screen then reloads).
    """

    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]
    TITLE_TEXT = ""
    FIRST: str | None = None
    """The id of the field focused when the form opens (else the first field)."""

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.saving = False
        self._as_opened: dict[str, object] = {}

    def on_mount(self) -> None:
        self._as_opened = self.entries()
        if self.FIRST:
            self.query_one(f"#{self.FIRST}").focus()

    def typed(self) -> bool:
        """Whether anything was typed or chosen since the form opened."""
        return self.is_mounted and self.entries() != self._as_opened

    def entries(self) -> dict[str, object]:
        """What every field holds now (by id): to tell whether anything was typed since the form opened."""
        found: dict[str, object] = {}
        for widget in self.query("Input, Select, Checkbox, TextArea, SelectionList"):
            if widget.id:
                if isinstance(widget, SelectionList):
                    found[widget.id] = tuple(widget.selected)
                else:
                    found[widget.id] = widget.text if isinstance(widget, TextArea) else widget.value
        return found

    def compose(self) -> ComposeResult:
        yield Static(self.TITLE_TEXT.format(ref=self.ref), classes="form-title", markup=False)
        with VerticalScroll(classes="form"):
            yield from self.fields()
            yield Button("Save (ctrl+s)", variant="primary", id="save")
        yield Label("", id="error", markup=False)
        yield Footer()

    def fields(self) -> ComposeResult:
        yield from ()

    def prepare(self) -> Callable[[], object]:
        """Check the entries (raising DacliError with the service's message) and return the save to run."""
        raise NotImplementedError

    def field_for(self, message: str) -> str | None:
        """The id of the widget a refusal names (the first schema field it mentions), if any."""
        import re

        found = []
        for widget in self.query("Input, Select, Checkbox, TextArea"):
            key = (widget.id or "").replace("-", ".")
            if key and (m := re.search(rf"(?<![\w.]){re.escape(key)}(?![\w])", message)):
                found.append((m.start(), widget.id))
        return min(found)[1] if found else None

    def refuse(self, message: str) -> None:
        self.query_one("#error", Label).update(message)
        target = self.field_for(message)
        if target:
            widget = self.query_one(f"#{target}")
            widget.focus()
            widget.scroll_visible(animate=False)

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        try:
            job = self.prepare()
        except DacliError as exc:
            self.refuse(exc.message)
            return
        self.saving = True
        self.query_one("#error", Label).update("Saving...")
        self.run_save(job)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def run_save(self, job: Callable[[], object]):
        return job()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "form-save" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.saving = False
        if event.state == WorkerState.SUCCESS:
            self.saved(event.worker.result)
            self.dismiss(True)
            return
        error = event.worker.error
        self.refuse(
            error.message if isinstance(error, DacliError) else f"Not saved ({type(error).__name__})."
        )

    def saved(self, result) -> None:
        """Called with what the save returned, just before the screen closes."""

    def action_cancel(self) -> None:
        """Close without saving; if anything was typed since the form opened, ask first."""
        if not self.saving:
            leave_asking(self, self.typed())

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def text(self, widget_id: str) -> str:
        """A many-line field's text, trimmed."""
        return self.query_one(f"#{widget_id}", TextArea).text.strip()


def leave_asking(screen: Screen, typed: bool) -> None:
    """Close ``screen`` (dismissed with False); when ``typed``, ask first whether to throw it away."""
    if not typed:
        screen.dismiss(False)
        return

    def answered(discard: bool | None) -> None:
        if discard:
            screen.dismiss(False)

    screen.app.push_screen(DiscardScreen(), answered)


class DiscardScreen(ModalScreen[bool]):
    """'Throw away what you typed?': escape or n keeps the form, y throws it away."""

    BINDINGS = [
        Binding("y", "answer(True)", "Discard"),
        Binding("n", "answer(False)", "Keep typing"),
        Binding("escape", "answer(False)", "Keep typing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="discard"):
            yield Label("Throw away what you typed in this form? Nothing of it is saved.")
            with Horizontal():
                yield Button("Keep typing (n)", variant="primary", id="keep")
                yield Button("Discard (y)", variant="error", id="discard-it")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard-it")
