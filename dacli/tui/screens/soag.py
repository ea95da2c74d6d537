"""The Severity of Abuse Grid form."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import (
    Input,
    Label,
    Select,
    Static,
)

from dacli.tui.screens.form import FormScreen

OCCURRING = ("yes", "no", "dont-know", "not-answered")
SEVERITY = ("high", "moderate", "standard")
ESCALATION = ("worse", "unchanged", "reduced")


class SoagScreen(FormScreen):
    """The Severity of Abuse Grid, type by type with the pack's options and guidance; read by
    `services.soag.parse_soag` and saved by `record_soag`, as `dacli soag record` does."""

    TITLE_TEXT = "{ref}: Severity of Abuse Grid (Soag). ctrl+s saves, escape cancels."

    def fields(self) -> ComposeResult:
        from dacli.schemas.soag_bank import (
            ABUSE_TYPES,
            ATTRIBUTION,
            COLUMNS,
            ESCALATION_OPTIONS,
            INSTRUCTIONS,
            OCCURRING_OPTIONS,
            PERMISSION,
            SEVERITY_OPTIONS,
        )

        yield Label("Assessed on (YYYY-MM-DD, blank = today):")
        yield Input(placeholder="today", id="assessed_on")
        yield Static(INSTRUCTIONS[-1], classes="hint")
        with Horizontal(classes="grid-head"):
            for column in COLUMNS[1:]:
                yield Label(column, classes="grid-cell")
        for kind in ABUSE_TYPES:
            yield Label(kind.name, classes="grid-type")
            with Horizontal(classes="grid-row"):
                yield Select(
                    list(zip(OCCURRING_OPTIONS, OCCURRING, strict=True)),
                    value="not-answered",
                    allow_blank=False,
                    compact=True,
                    id=f"{kind.key}-occurring",
                    classes="grid-cell",
                )
                for field, labels, values in (
                    ("severity", SEVERITY_OPTIONS, SEVERITY),
                    ("escalation_severity", ESCALATION_OPTIONS, ESCALATION),
                    ("escalation_frequency", ESCALATION_OPTIONS, ESCALATION),
                ):
                    yield Select(
                        list(zip(labels, values, strict=True)),
                        prompt="-",
                        compact=True,
                        disabled=True,
                        id=f"{kind.key}-{field}",
                        classes="grid-cell",
                    )
            yield Static("", id=f"{kind.key}-guidance", classes="hint guidance")
        yield Static(f"{ATTRIBUTION}. {PERMISSION}", classes="hint")

    def on_mount(self) -> None:
        self.query_one(".grid-row Select").focus()

    @on(Select.Changed)
    def occurring_changed(self, event: Select.Changed) -> None:
        from dacli.schemas.soag_bank import ABUSE_TYPES

        key, _, field = (event.select.id or "").partition("-")
        if field != "occurring":
            return
        kind = next(k for k in ABUSE_TYPES if k.key == key)
        occurring = event.value == "yes"
        for name in ("severity", "escalation_severity", "escalation_frequency"):
            select = self.query_one(f"#{key}-{name}", Select)
            select.disabled = not occurring
            if not occurring:
                select.clear()  # given only when abuse is occurring, as the schema says
        guidance = self.query_one(f"#{key}-guidance", Static)
        guidance.update("\n".join(f"{level.title()}: {kind.guidance(level)}" for level in SEVERITY))
        guidance.display = occurring

    def prepare(self) -> Callable[[], object]:
        from dacli.schemas.soag import TYPES
        from dacli.services.soag import parse_soag, record_soag

        data: dict = {"assessed_on": self.value("assessed_on") or None}
        for key in TYPES:
            row = {}
            for name in ("occurring", "severity", "escalation_severity", "escalation_frequency"):
                select = self.query_one(f"#{key}-{name}", Select)
                if not select.is_blank():
                    row[name] = select.value
            data[key] = row
        today = self.app.today()
        form = parse_soag(data, today)
        session = self.app.session
        return lambda: record_soag(session, self.ref, form, today)

    def field_for(self, message: str) -> str | None:
        from dacli.schemas.soag import TYPES

        named = sorted((message.find(f"{k}:"), k) for k in TYPES if f"{k}:" in message)
        if not named:
            return super().field_for(message)
        key = named[0][1]
        for name in ("severity", "escalation_severity", "escalation_frequency"):
            select = self.query_one(f"#{key}-{name}", Select)
            if not select.disabled and select.is_blank():
                return select.id  # the first answer the row still needs
        return f"{key}-occurring"
