"""The intake forms: a referral taken on the phone (the urgent fields first: what keeps the client safe,
and when the referral came), and the whole intake form to finish it; each read by `parse_intake` and saved
by the CLI's own service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dacli import clock
from dacli.schemas.fields import flatten
from dacli.schemas.intake import IntakeForm
from dacli.tui.screens.schemaform import SchemaFormScreen

URGENT = (
    "client.name",
    "client.safe_number",
    "client.safe_time_to_call",
    "client.code_word",
    "concerns.flag",
    "concerns.details",
    "referral.date",
    "referral.time",
    "referral.referred_by",
)
"""The urgent part, in the order `dacli intake` asks it."""
INTAKE_EXCLUDE = {
    "schema_", "case", "taken_by", "taken_at", "matches", "replaces", "after", "recorded_by", "recorded_at",
}  # fmt: skip


class UrgentIntakeScreen(SchemaFormScreen):
    """`dacli intake`, on the phone: the urgent fields only. Saved, the case opens (or the earlier case of
    a client who matches, as a repeat referral) and the whole form follows (`FinishIntakeScreen`)."""

    MODEL = IntakeForm
    ONLY = URGENT
    TITLE_TEXT = "New referral: the urgent details first. ctrl+s saves, escape cancels."
    INTRO = "Saved, the case opens and the rest of the intake form follows (it can wait: i on the case)."

    def form_fields(self):
        fields = super().form_fields()
        return sorted(fields, key=lambda f: URGENT.index(f.key))

    def initial(self) -> dict[str, Any]:
        now = clock.local(self.app.now())
        return {"referral.date": now.date().isoformat(), "referral.time": now.strftime("%H:%M")}

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.intake import intake, parse_intake

        form = parse_intake({**data, "complete": False}, self.app.today(), clock.local(self.app.now()))
        session = self.app.session
        return lambda: intake(session, form)

    def saved(self, result) -> None:
        from dacli.services.intake import match_sentence

        said = (
            [f"Case {result.case} opened."]
            if not result.repeat
            else [f"Intake {result.intake} of {result.case}."]
        )
        said += [match_sentence(m) for m in result.matches]
        self.app.notify(" ".join(said), timeout=10)
        self.app.call_later(self.app.open_case, result.case, True)


class FinishIntakeScreen(SchemaFormScreen):
    """`dacli intake finish`: the whole intake form, opened with the latest intake on file; saved as its
    next version, complete. Blank rows for one more person who abuses and two more children."""

    MODEL = IntakeForm
    SKIP = ("complete",)
    TITLE_TEXT = "{ref}: the whole intake form. ctrl+s saves, escape cancels."

    def __init__(self, ref: str, current: dict[str, Any]) -> None:
        self.current = current
        self.REPEAT = {
            "perpetrators": len(current.get("perpetrators") or []) + 1,
            "children": len(current.get("children") or []) + 2,
        }
        super().__init__(ref)

    def initial(self) -> dict[str, Any]:
        return flatten(self.current, self.specs)

    def job(self, data: dict[str, Any]) -> Callable[[], object]:
        from dacli.services.intake import finish_intake, parse_intake

        form = parse_intake({**data, "complete": True}, self.app.today(), clock.local(self.app.now()))
        session, ref = self.app.session, self.ref
        return lambda: finish_intake(session, ref, form)

    def saved(self, result) -> None:
        from dacli.services.intake import match_sentence

        self.app.notify(" ".join([f"Intake of {self.ref} completed.", *map(match_sentence, result)]))


def intake_on_file(session, ref: str) -> dict[str, Any]:
    """The latest intake of a case, as the form to finish it starts from."""
    from dacli.services.intake import latest_intake

    return latest_intake(session, ref).model_dump(mode="python", exclude=INTAKE_EXCLUDE)
