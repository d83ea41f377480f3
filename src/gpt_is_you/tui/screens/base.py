"""What every screen of the app shares: a failed worker becomes one error dialog.

``Worker.StateChanged`` does not bubble past the node that started the worker, so the
app cannot catch failures itself; each screen forwards its workers' failures to
``GptIsYouApp.show_error``. Screens run their workers (widgets ask their screen to).
"""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState


def _forward(screen: Screen, event: Worker.StateChanged) -> None:
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        screen.app.show_error(event.worker.error)  # type: ignore[attr-defined]


class AppScreen(Screen[None]):
    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        _forward(self, event)


T = TypeVar("T")


class AppModal(ModalScreen[T]):
    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        _forward(self, event)
