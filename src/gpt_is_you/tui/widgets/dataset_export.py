"""Asking how to export a model's examples: the format and the training file's path."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, RadioSet, Static

from gpt_is_you.dataset.export import FORMATS
from gpt_is_you.tui.widgets.dialogs import FormDialog
from gpt_is_you.tui.widgets.tick_box import RadioChoice

FORMAT_HELP = {
    "openai": "OpenAI's chat fine-tuning",
    "prompt-completion": "babbage-002, davinci-002",
    "sharegpt": "LLaMA-Factory, Axolotl, Unsloth",
}


@dataclass(frozen=True)
class ExportRequest:
    format: str
    path: str | None  # the training file; None: the model's exports folder


class DatasetExportDialog(FormDialog[ExportRequest | None]):
    """Dismisses with what to write, or None when cancelled."""

    SUBMIT = "Export"

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Export the examples", classes="dialog-title")
            with RadioSet(id="export-format"):
                for i, fmt in enumerate(FORMATS):
                    yield RadioChoice(f"{fmt}: {FORMAT_HELP[fmt]}", value=i == 0, name=fmt)
            yield Static(
                "Training file (the validation file goes beside it as NAME.valid.jsonl); "
                "leave it empty for the model's exports folder",
                classes="dialog-body",
            )
            yield Input(id="export-path", placeholder="e.g. ~/bruno.jsonl")
            yield from self.buttons()

    def _finish(self) -> None:
        button = self.query_one(RadioSet).pressed_button
        fmt = button.name if button is not None and button.name else FORMATS[0]
        path = self.query_one("#export-path", Input).value.strip()
        self.dismiss(ExportRequest(fmt, path or None))
