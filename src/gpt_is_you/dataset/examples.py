"""The training examples a chat becomes: conversations with the persona's turns to learn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

USER = "user"
ASSISTANT = "assistant"
TRAIN = "train"
VALID = "valid"


class Turn(NamedTuple):
    """One or more consecutive messages of one person, close in time.

    A NamedTuple, like Message and for the same reason: a large chat has hundreds of
    thousands of turns, and a frozen dataclass takes five times as long to make.
    """

    role: str  # USER (anyone but the persona) or ASSISTANT (the persona)
    speaker: str
    bubbles: tuple[str, ...]  # each message as it was sent, so a reply can be split again
    start: datetime
    end: datetime
    sources: tuple[int, ...]  # positions of the messages in the chat
    weight: int = 1  # 0: an assistant turn given as context, not to learn from

    @property
    def text(self) -> str:
        return "\n".join(self.bubbles)


@dataclass(frozen=True)
class Example:
    """One training conversation: a session of the chat, or a part of a long one."""

    session: int  # sessions are numbered in time order
    part: int  # 0 unless a long session was cut into several examples
    split: str  # TRAIN or VALID
    system: str
    turns: tuple[Turn, ...]
    group: bool  # several other people: user turns carry the speaker's name

    def chat_messages(self) -> list[dict[str, object]]:
        """The example in OpenAI's chat fine-tuning format (its ``messages`` list)."""
        messages: list[dict[str, object]] = [{"role": "system", "content": self.system}]
        for turn in self.turns:
            if turn.role == USER:
                content = f"{turn.speaker}: {turn.text}" if self.group else turn.text
                messages.append({"role": USER, "content": content})
            else:
                message: dict[str, object] = {"role": ASSISTANT, "content": turn.text}
                if not turn.weight:
                    message["weight"] = 0
                messages.append(message)
        return messages

    @property
    def place(self) -> str:
        """Where the example is in the chat as both faces show it, counted from 1 (the
        store counts sessions and parts from 0): "session 3", "session 3, part 2"."""
        part = f", part {self.part + 1}" if self.part else ""
        return f"session {self.session + 1}{part}"

    @property
    def sources(self) -> tuple[int, ...]:
        return tuple(i for turn in self.turns for i in turn.sources)

    @property
    def learned_turns(self) -> int:
        return sum(t.role == ASSISTANT and t.weight == 1 for t in self.turns)
