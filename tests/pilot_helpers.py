"""What the app tests share: waiting for the app, reading what a widget shows, and cursors
that do not blink."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Static


async def until(pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run (its workers, its polling) until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the screen never showed it"
        await pilot.pause(0.02)


def text(pilot: Pilot, selector: str) -> str:
    """What a Static on the current screen renders."""
    return str(pilot.app.screen.query_one(selector, Static).render())


def steady_cursors(pilot: Pilot) -> None:
    """Stop every text cursor on the app's screens blinking, drawn where it stands.

    A blinking cursor is drawn or not depending on the moment a screenshot is taken, so
    a snapshot of a screen with a focused input would pass or fail by chance.
    """
    for screen in pilot.app.screen_stack:
        for widget in screen.query("*"):
            if getattr(widget, "cursor_blink", False):
                widget.cursor_blink = False
