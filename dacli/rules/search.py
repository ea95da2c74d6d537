"""Finding a case by what a worker remembers of it: a name, an also-known-as name or a reference.
Pure functions over text."""

from __future__ import annotations

import re
import unicodedata

_SPLIT = re.compile(r"[\s\-/,.;:()]+")


def _fold(word: str) -> str:
    """A word as compared: case, accents and punctuation left out ('Zoë' is 'zoe', "O'Brien" 'obrien')."""
    if word.isascii():
        return "".join(c for c in word.lower() if c.isalnum())
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text`` (split at spaces, hyphens and punctuation; empty words dropped)."""
    return [w for w in (_fold(part) for part in _SPLIT.split(text)) if w]


def name_matches(query: str, name: str | None) -> bool:
    """Whether ``name`` is one a worker typing ``query`` may mean: every word of the query begins a word
    of the name ('jo test' finds 'Joanne Testcase-Pike'; 'pike' finds it too), or the query, folded whole,
    is part of the name folded whole ('obrientest' finds "Zoë O'Brien-Testcase"; at least three
    characters). Nothing is found by an empty query or in an empty name."""
    if not name:
        return False
    wanted = words(query)
    if not wanted:
        return False
    have = words(name)
    if all(any(h.startswith(w) for h in have) for w in wanted):
        return True
    whole = "".join(wanted)
    return len(whole) >= 3 and whole in "".join(have)


def text_matches(query: str, text: str | None) -> bool:
    """Whether a note (or any text on file) holds what a worker typing ``query`` remembers of it: every
    word of the query begins a word of the text ('hous opt' finds 'Housing options called'). Nothing is
    found by an empty query or in an empty text."""
    wanted = words(query)
    if not wanted or not text:
        return False
    have = words(text)
    return all(any(h.startswith(w) for h in have) for w in wanted)


def matching_line(query: str, text: str) -> str:
    """The first line of ``text`` that holds a word of ``query`` (else its first line), to show a hit."""
    wanted = words(query)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        have = words(line)
        if any(h.startswith(w) for w in wanted for h in have):
            return line
    return lines[0] if lines else ""
