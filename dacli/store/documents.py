"""Signed, encoded documents: what a signature covers, TOML records and plain settings files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dacli.errors import (
    IntegrityError,
    InvalidInput,
    NotFound,
    StoreError,
)
from dacli.schemas.store import StaffMember
from dacli.text import Refused, load_toml


def signed_context(kind: str, store_id: str, *where: str) -> bytes:
    """What a signature covers besides the content: the kind of file, the store, and where it belongs (case
    and record name, key ring scope), so a signed file copied to another place or store fails."""
    return ("\n".join([f"dacli-{kind}/1", store_id, *where]) + "\n").encode()


def certificate_context(store_id: str, m: StaffMember) -> bytes:
    return signed_context(
        "staff-member", store_id, m.id, m.username, m.role.value, m.recipient, m.signing_key, m.added_by or ""
    )


def pydantic_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the document"
    return f"{where}: {err['msg']}"


def _strip_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(v) for v in value if v is not None]
    return value


def encode_document(doc: dict) -> bytes:
    """TOML text, ``schema`` and ``case`` first. Imported lazily: only writers need tomli_w."""
    import tomli_w

    if "schema" not in doc or "case" not in doc:
        raise ValueError("a document needs 'schema' and 'case'")
    ordered = {"schema": doc["schema"], "case": doc["case"]}
    ordered.update({k: v for k, v in doc.items() if k not in ordered})
    return tomli_w.dumps(_strip_none(ordered)).encode("utf-8")


def decode_document(data: bytes, ref: str, what: str) -> dict:
    try:
        # stored text can be old (written before forms refused control characters): it is read, and
        # every control character but newline and tab is shown as a placeholder wherever it is output
        doc = load_toml(data.decode("utf-8"), what, stored=True)
    except UnicodeDecodeError:
        raise IntegrityError(f"{what} decrypts but is not valid TOML.") from None
    except Refused as exc:
        if exc.syntax:
            raise IntegrityError(f"{what} decrypts but is not valid TOML.") from None
        raise IntegrityError(str(exc)) from None
    if not isinstance(doc.get("schema"), str):
        raise IntegrityError(f"{what} has no schema line.")
    if doc.get("case") != ref:
        raise IntegrityError(
            f"{what} belongs to another case, not {ref}: it was copied or moved into this folder."
        )
    return doc


def incomplete_sentence(ref: str, problems: list[tuple[str, str]]) -> str:
    """The one sentence for a case with records that cannot be read: `case show` marks the case with it,
    and every command that would change the case refuses with it (exit 6)."""
    names = ", ".join(name for name, _ in problems)
    why = "; ".join(text.rstrip(".") for _, text in problems)
    return (
        f"Case {ref} is incomplete: {names} cannot be read ({why}); nothing can be written to the case "
        "until that is restored from a backup."
    )


def read_plain_toml(path: Path, model: type, what: str) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{what} is missing ({path}).") from None
    except OSError as exc:
        raise StoreError(f"Cannot read {what} ({exc.strerror}).") from None
    try:
        data = load_toml(raw.decode("utf-8"), f"{what} ({path.name})")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} ({path.name}) is not valid TOML: {exc}.") from None
    except Refused as exc:
        raise InvalidInput(str(exc)) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{what} ({path.name}) has a bad value: {pydantic_problem(exc)}.") from None


def dump_plain_toml(model: Any) -> bytes:
    import tomli_w

    return tomli_w.dumps(_strip_none(model.model_dump(mode="python", by_alias=True))).encode()
