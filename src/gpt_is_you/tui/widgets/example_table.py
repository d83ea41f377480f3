"""The examples table: one page of rows at a time.

A model can have 100,000 examples; the table holds a page of them and asks for the next
(or the previous, the first, the last) when the cursor goes past an edge, so moving
through the whole set feels like one long table.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.message import Message
from textual.widgets.data_table import ColumnKey

from gpt_is_you.store.browse import ExampleRow
from gpt_is_you.tui.widgets.row_table import RowTable

Where = Literal["previous", "next", "first", "last"]

# (key, label, width); the excerpt takes what is left.
COLUMNS = (
    ("id", "#", 6),
    ("split", "split", 5),
    ("when", "when", 16),
    ("turns", "turns", 5),
    ("learned", "learned", 7),
    ("tokens", "tokens", 6),
    ("out", "out", 3),
)
EXCERPT = "excerpt"


class ExampleTable(RowTable[Text]):
    HELP = """\
## Examples

One row per training example, a page at a time: moving past the first or last row
turns the page.

- **↑ ↓ PgUp PgDn**: move (and turn pages)
- **Home / End**: the first / the last example
- **out ✕**: left out of training (`x` toggles it)
"""

    class PageWanted(Message):
        """The cursor went past the page's edge: show another page."""

        def __init__(self, where: Where) -> None:
            super().__init__()
            self.where: Where = where

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        # Set by the screen after each page: whether pages lie before and after this one.
        self.more_before = False
        self.more_after = False

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)
        self.add_column(EXCERPT, key=EXCERPT)

    def show_rows(self, rows: list[ExampleRow], cursor: int) -> None:
        """Replace the page by ``rows`` and put the cursor on row ``cursor``."""
        self.clear()
        page = [cells(row) for row in rows]
        # The excerpt is as wide as this page's rows need, set here rather than left to the
        # table's measuring when idle: that only ever widens a column, and when it runs
        # depends on timing (a snapshot must not).
        widest = max((excerpt.cell_len for *_, excerpt in page), default=0)
        self.columns[ColumnKey(EXCERPT)].content_width = max(len(EXCERPT), widest)
        for row, row_cells in zip(rows, page, strict=True):
            self.add_row(*row_cells, key=str(row.id))
        if rows:
            self.move_cursor(row=max(0, min(cursor, len(rows) - 1)), animate=False)

    def update_example(self, row: ExampleRow) -> None:
        for (key, *_), cell in zip((*COLUMNS, (EXCERPT,)), cells(row), strict=True):
            self.update_cell(str(row.id), key, cell)

    # The cursor past an edge turns the page -----------------------------------------

    def action_cursor_down(self) -> None:
        if not self._edge_passed(self._at_last, "next"):
            super().action_cursor_down()

    def action_page_down(self) -> None:
        if not self._edge_passed(self._at_last, "next"):
            super().action_page_down()

    def action_cursor_up(self) -> None:
        if not self._edge_passed(self.cursor_row == 0, "previous"):
            super().action_cursor_up()

    def action_page_up(self) -> None:
        if not self._edge_passed(self.cursor_row == 0, "previous"):
            super().action_page_up()

    def action_scroll_top(self) -> None:
        if not self._edge_passed(True, "first"):
            super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        if not self._edge_passed(True, "last"):
            super().action_scroll_bottom()

    @property
    def _at_last(self) -> bool:
        return self.cursor_row >= self.row_count - 1

    def _edge_passed(self, at_edge: bool, where: Where) -> bool:
        more = self.more_before if where in ("previous", "first") else self.more_after
        if at_edge and more:
            self.post_message(self.PageWanted(where))
            return True
        return False


def cells(row: ExampleRow) -> tuple[Text, ...]:
    """The row's cells; an excluded example is dim and struck through, but for its mark,
    which says why."""
    style = "dim strike" if row.excluded else ""

    def cell(value: str, justify: Literal["left", "right"] = "left") -> Text:
        return Text(value, style=style, justify=justify, no_wrap=True)

    return (
        cell(str(row.id), "right"),
        cell(row.split),
        cell(f"{row.start:%Y-%m-%d %H:%M}"),
        cell(str(row.turns), "right"),
        cell(str(row.learned), "right"),
        cell("–" if row.tokens is None else f"{row.tokens:,}", "right"),
        Text("✕" if row.excluded else "", justify="center"),
        cell(row.excerpt),
    )
