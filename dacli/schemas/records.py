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
            children.CscReferralRecord, children.CscConfirmRecord, review.ReviewRecord, review.ClosureRecord,
            review.ReopenRecord, review.FollowUpRecord, review.BoilDown, review.HoldRecord,
            review.HoldEndRecord,
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


# Decisions a record can carry, and who may make them. A record of one of these kinds counts only as signed
# by the person it names, in a role allowed to make it: checked where the record is read (and before it is
# written), so a caseworker with her own keys cannot write a sign-off, a hold's end or a decision not to refer
# in a senior's name through dacli's Python API (the commands' role checks are conveniences).
SENIOR = ("senior", "manager")
DECISIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    # schema: (the field naming who decided, the roles allowed; None: any member of staff)
    "share-sign-off/1": ("signed_by", SENIOR),
    "marac-decline/1": ("decided_by", SENIOR),
    "retention-hold/1": ("placed_by", SENIOR),
    "retention-hold-end/1": ("removed_by", SENIOR),
    "share-without-consent/1": ("decided_by", None),
    "csc-confirm/1": ("recorded_by", None),
    "case-exit/1": ("closed_by", None),  # a closure starts the retention clock
    "case-reopen/1": ("reopened_by", None),  # a reopening stops the sweep
}


def decision_problem(doc: dict, signer_id: str, signer_role: str) -> str | None:
    """Why a decision record does not stand as signed (by ``signer_id`` in ``signer_role``), or None."""
    rule = DECISIONS.get(str(doc.get("schema")))
    if rule is None:
        return None
    field, roles = rule
    if doc.get(field) != signer_id:
        return f"it names {str(doc.get(field))[:40]!r} as {field} but was signed by {signer_id}"
    if roles is not None and signer_role not in roles:
        return f"{field} must be a senior or manager, and {signer_id} is a {signer_role}"
    role_field = f"{field}_role"
    if role_field in doc and doc[role_field] != signer_role:
        return f"it gives {role_field} as {str(doc[role_field])[:20]!r}, and {signer_id} is a {signer_role}"
    if (
        doc.get("schema") == "share-without-consent/1"
        and signer_role == "caseworker"
        and not doc.get("needs_sign_off")
    ):
        return "a caseworker's decision to share without consent needs a senior's sign-off"
    return None
