"""What is in a chat, at a glance: who wrote how much, when, and of what kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from gpt_is_you.chats.message import KINDS, Chat


@dataclass(frozen=True)
class Participant:
    name: str
    messages: int  # every message they sent, media and deleted ones included


@dataclass(frozen=True)
class ChatSummary:
    format: str
    title: str | None
    messages: int
    participants: tuple[Participant, ...]  # most messages first
    first: datetime | None
    last: datetime | None
    kinds: dict[str, int]  # every kind of KINDS, in that order
    warnings: tuple[str, ...]
    member: str | None = None  # the file read inside the folder or zip given

    def to_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "title": self.title,
            "messages": self.messages,
            "participants": [{"name": p.name, "messages": p.messages} for p in self.participants],
            "first": self.first.isoformat(timespec="seconds") if self.first else None,
            "last": self.last.isoformat(timespec="seconds") if self.last else None,
            "kinds": self.kinds,
            "warnings": list(self.warnings),
            "file": self.member,
        }


def summarize(chat: Chat) -> ChatSummary:
    msgs = chat.messages
    # Column by column, counted in C: a large export has half a million messages.
    senders = Counter(map(itemgetter(1), msgs))
    senders.pop(None, None)
    kinds = Counter(map(itemgetter(3), msgs))
    times = list(map(itemgetter(0), msgs))
    return ChatSummary(
        format=chat.format,
        title=chat.title,
        messages=len(msgs),
        participants=tuple(Participant(n, c) for n, c in senders.most_common()),
        # Exports are in order as a rule, but a phone's clock can jump back.
        first=min(times, default=None),
        last=max(times, default=None),
        kinds={k: kinds.get(k, 0) for k in KINDS},
        warnings=chat.warnings,
        member=chat.member,
    )
