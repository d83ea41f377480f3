"""A checkbox and a radio button that read as on or off without colour."""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton

# Textual draws both kinds with the same mark on and off (``▐X▌``, ``▐●▌``): only the
# colour differs, which a 256-colour terminal or a text capture does not show. These draw
# the mark only when on, and a blank when off.


class TickBox(Checkbox):
    """``▐X▌`` ticked, ``▐ ▌`` not."""

    @property
    def BUTTON_INNER(self) -> str:  # read by ToggleButton when it draws the button
        return "X" if self.value else " "


class RadioChoice(RadioButton):
    """``▐●▌`` chosen, ``▐ ▌`` not."""

    @property
    def BUTTON_INNER(self) -> str:
        return "●" if self.value else " "
