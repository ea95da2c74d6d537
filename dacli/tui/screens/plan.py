"""The safety-plan forms: add an action (a new plan version) and complete one."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Input,
    Label,
    Static,
)

from dacli.tui.screens.form import FormScreen, save_or_refuse


class CompleteActionScreen(ModalScreen[bool]):
    """Mark a safety-plan action complete: a new version of the plan, as `dacli issp complete`."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ref: str, actions: list[tuple[int, str]]) -> None:
        super().__init__()
        self.ref = ref
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Label(f"Complete a safety-plan action for {self.ref}")
            yield Static("\n".join(f"{n}. {text}" for n, text in self.actions) or "No open actions.")
            yield Input(placeholder="action number", id="number")
            yield Input(placeholder="comment (optional)", id="comment")
            yield Label("", id="error")

    def on_mount(self) -> None:
        self.query_one("#number", Input).focus()

    @on(Input.Submitted)
    def save(self) -> None:
        from dacli.services.issp import complete

        text = self.query_one("#number", Input).value.strip()
        if not text.isdigit():
            self.query_one("#error", Label).update("Give the action's number.")
            return
        today = self.app.today()
        comment = self.query_one("#comment", Input).value.strip() or None
        save_or_refuse(self, lambda: complete(self.app.session, self.ref, int(text), today, comment, today))

    def action_cancel(self) -> None:
        self.dismiss(False)


class ActionScreen(FormScreen):
    """Add an action to the safety plan: the plan schema's action (risk, agreed action, who, by when,
    comment), read by `services.issp.parse_action` and saved by `add_action` as the plan's next version
    (version 1 for a case without a plan), the same versions as `dacli issp record` makes."""

    TITLE_TEXT = "{ref}: add a safety-plan action. ctrl+s saves, escape cancels."

    def __init__(self, ref: str, plan=None) -> None:
        super().__init__(ref)
        self.plan = plan

    def fields(self) -> ComposeResult:
        plan = self.plan
        if plan is None:
            yield Static("No safety plan on file: this action starts version 1.", classes="hint")
        else:
            lines = [f"Safety plan v{plan.version}; this action makes version {plan.version + 1}."]
            lines += [
                f"  {n}. {a.action or a.risk}" + (f" (done {a.done})" if a.done else "")
                for n, a in enumerate(plan.actions, 1)
            ]
            yield Static("\n".join(lines), classes="hint")
        for key, label, hint in (
            ("risk", "List the risk factors or issues you would like to address", ""),
            ("action", "Agreed action", ""),
            ("who", "Who will do this?", ""),
            ("by", "By when? (YYYY-MM-DD)", "blank = no date"),
            ("comment", "Comment", ""),
        ):
            yield Label(f"{label} ({key}):")
            yield Input(placeholder=hint, id=key)

    def on_mount(self) -> None:
        self.query_one("#risk", Input).focus()

    def prepare(self) -> Callable[[], object]:
        from dacli.services.issp import add_action, parse_action

        data = {k: self.value(k) for k in ("risk", "action", "who", "by", "comment")}
        data["by"] = data["by"] or None
        today = self.app.today()
        action = parse_action(data, today)
        session = self.app.session
        return lambda: add_action(session, self.ref, action, today)

    def saved(self, result) -> None:
        _, plan = result
        self.app.notify(f"Safety plan version {plan.version} saved ({len(plan.actions)} actions).")
