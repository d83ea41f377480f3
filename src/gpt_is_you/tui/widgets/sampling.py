"""A small dialog for how the model writes its replies (temperature, top-p, max tokens),
and the line that shows them under the chat's input."""

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
    """The line under the chat's input; settings other than the defaults say so, since
    they stay with the model."""
    if sampling == Sampling():
        return sampling.describe()
    return f"{sampling.describe()} · set for this model (F2)"


class SamplingDialog(SettingsDialog[Sampling | None]):
    """Dismisses with the new settings, or None when cancelled."""

    TITLE = "How replies are written"
    FIELDS = _FIELDS
