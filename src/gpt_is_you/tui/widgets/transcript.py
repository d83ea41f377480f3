"""One training example shown as the conversation it is.

Each turn with its speaker and time; the persona's turns the model learns from stand
out, the persona's turns given only as context are dimmed. The look comes from the
stylesheet through component classes; the text is one renderable, not a widget per
turn, so that an example of a thousand turns shows at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from gpt_is_you.dataset.examples import ASSISTANT, Example
from gpt_is_you.store.browse import ExampleRow

LEARNED = "▌ "
CONTEXT = "┆ "
OTHER = "  "


class Transcript(Static):
    HELP = """\
## The example

The selected example as the conversation it is: every turn with its speaker and time.

- **▌ highlighted**: the persona's turns the model learns to write
- **┆ dimmed**: the persona's turns given as context only (the model sees them, and
  does not learn them)
- the other people's turns are what the model answers
"""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--title",
        "transcript--speaker",
        "transcript--learned",
        "transcript--context",
        "transcript--other",
        "transcript--time",
        "transcript--match",
    }

    def show(self, row: ExampleRow, example: Example, search: str = "") -> None:
        """Show ``example`` (``row`` is its line in the table), ``search`` highlighted."""
        style = self.get_component_rich_style
        text = Text(no_wrap=False)
        text.append(_title(row, example), style("transcript--title"))
        text.append("\n")
        previous: datetime | None = None
        for turn in example.turns:
            if turn.role != ASSISTANT:
                gutter, look, note = OTHER, "transcript--other", ""
            elif turn.weight:
                gutter, look, note = LEARNED, "transcript--learned", "  learned"
            else:
                gutter, look, note = CONTEXT, "transcript--context", "  context"
            same_day = previous is not None and previous.date() == turn.start.date()
            when = f"{turn.start:%H:%M}" if same_day else f"{turn.start:%Y-%m-%d %H:%M}"
            previous = turn.start
            text.append("\n")
            text.append(gutter, style(look))
            text.append(turn.speaker, style(look) + style("transcript--speaker"))
            text.append(f"  {when}", style("transcript--time"))
            text.append(note, style("transcript--time"))
            for line in turn.text.splitlines() or [""]:
                text.append("\n")
                text.append(gutter, style(look))
                text.append(line, style(look))
            text.append("\n")
        if search:
            text.highlight_words([search], style("transcript--match"), case_sensitive=False)
        self.update(text)


def _title(row: ExampleRow, example: Example) -> str:
    tokens = "" if row.tokens is None else f" · {row.tokens:,} tokens"
    learned = f"{row.learned} of {row.turns} turns learned"
    excluded = " · excluded (x takes it back)" if row.excluded else ""
    return f"Example {row.id} · {example.place} · {example.split}{tokens} · {learned}{excluded}"
