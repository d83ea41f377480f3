"""Duplicating a model: a new name and the dataset options, starting from the model's own.

Dismisses with ``(new name, the dataset options)``, or None when cancelled. The models
screen builds the copy (``store.manage.duplicate_model``) in a worker.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from gpt_is_you.dataset.persona import consent_question
from gpt_is_you.dataset.settings import TARGETS
from gpt_is_you.store.models import messages_of, open_model, read_build_settings, read_target
from gpt_is_you.store.new import unused_name
from gpt_is_you.tui.screens.base import AppModal
from gpt_is_you.tui.widgets.dataset_options import DatasetOptions
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog

Answer = tuple[str, dict[str, object]]


class DuplicateDialog(AppModal[Answer | None]):
    HELP = """\
## Duplicate a model

A new model from the same chat, with other dataset settings: the chat is read from
the model's store, so the export file is not needed. Its training runs and
conversations are not copied.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="duplicate.cancel"),
    ]

    def __init__(self, model: str) -> None:
        super().__init__(classes="dialog")
        self._model = model
        with open_model(model) as db:
            self._target = read_target(db)
            self._settings = read_build_settings(db)
            self._messages = messages_of(db, self._settings.persona)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="duplicate-box"):
            yield Static(f"Duplicate {self._model}", classes="dialog-title")
            yield Static("The new model's name:", classes="dialog-body")
            yield Input(unused_name(self._model), id="duplicate-name")
            yield DatasetOptions(target=self._target, settings=self._settings)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Duplicate", id="confirm", variant="primary")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#duplicate-name")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        name = self.query_one("#duplicate-name", Input).value.strip()
        options_widget = self.query_one(DatasetOptions)
        if not name:
            self.notify("Give the new model a name.", severity="warning")
            return
        if not options_widget.valid:
            self.notify("Some options are not valid: see the notes beside them.")
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
