"""Reading chat exports into normalized messages (stdlib only)."""

from gpt_is_you.chats.detect import FORMATS, read_export
from gpt_is_you.chats.message import (
    DELETED,
    KINDS,
    MEDIA,
    SYSTEM,
    TEXT,
    Chat,
    ChatImportError,
    Message,
)

__all__ = [
    "DELETED",
    "FORMATS",
    "KINDS",
    "MEDIA",
    "SYSTEM",
    "TEXT",
    "Chat",
    "ChatImportError",
    "Message",
    "read_export",
]
