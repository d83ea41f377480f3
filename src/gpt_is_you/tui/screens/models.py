"""The first screen: the models the user has made, or how to make the first one."""

from __future__ import annotations

import shlex
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.markup import escape
from textual.widgets import Button, DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from gpt_is_you import providers
from gpt_is_you.paths import sample_chat
from gpt_is_you.serving import record
from gpt_is_you.store.jobs import SUCCEEDED
from gpt_is_you.store.models import Model, ModelSummary, list_models
from gpt_is_you.tui.screens.base import AppScreen
from gpt_is_you.tui.widgets.row_table import RowTable
from gpt_is_you.user_errors import USER_ERRORS, app_text

EMPTY_TITLE = "No models yet"

EMPTY_HELP = """\
A model here learns to write like one person in a chat you exported from your phone:

  [b]WhatsApp[/]             open the chat › More › Export chat › Without media
  [b]Telegram Desktop[/]     the chat's ⋮ menu › Export chat history › JSON
  [b]Facebook, Instagram[/]  Download your information › Messages › JSON

Press [b]n[/] to import an export, or try it on a sample chat between two invented people.
The command line does the same: [$text-accent]gpt-is-you new NAME --from EXPORT --persona WHO[/]"""

COLUMNS = ("name", "persona", "source", "size", "backend", "state", "last activity")
# Below this many columns the table is compact: no source file, the size in examples, the
# last activity as a date, long names cut; so that at 80 columns every column that
# matters (the state above all) shows. None: as wide as the values.
WIDE_TABLE = 120
WIDTHS = {"source": 18}
COMPACT_WIDTHS = {"name": 16, "persona": 12, "source": 0}

# How often the list is read again while shown: training progress moves.
REFRESH_SECONDS = 2.0
WARM_UP_AFTER = 0.5  # seconds after the first frame: torch's imports wait for it


def _row(m: ModelSummary, compact: bool) -> tuple[str, ...]:
    activity = m.last_activity.replace("T", " ")[: 10 if compact else 16]
    if not m.readable:
        return (m.name, "–", "–", "–", "–", m.state_text, activity)
    if not m.train:
        size = "no examples"
    elif compact:
        size = f"{m.train + m.valid:,} ex"
    else:
        size = f"{m.train + m.valid:,} ex · {m.messages:,} msg"
    return (m.name, m.persona, m.source, size, m.backend or "–", m.state_text, activity)


def _empty_view() -> Vertical:
    """How to make the first model, shown instead of the table when there is none. Made
    only then: a list of models never shows it, and its widgets held up the first frame."""
    view = [Static(EMPTY_TITLE, id="empty-title"), Static(EMPTY_HELP, id="empty-help")]
    if sample_chat() is not None:
        view.append(Center(Button("Try the sample chat", id="try-sample", variant="primary")))
    return Vertical(*view, id="empty")


