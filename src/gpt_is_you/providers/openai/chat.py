"""Replies from a remote model, streamed: chat completions, or completions with the stop
sequence for the legacy prompt/completion models (babbage-002, davinci-002)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from gpt_is_you.dataset.checks import SEPARATOR
from gpt_is_you.providers.connection import Connection
from gpt_is_you.providers.errors import ProviderError, ReplyCut
from gpt_is_you.providers.remote_watch import poll_seconds
from gpt_is_you.providers.service_errors import error_code, explain
from gpt_is_you.providers.settings import Sampling

# A model fine-tuned minutes ago may not answer yet: ask again for this long.
LOAD_WAIT_SECONDS = 600.0
LEGACY_STOP = "###"

Notice = Callable[[str], None]


class _Unfinished(Exception):
    """A stream that ended with no choice finished: the server closed it early. (A
    missing ``data: [DONE]`` is not seen: the SDK ends its iteration either way.)"""


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
        except (openai.APIError, _Unfinished) as e:
            raise self._stopped(e, got_any) from None

    def _stopped(self, error: Exception, got_any: bool) -> ProviderError:
        """Why a reply stopped before its end: a ReplyCut once some of it came."""
        import openai

        service = self.conn.service
        unfinished = isinstance(error, _Unfinished)
        if got_any and unfinished:
            return ReplyCut(
                f"{service} ended the reply before it was finished; the part that came is kept"
            )
        if got_any:
            return ReplyCut(
                f"the connection to {service} broke during the reply; the part that came is kept"
            )
        if unfinished or (
            isinstance(error, openai.APIConnectionError)
            and not isinstance(error, openai.APITimeoutError)
        ):
            # The server had answered the request: the network is up.
            return ProviderError(f"{service} closed the reply before any text came: try again")
        return explain(error, self.conn)

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
    finished = False
    for chunk in stream:
        for choice in chunk.choices:
            finished = finished or choice.finish_reason is not None
            if choice.delta and choice.delta.content:
                yield choice.delta.content
    if not finished:
        raise _Unfinished


def _legacy_pieces(stream) -> Iterator[str]:
    first, finished = True, False
    for chunk in stream:
        for choice in chunk.choices:
            finished = finished or choice.finish_reason is not None
            text = choice.text or ""
            if first and text:
                text, first = text.lstrip(" "), False  # completions start with a space
            if text:
                yield text
    if not finished:
        raise _Unfinished
