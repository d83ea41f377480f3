"""A table of rows to pick from (models, examples, evaluation runs, bases).

Textual's DataTable moves sideways with Home and End, and to the first and last row
only with Ctrl+Home and Ctrl+End; in a list of rows people press Home and End for the
first and the last row, so here both keys do that.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellType


class RowTable(DataTable[CellType]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]
