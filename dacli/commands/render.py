"""Plain, fast text tables.

rich's Table measures every cell of every row: about 16 s for a 20,000-case caseload here. Caseload-sized
output goes through this instead: column widths from one pass, one write. rich is kept for small views.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


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
    out.write("\n".join(lines) + "\n")


def _clean(value: object) -> str:
    """One line per cell: control characters in data (a name typed with a tab) cannot break the layout
    or send terminal escape sequences."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " for c in text)
