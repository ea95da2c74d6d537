"""The safety-plan forms: the whole plan, add an action (a new plan version), complete one, and the
client's copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, SelectionList, Static, TextArea

from dacli.errors import InvalidInput
from dacli.schemas.fields import flatten
from dacli.schemas.issp import IsspForm
from dacli.tui.screens.form import FormScreen
from dacli.tui.screens.schemaform import YES_NO, SchemaFormScreen


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


class PlanScreen(SchemaFormScreen):
    """`dacli issp record`: the whole safety plan as its next version: the actions (those on file, then
    three blank rows), the eight options-and-advice boxes, what to take, and the safe details. It opens
    with the latest plan, or, for a case without one, actions seeded from the latest Dash and Soag (as
    `dacli issp template`)."""

    MODEL = IsspForm
    TITLE_TEXT = "{ref}: the safety plan (ISSP), a new version. ctrl+s saves, escape cancels."
    INTRO = (
        "A row whose risk is blank is left out. Safe details never go in the client's copy unless released."
    )

    def __init__(self, ref: str, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.REPEAT = {"actions": len(doc.get("actions", [])) + 3}
        super().__init__(ref)

    def initial(self) -> dict[str, Any]:
        return flatten(self.doc, self.specs)

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.issp import parse_issp, record

        today = self.app.today()
        form = parse_issp(data, today)
        session, ref = self.app.session, self.ref
        return lambda: record(session, ref, form, today)

    def saved(self, result) -> None:
        _, plan = result
        self.app.notify(f"Safety plan version {plan.version} saved ({len(plan.actions)} actions).")


class ClientCopyScreen(FormScreen):
    """`dacli issp export`: the client's copy of the plan, written to a file, only when the client says it
    is safe to take home (the answer is recorded either way). Safe details stay out unless released by name
    with a reason, which is audited."""

    TITLE_TEXT = "{ref}: the client's copy of the safety plan. ctrl+s makes it, escape cancels."
    FIRST = "safe"

    def fields(self) -> ComposeResult:
        from dacli.schemas.issp import SAFE_FIELDS
        from dacli.services.issp_copy import FORMATS

        yield Label("Is it safe for the client to take a copy home? (the answer is recorded) *")
        yield Select(YES_NO, prompt="yes or no", id="safe")
        yield Label("Format *")
        yield Select([(f, f) for f in FORMATS], value="pdf", allow_blank=False, id="format")
        yield Label("Write it to this file, outside the store (needed when it is safe) *")
        yield Input(placeholder="for example ~/safety-plan.pdf", id="out")
        yield Label("Safe details to include (each is audited; most copies include none)")
        yield SelectionList[str](*[(f, f, False) for f in SAFE_FIELDS], id="release", classes="choices")
        yield Label("Why they are included (needed when any is chosen)")
        yield TextArea(id="reason", classes="text")

    def prepare(self) -> Callable[[], object]:
        from dacli.services.exports import outside_store, to_file
        from dacli.services.issp_copy import client_copy

        safe = self.query_one("#safe", Select).value
        if safe is Select.NULL:
            raise InvalidInput("Client's copy refused, nothing written: safe is not answered.")
        fmt = str(self.query_one("#format", Select).value)
        release = list(self.query_one("#release", SelectionList).selected) if safe else []
        reason = self.text("reason") or None
        out = self.value("out")
        if safe and not out:
            raise InvalidInput("Client's copy refused, nothing written: out is not answered.")
        deliver = to_file(outside_store(out, self.app.store_path, "out")) if safe else None
        session, ref, today = self.app.session, self.ref, self.app.today()
        return lambda: client_copy(
            session, ref, fmt, bool(safe), release, reason, deliver or (lambda _: None), today=today
        )

    def saved(self, result) -> None:
        if result.content is None:
            self.app.notify("Recorded: not safe to take a copy home. No copy was made.")
        else:
            withheld = f" Withheld from it: {', '.join(result.redacted)}." if result.redacted else ""
            self.app.notify(f"The client's copy is in {self.value('out')}.{withheld}")
