"""Messenger bubbles: a turn is a name and time over its bubbles, on the sender's side.

A streamed reply grows one bubble at a time (``Bubble.append``): only that bubble is
drawn again, never the history above it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from gpt_is_you.chat_session import WRITING

STOPPED = " (stopped)"
# A reply is drawn at most this often, whatever the backend's pace: each drawing is a layout
# of the whole conversation (bench/bench_tui_keys.py), and keys wait for it.
SHOW_EVERY_S = 1 / 15


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


class LiveReply(Turn):
    """A reply being written, growing in place from the start (so that replies and
    messages show in the order they are stored). It owns the text that came and is not
    drawn yet (pieces come faster than they are worth drawing: see ``SHOW_EVERY_S``), its
    waiting line ("loading the model…", "writing…", or what the backend says it waits
    for) and its stopped mark; ``stop`` tells the worker writing it to stop."""

    def __init__(self, number: int, name: str, time: str) -> None:
        super().__init__(name, time, [], mine=False)
        self.number = number
        self.stop = threading.Event()
        self.discarded = False  # removed from the pane: late pieces go nowhere
        self.noticed = False  # the backend said the model is loading
        self._pending = ""
        self._bubble: Bubble | None = None  # the one growing; a newline starts the next
        self._timer: Timer | None = None
        self.typing(WRITING)

    def waiting(self, text: str) -> None:
        """Say what the reply waits for, until its first words."""
        if not self.bubbles:
            self.typing(text)

    def grow(self, piece: str) -> None:
        if self.discarded:
            return
        self._pending += piece
        if self._timer is None:
            self._timer = self.set_timer(SHOW_EVERY_S, self.flush)

    def flush(self) -> None:
        """Draw what came: appended to the growing bubble; a newline starts the next."""
        self._timer = None
        text, self._pending = self._pending, ""
        if self.discarded:
            return
        for i, part in enumerate(text.split("\n")):
            if i:
                self._bubble = None
            if self._bubble is None:
                part = part.lstrip()
                if not part:
                    continue
                self._bubble = self.add_bubble()
            self._bubble.append(part)

    def halt(self) -> None:
        """Stopped by the user: its worker ends at the next piece, what came is kept."""
        self.stop.set()
        self.flush()
        self.typing(None)
        self.mark_stopped()

    def discard(self) -> None:
        """Stopped and taken away (it is about to be written again, or the pane is
        emptied); its worker still stores what it wrote."""
        self.stop.set()
        self.discarded = True
        if self.is_attached:
            self.remove()

    async def end(self, stopped: bool | None) -> bool:
        """Its worker ended: ``stopped`` (True), whole (False) or failed (None). False
        when nothing came and it was not stopped: it is taken away."""
        if self.discarded:
            return True
        self.flush()
        self.typing(None)
        if stopped:
            self.mark_stopped()  # again: a piece on its way may have come after Esc
        elif not self.bubbles:
            await self.remove()
            return False
        return True


class MessageList(VerticalScroll):
    """The conversation. Up and down pick a bubble (to copy it); it follows new messages
    while it is scrolled to the bottom.

    A long conversation opens with its latest messages only, and earlier ones are added
    when scrolled to: every widget here costs time at each layout, and a streamed reply
    asks for one per piece.
    """

    WINDOW = 15  # messages added at a time

    HELP = """\
## Messages

The conversation, your messages on the right and the model's on the left.

- **Up** / **Down** pick a message; the copy key then copies that one.
- **Page Up** / **Page Down**, **Home** / **End** scroll; earlier messages appear when
  you reach the top.

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
        self._earlier: list[Callable[[], list[Widget]]] = []  # not added yet, oldest first

    def on_mount(self) -> None:
        self.anchor()

    async def clear(self) -> None:
        self.unpick()
        self._earlier = []
        await self.remove_children()

    async def show(self, messages: list[Callable[[], list[Widget]]]) -> None:
        """A conversation: the widgets of each message, made when it is added."""
        await self.clear()
        self._earlier = messages[: -self.WINDOW]
        widgets = [w for make in messages[-self.WINDOW :] for w in make()]
        if self._earlier:
            widgets.insert(0, Static(self._earlier_text(), id="earlier", classes="chat-earlier"))
        await self.mount_all(widgets)
        self.scroll_end(animate=False, immediate=True)

    async def show_earlier(self) -> None:
        """Add the next earlier messages above, keeping the ones on screen in place."""
        if not self._earlier:
            return
        chunk = self._earlier[-self.WINDOW :]
        del self._earlier[-self.WINDOW :]
        label = self.query_one("#earlier", Static)
        first = self.children[1]
        await self.mount_all([w for make in chunk for w in make()], after=label)
        if self._earlier:
            label.update(self._earlier_text())
        else:
            await label.remove()
        self.scroll_to_widget(first, top=True, animate=False, immediate=True)

    def _earlier_text(self) -> str:
        return f"↑ {len(self._earlier)} earlier messages: scroll up to see them"

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 < old and self._earlier:
            self.call_later(self.show_earlier)

    async def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.scroll_y <= 0 and self._earlier:
            await self.show_earlier()

    async def action_pick(self, step: int) -> None:
        bubbles = list(self.query(Bubble))
        if not bubbles:
            return
        if self.picked in bubbles:
            index = bubbles.index(self.picked) + step
            if index < 0 and self._earlier:
                await self.show_earlier()
                bubbles = list(self.query(Bubble))
                index = bubbles.index(self.picked) + step
            index = max(0, min(len(bubbles) - 1, index))
        else:
            index = len(bubbles) - 1
        self.pick(bubbles[index])

    # Textual scrolls a page after the next refresh; while a reply streams, that refresh
    # waits for a layout of the conversation. The page size is known now.
    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self.scrollable_content_region.height, immediate=True)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self.scrollable_content_region.height, immediate=True)

    def pick(self, bubble: Bubble) -> None:
        self.unpick()
        self.picked = bubble
        bubble.add_class("-picked")
        self.scroll_to_widget(bubble, animate=False)

    def unpick(self) -> None:
        if self.picked is not None:
            self.picked.remove_class("-picked")
        self.picked = None

    async def on_click(self, event: events.Click) -> None:
        if isinstance(event.widget, Bubble):
            self.pick(event.widget)
        elif event.widget is not None and event.widget.id == "earlier":
            await self.show_earlier()

    def on_blur(self) -> None:
        # A pick is for the copy key while here; elsewhere the copy key takes the last reply.
        self.unpick()
