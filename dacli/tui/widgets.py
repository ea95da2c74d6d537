"""The caseload table: a virtual table that draws only the rows on screen (Textual's line API), so
100,000 cases scroll as fast as 100.

Its columns are chosen by the width it has (`layout`): the reference, client, risk, next deadline and flags
always; the worker, status and last contact as room allows; the client, deadline and flags columns share
what is left. The header is the table's own first line, so it scrolls sideways with the rows and never
apart from them. The row under the cursor has a marker (>) and a background of its own; an overdue row a
'!' and red text, so the two never look alike (and neither relies on colour alone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dacli import clock
from dacli.tui.screens.case import CaseScreen


@dataclass(frozen=True)
class Column:
    name: str
    width: int
    """Its width when there is room for nothing more; columns in `GROWS` take a share of any room left."""
    drop: int = 0
    """0: always shown; otherwise the order in which it goes when the table is narrow (1 goes first)."""


COLUMNS = (
    Column("reference", 14),
    Column("client", 14),
    Column("worker", 10, drop=3),
    Column("status", 6, drop=2),
    Column("risk", 8),
    Column("last contact", 12, drop=1),
    Column("next deadline", 28),
    Column("flags", 10),
)
CELL = {c.name: i for i, c in enumerate(COLUMNS)}
"""Where each column's text is in `row_cells`."""
GROWS = {"client": 14, "next deadline": 12, "flags": 10_000}
"""How much wider than its width a column may grow, in this order, from the room left over."""
GUTTER = 2
"""The cursor marker and the overdue mark before each row."""
CURSOR = Style(bgcolor="#2f5f8f", color="#ffffff", bold=True)
OVERDUE = Style(color="#ff5f5f", bold=True)


def layout(width: int) -> list[tuple[int, int]]:
    """(index in `COLUMNS`, width) of the columns shown in ``width`` cells: those that fit, dropping the
    droppable ones in their order, and the room left shared out by `GROWS`."""
    shown = list(COLUMNS)

    def needed(columns) -> int:
        return GUTTER + sum(c.width for c in columns) + len(columns) - 1

    for column in sorted((c for c in COLUMNS if c.drop), key=lambda c: c.drop):
        if needed(shown) <= width:
            break
        shown.remove(column)
    widths = {c.name: c.width for c in shown}
    room = max(width - needed(shown), 0)
    for name, most in GROWS.items():
        extra = min(room, most)
        widths[name] += extra
        room -= extra
    return [(COLUMNS.index(c), widths[c.name]) for c in shown]


def fit(text: str, width: int) -> str:
    """``text`` in ``width`` cells: padded, or cut with an ellipsis so a cut never passes for the whole."""
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


class CaseTable(ScrollView, can_focus=True):
    """A virtual table: only the visible rows are drawn, so 20,000 cases cost what a screenful costs."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home", "move(-1000000)", "Top", show=False),
        Binding("end", "move(1000000)", "End", show=False),
        Binding("enter", "open", "Open", tooltip="Open the case"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list = []
        self._cells: dict[int, tuple[str, ...]] = {}
        self.cursor = 0
        self._layout: list[tuple[int, int]] = layout(80)
        self._laid_for = -1

    def set_rows(self, rows: list) -> None:
        self.rows = rows
        self._cells: dict[int, tuple[str, ...]] = {}  # only rows that were drawn
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        width = self.size.width or 80
        if width != self._laid_for:
            self._layout, self._laid_for = layout(width), width
        line = GUTTER + sum(w + 1 for _, w in self._layout) - 1
        self.virtual_size = Size(line, len(self.rows) + 1)  # the header, then the rows

    def on_resize(self, event: events.Resize) -> None:
        self._resize()
        self.refresh()

    @property
    def columns(self) -> list[str]:
        """The names of the columns shown now."""
        return [COLUMNS[i].name for i, _ in self._layout]

    @property
    def cells(self) -> list[tuple[str, ...]]:
        """Every row's cells, all columns (for tests and searches; drawing computes the visible ones only)."""
        today = self.app.today()
        return [row_cells(r, today) for r in self.rows]

    def _line(self, cells, gutter: str) -> str:
        return gutter + " ".join(fit(cells[i], w) for i, w in self._layout)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        if self._laid_for != self.size.width:
            self._resize()
        if y == 0:  # the header: scrolled sideways with the rows, never down
            text = self._line([c.name for c in COLUMNS], " " * GUTTER)
            strip = Strip([Segment(text, Style(bold=True, underline=True))], len(text))
            return strip.crop(scroll_x, scroll_x + self.size.width).extend_cell_length(self.size.width)
        index = scroll_y + y - 1
        if index >= len(self.rows):
            return Strip.blank(self.size.width, self.rich_style)
        row = self.rows[index]
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = row_cells(row, self.app.today())
        mine = index == self.cursor
        text = self._line(cells, (">" if mine else " ") + ("!" if row.overdue else " "))
        style = CURSOR if mine else OVERDUE if row.overdue else Style()
        strip = Strip([Segment(text, style)], len(text))
        if mine:
            strip = strip.extend_cell_length(max(self.size.width + scroll_x, len(text)), style)
        return strip.crop(scroll_x, scroll_x + self.size.width)

    def action_move(self, delta: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        top = self.scroll_offset.y
        height = max(self.size.height - 1, 1)  # the header takes a line
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        self.refresh()

    def action_open(self) -> None:
        if self.rows:
            self.app.push_screen(CaseScreen(self.rows[self.cursor].ref))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return  # the header
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.refresh()
            if event.chain == 2:
                self.action_open()


def row_cells(r, today: dt.date | None = None) -> tuple[str, ...]:
    """A row's cells, every column; days as '17 Jun' (this year) so a deadline fits a narrow column."""
    today = today or clock.today()
    nxt = "-"
    if r.next_due is not None:
        d = r.next_due
        day = clock.short_day(clock.local_date(d.due_at), today)
        nxt = f"{d.name} {'OVERDUE' if d.state == 'overdue' else 'due'} {day}"
    return (
        r.ref,
        r.client,
        r.worker,
        str(r.status),
        r.risk or "-",
        clock.short_day(clock.local_date(dt.datetime.fromisoformat(r.contact_at)), today)
        if r.contact_at
        else "-",
        nxt,
        ",".join(r.flags),
    )
