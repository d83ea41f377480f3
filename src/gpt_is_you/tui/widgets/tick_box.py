"""A checkbox that reads as ticked or not without colour."""

from __future__ import annotations

from textual.widgets import Checkbox


class TickBox(Checkbox):
    """Textual's Checkbox draws ``▐X▌`` ticked or not, and only the colour differs: in a
    256-colour terminal, or a text capture, both look the same. This one draws ``▐X▌``
    ticked and ``▐ ▌`` not."""

    @property
    def BUTTON_INNER(self) -> str:  # read by ToggleButton when it draws the button
        return "X" if self.value else " "
