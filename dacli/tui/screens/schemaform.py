"""A form screen drawn from its schema (`dacli.schemas.fields`): one widget per field, labelled in the
pack's words, required fields marked; the answers are assembled into the nested form the service's own
parser reads, so the rules and refusals are the CLI's, and the field a refusal names is focused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, SelectionList, Static, TextArea

from dacli.errors import DacliError
from dacli.schemas.fields import (
    HINTS,
    FormField,
    assemble,
    form_fields,
    in_words,
    named,
    renumber,
    slot_numbers,
)
from dacli.tui.screens.form import FormScreen

YES_NO = (("yes", True), ("no", False))


class SchemaFormScreen(FormScreen):
    """The fields of ``MODEL`` (less ``SKIP``; lists of sections as ``REPEAT`` slots), started from
    ``initial()``; ``job(data)`` parses the assembled form with the service's parser (raising its refusal)
    and returns the save to run in a worker thread."""

    MODEL: ClassVar[type[BaseModel]]
    SKIP: ClassVar[tuple[str, ...]] = ()
    ONLY: ClassVar[tuple[str, ...] | None] = None
    REPEAT: ClassVar[dict[str, int]] = {}
    INTRO = ""
    """A line under the title: what the form does, what it fills in itself."""

    def __init__(self, ref: str = "") -> None:
        super().__init__(ref)
        self.specs: list[FormField] = self.form_fields()
        self.ids = {f.key: f"f{n}" for n, f in enumerate(self.specs)}

    def form_fields(self) -> list[FormField]:
        return form_fields(self.MODEL, skip=self.SKIP, only=self.ONLY, repeat=self.REPEAT)

    def initial(self) -> dict[str, Any]:
        """Answers the form opens with (keyed as ``FormField.key``): the moment it is filled in, or what a
        new version starts from. Nothing else is answered for the worker."""
        return {}

    def intro(self) -> str:
        return self.INTRO

    def fields(self) -> ComposeResult:
        start = self.initial()
        if self.intro():
            yield Static(self.intro(), classes="hint", markup=False)
        section = ""
        for f in self.specs:
            if f.section != section:
                section = f.section
                if section:
                    yield Static(section, classes="form-section", markup=False)
            mark = " *" if f.required else ""
            hint = f" ({HINTS[f.kind]})" if f.kind in HINTS else ""
            safe = " [SAFE FIELD]" if f.safe else ""
            yield Label(f"{f.label}{hint}{mark}{safe}", markup=False)
            yield self.widget(f, start.get(f.key))

    def widget(self, f: FormField, value: Any):
        wid = self.ids[f.key]
        if f.kind == "yesno":
            chosen = value if isinstance(value, bool) else Select.NULL
            return Select(YES_NO, prompt="yes or no", id=wid, value=chosen)
        if f.kind == "choice":
            return Select(
                [(c, c) for c in f.choices],
                prompt="choose",
                id=wid,
                value=value if value in f.choices else Select.NULL,
            )
        if f.kind == "choices":
            chosen = set(value or ())
            return SelectionList[str](*[(c, c, c in chosen) for c in f.choices], id=wid, classes="choices")
        if f.kind in ("lines", "list"):
            return TextArea(str(value or ""), id=wid, classes="text")
        return Input(str(value or ""), placeholder=HINTS.get(f.kind, ""), id=wid)

    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.specs:
            widget = self.query_one(f"#{self.ids[f.key]}")
            if isinstance(widget, TextArea):
                out[f.key] = widget.text
            elif isinstance(widget, SelectionList):
                out[f.key] = list(widget.selected)
            elif isinstance(widget, Select):
                out[f.key] = None if widget.value is Select.NULL else widget.value
            else:
                out[f.key] = widget.value
        return out

    def form(self) -> dict[str, Any]:
        """What was typed, as the nested form the service's parser reads."""
        return assemble(self.specs, self.answers())

    def prepare(self) -> Callable[[], object]:
        answers = self.answers()
        try:
            return self.job(assemble(self.specs, answers))
        except DacliError as exc:  # about the entries as read: said about the slots as filled in
            raise type(exc)(renumber(exc.message, slot_numbers(self.specs, answers))) from None

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        raise NotImplementedError

    def field_for(self, message: str) -> str | None:
        f = named(message, self.specs)
        return self.ids[f.key] if f else super().field_for(message)

    def refuse(self, message: str) -> None:
        """The refusal in the form's own words (the labels on screen, not the keys of a form file), with
        the first field it names focused."""
        super().refuse(message)
        self.query_one("#error", Label).update(in_words(message, self.specs))
