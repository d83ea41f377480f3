"""Duplicating a model: a new name and the dataset options, starting from the model's own,
with the counts they give (built again in a worker as they change, as the wizard does).

Dismisses with ``(new name, the dataset options)``, or None when cancelled. The models
screen builds the copy (``store.manage.duplicate_model``) in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from gpt_is_you.dataset.persona import consent_question
from gpt_is_you.dataset.settings import TARGETS
from gpt_is_you.store.models import (
    free_folder,
    messages_of,
    open_model,
    read_build_settings,
    read_target,
)
from gpt_is_you.store.new import unused_name
from gpt_is_you.tui.widgets.dataset_options import DatasetOptions, build_counts
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog, Dialog, FieldProblem, tell_problem
from gpt_is_you.user_errors import USER_ERRORS, app_text

if TYPE_CHECKING:
    from gpt_is_you.dataset.prepare import Prepared

Answer = tuple[str, dict[str, object]]

_COUNT = "duplicate-count"
COUNT_DELAY = 0.3  # seconds after the last change of an option before counting (the wizard's)


class DuplicateDialog(Dialog[Answer | None]):
    HELP = """\
## Duplicate a model

A new model from the same chat, with other dataset settings: the chat is read from
the model's store, so the export file is not needed. Its training runs and
conversations are not copied. The counts under the options are those the new model
will have. **Enter** in a field or **Ctrl+N** duplicates, **Esc** cancels.
"""

    SUBMIT = "Duplicate"
    AUTO_FOCUS = "#duplicate-name"

    def __init__(self, model: str) -> None:
        super().__init__()
        self._model = model
        with open_model(model) as db:
            self._target = read_target(db)
            self._settings = read_build_settings(db)
            self._messages = messages_of(db, self._settings.persona)
        self._timer: Timer | None = None
        self._counting: Worker | None = None

    def compose_dialog(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box", id="duplicate-box"):
            yield Static(f"Duplicate {self._model}", classes="dialog-title")
            yield Static("The new model's name:", classes="dialog-body")
            yield Input(unused_name(self._model), id="duplicate-name")
            yield FieldProblem("duplicate-name")
            yield DatasetOptions(target=self._target, settings=self._settings)
            with Vertical(id="duplicate-counts"):
                yield Static("Counting…", id="duplicate-counts-text")
            yield from self.buttons()

    def on_mount(self) -> None:
        self._count()
        # Focusing the name scrolls a short terminal's box past the title above it.
        box = self.query_one("#duplicate-box")
        self.call_after_refresh(box.scroll_home, animate=False)

    # The counts the options give ------------------------------------------------------

    @on(DatasetOptions.Changed)
    def _options_changed(self) -> None:
        # Typing "100" changes the options three times: count once the typing pauses.
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(COUNT_DELAY, self._count)

    def _count(self) -> None:
        options = self.query_one(DatasetOptions)
        if not options.valid:
            return  # the bad field says why; the counts stay those of the last valid ones
        self.query_one("#duplicate-counts-text", Static).update("Counting…")
        self._counting = self._count_in_thread(options.options())

    @work(thread=True, exclusive=True, exit_on_error=False, group=_COUNT)
    def _count_in_thread(self, options: dict[str, object]) -> Prepared:
        from gpt_is_you.store.manage import prepare_duplicate

        return prepare_duplicate(self._model, **options)

    @on(Worker.StateChanged)
    def _counted(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._counting:
            return
        counts = self.query_one("#duplicate-counts-text", Static)
        if event.state == WorkerState.SUCCESS:
            counts.update(build_counts(event.worker.result))
        elif event.state == WorkerState.ERROR and isinstance(event.worker.error, USER_ERRORS):
            # Options that build nothing say so where the counts go, not in another dialog.
            event.prevent_default()
            counts.update(app_text(event.worker.error))

    # Going on -------------------------------------------------------------------------

    def action_submit(self) -> None:
        field = self.query_one("#duplicate-name", Input)
        name = field.value.strip()
        options_widget = self.query_one(DatasetOptions)
        if not name:
            tell_problem(field, "Give the new model a name.")
            return
        try:
            free_folder(name)  # a name against the rules, or another model's
        except USER_ERRORS as e:
            tell_problem(field, app_text(e))
            return
        if not options_widget.valid:
            # The bad option's note beside it says what is wrong.
            self.query_one(f"#{next(iter(options_widget.errors))}").focus()
            return
        options = options_widget.options()
        if not TARGETS[options["target"]].remote:
            self.dismiss((name, options))
            return
        # The persona agreed to a model kept on this machine; uploading is a new question.
        question = consent_question(self._settings.persona, self._messages, remote=True)

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss((name, options))

        self.app.push_screen(ConfirmDialog("Their permission", question, confirm="Yes"), answered)
