"""Messenger bubbles: a turn is a name and time over its bubbles, on the sender's side.

A streamed reply grows one bubble at a time (``Bubble.append``): only that bubble is
drawn again, never the history above it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

STOPPED = " (stopped)"


class Bubble(Static):
    """One message. Its text is plain (never markup): people write brackets."""

    def __init__(self, text: str = "", *, stopped: bool = False) -> None:
        super().__init__(markup=False, classes="bubble")
        self._text = text
        self._stopped = stopped
        self._show()

    @property
    def text(self) -> str:
        return self._text

    def append(self, piece: str) -> None:
        self._text += piece
        self._show()

    def mark_stopped(self, stopped: bool = True) -> None:
        if stopped != self._stopped:
            self._stopped = stopped
            self._show()

    def _show(self) -> None:
        if self._stopped:
            self.update(Content.assemble(self._text, (STOPPED, "italic $text-muted")))
        else:
            self.update(self._text)


class Turn(Vertical):
    """A turn of the conversation: who and when, then its bubbles. A stopped reply says
    so after its last bubble (an empty one when it was stopped before its first word)."""

    def __init__(
        self, name: str, time: str, bubbles: list[str], *, mine: bool, stopped: bool = False
    ) -> None:
        super().__init__(classes="turn -mine" if mine else "turn -theirs")
        self.mine = mine
        self._header = f"{name} · {time[11:16]}"
        if stopped and not bubbles:
            bubbles = [""]
        self._bubbles = [Bubble(text) for text in bubbles]
        if stopped:
            self._bubbles[-1].mark_stopped()
        self._typing: Static | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._header, markup=False, classes="turn-header")
        yield from self._bubbles
        if self._typing is not None:
            yield self._typing

    def typing(self, text: str | None) -> None:
        """Say that the reply is on its way (``text``), until its first bubble or None."""
        if text is None:
            if self._typing is not None:
                self._typing.remove()
            self._typing = None
        elif self._typing is None:
            self._typing = Static(text, markup=False, classes="typing")
            if self.is_attached:
                self.mount(self._typing)
        else:
            self._typing.update(text)

    @property
    def bubbles(self) -> list[Bubble]:
        return list(self._bubbles)

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self._bubbles)

    def add_bubble(self) -> Bubble:
        self.typing(None)
        bubble = Bubble()
        self._bubbles.append(bubble)
        self.mount(bubble)
        return bubble

    def mark_stopped(self) -> None:
        if not self._bubbles:
            self.add_bubble()
        for bubble in self._bubbles:
            bubble.mark_stopped(bubble is self._bubbles[-1])


class MessageList(VerticalScroll):
    """The conversation. Up and down pick a bubble (to copy it); it follows new messages
    while it is scrolled to the bottom."""

    HELP = """\
## Messages

The conversation, your messages on the right and the model's on the left.

- **Up** / **Down** pick a message; the copy key then copies that one.
- **Page Up** / **Page Down**, **Home** / **End** scroll.

New messages keep the list at the bottom unless you scrolled up to read.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "pick(-1)",
            "Previous",
            id="chat.messages.previous",
            tooltip="Pick the message above (the copy key copies it).",
            show=False,
        ),
        Binding(
            "down",
            "pick(1)",
            "Next",
            id="chat.messages.next",
            tooltip="Pick the message below (the copy key copies it).",
            show=False,
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.picked: Bubble | None = None

    def on_mount(self) -> None:
        self.anchor()

    async def clear(self) -> None:
        self.unpick()
        await self.remove_children()

    def action_pick(self, step: int) -> None:
        bubbles = list(self.query(Bubble))
        if not bubbles:
            return
        if self.picked in bubbles:
            index = max(0, min(len(bubbles) - 1, bubbles.index(self.picked) + step))
        else:
            index = len(bubbles) - 1
        self.pick(bubbles[index])

    def pick(self, bubble: Bubble) -> None:
        self.unpick()
        self.picked = bubble
        bubble.add_class("-picked")
        self.scroll_to_widget(bubble, animate=False)

    def unpick(self) -> None:
        if self.picked is not None:
            self.picked.remove_class("-picked")
        self.picked = None

    def on_click(self, event: events.Click) -> None:
        if isinstance(event.widget, Bubble):
            self.pick(event.widget)

    def on_blur(self) -> None:
        # A pick is for the copy key while here; elsewhere the copy key takes the last reply.
        self.unpick()
