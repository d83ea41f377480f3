"""The Textual application: global keys, the stylesheet, and the first screen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from gpt_is_you.paths import APP_NAME
from gpt_is_you.tui.screens.models import ModelsScreen


class GptIsYouApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = APP_NAME

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit gpt-is-you."),
        Binding(
            "f1",
            "toggle_help",
            "Help",
            id="help",
            tooltip="Show or hide the keys and help for the focused widget.",
        ),
    ]

    def get_default_screen(self) -> Screen:
        return ModelsScreen()

    def action_toggle_help(self) -> None:
        # Queried by name: importing HelpPanel here would load Markdown at every start.
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def run() -> None:
    GptIsYouApp().run()
