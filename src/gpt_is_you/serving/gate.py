"""Requests served one at a time per model: a model writes one reply at a time (on a CPU
two at once would each go at half the speed, and a local model keeps one conversation's
cache), so the others wait their turn in order, a bounded number of them; beyond that a
request is refused at once (429) with a guess of when to come back."""

from __future__ import annotations

import asyncio
import math
import time


class Busy(Exception):
    """The queue is full: come back in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the model is busy: {retry_after} s")
        self.retry_after = retry_after


class Closing(Exception):
    """The server is shutting down: no new reply starts."""


class Gate:
    def __init__(self, queue: int) -> None:
        self.queue = queue  # requests that may wait while one is written
        self.closing = False
        self._lock = asyncio.Lock()  # held from a reply's start until its thread is done
        self._waiting = 0
        self._started = 0.0
        self._took = 1.0  # seconds the latest reply held the model: the guess's unit

    @property
    def waiting(self) -> int:
        """Requests waiting their turn now."""
        return self._waiting

    async def enter(self) -> None:
        """Wait for the model's turn (``leave`` gives it back). Raises ``Busy`` at once
        when the queue is full, ``Closing`` when the server stops meanwhile."""
        if self.closing:
            raise Closing
        if self._lock.locked() and self._waiting >= self.queue:
            wait = self._took * (self._waiting + 1)
            raise Busy(min(60, max(1, math.ceil(wait))))
        self._waiting += 1
        try:
            await self._lock.acquire()  # asyncio's lock wakes its waiters in order
        finally:
            self._waiting -= 1
        if self.closing:
            self._lock.release()  # the next one waiting is told too
            raise Closing
        self._started = time.monotonic()

    def leave(self) -> None:
        """The model is free (called on the event loop)."""
        self._took = time.monotonic() - self._started
        self._lock.release()

    def close(self) -> None:
        """No reply starts from now on (the one being written is stopped by its owner)."""
        self.closing = True
