"""What every export shares: the values that must not leave, and a last check of the text that does.

Safe fields (addresses, safe numbers, code words, refuge location, new addresses) are withheld field by
field by each export's renderer. A worker may still have typed one of those values into free text (an
action, a comment, advice). So before any export leaves dacli, its text is searched for every safe value
of the case, and each one found is replaced, unless that field was released with a reason (audited).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel

WITHHELD = "[withheld: safe field]"
MIN_LENGTH = 4
"""Shorter values ('1', 'no') would match everywhere; a safe value that short is not searched for."""


def safe_values(model: BaseModel | None, prefix: str) -> dict[str, list[str]]:
    """{dotted field name: [values]} for every field marked ``safe`` in the schema, through nested models
    and lists of models (for example ``client.safe_number``, ``children.school``)."""
    out: dict[str, list[str]] = {}
    if model is None:
        return out
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}.{name}" if prefix else name
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("safe") and isinstance(value, str) and value.strip():
            out.setdefault(key, []).append(value.strip())
        elif isinstance(value, BaseModel):
            for k, v in safe_values(value, key).items():
                out.setdefault(k, []).extend(v)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    for k, v in safe_values(item, key).items():
                        out.setdefault(k, []).extend(v)
    return out


def redact(text: str, values: dict[str, list[str]], released: Iterable[str] = ()) -> tuple[str, list[str]]:
    """Replace every unreleased safe value found in ``text`` (case and spacing ignored). Returns the text
    and the names of the fields found, so the caller can audit that free text held one."""
    keep = set(released)
    shown = {v.casefold() for f in keep for v in values.get(f, ())}  # the same value under another name
    found: list[str] = []
    for field, items in values.items():
        if field in keep:
            continue
        for value in items:
            if len(value) < MIN_LENGTH or value.casefold() in shown:
                continue
            words = [re.escape(w) for w in value.split()]
            pattern = re.compile(r"\s+".join(words), re.IGNORECASE)
            text, n = pattern.subn(WITHHELD, text)
            if n and field not in found:
                found.append(field)
    return text, found
