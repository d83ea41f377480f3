"""Replies from a remote model, streamed: chat completions, or completions with the stop
sequence for the legacy prompt/completion models (babbage-002, davinci-002)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from gpt_is_you.dataset.checks import SEPARATOR
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.openai.connection import Connection
from gpt_is_you.providers.openai.errors import error_code, explain
from gpt_is_you.providers.openai.watch import poll_seconds
from gpt_is_you.providers.settings import Sampling

# A model fine-tuned minutes ago may not answer yet: ask again for this long.
LOAD_WAIT_SECONDS = 600.0
LEGACY_STOP = "###"

Notice = Callable[[str], None]


class ReplyCut(ProviderError):
    """The connection broke during a reply; what came before it was yielded already."""


class RemoteChat:
    def __init__(
        self,
        conn: Connection,
        model_id: str,
        *,
        legacy: bool = False,
        speakers: tuple[str, str] = ("Me", "Them"),  # (the user, the persona), for legacy
        wait_for_load: float = 0.0,
        notice: Notice | None = None,  # told when a reply waits for the model to load
    ) -> None:
        self.conn = conn
        self.model_id = model_id
        self.legacy = legacy
        self.speakers = speakers
        self.wait_for_load = wait_for_load
        self.notice = notice
        self._client = None

    def stream(self, messages: Sequence[dict[str, object]], sampling: Sampling) -> Iterator[str]:
        import openai

        if self._client is None:
            self._client = self.conn.client()
        deadline = time.monotonic() + self.wait_for_load
        while True:
            try:
                pieces = self._request(messages, sampling)
                break
            except openai.NotFoundError as e:
                if error_code(e) != "model_not_found" or time.monotonic() >= deadline:
                    raise explain(e, self.conn) from None
                if self.notice is not None:
                    self.notice(
                        f"{self.model_id} is not ready at {self.conn.service} yet (a new model "
                        "takes a few minutes to load); asking again…"
                    )
                time.sleep(poll_seconds())
            except openai.APIError as e:
                raise explain(e, self.conn) from None
        got_any = False
        try:
            for piece in pieces:
                got_any = True
                yield piece
        except openai.APIError as e:
            if got_any:
                raise ReplyCut(
                    f"the connection to {self.conn.service} broke during the reply; the part "
                    "that came is kept"
                ) from None
            raise explain(e, self.conn) from None

    def _request(self, messages, sampling: Sampling) -> Iterator[str]:
        """Send the request (errors about it are raised here) and return its pieces."""
        options = {
            "model": self.model_id,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "stream": True,
        }
        if sampling.seed is not None:
            options["seed"] = sampling.seed
        if self.legacy:
            stream = self._client.completions.create(
                prompt=self.prompt(messages), stop=[LEGACY_STOP], **options
            )
            return _legacy_pieces(stream)
        stream = self._client.chat.completions.create(messages=list(messages), **options)
        return _chat_pieces(stream)

    def prompt(self, messages: Sequence[dict[str, object]]) -> str:
        """The conversation as the prompt/completion export wrote its prompts."""
        me, persona = self.speakers
        lines = []
        for message in messages:
            if message["role"] == "system":
                continue
            speaker = persona if message["role"] == "assistant" else me
            lines.append(f"{speaker}: {message['content']}")
        return "\n".join(lines) + SEPARATOR


def _chat_pieces(stream) -> Iterator[str]:
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta and choice.delta.content:
                yield choice.delta.content


def _legacy_pieces(stream) -> Iterator[str]:
    first = True
    for chunk in stream:
        for choice in chunk.choices:
            text = choice.text or ""
            if first and text:
                text, first = text.lstrip(" "), False  # completions start with a space
            if text:
                yield text
