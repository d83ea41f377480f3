"""One conversation with a trained model: the user's lines and the model's replies,
streamed from the backend and stored as they end.

The terminal chat (``gpt-is-you chat``) and the app's chat screen both talk through a
``ChatSession``, so a conversation's rows are the same whichever wrote them: the user's
line as it is sent (the first one starts the conversation), then the reply once it
ends — whole, stopped by the user or cut by the backend (marked stopped, the part that
came kept), or written again in place of the last one. The sampling last set for a
model's chats (F2 in the app) is kept in its store and used by both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.providers.base import Notice, Provider
from gpt_is_you.providers.errors import ReplyCut
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import conversations
from gpt_is_you.store.conversations import ASSISTANT, USER, ChatLine, Persona, bubbles
from gpt_is_you.store.jobs import now
from gpt_is_you.store.models import Model, read_setting, write_setting

# The model's settings row that keeps the chat's sampling as last set.
SAMPLING = "sampling"

# What a reply waits for, said the same by the app (under the reply) and the command line
# (on stderr): the model loading, then the model writing until its first words.
LOADING = "loading the model…"
WRITING = "writing…"


@dataclass(frozen=True)
class Reply:
    text: str  # its bubbles joined by newlines, as stored
    stopped: bool  # by the user, or cut by the backend: what came is kept
    cut: ReplyCut | None = None  # why the backend stopped early


def kept_sampling(db: sqlite3.Connection) -> Sampling:
    """The sampling last set for the model's chats: the defaults where none was set, or
    where what is stored no longer fits (a number out of this version's ranges)."""
    stored = read_setting(db, SAMPLING)
    if not isinstance(stored, dict):
        return Sampling()
    try:
        return Sampling.from_json(stored)
    except (SettingsError, TypeError, ValueError):
        return Sampling()


def keep_sampling(model: Model, sampling: Sampling) -> None:
    """Keep ``sampling`` for the chats of ``model``: the app's and ``gpt-is-you chat``'s."""
    with model.db() as db:
        write_setting(db, SAMPLING, sampling.to_json())


def _nothing(*_: object) -> None:
    pass


class ChatSession:
    """A conversation of ``model`` (a new one until the first line, or ``conversation``)
    with its trained model through ``provider``, or with ``remote_model`` (any model
    the backend's service has)."""

    def __init__(
        self,
        model: Model,
        provider: Provider,
        persona: Persona,
        job_id: int | None,
        *,
        conversation: int | None = None,
        remote_model: str | None = None,
    ) -> None:
        self.model = model
        self.provider = provider
        self.persona = persona
        self.job_id = job_id  # the job whose model answers (None: a remote model)
        self.conversation = conversation
        self.remote_model = remote_model
        self._held: ChatLine | None = None  # a line stored only with its reply

    def load(self, notice: Notice | None = None) -> None:
        """Load the model now (a local one takes seconds), so that a model that cannot
        answer says so before the user writes."""
        self.provider.chat_model(self.model, self.remote_model, notice)

    def say(self, text: str, *, time: str | None = None, with_reply: bool = False) -> bool:
        """Store the user's line; True when it started the conversation. ``with_reply``:
        stored with its reply instead, so that a reply that fails leaves nothing (one
        question asked from the command line)."""
        line = ChatLine(USER, text, time or now())
        if with_reply:
            self._held = line
            return self.conversation is None
        return self._store(line)

    def _store(self, line: ChatLine) -> bool:
        with self.model.db() as db:
            started = self.conversation is None
            if started:
                self.conversation = conversations.start(
                    db, line.content, self.job_id, time=line.time
                )
            conversations.add(db, self.conversation, USER, line.content, time=line.time)
        return started

    def reply(
        self,
        sampling: Sampling,
        *,
        time: str | None = None,
        echo: Callable[[str], None] = _nothing,
        stop: Callable[[], bool] = lambda: False,
        loading: Callable[[bool], None] = _nothing,
        notice: Notice | None = None,
    ) -> Reply:
        """The reply to the conversation as it stands (the last reply is written again
        when it ends with one), each piece given to ``echo`` as it comes; stored when
        it ends (empty when the model ended its turn at once; when the backend fails,
        only if some of it came). ``stop`` is asked before
        each piece (Ctrl-C stops it too); ``loading`` is told True while the backend
        loads the model, then False."""
        time = time or now()
        history = []
        if self.conversation is not None:
            with self.model.db() as db:
                history = conversations.lines(db, self.conversation)
        while history and history[-1].role == ASSISTANT:  # a reply written again
            history.pop()
        if self._held is not None:
            history.append(self._held)
        if stop():
            return self._keep([], time, stopped=True)
        if not history:
            return Reply("", False)
        try:
            return self._stream(history, sampling, time, echo, stop, loading, notice)
        finally:
            self._held = None

    def _stream(
        self,
        history: list[ChatLine],
        sampling: Sampling,
        time: str,
        echo: Callable[[str], None],
        stop: Callable[[], bool],
        loading: Callable[[bool], None],
        notice: Notice | None,
    ) -> Reply:
        loading(True)
        stream = self.provider.chat(
            self.model,
            conversations.chat_messages(self.persona, history),
            sampling,
            notice=notice,
            remote_model=self.remote_model,
        )
        loading(False)
        pieces: list[str] = []
        stopped, cut = False, None
        try:
            for piece in stream:
                if stop():
                    stopped = True
                    break
                pieces.append(piece)
                echo(piece)
        except KeyboardInterrupt:
            stopped = True
        except ReplyCut as e:  # the part that came stays, as a stopped reply
            stopped, cut = True, e
        except BaseException:
            if pieces:  # what came before the failure
                self._keep(pieces, time, stopped=False)
            raise
        finally:
            close = getattr(stream, "close", None)
            if close is not None:  # a generator left early cleans up now
                close()
        return self._keep(pieces, time, stopped=stopped, cut=cut)

    def _keep(
        self, pieces: list[str], time: str, *, stopped: bool, cut: ReplyCut | None = None
    ) -> Reply:
        text = "\n".join(bubbles("".join(pieces)))
        if self._held is not None:
            self._store(self._held)
            self._held = None
        if self.conversation is not None:
            with self.model.db() as db:
                conversations.set_reply(db, self.conversation, text, time=time, stopped=stopped)
        return Reply(text, stopped, cut)
