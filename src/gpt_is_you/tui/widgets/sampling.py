"""A small dialog for how the model writes its replies: temperature, top-p, max tokens."""

from __future__ import annotations

from gpt_is_you.providers.settings import Sampling
from gpt_is_you.tui.widgets.dialogs import SettingsDialog

# (field, label): Sampling.LIMITS has their ranges.
_FIELDS = (
    ("temperature", "Temperature (0 = likeliest words)"),
    ("top_p", "Top-p"),
    ("max_tokens", "Max tokens per reply"),
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
