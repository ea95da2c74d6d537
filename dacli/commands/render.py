"""Plain, fast text tables, and the one colour dacli's text output uses.

rich's Table measures every cell of every row: about 16 s for a 20,000-case caseload here. Caseload-sized
output goes through this instead: column widths from one pass, one write. rich is kept for small views.

Colour: on a terminal (not a pipe or file), unless ``NO_COLOR`` is set (https://no-color.org) or ``TERM``
is ``dumb``, the word OVERDUE is bold red (``paint``), after the columns are padded, so they still line up.
``FORCE_COLOR`` turns it on without a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

OVERDUE_WORD = "OVERDUE"
_RED = "\x1b[1;31m" + OVERDUE_WORD + "\x1b[0m"


def colour_on(stream) -> bool:
    """Whether ``stream`` gets colour: a terminal, no NO_COLOR, not TERM=dumb (or FORCE_COLOR set)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def paint(text: str, stream) -> str:
    """``text`` with OVERDUE in bold red when ``stream`` takes colour (`colour_on`)."""
    return text.replace(OVERDUE_WORD, _RED) if OVERDUE_WORD in text and colour_on(stream) else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], out=None) -> None:
    """Write ``rows`` under ``headers``, columns padded to their widest cell. Cells are strings (None and
    other values are turned into text); a cell with control characters is shown with spaces instead."""
    out = out or sys.stdout
    cells: list[Sequence[str]] = [tuple(headers), *rows]
    try:  # fast path: every cell already a string, and everything printable
        printable = all(map(str.isprintable, map("".join, cells)))
    except TypeError:
        cells = [tuple("" if c is None else str(c) for c in row) for row in cells]
        printable = all(map(str.isprintable, map("".join, cells)))
    if not printable:
        cells = [row if "".join(row).isprintable() else tuple(map(_clean, row)) for row in cells]
    widths = [max(map(len, column)) for column in zip(*cells, strict=True)]
    fmt = "  ".join([*(f"%-{w}s" for w in widths[:-1]), "%s"])  # the last column unpadded
    lines = [(fmt % tuple(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out.write(paint("\n".join(lines) + "\n", out))


def _clean(value: object) -> str:
    """One line per cell: control characters in data (a name typed with a tab) cannot break the layout
    or send terminal escape sequences."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " for c in text)


def flat_lines(table: dict, prefix: str = ""):
    """A nested table as 'key: value' lines, nested keys joined with dots ('security.passphrase_log_n: 17');
    an empty value as '(none)'."""
    for key, value in table.items():
        if isinstance(value, dict):
            yield from flat_lines(value, f"{prefix}{key}.")
        else:
            if isinstance(value, list):
                value = "; ".join(map(str, value))
            yield f"{prefix}{key}: {'(none)' if value in (None, '', []) else value}"
