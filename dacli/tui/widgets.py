"""The caseload table: a virtual table that draws only the rows on screen (Textual's line API), so
100,000 cases scroll as fast as 100."""

from __future__ import annotations

import datetime as dt

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dacli import clock
from dacli.tui.screens.case import CaseScreen

COLUMNS = (("reference", 15), ("client", 24), ("worker", 10), ("status", 7), ("risk", 9),
           ("last contact", 12), ("next deadline", 34), ("flags", 40))  # fmt: skip


class CaseTable(ScrollView, can_focus=True):
    """A virtual table: only the visible rows are drawn, so 20,000 cases cost what a screenful costs."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home", "move(-1000000)", "Top", show=False),
        Binding("end", "move(1000000)", "End", show=False),
        Binding("enter", "open", "Open case"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list = []
        self._cells: dict[int, tuple[str, ...]] = {}
        self.cursor = 0
        self.width = sum(w + 1 for _, w in COLUMNS)

    def set_rows(self, rows: list) -> None:
        self.rows = rows
        self._cells: dict[int, tuple[str, ...]] = {}  # only rows that were drawn
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        self.virtual_size = Size(self.width, len(rows))
        self.refresh()

    @property
    def cells(self) -> list[tuple[str, ...]]:
        """Every row's cells (for tests and searches; drawing computes only the visible ones)."""
        return [row_cells(r) for r in self.rows]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        if index >= len(self.rows):
            return Strip.blank(self.size.width, self.rich_style)
        row = self.rows[index]
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = row_cells(row)
        text = " ".join(c[:w].ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True))
        style = Style(color="red", bold=True) if row.overdue else Style()
        if index == self.cursor:
            style += Style(reverse=True)
        strip = Strip([Segment(text, style)], len(text))
        return strip.crop(scroll_x, scroll_x + self.size.width)

    def action_move(self, delta: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        top = self.scroll_offset.y
        height = max(self.size.height, 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        self.refresh()

    def action_open(self) -> None:
        if self.rows:
            self.app.push_screen(CaseScreen(self.rows[self.cursor].ref))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.refresh()
            if event.chain == 2:
                self.action_open()


def row_cells(r) -> tuple[str, ...]:
    nxt = "-"
    if r.next_due is not None:
        d = r.next_due
        nxt = f"{d.name} {'OVERDUE' if d.state == 'overdue' else 'due'} {clock.local_date(d.due_at)}"
    return (
        r.ref,
        r.client,
        r.worker,
        str(r.status),
        r.risk or "-",
        clock.local_date(dt.datetime.fromisoformat(r.contact_at)).isoformat() if r.contact_at else "-",
        nxt,
        ",".join(r.flags),
    )
