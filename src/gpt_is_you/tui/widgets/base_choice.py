"""Choosing a base model: every base of the catalogue on this machine, with what it needs,
whether it fits and how long it would train, the recommended one picked (the rows and
the rule of ``gpt-is-you bases``: ``providers/local/recommend.py``).

The rows are worked out in a thread (probing the machine may load torch, to ask for
GPUs); the dialog says so meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, DataTable, Static

from gpt_is_you.tui.widgets.dialogs import Dialog
from gpt_is_you.tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from gpt_is_you.providers.local.recommend import Recommendation

COLUMNS = ("base", "lang", "licence", "size", "here", "fits", "memory", "time")


class BaseChoiceDialog(Dialog[str | None]):
    """Dismisses with the chosen base's name (``default`` for the bundled one), or None.
    Enter in the table, Ctrl+N or "Use it" takes the highlighted base."""

    AUTO_FOCUS = "#bases-table"
    SUBMIT = "Use it"

    def __init__(self, find: Callable[[], Recommendation]) -> None:
        super().__init__()
        self._find = find
        self._names: list[str] = []

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="bases-box"):
            yield Static("Choose a base model", classes="dialog-title")
            yield Static("Finding what fits this machine…", id="bases-machine")
            yield RowTable(id="bases-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="bases-advice", classes="dialog-body", markup=False)
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.query_one("#confirm", Button).disabled = True  # until the rows are worked out
        self._work_out()

    @work(thread=True, exit_on_error=False, group="bases")
    def _work_out(self) -> None:
        recommendation = self._find()
        self.app.call_from_thread(self._show, recommendation)

    def _show(self, r: Recommendation) -> None:
        from gpt_is_you.providers.local.hardware import gigabytes
        from gpt_is_you.providers.local.recommend import duration

        if r.for_model:
            what = f"{r.tokens:,} training tokens, language {r.language}"
        else:
            what = f"a chat of {r.tokens:,} training tokens"
        self.query_one("#bases-machine", Static).update(
            f"This machine: {r.hardware.describe()}. Times are for {what}."
        )
        table = self.query_one(DataTable)
        for row in r.rows:
            b = row.base
            languages = ",".join(b.languages) if len(b.languages) < 3 else f"{len(b.languages)}"
            star = "★ " if row is r.recommended else "  "
            table.add_row(
                star + b.label,
                languages,
                b.licence + (" (gated)" if b.gated else ""),
                gigabytes(b.size),
                "yes" if row.downloaded else "-",
                row.fit_text,
                gigabytes(row.memory),
                duration(row.seconds) + ("" if row.throughput.measured else " est."),
                key=b.name,
            )
            self._names.append(b.name)
        table.move_cursor(row=self._names.index(r.recommended.base.name))
        advice = f"★ Recommended: {r.recommended.base.label}."
        if r.warning:
            advice += f"\nWarning: {r.warning}"
        self.query_one("#bases-advice", Static).update(advice)
        self.query_one("#confirm", Button).disabled = False

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        table = self.query_one(DataTable)
        if self._names:
            self.dismiss(self._names[table.cursor_row])
