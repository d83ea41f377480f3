"""The first screen: the models the user has made, or how to make the first one."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from gpt_is_you.paths import models_dir

# Until the per-model store exists, a model is known only by its folder; the other
# columns stay blank rather than guess.
UNKNOWN = "—"

EMPTY_TITLE = "No models yet"

EMPTY_HELP = """\
Start from a chat exported from your phone:

  [b]WhatsApp[/]             open the chat › More › Export chat › Without media
  [b]Telegram Desktop[/]     the chat's ⋮ menu › Export chat history › JSON
  [b]Facebook, Instagram[/]  Download your information › Messages › JSON

Then see what is in it:

  [$text-accent]gpt-is-you parse EXPORT[/]

Creating a model from it is coming next."""


def find_models(root: Path) -> list[str]:
    """Names of the sub-folders of ``root`` that hold a ``model.db``, sorted."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "model.db").is_file())


class ModelsScreen(Screen[None]):
    SUB_TITLE = "Models"

    def compose(self) -> ComposeResult:
        yield Header()
        # A directory listing is instant, so it needs no worker.
        names = find_models(models_dir())
        if names:
            table: DataTable[str] = DataTable(id="models", cursor_type="row", zebra_stripes=True)
            table.add_columns("name", "persona", "source", "state", "last activity")
            for name in names:
                table.add_row(name, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, key=name)
            yield table
        else:
            with Vertical(id="empty"):
                yield Static(EMPTY_TITLE, id="empty-title")
                yield Static(EMPTY_HELP, id="empty-help")
        yield Footer()
