"""The normalized message every reader produces, and the error they raise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring as _json_string  # in C, as json.dumps writes str
from typing import NamedTuple

TEXT = "text"
MEDIA = "media"
DELETED = "deleted"
SYSTEM = "system"
KINDS = (TEXT, MEDIA, DELETED, SYSTEM)


class Message(NamedTuple):
    """One message of a chat, as DESIGN.md's normalized JSONL describes it.

    A NamedTuple rather than a frozen dataclass on purpose: it is just as immutable
    and typed, but it can be built from C (``tuple.__new__`` over ``zip``), which lets
    the WhatsApp reader turn a 500,000-message export into messages in about a
    second; a frozen dataclass's ``__init__`` alone costs 1.6 µs a message.
    """

    time: datetime  # local wall-clock time as written in the export; no time zone
    sender: str | None  # None for system messages
    text: str  # "" for media without caption and for deleted messages
    kind: str  # one of KINDS
    edited: bool = False

    def to_json(self) -> dict[str, object]:
        """The message as DESIGN.md's JSONL object (key order included)."""
        return {
            "time": self.time.isoformat(timespec="seconds"),
            "sender": self.sender,
            "text": self.text,
            "kind": self.kind,
            "edited": self.edited,
        }

    def to_json_line(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)`` without the dict in
        between: what ``parse --jsonl`` prints, a line per message."""
        sender = "null" if self.sender is None else _json_string(self.sender)
        edited = "true" if self.edited else "false"
        return (
            f'{{"time": "{self.time.isoformat(timespec="seconds")}", "sender": {sender}, '
            f'"text": {_json_string(self.text)}, "kind": "{self.kind}", "edited": {edited}}}'
        )


@dataclass(frozen=True)
class Chat:
    """A parsed export: its messages in file order, and what the reader noticed."""

    source: str  # the file the user gave
    format: str  # see FORMATS in gpt_is_you.chats.detect
    title: str | None  # the chat's name where the export says it
    messages: tuple[Message, ...]
    warnings: tuple[str, ...] = ()
    # The day/month order a reader chose when the dates fitted more than one equally
    # well (a WhatsApp export of short days): the app offers the others to choose from.
    guessed_date_order: str | None = None
    # The file read inside the folder or zip the user gave (None: the user gave the file),
    # so that the user is told which of its files became the chat.
    member: str | None = None


EXPECTED = (
    "expected a WhatsApp export (.txt or .zip), a Telegram Desktop result.json, "
    "or a Facebook Messenger/Instagram message_1.json"
)


# What str.splitlines() breaks a line at. A file or chat name may hold one (Linux
# allows a newline in a file name); in the error's line it is written as its escape.
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _escape_break(match: re.Match[str]) -> str:
    return match[0].encode("unicode_escape").decode("ascii")


class ChatImportError(ValueError):
    """The input is not a chat export we can read. ``str()`` is the one line to show."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(_LINE_BREAKS.sub(_escape_break, f"{self.path}: {problem}"))


class ChatChoiceNeeded(ChatImportError):
    """The export holds several chats and none was named: ``choices`` are the chats as
    (label to show, value that ``read_export(..., chat=value)`` reads), so that an app
    can ask which one instead of showing the CLI's "pass --chat" message."""

    def __init__(self, path: object, problem: str, choices: tuple[tuple[str, str], ...]) -> None:
        super().__init__(path, problem)
        self.choices = choices