class ModelsScreen(AppScreen):
    PLACE = "the models"
    SUB_TITLE = "Models"
    HELP = """\
## Models

Every model you made, one per row. A model is a chat, the person whose voice it
learns, the examples built from it, and its training runs and conversations.

- **Enter** or **o** opens the examples it will learn from.
- **t** trains it (or shows its running job), **c** chats with it once trained.
- **e** evaluates it once trained: how close it writes to the person on chats it
  never saw, beside the base model.
- **n** imports a new chat export.
- Training goes on when you leave the app; the **state** column follows it.
- Under the list, a trained model's command to serve it to other apps (an
  OpenAI-compatible server: bots, chat front ends), or where it is served now.
"""

    # show=False: in the palette (Ctrl+P) and F1's list, not in the footer, which keeps
    # Quit, Help and the screen's main keys within 80 columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="models.new", tooltip="Import a chat export as a new model."),
        Binding(
            "o,enter",
            "open",
            "Examples",
            id="models.open",
            tooltip="Preview the examples the model learns from.",
        ),
        Binding("t", "train", "Train", id="models.train", tooltip="Train the model, or watch it."),
        Binding("c", "chat", "Chat", id="models.chat", tooltip="Chat with the trained model."),
        Binding(
            "e",
            "evaluate",
            "Evaluate",
            id="models.evaluate",
            tooltip="Whether the trained model writes like the person: its evaluations.",
        ),
        Binding(
            "r",
            "rename",
            "Rename",
            id="models.rename",
            tooltip="Give the model a new name.",
            show=False,
        ),
        Binding(
            "d",
            "duplicate",
            "Duplicate",
            id="models.duplicate",
            tooltip="A new model from the same chat, with other dataset settings.",
            show=False,
        ),
        Binding(
            "delete,x",
            "delete",
            "Delete",
            id="models.delete",
            tooltip="Delete the model and everything stored with it (asks first).",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._models: list[ModelSummary] = []
        self._problem = ""  # the last reason the list could not be read, shown once
        self._resumed = False
        self._compact = False  # the table's narrow layout (WIDE_TABLE)

    def compose(self) -> ComposeResult:
        yield Header()
        # A few small SQLite reads per model: quick enough for the first paint (benchmarked).
        # A model that cannot be read is listed as such; a data folder that cannot be
        # read at all is an error dialog once the screen is up, never a traceback.
        try:
            self._models = list_models()
        except USER_ERRORS as e:
            self._problem = app_text(e)
        self._compact = self.app.size.width < WIDE_TABLE
        table: DataTable[str] = RowTable(id="models", cursor_type="row", zebra_stripes=True)
        self._add_columns(table)
        yield table
        yield Static(id="serve-line")
        if not self._models:
            yield _empty_view()
        yield Footer()

    def _add_columns(self, table: DataTable[str]) -> None:
        # A long value is cut rather than pushing the state off a narrow terminal; a
        # column of width 0 is left out.
        widths = COMPACT_WIDTHS if self._compact else WIDTHS
        for column in COLUMNS:
            if widths.get(column) != 0:
                table.add_column(column, key=column, width=widths.get(column))

    def on_resize(self) -> None:
        compact = self.size.width < WIDE_TABLE
        if compact != self._compact:
            self._compact = compact
            table = self.query_one("#models", DataTable)
            table.clear(columns=True)
            self._add_columns(table)
            self._show(self._models)

    def on_mount(self) -> None:
        self._show(self._models)
        self.set_interval(REFRESH_SECONDS, self._reload)
        # Once the first frame is up: a model trained here may be chatted with next.
        trained = {
            m.backend
            for m in self._models
            if m.state == SUCCEEDED and not providers.is_remote(m.backend)
        }
        if trained:
            self.set_timer(WARM_UP_AFTER, partial(self.app.warm_up, trained))
        if self._problem:
            self.app.show_error(self._problem, title="Models")

    def on_screen_resume(self) -> None:
        # The first resume is the screen's first showing: compose has just read the list,
        # and reading it again in a thread at once held up the first frame (a second
        # read of every store). Coming back from another screen, the list may be stale.
        if self._resumed:
            self._reload()
        self._resumed = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="models-list")
    def _reload(self) -> None:
        try:
            models = list_models()
        except USER_ERRORS as e:
            # Read again every few seconds: the same problem is shown once, not each time.
            if app_text(e) != self._problem:
                self._problem = app_text(e)
                self.app.call_from_thread(self.app.show_error, e, "Models")
            return
        self._problem = ""
        for model in models:
            if model.active:
                # A remote job runs at the service; after a restart its watcher is started
                # again (a local job's worker is its own process: nothing to do).
                self.app.provider(model.backend).watch(model.found)
        # A newer reload replaced this one: an older list must not overwrite its result.
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, models)

    def _show(self, models: list[ModelSummary]) -> None:
        self._models = models
        table = self.query_one("#models", DataTable)
        selected = self._selected()
        table.clear()
        shown = [str(column.key.value) for column in table.ordered_columns]
        for m in models:
            row = dict(zip(COLUMNS, _row(m, self._compact), strict=True))
            table.add_row(*(row[column] for column in shown), key=m.slug)
        if selected is not None:
            slugs = [m.slug for m in models]
            if selected.slug in slugs:
                table.move_cursor(row=slugs.index(selected.slug))
        empty = not models
        table.display = not empty
        if empty and not self.query("#empty"):
            self.mount(_empty_view(), after=table)
            # A button mounted just now takes the focus only once mounted.
            self.call_after_refresh(self._focus_sample)
        for view in self.query("#empty"):
            view.display = empty
        if empty:
            self._focus_sample()
        elif self.focused is None:
            table.focus()
        self._show_serving()

    @on(DataTable.RowHighlighted, "#models")
    def _show_serving(self) -> None:
        """A trained model's serve command, or where it is served (its ``serving.json``,
        read again with the list every few seconds)."""
        line = self.query_one("#serve-line", Static)
        model = self._selected()
        line.display = model is not None and model.readable and model.state == SUCCEEDED
        if not line.display:
            return
        assert model is not None
        command = escape(f"gpt-is-you serve {shlex.quote(model.name)}")
        serving = record.read(model.found.folder)
        if serving is None:
            line.update(f"[b]{command}[/] serves it to other apps (OpenAI-compatible)")
        else:
            line.update(f"[b]served at {escape(serving.url)}[/] ({command})")

    def _focus_sample(self) -> None:
        for button in self.query("#try-sample"):
            button.focus()

    def _selected(self) -> ModelSummary | None:
        table = self.query_one("#models", DataTable)
        if not self._models or not table.row_count:
            return None
        row = table.cursor_row
        return self._models[row] if 0 <= row < len(self._models) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys that act on a model are shown only when there is one to act on.
        if action in {"open", "train", "chat", "evaluate", "rename", "duplicate", "delete"}:
            return bool(self._models)
        return True

    @on(DataTable.RowSelected, "#models")
    def _row_chosen(self) -> None:
        self.action_open()

    @on(Button.Pressed, "#try-sample")
    def _try_sample(self) -> None:
        sample = sample_chat()
        self.app.open_wizard(str(sample) if sample else None)

    def action_new(self) -> None:
        self.app.open_wizard()

    def _readable(self) -> ModelSummary | None:
        """The selected model, when it can be opened; else a dialog says why not."""
        model = self._selected()
        if model is not None and not model.readable:
            self.app.show_error(
                f"{model.name} ({model.path}) is {model.state_text}: {model.problem}.\n\n"
                "Deleting it (x) frees its name.",
                title="Cannot open",
            )
            return None
        return model

    def action_open(self) -> None:
        if model := self._readable():
            self.app.open_preview(model.name)

    def action_train(self) -> None:
        if model := self._readable():
            self.app.open_training(model.name)

    def action_chat(self) -> None:
        if model := self._readable():
            self.app.open_chat(model.name)

    def action_evaluate(self) -> None:
        if model := self._readable():
            self.app.open_evaluation(model.name)

    def action_rename(self) -> None:
        if (model := self._readable()) is None:
            return
        from gpt_is_you.store.manage import check_rename
        from gpt_is_you.tui.widgets.dialogs import TextPrompt  # loaded when first asked

        def renamed(new: str | None) -> None:
            if new and new != model.name:
                self._rename(model.name, new)

        # A name taken or against the rules is told beside the field, the dialog kept open.
        prompt = TextPrompt(
            f"Rename {model.name}",
            "The model's new name:",
            model.name,
            check=lambda new: check_rename(model.found.folder, new),
        )
        self.app.push_screen(prompt, renamed)

    @work(thread=True, exit_on_error=False, group="models-change")
    def _rename(self, old: str, new: str) -> None:
        from gpt_is_you.store.manage import rename_model

        rename_model(old, new)
        self.app.call_from_thread(self.notify, f"{old} is now {new}.", title="Renamed")
        self.app.call_from_thread(self._reload)

    def action_duplicate(self) -> None:
        if (model := self._readable()) is None:
            return
        from gpt_is_you.tui.screens.duplicate import DuplicateDialog

        def chosen(answer: tuple[str, dict[str, object]] | None) -> None:
            if answer is not None:
                self._duplicate(model.name, *answer)

        try:
            dialog = DuplicateDialog(model.name)  # reads the model's settings
        except USER_ERRORS as e:  # damaged or deleted since the list was read
            self.app.show_error(e)
            return
        self.app.push_screen(dialog, chosen)

    @work(thread=True, exit_on_error=False, group="models-change")
    def _duplicate(self, source: str, name: str, options: dict[str, object]) -> None:
        from gpt_is_you.store.manage import duplicate_model

        self.app.call_from_thread(self.notify, f"Building {name} from {source}'s chat…")
        duplicate_model(source, name, **options)
        self.app.call_from_thread(self.notify, f"{name} is ready.", title="Duplicated")
        self.app.call_from_thread(self._reload)

    def action_delete(self) -> None:
        if (model := self._selected()) is None:
            return
        from gpt_is_you.tui.widgets.dialogs import ConfirmDialog  # loaded when first asked

        if model.active:
            self.app.show_error(
                f"{model.name} is training. Stop it first: open it with t and press the "
                "cancel key.",
                title="Cannot delete",
            )
            return

        if not model.readable:
            # Nothing in it can be read, what it left at a service included.
            leftovers: dict = {}
            body = (
                f"This deletes the folder {model.path}, which cannot be read "
                f"({model.problem}). Your export file stays where it is."
            )
        else:
            try:
                leftovers = _leftovers(model.found)
            except USER_ERRORS as e:  # removed meanwhile, from the command line say
                self.app.show_error(e)
                return
            body = (
                f"This deletes {model.name}: its copy of the chat, its examples, its training "
                "runs and its conversations. Your export file stays where it is."
            )
        check = None
        if leftovers:
            where = "/".join(providers.service(backend) for backend in leftovers)
            for backend, what in leftovers.items():
                body += f"\n\nAt {providers.service(backend)} it still has {what}."
            check = f"also delete them at {where}"
        dialog = ConfirmDialog(
            f"Delete {model.name}?", escape(body), confirm="Delete", danger=True, check=check
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(model.name, tuple(leftovers) if dialog.checked else ())

        self.app.push_screen(dialog, answered)

    @work(thread=True, exit_on_error=False, group="models-change")
    def _delete(self, name: str, remote: tuple[str, ...] = ()) -> None:
        from gpt_is_you.store.models import find_model, remove_model

        model = find_model(name)
        deleted: list[str] = []
        for backend in remote:
            # A failure ends here, with the dialog, before the store that remembers the
            # ids goes: deleting again later still knows what to delete.
            deleted += self.app.provider(backend).delete_remote(model)
        remove_model(model)
        there = f" At the service: {', '.join(deleted)}." if deleted else ""
        self.app.call_from_thread(
            self.notify, f"{name} was deleted.{there}", title="Deleted", markup=False
        )
        self.app.call_from_thread(self._reload)


def _leftovers(model: Model) -> dict:
    """What the model still has at each service, from its store (no key, no network)."""
    from gpt_is_you.store.remote import leftovers

    with model.db() as db:
        return leftovers(db)
