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
        self.written: list[int] = []  # pieces each reply wrote before it ended or was closed
        self.model: Model | None = None

    def chat_model(self, model: Model, remote_model=None, notice=None) -> ScriptedChat:
        """Itself, as the chat model of ``model`` (serve asks once, then streams)."""
        self.model = model
        return self

    def stream(self, messages: Sequence[dict[str, object]], sampling: Sampling) -> Iterator[str]:
        assert self.model is not None
        return self.chat(self.model, messages, sampling)

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
        written = 0
        try:
            for i, piece in enumerate(pieces(reply)):
                if i == self.hold_after:
                    self.release.wait(10)
                if self.delay:
                    time.sleep(self.delay)
                written += 1
                yield piece
        finally:  # at the end, or when the generator is closed early
            self.written.append(written)
