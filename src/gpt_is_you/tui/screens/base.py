"""What every screen of the app shares: a failed worker becomes one error dialog, and
the help of Esc names the screen it goes back to.

``Worker.StateChanged`` does not bubble past the node that started the worker, so the
app cannot catch failures itself; each screen forwards its workers' failures to
``GptIsYouApp.show_error``. Screens run their workers (widgets ask their screen to).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, TypeVar

from textual import events, on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState


def _forward(screen: Screen, event: Worker.StateChanged) -> None:
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        screen.app.show_error(event.worker.error)  # type: ignore[attr-defined]


class AppScreen(Screen[None]):
    # What a "Back to …" of the screen above calls this one.
    PLACE: ClassVar[str] = "the previous screen"

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
    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        _forward(self, event)
