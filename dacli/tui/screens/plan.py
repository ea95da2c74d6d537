"""The safety-plan forms: add an action (a new plan version) and complete one."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, Static, TextArea

from dacli.tui.screens.form import FormScreen


class CompleteActionScreen(FormScreen):
    """Mark a safety-plan action complete: a new version of the plan, as `dacli issp complete` (the same
    service, `services.issp.complete`). The action is chosen from the plan's open ones."""

    TITLE_TEXT = "{ref}: complete a safety-plan action. ctrl+s saves, escape cancels."
    FIRST = "number"

    def __init__(self, ref: str, actions: list[tuple[int, str]]) -> None:
        super().__init__(ref)
        self.actions = actions

    def fields(self) -> ComposeResult:
        yield Label("The action done")
        yield Select(
            [(f"{n}. {text}", n) for n, text in self.actions],
            prompt="choose the action" if self.actions else "no open actions",
            id="number",
        )
        yield Label("Date done (YYYY-MM-DD)")
        yield Input(self.app.today().isoformat(), id="on")
        yield Label("Comment (optional)")
        yield TextArea(id="comment", classes="text")

    def prepare(self) -> Callable[[], object]:
        import datetime as dt

        from dacli.errors import InvalidInput
        from dacli.services.issp import complete

        number = self.query_one("#number", Select).value
        if not isinstance(number, int):
            raise InvalidInput("number: choose the action that was done.")
        try:
            on = dt.date.fromisoformat(self.value("on"))
        except ValueError:
            raise InvalidInput("on: the date done is not a date (YYYY-MM-DD).") from None
        comment = self.text("comment") or None
        session, ref, today = self.app.session, self.ref, self.app.today()
        return lambda: complete(session, ref, number, on, comment, today)


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
            yield Static("\n".join(lines), classes="hint", markup=False)  # the plan's own words
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
