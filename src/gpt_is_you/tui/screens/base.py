"""What every screen of the app shares: a failed worker becomes one error dialog, the
help of Esc names the screen it goes back to, and its styles are read when it first shows.

``Worker.StateChanged`` does not bubble past the node that started the worker, so the
app cannot catch failures itself; each screen forwards its workers' failures to
``GptIsYouApp.show_error``. Screens run their workers (widgets ask their screen to).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar, TypeVar

from textual import events, on
from textual._context import NoActiveAppError
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState


def styles(name: str) -> Path:
    """A screen's own stylesheet in ``tui/styles/``, for its ``CSS_PATH``: Textual reads it
    when the screen first shows, so the app's start parses only app.tcss (the models
    screen and what every screen shares)."""
    return Path(__file__).parent.parent / "styles" / f"{name}.tcss"


def _forward(screen: Screen, event: Worker.StateChanged) -> None:
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        screen.app.show_error(event.worker.error)  # type: ignore[attr-defined]


def _size_classes(screen: Screen) -> None:
    """The app's size classes (``-narrow``/``-wide``, ``-short``/``-tall``) on a screen
    made before it is styled. Textual sets them at the screen's first resize, which
    restyled every widget of it once more before the first frame (40–70 ms of the app's
    start with 50 models); with them already there, that resize changes nothing."""
    try:
        app = screen.app
    except NoActiveAppError:  # made outside an app: its first resize sets them
        return
    classes: dict[str, bool] = {}
    for breakpoints, cells in (
        (app.HORIZONTAL_BREAKPOINTS or [], app.size.width),
        (app.VERTICAL_BREAKPOINTS or [], app.size.height),
    ):
        classes |= {name: False for _, name in breakpoints}
        # As Textual picks them: the widest breakpoint the size reaches.
        reached = [(at, name) for at, name in breakpoints if cells >= at]
        if reached:
            classes[max(reached)[1]] = True
    screen.update_classes(classes, update=False)


class AppScreen(Screen[None]):
    # What a "Back to …" of the screen above calls this one.
    PLACE: ClassVar[str] = "the previous screen"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _size_classes(self)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        _forward(self, event)

    @on(events.ScreenResume)
    def _name_the_way_back(self) -> None:
        """Fill ``{below}`` in the tooltips of this screen's bindings (the footer's and
        the palette's help) with the screen under it, where Esc goes back to: the chat
        opens from the models, the examples or the training screen."""
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        place = below.PLACE if isinstance(below, AppScreen) else AppScreen.PLACE
        # The tooltips as the class wrote them; this screen's own bindings (a copy, which
        # a key map may have changed) get them filled.
        written = {
            binding.id: binding.tooltip
            for bindings in type(self)._merged_bindings.key_to_bindings.values()
            for binding in bindings
            if "{below}" in binding.tooltip
        }
        for key, bindings in self._bindings.key_to_bindings.items():
            self._bindings.key_to_bindings[key] = [
                replace(b, tooltip=written[b.id].format(below=place)) if b.id in written else b
                for b in bindings
            ]


T = TypeVar("T")


class AppModal(ModalScreen[T]):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _size_classes(self)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        _forward(self, event)
