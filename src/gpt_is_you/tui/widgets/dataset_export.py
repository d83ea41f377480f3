"""Asking how to export a model's examples: the format and the training file's path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from gpt_is_you.dataset.export import FORMATS
from gpt_is_you.tui.screens.base import AppModal

FORMAT_HELP = {
    "openai": "OpenAI's chat fine-tuning",
    "prompt-completion": "babbage-002, davinci-002",
    "sharegpt": "LLaMA-Factory, Axolotl, Unsloth",
}


@dataclass(frozen=True)
class ExportRequest:
    format: str
    path: str | None  # the training file; None: the model's exports folder


class DatasetExportDialog(AppModal[ExportRequest | None]):
    """Dismisses with what to write, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Export the examples", classes="dialog-title")
            with RadioSet(id="export-format"):
                for i, fmt in enumerate(FORMATS):
                    yield RadioButton(f"{fmt}: {FORMAT_HELP[fmt]}", value=i == 0, name=fmt)
            yield Static(
                "Training file (the validation file goes beside it as NAME.valid.jsonl); "
                "leave it empty for the model's exports folder",
                classes="dialog-body",
            )
            yield Input(id="export-path", placeholder="e.g. ~/bruno.jsonl")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="confirm", variant="primary")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._finish()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self._finish()
        else:
            self.dismiss(None)

    def _finish(self) -> None:
        button = self.query_one(RadioSet).pressed_button
        fmt = button.name if button is not None and button.name else FORMATS[0]
        path = self.query_one("#export-path", Input).value.strip()
        self.dismiss(ExportRequest(fmt, path or None))
