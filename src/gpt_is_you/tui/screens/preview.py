"""The examples preview: what a model will learn from, before it is trained.

A table of the examples a page at a time (a model can have 100,000), the selected one as
the conversation it is, the statistics and OpenAI's format checks beside it; search,
exclude or include an example, export, then train or chat. Everything is read in thread
workers from the model's store (``store/browse.py``) and posted back as messages: the
screen paints at once and fills in as the reads arrive.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property, partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from gpt_is_you.dataset.examples import TRAIN, VALID, Example
from gpt_is_you.store import browse
from gpt_is_you.store.browse import ExampleRow, Findings, Selection, Stats
from gpt_is_you.store.models import Model, find_model
from gpt_is_you.tui.screens.base import AppScreen, styles
from gpt_is_you.tui.widgets.dataset_export import DatasetExportDialog, ExportRequest
from gpt_is_you.tui.widgets.example_stats import ExampleStats
from gpt_is_you.tui.widgets.example_table import ExampleTable
from gpt_is_you.tui.widgets.transcript import Transcript

SPLITS = (None, TRAIN, VALID)


class SearchBox(Input):
    """The search field: Enter filters, Esc clears the search."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "clear",
            "Clear search",
            id="preview.clear_search",
            tooltip="Clear the search and show every example again.",
        ),
    ]

    class Cleared(Message):
        pass

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())


