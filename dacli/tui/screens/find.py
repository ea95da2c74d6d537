"""Find in the notes: every note (and reason, outcome) holding the words typed, in my open cases or in
every case (`services.search.find_in_notes`, as `dacli case find --notes`); enter opens the case."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dacli import clock
from dacli.errors import DacliError


class FindScreen(ModalScreen[str | None]):
    """Type words and enter: the notes that hold them, newest first; enter on one opens its case."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="acts"):
            yield Label("Find in the notes (every word; enter searches, escape closes)")
            yield Input(placeholder="for example: housing options", id="words")
            yield Checkbox("Every case, not only my open ones (slower)", id="everyone")
            yield Label("", id="found", markup=False)
            yield OptionList(id="hits")

    def on_mount(self) -> None:
        self.query_one("#words", Input).focus()

    @on(Input.Submitted, "#words")
    def search(self) -> None:
        self.query_one("#found", Label).update("Searching...")
        self.run_search(self.query_one("#words", Input).value, self.query_one("#everyone", Checkbox).value)

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def run_search(self, words: str, everyone: bool):
        from dacli.services.search import find_in_notes

        return find_in_notes(self.app.session, words, everyone)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "find" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        found = self.query_one("#found", Label)
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            found.update(
                error.message if isinstance(error, DacliError) else f"Not searched ({type(error).__name__})."
            )
            return
        hits = event.worker.result
        options = self.query_one("#hits", OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(f"{clock.show(h.at)} {h.ref} {h.client}: {h.line}", id=f"{n}:{h.ref}")
                for n, h in enumerate(hits)
            ]
        )
        skipped = (
            f" ({len(hits.skipped)} damaged case(s) not searched: {', '.join(hits.skipped)})"
            if hits.skipped
            else ""
        )
        found.update(f"{len(hits)} found" + (": enter opens the case" if hits else "") + skipped)
        if hits:
            options.highlighted = 0
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.id).split(":", 1)[1])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
