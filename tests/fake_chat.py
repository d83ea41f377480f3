"""A backend for the app's tests: replies written from a script, piece by piece."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence

from gpt_is_you.providers.base import Provider
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store.models import Model

# Pieces as a tokenizer would cut them: a word with the space or newline before it.
_PIECES = re.compile(r"\s*\S+")


def pieces(reply: str) -> list[str]:
    return _PIECES.findall(reply)


class ScriptedChat(Provider):
    """A Provider whose replies are ``replies``, in turn; ``delay`` seconds before each
    piece (1/30 is 30 tokens per second). With ``hold_after``, every reply waits after
    that many pieces until the test sets ``release``."""

    name = "local"

    def __init__(
        self,
        replies: Sequence[str] = ("yo\nsure",),
        *,
        delay: float = 0.0,
        hold_after: int | None = None,
    ) -> None:
        self.replies = list(replies)
        self.delay = delay
        self.hold_after = hold_after
        self.release = threading.Event()
        self.calls: list[tuple[str, list[dict[str, object]], Sampling]] = []  # model's name

    def chat(
        self,
        model: Model,
        messages: Sequence[dict[str, object]],
        sampling: Sampling,
        *,
        notice=None,
        remote_model=None,
    ) -> Iterator[str]:
        self.calls.append((model.name, list(messages), sampling))
        return self._stream(self.replies[(len(self.calls) - 1) % len(self.replies)])

    def _stream(self, reply: str) -> Iterator[str]:
        for i, piece in enumerate(pieces(reply)):
            if i == self.hold_after:
                self.release.wait(10)
            if self.delay:
                time.sleep(self.delay)
            yield piece