class PreviewScreen(AppScreen):
    CSS_PATH = styles("preview")
    PLACE = "the examples"
    SUB_TITLE = "Examples"
    AUTO_FOCUS = "#preview-table"
    PAGE_SIZE: ClassVar[int] = 200

    HELP = """\
## Examples preview

What the model will learn from: every training example, the conversation it comes
from, and what they add up to. Look before you train.

- **/**: search the examples' messages; **Enter** filters, **Esc** clears
- **s**: show both splits, the training examples only, or the validation ones
- **x**: leave the selected example out of training, or take it back
- **e**: export the examples (OpenAI, prompt/completion, ShareGPT)
- **t**: train the model; **c**: chat with it
- **Esc**: back
"""

    # show=False: in the palette (Ctrl+P) and F1's list, not in the footer, which keeps
    # Quit, Help and the screen's main keys within 80 columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "search",
            "Search",
            id="preview.search",
            tooltip="Find the examples whose messages contain a text.",
        ),
        Binding(
            "x",
            "toggle_excluded",
            "Exclude/include",
            id="preview.exclude",
            tooltip="Leave the selected example out of training, or take it back in.",
        ),
        Binding(
            "s",
            "cycle_split",
            "Split",
            id="preview.split",
            tooltip="Show both splits, the training examples only, or the validation ones.",
            show=False,
        ),
        Binding(
            "e",
            "export",
            "Export",
            id="preview.export",
            tooltip="Write the examples as JSONL for OpenAI or other tools.",
            show=False,
        ),
        Binding("t", "train", "Train", id="preview.train", tooltip="Train this model."),
        Binding(
            "c", "chat", "Chat", id="preview.chat", tooltip="Chat with this model.", show=False
        ),
        Binding(
            "escape,backspace",
            "back",
            "Back",
            id="preview.back",
            tooltip="Back to {below}.",
        ),
    ]

    # What the workers post back ------------------------------------------------------

    class PageRead(Message):
        def __init__(
            self, selection: Selection, offset: int, rows: list[ExampleRow], cursor: int
        ) -> None:
            super().__init__()
            self.selection = selection
            self.offset = offset
            self.rows = rows
            self.cursor = cursor

    class ExampleRead(Message):
        def __init__(self, example_id: int, example: Example) -> None:
            super().__init__()
            self.example_id = example_id
            self.example = example

    class StatsRead(Message):
        def __init__(self, stats: Stats) -> None:
            super().__init__()
            self.stats = stats

    class FindingsRead(Message):
        def __init__(self, findings: Findings | None) -> None:
            super().__init__()
            self.findings = findings

    class Excluded(Message):
        def __init__(self, row: ExampleRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self._selection: Selection | None = None
        self._offset = 0
        self._rows: dict[int, ExampleRow] = {}  # the page's, by id
        self._wanted: int | None = None  # the example asked for, under the cursor
        self._shown: tuple[int, Example] | None = None  # the one in the conversation pane
        self._stats: Stats | None = None
        self._findings: Findings | None = None
        self._checks_done = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="preview-bar"):
            yield SearchBox(placeholder="/ search the messages", id="preview-search")
            yield Static("Reading the examples…", id="preview-position", markup=False)
        yield ExampleTable(id="preview-table")
        with Horizontal(id="preview-lower"):
            with VerticalScroll(id="preview-conversation"):
                yield Transcript(id="preview-transcript")
            yield ExampleStats(id="preview-stats")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Examples of {self.model}"
        self.query_one("#preview-conversation").border_title = "Conversation"
        self.query_one(ExampleStats).border_title = "What will be learned"
        self._select("", None)
        self._read_stats()

    @cached_property
    def found(self) -> Model:
        """The model, found once, by the first worker that reads it: a model removed since
        the list was drawn is that worker's dialog, as any other problem of its store."""
        return find_model(self.model)

    @property
    def loaded(self) -> bool:
        """The first page, its first example and the statistics are on screen (the
        benchmark waits on it)."""
        shown = self._shown is not None or (self._selection is not None and not self._rows)
        return shown and self._stats is not None

    @property
    def checks_done(self) -> bool:
        return self._checks_done

    # Workers: reading the store -------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="page")
    def _select(self, search: str, split: str | None) -> None:
        with self.found.db() as db:
            selection = browse.select(db, search, split)
            rows = browse.read_rows(db, selection.page(0, self.PAGE_SIZE), selection.search)
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageRead(selection, 0, rows, 0))

    @work(thread=True, exclusive=True, exit_on_error=False, group="page")
    def _turn_page(self, selection: Selection, offset: int, cursor: int) -> None:
        with self.found.db() as db:
            rows = browse.read_rows(db, selection.page(offset, self.PAGE_SIZE), selection.search)
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageRead(selection, offset, rows, cursor))

    @work(thread=True, exclusive=True, exit_on_error=False, group="example")
    def _read_example(self, example_id: int) -> None:
        with self.found.db() as db:
            example = browse.read_example(db, example_id)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ExampleRead(example_id, example))

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats")
    def _read_stats(self) -> None:
        with self.found.db() as db:
            stats = browse.read_stats(db)
        if not get_current_worker().is_cancelled:
            self.post_message(self.StatsRead(stats))

    @work(thread=True, exclusive=True, exit_on_error=False, group="checks")
    def _check(self) -> None:
        worker = get_current_worker()
        with self.found.db() as db:
            findings = browse.check_format(db, cancelled=lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.post_message(self.FindingsRead(findings))

    @work(thread=True, exclusive=True, exit_on_error=False, group="exclude")
    def _set_excluded(self, row: ExampleRow) -> None:
        with self.found.db() as db:
            browse.set_excluded(db, [row.id], not row.excluded)
        self.post_message(self.Excluded(replace(row, excluded=not row.excluded)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _export(self, request: ExportRequest) -> None:
        from gpt_is_you.store.exports import export_model

        path = str(Path(request.path).expanduser()) if request.path else None
        # A missing or read-only folder, a full disk: one line from the store, in a dialog.
        exported = export_model(self.found, request.format, path)
        written = ", ".join(f"{lines:,} lines to {file}" for file, lines in exported.files)
        notify = partial(self.app.call_from_thread, self.app.notify, markup=False)
        notify(f"Wrote {written}.", title=f"Exported ({request.format})")
        for advice in exported.advice:
            notify(advice, title="Advice", timeout=10)

    # What the workers read, shown ------------------------------------------------------

    @on(PageRead)
    def _page_read(self, message: PageRead) -> None:
        self._selection = message.selection
        self._offset = message.offset
        self._rows = {row.id: row for row in message.rows}
        table = self.query_one(ExampleTable)
        table.more_before = message.offset > 0
        table.more_after = message.offset + len(message.rows) < len(message.selection.ids)
        table.show_rows(message.rows, message.cursor)
        self._show_position()
        self._wanted = None  # the same example may be under the cursor, found otherwise
        if message.rows:
            self._want_example(message.rows[table.cursor_row].id)
        else:
            self._shown = None
            self.query_one(Transcript).update(Text(self._nothing_found(message.selection)))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._want_example(int(event.row_key.value))

    def _want_example(self, example_id: int) -> None:
        if example_id != self._wanted:
            self._wanted = example_id
            self._read_example(example_id)

    @on(ExampleRead)
    def _example_read(self, message: ExampleRead) -> None:
        row = self._rows.get(message.example_id)
        if row is None or message.example_id != self._wanted:
            return  # the cursor has moved on
        self._shown = (row.id, message.example)
        self.query_one(Transcript).show(row, message.example, self._search)
        self.query_one("#preview-conversation").scroll_home(animate=False)

    @on(StatsRead)
    def _stats_read(self, message: StatsRead) -> None:
        first = self._stats is None
        self._stats = message.stats
        self.query_one(ExampleStats).show_stats(message.stats)
        # The checks start once the statistics are in: they are seconds of work for a big
        # set, and the first paint should not wait on them. They run again after an
        # exclusion only when they had found something (excluding cannot add problems).
        if first or (self._findings is not None and self._findings.total):
            self._start_checks()

    def _start_checks(self) -> None:
        self._checks_done = False
        self.query_one(ExampleStats).show_findings(None, running=True)
        self._check()

    @on(FindingsRead)
    def _findings_read(self, message: FindingsRead) -> None:
        self._findings = message.findings
        self._checks_done = True
        self.query_one(ExampleStats).show_findings(message.findings)

    @on(Excluded)
    def _excluded(self, message: Excluded) -> None:
        row = message.row
        if row.id in self._rows:
            self._rows[row.id] = row
            self.query_one(ExampleTable).update_example(row)
            if self._shown is not None and self._shown[0] == row.id:
                self.query_one(Transcript).show(row, self._shown[1], self._search)
        verb = "left out of" if row.excluded else "taken back into"
        self.notify(f"Example {row.id} is {verb} training.", timeout=3)
        self._read_stats()

    @on(ExampleTable.PageWanted)
    def _page_wanted(self, message: ExampleTable.PageWanted) -> None:
        selection = self._selection
        if selection is None:
            return
        total = len(selection.ids)
        last_page = (total - 1) // self.PAGE_SIZE * self.PAGE_SIZE
        offset, cursor = {
            "previous": (max(0, self._offset - self.PAGE_SIZE), self.PAGE_SIZE - 1),
            "next": (self._offset + self.PAGE_SIZE, 0),
            "first": (0, 0),
            "last": (last_page, total - 1 - last_page),
        }[message.where]
        self._turn_page(selection, offset, cursor)

    # Search ----------------------------------------------------------------------------

    @property
    def _search(self) -> str:
        return self._selection.search if self._selection else ""

    @property
    def _split(self) -> str | None:
        return self._selection.split if self._selection else None

    @on(Input.Submitted, "#preview-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._searching()
        self._select(event.value, self._split)
        self.query_one(ExampleTable).focus()

    @on(SearchBox.Cleared)
    def _search_cleared(self) -> None:
        if self._search:
            self._searching()
            self._select("", self._split)
        self.query_one(ExampleTable).focus()

    def _searching(self) -> None:
        self.query_one("#preview-position", Static).update("Searching…")

    def _show_position(self) -> None:
        selection = self._selection
        assert selection is not None
        total = len(selection.ids)
        last = self._offset + len(self._rows)
        text = f"{self._offset + 1:,}–{last:,} of {total:,} examples" if total else "no examples"
        if selection.search:
            text += f" holding “{selection.search}”"
        if selection.split:
            text += f" ({selection.split} only)"
        self.query_one("#preview-position", Static).update(text)

    @staticmethod
    def _nothing_found(selection: Selection) -> str:
        if selection.search:
            return f"No example holds “{selection.search}”. Esc in the search field clears it."
        if selection.split:
            return f"No {selection.split} examples. Press s for another split."
        return "This model has no examples: its persona never answers anyone in the chat."

    # Actions ---------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one(SearchBox).focus()

    def action_cycle_split(self) -> None:
        split = SPLITS[(SPLITS.index(self._split) + 1) % len(SPLITS)]
        self._select(self._search, split)

    def action_toggle_excluded(self) -> None:
        table = self.query_one(ExampleTable)
        if not table.row_count:
            return
        row = self._rows.get(int(table.coordinate_to_cell_key(table.cursor_coordinate)[0].value))
        if row is not None:
            self._set_excluded(row)

    def action_export(self) -> None:
        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self._export(request)

        self.app.push_screen(DatasetExportDialog(), chosen)

    def action_train(self) -> None:
        self.app.open_training(self.model)  # type: ignore[attr-defined]

    def action_chat(self) -> None:
        self.app.open_chat(self.model)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
