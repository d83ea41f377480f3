"""A small dialog for how the model writes its replies: temperature, top-p, max tokens."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import Integer, Number
from textual.widgets import Input, Static

from gpt_is_you.providers.settings import Sampling
from gpt_is_you.tui.widgets.dialogs import FormDialog

# (field, label, validator): the ranges a reply can be written with.
_FIELDS = (
    ("temperature", "Temperature (0 = likeliest words)", Number(minimum=0, maximum=2)),
    ("top_p", "Top-p (0.01 to 1)", Number(minimum=0.01, maximum=1)),
    ("max_tokens", "Max tokens per reply", Integer(minimum=1, maximum=4096)),
)


def describe(sampling: Sampling) -> str:
    return (
        f"temperature {sampling.temperature:g} · top-p {sampling.top_p:g} · "
        f"up to {sampling.max_tokens} tokens"
    )


class SamplingDialog(FormDialog[Sampling | None]):
    """Dismisses with the new settings, or None when cancelled."""

    def __init__(self, sampling: Sampling) -> None:
        super().__init__()
        self._sampling = sampling

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("How replies are written", classes="dialog-title")
            for field, label, validator in _FIELDS:
                with Horizontal(classes="sampling-row"):
                    yield Static(label, classes="sampling-label")
                    yield Input(
                        str(getattr(self._sampling, field)),
                        id=f"sampling-{field.replace('_', '-')}",
                        validators=[validator],
                        classes="sampling-input",
                    )
            yield Static("", id="sampling-problem", classes="dialog-body")
            yield from self.buttons()

    def _finish(self) -> None:
        values: dict[str, float | int] = {}
        for field, label, validator in _FIELDS:
            field_input = self.query_one(f"#sampling-{field.replace('_', '-')}", Input)
            text = field_input.value.strip()
            if not validator.validate(text).is_valid:
                self.query_one("#sampling-problem", Static).update(
                    f"{label.split(' (')[0]}: {text or 'nothing'} is out of range."
                )
                field_input.focus()
                return
            values[field] = int(text) if field == "max_tokens" else float(text)
        self.dismiss(replace(self._sampling, **values))
