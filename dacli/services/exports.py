"""What every export shares: the values that must not leave, and a last check of the text that does.

Safe fields (addresses, safe numbers, code words, refuge location, new addresses) are withheld field by
field by each export's renderer. A worker may still have typed one of those values into free text (an
action, a comment, advice, bail conditions). So before any export leaves dacli, its text is searched for
every safe value the case has ever held (every intake, every plan version), and each one found is replaced,
unless that field was released with a reason (audited).

The search compares both sides in a normal form: case, accents and curly quotes are ignored, letters NFKD
leaves whole are read in plain letters ('Æsir' is 'aesir', 'Łódź' 'lodz'; 'Müller' is also 'Mueller'), and
so is any spacing or punctuation between any two characters ('07700-900-999' is '07700900999', 'BLUE BIRD'
and 'blue-bird' are 'bluebird', 'M145RQ' is 'M14 5RQ'); text with percent-encoding is also searched decoded
('blue%20bird'). Telephone numbers match by their national digits whatever the prefix (0, +44, 0044, +44
(0)), each number of a field holding two; street and building words match their abbreviations both ways
('Mill Lane' and 'Mill Ln'). An address is also searched by its postcode, each line or part, each part
without its house number, each street or building name, a one-word street after its house number, a house
or flat number after 'Flat' or 'No.', and its outward code next to one of its words ('Leeds LS1'); a school
by its name without the words every school has. Code words of four letters or more are found inside longer
words ('BLUEBIRD2024'); shorter ones (a code word like 'Red') as whole words, digits aside. It may withhold a
little too much (the word 'red' elsewhere in the text); it must never let a value through.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from dacli.errors import InvalidInput

WITHHELD = "[withheld: safe field]"
ADDRESS_FIELDS = ("address", "alternative_address", "new_address", "refuge_location", "escape_route")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"'})
# Letters NFKD leaves whole, written as people write them in plain letters ('Æsir' is 'aesir', 'Łódź' 'lodz').
_LETTERS = str.maketrans(
    {"Æ": "ae", "æ": "ae", "Œ": "oe", "œ": "oe", "Ø": "o", "ø": "o", "Ł": "l", "ł": "l", "Đ": "d", "đ": "d",
     "Ð": "d", "ð": "d", "Þ": "th", "þ": "th", "ß": "ss", "ẞ": "ss", "ı": "i", "Ħ": "h", "ħ": "h", "Ŧ": "t",
     "ŧ": "t", "ĸ": "k"}
)  # fmt: skip
_UMLAUT = "\u0308"
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


def _fold(text: str, value: bool = False) -> tuple[str, list[int]]:
    """The text without accents or curly quotes, casefolded, letters NFKD leaves whole written in plain
    letters, with the index of each character's origin. A value (``value``) writes 'ä', 'ö', 'ü' and 'ø'
    with the 'e' people add ('Müller' is 'mueller'), which its pattern makes optional (see ``_word``)."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            chars.append(ch.lower())
            origin.append(i)
            continue
        folded = unicodedata.normalize("NFKD", ch.translate(_QUOTES).translate(_LETTERS))
        plain = "".join(c for c in folded if not unicodedata.combining(c))
        if value and (ch in "Øø" or (_UMLAUT in folded and plain in "AOUaou")):
            plain += "e"
        for c in plain.casefold():
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


_ENCODED = re.compile(r"(?:%[0-9A-Fa-f]{2})+|\+")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")  # '+' alone needs no decoded copy: it is a separator anyway


