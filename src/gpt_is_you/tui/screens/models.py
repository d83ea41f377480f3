"""The first screen: the models the user has made, or how to make the first one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from gpt_is_you.store.models import list_models

EMPTY_TITLE = "No models yet"

EMPTY_HELP = """\
Start from a chat exported from your phone:

  [b]WhatsApp[/]             open the chat › More › Export chat › Without media
  [b]Telegram Desktop[/]     the chat's ⋮ menu › Export chat history › JSON
  [b]Facebook, Instagram[/]  Download your information › Messages › JSON

Then see what is in it, and make a model that writes like one of its people:

  [$text-accent]gpt-is-you parse EXPORT[/]
  [$text-accent]gpt-is-you new NAME --from EXPORT --persona WHO[/]"""


class ModelsScreen(Screen[None]):
    SUB_TITLE = "Models"

    def compose(self) -> ComposeResult:
        yield Header()
        # A few small SQLite reads: quick enough to need no worker.
        models = list_models()
        if models:
            table: DataTable[str] = DataTable(id="models", cursor_type="row", zebra_stripes=True)
            table.add_columns("name", "persona", "source", "examples", "state", "last activity")
            for m in models:
                examples = f"{m.train:,} + {m.valid:,}" if m.train else "none"
                activity = m.last_activity.replace("T", " ")[:16]
                table.add_row(m.name, m.persona, m.source, examples, m.state, activity, key=m.slug)
            yield table
        else:
            with Vertical(id="empty"):
                yield Static(EMPTY_TITLE, id="empty-title")
                yield Static(EMPTY_HELP, id="empty-help")
        yield Footer()
