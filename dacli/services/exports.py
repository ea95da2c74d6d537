"""What every export shares: the values that must not leave, and a last check of the text that does.

Safe fields (addresses, safe numbers, code words, refuge location, new addresses) are withheld field by
field by each export's renderer. A worker may still have typed one of those values into free text (an
action, a comment, advice, bail conditions). So before any export leaves dacli, its text is searched for
every safe value the case has ever held (every intake, every plan version), and each one found is replaced,
unless that field was released with a reason (audited).

The search is forgiving on purpose: case, accents, curly or straight quotes and the punctuation or spacing
between words are ignored ('07700-900-999' and '07700900999' both match '07700 900999'); an address is
also searched line by line; short values (a code word like 'Red') are matched as whole words. It may
withhold a little too much (the word 'red' elsewhere in the text); it must never let a value through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from pydantic import BaseModel

WITHHELD = "[withheld: safe field]"
ADDRESS_FIELDS = ("address", "alternative_address", "new_address", "refuge_location", "escape_route")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"'})
_WORD = re.compile(r"[^\W_]+")


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
            _merge(out, safe_values(value, key))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    _merge(out, safe_values(item, key))
    return out


def case_safe_values(view) -> dict[str, list[str]]:
    """Every safe value a case holds: every intake (a repeat referral's earlier safe number still matters)
    and every version of the safety plan."""
    out: dict[str, list[str]] = {}
    for intake in view.intakes:
        _merge(out, safe_values(intake, ""))
    for _, plan in view.plans:
        _merge(out, safe_values(plan.safe, "safe"))
    return out


def _merge(into: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for k, v in more.items():
        into.setdefault(k, [])
        into[k].extend(x for x in v if x not in into[k])


def _fold(text: str) -> tuple[str, list[int]]:
    """The text without accents or curly quotes, casefolded, with the index of each character's origin."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKD", ch.translate(_QUOTES))
        for c in "".join(c for c in folded if not unicodedata.combining(c)).casefold():
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


def _pattern(value: str) -> re.Pattern | None:
    """Words of the value in order, anything but letters and digits allowed between them, digits one by
    one (phone numbers are written in many ways), as whole words."""
    pieces: list[str] = []
    for word in _WORD.findall(_fold(value)[0]):
        pieces.extend(list(word) if word.isdigit() else [word])
    if not pieces or (len(pieces) == 1 and len(pieces[0]) < 2):
        return None  # a single character would match everywhere
    return re.compile(r"(?<![^\W_])" + r"[\W_]*".join(map(re.escape, pieces)) + r"(?![^\W_])")


def _variants(field: str, value: str) -> list[str]:
    """The value, and for addresses each line or comma-separated part that could identify the place (one
    with a number in it, or of three words or more)."""
    out = [value]
    if field.rsplit(".", 1)[-1] in ADDRESS_FIELDS:
        for part in re.split(r"[,\n;]+", value):
            part = part.strip()
            if part and part != value and (any(c.isdigit() for c in part) or len(part.split()) >= 3):
                out.append(part)
    return out


def redact(text: str, values: dict[str, list[str]], released: Iterable[str] = ()) -> tuple[str, list[str]]:
    """Replace every unreleased safe value found in ``text``. Returns the text and the names of the fields
    found, so the caller can audit that free text held one. Text inside a released value is left alone."""
    keep = set(released)
    folded, origin = _fold(text)

    def spans(items: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
        found = []
        for field, value in items:
            for variant in _variants(field, value):
                pattern = _pattern(variant)
                if pattern is None:
                    continue
                for m in pattern.finditer(folded):
                    found.append((origin[m.start()], origin[m.end() - 1] + 1, field))
        return found

    allowed = spans((f, v) for f in keep for v in values.get(f, ()))
    shown = {_fold(v)[0] for f in keep for v in values.get(f, ())}
    hidden = spans(
        (f, v) for f, vs in values.items() if f not in keep for v in vs if _fold(v)[0] not in shown
    )
    hidden = [h for h in hidden if not any(a <= h[0] and h[1] <= b for a, b, _ in allowed)]
    if not hidden:
        return text, []
    hidden.sort()
    merged: list[list] = []
    for start, end, _field in hidden:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, last = [], 0
    for start, end in merged:
        pieces += [text[last:start], WITHHELD]
        last = end
    pieces.append(text[last:])
    names: list[str] = []
    for _, _, field in hidden:
        if field not in names:
            names.append(field)
    return "".join(pieces), names


Deliver = Callable[[bytes], None]
"""Where an export goes (a file the user named, or standard output); called before the export is audited,
so the audit trail never records an export that failed to be written."""
