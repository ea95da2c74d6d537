"""Every kind of case record, by the ``schema`` line it starts with: the one table the store checks a record
against, when it writes one (so no service can write what it cannot read back) and when it reads one.

The models are imported when first asked for, so importing this module costs nothing on start-up.
"""

from __future__ import annotations

from pydantic import ValidationError

_MODELS: dict[str, type] | None = None


def _models() -> dict[str, type]:
    global _MODELS
    if _MODELS is None:
        from dacli.schemas import (
            case,
            children,
            consent,
            court,
            dash,
            intake,
            issp,
            marac,
            notes,
            review,
            sharing,
            soag,
        )

        kinds = [
            case.CaseRecord, intake.IntakeRecord, notes.NoteRecord, notes.ContactRecord, dash.DashRecord,
            soag.SoagRecord, issp.IsspRecord, issp.IsspCopyRecord, consent.AgreementRecord,
            sharing.ShareRecord, sharing.SignOffRecord, sharing.DisclosureRecord, marac.MaracRecord,
            marac.ResearchRecord, marac.MaracDeclineRecord, court.CriminalRecord, court.CivilRecord,
            children.CscReferralRecord, review.ReviewRecord, review.ClosureRecord, review.ReopenRecord,
            review.FollowUpRecord, review.BoilDown, review.HoldRecord, review.HoldEndRecord,
        ]  # fmt: skip
        _MODELS = {m.model_fields["schema_"].default: m for m in kinds}
    return _MODELS


def register(schema: str, model: type | None) -> None:
    """Add (or with None, drop) a record kind: for tests of the store itself, which write bare records."""
    if model is None:
        _models().pop(schema, None)
    else:
        _models()[schema] = model


def schemas() -> list[str]:
    """Every record schema this dacli reads."""
    return sorted(_models())


def model_for(schema: str) -> type | None:
    return _models().get(schema)


def problem(exc: ValidationError) -> str:
    """A validation error as 'field: message', never the value."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the record"
    msg = err["msg"]
    if err["type"] == "enum":
        msg = f"must be one of {err['ctx']['expected']}"
    return f"{where}: {msg}"


def record_problem(doc: dict) -> str | None:
    """Why a decoded record does not match the schema it names, or None when it does."""
    model = model_for(doc.get("schema", ""))
    if model is None:
        return f"schema {str(doc.get('schema'))[:60]!r} is not one this dacli reads"
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        return problem(exc)
    return None
