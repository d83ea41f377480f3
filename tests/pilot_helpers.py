"""What the app tests share: waiting for the app (until a condition holds; what it does on
a timer counted, not timed), reading what a widget shows, and cursors that do not blink."""

from __future__ import annotations

import time
from collections.abc import Callable

from pytest import MonkeyPatch
from textual.pilot import Pilot
from textual.widgets import Static


async def until(
    pilot: Pilot,
    condition: Callable[[], object],
    timeout: float = 10.0,
    *,
    what: str = "the screen never showed it",
) -> None:
    """Let the app run (its workers, its polling) until ``condition`` holds; fail the test
    with ``what`` when it does not within ``timeout`` seconds (generous: a loaded machine
    is slow, and a condition that holds ends the wait at once)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} (within {timeout:g} s)"
        await pilot.pause(0.02)


async def dialog_text(pilot: Pilot, kind: type) -> str:
    """Wait for a dialog of ``kind`` with its text composed (a dialog is pushed a moment
    before its contents are), and return that text."""

    def shown() -> str:
        screen = pilot.app.screen
        return isinstance(screen, kind) and "\n".join(
            str(s.render()) for s in screen.query(".dialog-body")
        )

    await until(pilot, shown, what=f"no {kind.__name__} came")
    return shown()


def calls(monkeypatch: MonkeyPatch, owner: object, name: str) -> Callable[[], int]:
    """Count the calls of ``owner.name`` (a method of a class, or a module's function),
    which goes on doing what it did; returns how many there have been so far. What a
    screen does on a timer (reading the store) is counted, not waited for by the clock."""
    original = getattr(owner, name)
    count = 0

    def counted(*args, **kwargs):
        nonlocal count
        count += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return lambda: count


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
