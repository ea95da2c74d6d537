"""The unlock screen: user and passphrase (masked); a wrong passphrase is one sentence, never a
traceback; the unlock (scrypt) runs in a worker thread with a loading indicator."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    LoadingIndicator,
)
from textual.worker import Worker, WorkerState

from dacli.errors import DacliError


class UnlockScreen(Screen):
    """User and passphrase. Nothing about any case is shown until the store is unlocked."""

    BINDINGS = [Binding("escape", "app.quit", "Quit")]

    def __init__(self, user: str | None, message: str = "", try_agent: bool = False) -> None:
        """``try_agent``: ask `dacli unlock`'s agent first (when the dashboard starts; never after a lock,
        which asks for the passphrase whatever runs)."""
        super().__init__()
        self.user = user
        self.message = message
        self.try_agent = try_agent

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock"):
            yield Label("dacli: unlock the case store", id="title")
            yield Input(value=self.user or "", placeholder="user", id="user")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            yield Button("Unlock", variant="primary", id="go")
            yield Label(self.message, id="message", markup=False)
            yield LoadingIndicator(id="busy")
        yield Footer()

    def on_mount(self) -> None:
        import os

        for busy in self.query("#busy"):
            busy.display = False
        for field in self.query("#passphrase" if self.user else "#user"):
            field.focus()
        if self.try_agent and self.user and os.environ.get("DACLI_NO_AGENT") != "1":
            self.query_one("#busy").display = True
            self.query_one("#message", Label).update("Asking your unlock agent (dacli unlock)...")
            self.from_agent(self.user)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def from_agent(self, user: str):
        """The session from `dacli unlock`'s agent for ``user``, or None (no agent: the passphrase then)."""
        from dacli.services.admin import open_store, session_from_agent

        store = open_store(self.app.store_path)
        store.member(user)  # an unknown user: one sentence, as at the prompt
        return session_from_agent(store, user)

    @on(Input.Submitted)
    @on(Button.Pressed, "#go")
    def submit(self) -> None:
        user = self.query_one("#user", Input).value.strip()
        secret = self.query_one("#passphrase", Input).value
        if not user or not secret:
            self.query_one("#message", Label).update("Give your user name and passphrase.")
            return
        self.query_one("#busy").display = True
        self.query_one("#message", Label).update("Unlocking...")
        self.unlock(user, secret)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def unlock(self, user: str, secret: str):
        from dacli.services.admin import open_store, unlock

        return unlock(open_store(self.app.store_path), user, secret)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "unlock" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.query_one("#busy").display = False
        passphrase = self.query_one("#passphrase", Input)
        if event.worker.name == "from_agent":  # what was typed meanwhile stays: no agent, the prompt then
            if event.state == WorkerState.SUCCESS and event.worker.result is not None:
                self.app.unlocked(event.worker.result)
                return
            error = event.worker.error if event.state == WorkerState.ERROR else None
            self.query_one("#message", Label).update(
                error.message if isinstance(error, DacliError) else self.message
            )
            return
        passphrase.value = ""
        if event.state == WorkerState.SUCCESS:
            self.app.unlocked(event.worker.result)
            return
        error = event.worker.error
        text = (
            error.message if isinstance(error, DacliError) else f"Could not unlock ({type(error).__name__})."
        )
        self.query_one("#message", Label).update(text)
        passphrase.focus()
