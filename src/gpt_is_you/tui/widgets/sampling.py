"""A small dialog for how the model writes its replies: temperature, top-p, max tokens."""

from __future__ import annotations

from textual.validation import Integer, Number

from gpt_is_you.providers.settings import Sampling
from gpt_is_you.tui.widgets.dialogs import SettingsDialog

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


class SamplingDialog(SettingsDialog[Sampling | None]):
    """Dismisses with the new settings, or None when cancelled."""

    TITLE = "How replies are written"
    FIELDS = _FIELDS
