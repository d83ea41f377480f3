"""One reply written in a thread of its own, so that the event loop goes on answering
(429s, the model list, other clients) while the model computes; its pieces are handed to
the loop one by one. ``stop`` ends it between two pieces: the model's stream (a
generator) is closed before it computes another token, and the model is free again."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator

_END = object()


class Generation:
    """``write()`` is the model's stream; ``done`` is called on the loop once the thread has
    finished with the model (the stream closed)."""

    def __init__(self, write: Callable[[], Iterator[str]], done: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._pieces: asyncio.Queue[object] = asyncio.Queue()
        self._stop = threading.Event()
        self.count = 0  # pieces written: a token each, or a few where a character needs them
        self.ended = False
        thread = threading.Thread(target=self._run, args=(write, done), name="reply", daemon=True)
        thread.start()

    def stop(self) -> None:
        self._stop.set()

    async def next(self) -> str | None:
        """The next piece; None at the end; the model's error, raised here."""
        if self.ended:
            return None
        item = await self._pieces.get()
        if item is _END:
            self.ended = True
            return None
        if isinstance(item, BaseException):
            self.ended = True
            raise item
        self.count += 1
        return item  # type: ignore[return-value]

    def _run(self, write: Callable[[], Iterator[str]], done: Callable[[], None]) -> None:
        last: object = _END
        try:
            stream = write()
            try:
                for piece in stream:
                    self._hand(piece)
                    if self._stop.is_set():
                        break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:  # a generator left early cleans up now
                    close()
        except Exception as e:  # the model's failure, told to the client
            last = e
        finally:
            self._hand(last)
            self._hand_call(done)

    def _hand(self, item: object) -> None:
        self._hand_call(self._pieces.put_nowait, item)

    def _hand_call(self, call: Callable[..., None], *args: object) -> None:
        # A server forced to quit (Ctrl-C twice) closes its loop without waiting.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(call, *args)