def _decoded(text: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    """The text with percent-encoding decoded ('blue%20bird', 'p%C3%AAche') and '+' read as a space, with
    where in the original text each character begins and ends."""
    chars: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for m in _ENCODED.finditer(text):
        chars.append(text[last : m.start()])
        new_starts += starts[last : m.start()]
        new_ends += ends[last : m.start()]
        last = m.end()
        if m.group() == "+":
            chars.append(" ")
            new_starts.append(starts[m.start()])
            new_ends.append(ends[m.start()])
            continue
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        begin = m.start()
        for k in range(m.start(), m.end(), 3):
            out = decoder.decode(bytes([int(text[k + 1 : k + 3], 16)]), final=k + 3 == m.end())
            for c in out:
                chars.append(c)
                new_starts.append(starts[begin])
                new_ends.append(ends[k + 2])
            if out:
                begin = k + 3
    chars.append(text[last:])
    new_starts += starts[last:]
    new_ends += ends[last:]
    return "".join(chars), new_starts, new_ends


def _views(text: str) -> list[tuple[str, list[int], list[int]]]:
    """The text folded for matching, with where each character begins and ends in the text; and, if the
    text holds percent-encoding or '+', the same for a decoded copy (decoded again while it changes, for
    text encoded twice), so a value written 'blue%20bird' is found and withheld in the original text."""
    folded, origin = _fold(text)
    views = [(folded, origin, [i + 1 for i in origin])]
    if not _PERCENT.search(text):
        return views
    plain, starts, ends = text, list(range(len(text))), list(range(1, len(text) + 1))
    for _ in range(3):
        decoded, starts, ends = _decoded(plain, starts, ends)
        if decoded == plain:
            break
        plain = decoded
        folded, origin = _fold(plain)
        views.append((folded, [starts[i] for i in origin], [ends[i] for i in origin]))
    return views


# Street and building words, each group written every way people write it; a value's word matches any
# word of its group ('Mill Lane' and 'Mill Ln', 'St John's' and 'Saint John's', 'Street' and 'St').
_SYNONYMS = [
    ("road", "rd"), ("lane", "ln"), ("street", "st", "str", "saint"), ("avenue", "ave", "av", "avn"),
    ("close", "cl", "clo"), ("drive", "dr", "drv"), ("crescent", "cres", "cresc", "crs", "cr"),
    ("court", "ct", "crt"), ("place", "pl"), ("gardens", "garden", "gdns", "gdn", "gds"),
    ("terrace", "terr", "ter", "tce", "trc"), ("grove", "gr", "gro", "grv"), ("square", "sq"),
    ("park", "pk"), ("parade", "pde", "par"), ("boulevard", "blvd", "bvd"), ("highway", "hwy"),
    ("mount", "mt"), ("walk", "wlk", "wk"), ("green", "grn", "gn"), ("heights", "hts"),
    ("cottages", "cottage", "cotts", "cott"), ("estate", "est"), ("mansions", "mans"),
    ("house", "ho", "hse"), ("centre", "center", "ctr"), ("building", "bldg", "bldgs"),
    ("apartments", "apartment", "apts", "apt", "flats", "flat"), ("way",), ("row",), ("mews",),
    ("hill",), ("view",), ("rise",), ("vale",), ("wharf",), ("yard",), ("lodge",), ("hall",),
    ("refuge",), ("hostel",), ("shelter",), ("manor",), ("farm",), ("tower", "towers", "twr"),
    ("wynd",), ("chase",), ("croft",), ("fold",), ("gate",), ("meadow", "meadows"), ("bank",),
    ("school", "sch"), ("primary", "pri", "prim"), ("academy", "acad"), ("college", "coll"),
]  # fmt: skip
_SCHOOL_GROUPS = 4  # the last groups: schools' words, not the end of a street or building's name
_SAME: dict[str, tuple[str, ...]] = {}
for _group in _SYNONYMS:
    for _word in _group:
        _SAME[_word] = tuple(dict.fromkeys(_SAME.get(_word, ()) + _group))
# Words that end a place name ('Elm Road', 'Haven House'): the word before one, with it, names the place.
_PLACE_WORDS = {w for g in _SYNONYMS[:-_SCHOOL_GROUPS] for w in g} - {
    "saint",
    "flat",
    "flats",
    "apartment",
    "apts",
}
# Words that say nothing about where a school is ('Brackenwold C of E Primary School' is 'Brackenwold').
_SCHOOL_WORDS = {
    "school", "schools", "sch", "primary", "pri", "prim", "secondary", "junior", "juniors", "infant",
    "infants", "nursery", "academy", "acad", "college", "coll", "high", "grammar", "community", "church",
    "england", "of", "the", "and", "c", "e", "ce", "cofe", "rc", "catholic", "roman", "free", "sixth",
    "form", "first", "middle", "upper", "lower", "prep", "preparatory", "pre", "preschool", "federation",
    "trust", "learning", "centre", "center", "campus", "site", "special", "unit", "pru",
}  # fmt: skip
_STOP = {"to", "the", "at", "on", "in", "near", "via", "then", "from", "of", "by", "and", "a", "an", "or"}
_NUMBERING = {"flat", "flats", "apartment", "apartments", "apt", "apts", "unit", "no", "number", "room"}
_TOKEN = re.compile(r"[^\W\d_]+|\d+")  # runs of letters, runs of digits: 'LS1' is 'ls', '1'
_SEP = r"[\W_]*"  # anything but letters and digits, or nothing, between any two characters
_POSTCODE = re.compile(
    r"(?<![^\W_])([a-z]{1,2})[\W_]*(\d)[\W_]*([a-z\d]?)[\W_]*(\d)[\W_]*([a-z])[\W_]*([a-z])(?![^\W_])"
)
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")


_BOUNDS = {
    "word": (r"(?<![^\W_])", r"(?![^\W_])"),  # not inside a longer word or number
    "letters": (r"(?<![^\W\d_])", r"(?![^\W\d_])"),  # digits may touch it: 'Red2024'
    "none": ("", ""),  # inside longer words: 'BLUEBIRD2024', 'bluebirds'
}


def _tokens(value: str) -> list[str]:
    return _TOKEN.findall(_fold(value, value=True)[0])


def _word(token: str) -> str:
    """The token's characters, any separator or none between them; an 'e' after 'a', 'o' or 'u' may be
    left out ('Mueller' is also 'Muller', 'Müller', 'Aesir' also 'Asir')."""
    out = re.escape(token[:1])
    for before, c in zip(token, token[1:], strict=False):
        out += f"(?:{_SEP}e)?" if c == "e" and before in "aou" else _SEP + re.escape(c)
    return out


def _pattern(tokens: list[str], same: bool, bound: str = "word") -> str | None:
    """The tokens in order, any separator or none between any two characters (so 'blue-bird', 'BLUE
    BIRD' and 'bluebird' are one code word, '07700-900-999' one number, 'LS14AB' one postcode), each word
    also as its street-type synonyms when ``same``, as whole words unless ``bound`` says otherwise."""
    if not tokens or (len(tokens) == 1 and len(tokens[0]) < 2):
        return None  # a single character would match everywhere
    pieces = []
    for token in tokens:
        words = _SAME.get(token, (token,)) if same and not token.isdigit() else (token,)
        pieces.append(_word(words[0]) if len(words) == 1 else "(?:" + "|".join(map(_word, words)) + ")")
    before, after = _BOUNDS[bound]
    first = pieces[0][:1]
    if before and first.isalnum():  # the bound after the first character: the search skips ahead to it
        rest = "".join(_SEP + piece for piece in pieces[1:])
        return first + before.replace(")", ".)") + pieces[0][1:] + rest + after
    return before + _SEP.join(pieces) + after


def _national(digits: str) -> str:
    """A telephone number's national digits: '+44 7700 900999', '0044 7700 900999', '+44 (0)7700
    900999' and '07700 900999' are all '7700900999'."""
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and len(digits) >= 11:
        digits = digits[2:]
    return digits.lstrip("0")


_PHONE_PREFIX = rf"(?:\+{_SEP})?(?:0{_SEP}0{_SEP})?(?:4{_SEP}4{_SEP})?(?:0{_SEP})?"
_DIGIT_RUN = re.compile(r"[\W_]*\d(?:[\W_]*\d)*")  # where a telephone number's pattern can match


def _phone_pattern(national: str) -> str:
    """The national digits, any separators between them, after any way of writing the prefix (0, 44,
    +44, 0044, +44 (0)); not bounded by whole words, so a number run into other digits is caught too."""
    return _PHONE_PREFIX + _SEP.join(national)


_PHONE_SPLIT = re.compile(r"\s+(?:-+|\u2013|\u2014|or|and|&)\s+|[/,;|&\u2013\u2014]")
_HOUSE = r"(?:flats?|apartments?|apts?|units?|no|nos|nr|num|numbers?|house|rooms?)"


def _phone_numbers(run: str) -> set[str]:
    """The national digits of every number in a run the phone pattern took as one ('07700 900123 /
    07700 900456', or two numbers with only spaces between): the whole run, each part between separators,
    and in a part too long for one number every run of its digit groups that makes 9 or 10 national digits."""
    out = set()
    for part in [run, *_PHONE_SPLIT.split(run)]:
        digits = "".join(c for c in part if c.isdigit())
        if len(_national(digits)) >= 6:
            out.add(_national(digits))
        groups = re.findall(r"\+?\d+", part)
        if len(digits) <= 13 or len(groups) < 2:
            continue
        for i in range(len(groups)):
            taken = ""
            for later in groups[i:]:
                taken += later.lstrip("+")
                national = _national(taken)
                if len(national) > 10:
                    break
                if len(national) >= 9:
                    out.add(national)
    return out


@functools.lru_cache(maxsize=1024)
def _variants(field: str, value: str) -> frozenset[str]:
    """Patterns for every way the value could be written in free text. For every value: the value itself,
    and any telephone number in it by its national digits. For addresses (and refuge locations, escape
    routes): each postcode, each line or comma-separated part of two words or more, each such part
    without its house or flat number, and each street or building name ('Elm Road', 'Haven House') with
    the word before it. For a school: its name without the words every school has ('Primary School')."""
    name = field.rsplit(".", 1)[-1]
    place = name in ADDRESS_FIELDS or name == "school"
    folded = _fold(value, value=True)[0]
    tokens = _tokens(value)
    if name == "code_word":  # four letters or more: inside longer words too; shorter: digits may touch it
        out = {_pattern(tokens, False, "none" if sum(map(len, tokens)) >= 4 else "letters")}
    else:
        out = {_pattern(tokens, place)}
    for m in _PHONE.finditer(folded):
        out.update(_phone_pattern(national) for national in _phone_numbers(m.group()))
    if name in ADDRESS_FIELDS:
        rest = _POSTCODE.sub(",", folded)
        near = sorted({t for t in _TOKEN.findall(rest) if t.isalpha() and len(t) >= 2} - _STOP - _NUMBERING)
        for m in _POSTCODE.finditer(folded):
            out.add(_pattern([c for c in m.groups() if c], False))
            outward = _word("".join(c for c in m.groups()[:3] if c))
            if near:  # 'Leeds LS1', 'LS1, Kingsway': the outward code next to a word of the address
                words = "(?:" + "|".join(map(_word, near)) + ")"
                out.add(rf"(?<![^\W_]){words}{_SEP}{outward}(?![^\W_])")
                out.add(rf"(?<![^\W_]){outward}{_SEP}{words}(?![^\W_])")
        houses: list[str] = []
        for part in re.split(r"[,\n;]+", rest):
            tokens = _tokens(part)
            words = [t for t in tokens if not t.isdigit() and t not in _NUMBERING]
            if any(t.isdigit() for t in tokens) or len(tokens) >= 2:
                out.add(_pattern(tokens, True))
            if len(words) >= 2:
                out.add(_pattern(words, True))
            for i, token in enumerate(tokens):
                if not token.isdigit():
                    continue
                after = tokens[i + 1 :]
                letter = after[0] if after and len(after[0]) == 1 and after[0].isalpha() else ""
                # 'Flat 3b', 'No. 14', 'Number 14': the house or flat number with a word saying it is one
                suffix = f"(?:{_SEP}{re.escape(letter)})?" if letter else ""
                houses.append(_word(token) + suffix)
                street = list(after[1:] if letter else after)
                while street and (street[0] in _STOP or street[0].isdigit()):
                    street.pop(0)
                street = street[: next((k for k, t in enumerate(street) if t.isdigit()), len(street))]
                # '14 Kingsway': the word after the house number names the street, unless a street word
                # follows it ('14 Elm Road' is searched as 'Elm Road' below)
                if street and len(street[0]) >= 3 and (len(street) == 1 or street[1] not in _PLACE_WORDS):
                    out.add(_pattern(street[:1], True))
            for i, token in enumerate(tokens[1:], 1):
                before = tokens[i - 1]
                if token in _PLACE_WORDS and not before.isdigit() and before not in _STOP | _NUMBERING:
                    out.add(_pattern([before, token], True))
                    if i >= 2 and tokens[i - 2].isdigit():  # '7 Elm Rd': the house number with it
                        out.add(_pattern([tokens[i - 2], before, token], True))
        if houses:  # one pattern for them all: one pass over the text
            out.add(rf"(?<![^\W_]){_HOUSE}{_SEP}(?:{'|'.join(houses)})(?![^\W_])")
    if name == "school":
        core = [t for t in _tokens(value) if t not in _SCHOOL_WORDS]
        if core and (len(core) > 1 or len(core[0]) >= 3):
            out.add(_pattern(core, True))
    out.discard(None)
    return frozenset(out)


def redact(text: str, values: dict[str, list[str]], released: Iterable[str] = ()) -> tuple[str, list[str]]:
    """Replace every unreleased safe value found in ``text``. Returns the text and the names of the fields
    found, so the caller can audit that free text held one. Text inside a released value is left alone."""
    keep = set(released)
    views = [(folded, starts, ends, []) for folded, starts, ends in _views(text)]

    def spans(items: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
        found = []
        for field, value in items:
            for pattern in _variants(field, value):
                compiled = _compiled(pattern)
                for folded, starts, ends, runs in views:
                    if pattern.startswith(_PHONE_PREFIX):  # a number: searched only where digits are
                        if not runs:  # found once per copy of the text ((0, 0) if it has no digits)
                            runs += [m.span() for m in _DIGIT_RUN.finditer(folded)] or [(0, 0)]
                        matches = (m for a, b in runs for m in compiled.finditer(folded, a, b))
                    else:
                        matches = compiled.finditer(folded)
                    for m in matches:
                        found.append((starts[m.start()], ends[m.end() - 1], field))
        return found

    allowed = spans((f, v) for f in keep for v in values.get(f, ()))
    shown = {_fold(v, value=True)[0] for f in keep for v in values.get(f, ())}
    hidden = spans(
        (f, v)
        for f, vs in values.items()
        if f not in keep
        for v in vs
        if _fold(v, value=True)[0] not in shown
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


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


Deliver = Callable[[bytes], None]
"""Where an export goes (a file the user named, or standard output); called before the export is audited,
so the audit trail never records an export that failed to be written."""


def outside_store(out: str, store_path, option: str = "--out") -> Path:
    """The file an export may be written to: where the person said, never inside the case store (plaintext
    never goes there)."""
    try:
        target = Path(out).expanduser().resolve()
    except (RuntimeError, ValueError, OSError):  # '~nosuchuser/x', a NUL byte, a loop of links
        raise InvalidInput(f"{option}: {out!r} is not a path dacli can write to.") from None
    if target.is_relative_to(Path(store_path).resolve()):
        raise InvalidInput(
            f"{option} is inside the case store: plaintext never goes there; choose another place."
        )
    return target


def to_file(target: Path) -> Deliver:
    """Deliver to a file: 0600, whole or not there, and no plaintext temp file if the process is killed."""

    def deliver(content: bytes) -> None:
        from dacli.store.fsio import write_plaintext

        write_plaintext(target, content)  # leaves the encrypted store on purpose

    return deliver
