"""Every kind of case record, by the ``schema`` line it starts with: the one table the store checks a record
against, when it writes one (so no service can write what it cannot read back) and when it reads one.

Each model is imported when a record of its kind is first met, so importing this module costs nothing on
start-up and reading a case builds only the models of the kinds it holds.
"""

from __future__ import annotations

from pydantic import ValidationError

WHERE = {
    "case/1": "case:CaseRecord",
    "intake/1": "intake:IntakeRecord",
    "note/1": "notes:NoteRecord",
    "contact/1": "notes:ContactRecord",
    "dash/1": "dash:DashRecord",
    "soag/1": "soag:SoagRecord",
    "issp/1": "issp:IsspRecord",
    "issp-copy/1": "issp:IsspCopyRecord",
    "agreement/1": "consent:AgreementRecord",
    "share-without-consent/1": "sharing:ShareRecord",
    "share-sign-off/1": "sharing:SignOffRecord",
    "disclosure/1": "sharing:DisclosureRecord",
    "marac-referral/1": "marac:MaracRecord",
    "marac-research/1": "marac:ResearchRecord",
    "marac-decline/1": "marac:MaracDeclineRecord",
    "court-criminal/1": "court:CriminalRecord",
    "court-civil/1": "court:CivilRecord",
    "csc-referral/1": "children:CscReferralRecord",
    "csc-confirm/1": "children:CscConfirmRecord",
    "case-review/1": "review:ReviewRecord",
    "case-exit/1": "review:ClosureRecord",
    "case-reopen/1": "review:ReopenRecord",
    "follow-up/1": "review:FollowUpRecord",
    "boil-down/1": "review:BoilDown",
    "retention-hold/1": "review:HoldRecord",
    "retention-hold-end/1": "review:HoldEndRecord",
}
"""Each record kind's schema line, and its model ("module:Class" of `dacli.schemas`), imported when a record
of the kind is first met: a case of two records builds two kinds' models, not 26 (tests/test_record_kinds.py
holds this table to each model's own ``schema`` default)."""

_LOADED: dict[str, type | None] = {}
"""The kinds asked for so far, and any `register` added or dropped."""


def register(schema: str, model: type | None) -> None:
    """Add (or with None, drop) a record kind: for tests of the store itself, which write bare records."""
    _LOADED[schema] = model


def schemas() -> list[str]:
    """Every record schema this dacli reads."""
    return sorted(k for k in {*WHERE, *_LOADED} if model_for(k) is not None)


def model_for(schema: str) -> type | None:
    try:
        return _LOADED[schema]
    except KeyError:
        pass
    where = WHERE.get(schema)
    if where is None:
        return None
    import importlib

    module, _, name = where.partition(":")
    model = _LOADED[schema] = getattr(importlib.import_module(f"dacli.schemas.{module}"), name)
    return model


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
