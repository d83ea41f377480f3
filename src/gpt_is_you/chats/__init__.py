"""Reading chat exports into normalized messages (stdlib only)."""

from gpt_is_you.chats.message import (
    DELETED,
    KINDS,
    MEDIA,
    SYSTEM,
    TEXT,
    Chat,
    ChatChoiceNeeded,
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
    "ChatChoiceNeeded",
    "ChatImportError",
    "Message",
    "read_export",
]


def __getattr__(name: str) -> object:
    # The readers load when first asked for: the app's first screen needs only the types.
    if name in ("FORMATS", "read_export"):
        from gpt_is_you.chats import detect

        return getattr(detect, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
