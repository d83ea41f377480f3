"""Facebook Messenger and Instagram "Download your information" JSON (message_N.json).

One thread is split over message_1.json, message_2.json, ...; each file lists its
messages newest first, message_1.json holding the newest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from itertools import chain

from gpt_is_you.chats.marks import clean_name, strip_leading_marks
from gpt_is_you.chats.message import DELETED, MEDIA, SYSTEM, TEXT, Chat, ChatImportError, Message

MESSENGER = "messenger"
INSTAGRAM = "instagram"

_ATTACHMENTS = ("photos", "videos", "audio_files", "files", "gifs", "sticker")
_SYSTEM_TYPES = ("Call", "Subscribe", "Unsubscribe")
# The second is set when a parent removed an image from a Messenger Kids chat.
_UNSENT_FLAGS = ("is_unsent", "is_unsent_image_by_messenger_kid_parent")

# Notices Facebook and Instagram write as if someone had sent them, after the sender's
# name or "You" ("Alice Martin named the group Trip.", "You missed a call from Bruno.").
# They are written in the language of the account, and only the English ones are
# known here; requiring the sender's own name in front keeps a person who types
# "named the group ..." from being taken for a notice.
_UNSENT = re.compile(r"unsent an? message\.?")
_ATTACHMENT = re.compile(
    r"sent an? (?:attachment|photo|video|GIF|gif|sticker|voice message|audio clip"
    r"|link|live location|location)\.?"
)
_EVENT = re.compile(
    r"(?:named the group .+|(?:changed|removed) the group (?:photo|name).*"
    r"|(?:changed|set) the (?:chat )?theme.*|set the (?:quick reaction|emoji) to .+"
    r"|set (?:the|your|his|her|their|its) (?:own )?nickname.*"
    r"|cleared (?:the|your|his|her|their|its) (?:own )?nickname.*"
    r"|added .+ to the group|removed .+ from the group|left the group"
    r"|joined the (?:group|call|video chat|video call|audio call)|created the group.*"
    r"|started an? (?:video |audio |voice )?(?:chat|call)"
    r"|missed (?:a|an|your) (?:video |audio |voice )?(?:call|chat).*"
    r"|(?:un)?pinned a message|turned (?:on|off) (?:vanish mode|disappearing messages)"
    r"|(?:is|are) now connected on Messenger"
    r"|reacted .+ to (?:your|a|their|his|her) message)\.?"
)
# Instagram's reaction notices carry no name in front.
_BARE_EVENT = re.compile(r"Liked a message|Reacted .+ to your message")


def looks_like_messenger(doc: object) -> bool:
    """Whether ``doc`` is one message_N.json of a Facebook or Instagram thread."""
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        return False
    messages = doc["messages"]
    if messages and isinstance(messages[0], dict):
        return "sender_name" in messages[0] and "timestamp_ms" in messages[0]
    return "participants" in doc


def parse_messenger(docs: list[dict], *, source: str) -> Chat:
    """The messages of one thread, from all its message_N.json files, oldest first.

    Times are the machine's local wall-clock time for each ``timestamp_ms``: the
    export holds only UTC instants, and the phone that showed the chat was, as a rule,
    in the time zone of the machine the user reads it on.
    """
    if not isinstance(docs, list) or not docs:
        raise ChatImportError(source, "no Messenger message_N.json file to read")
    stamped: list[tuple[float, Message]] = []
    earlier: dict[float, list[dict]] = {}  # the messages of the files before, by timestamp
    duplicates = 0
    for part, doc in enumerate(docs, start=1):
        if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
            raise ChatImportError(source, f"Messenger file {part} has no message list")
        here: dict[float, list[dict]] = {}
        for number, raw in enumerate(doc["messages"], start=1):
            if not isinstance(raw, dict):
                raise ChatImportError(
                    source, f"Messenger message {number} of file {part} is not an object"
                )
            stamp, message = _message(raw, f"message {number} of file {part}", source)
            # Overlapping downloads can repeat a message in two files, key for key.
            if raw in earlier.get(stamp, ()):
                duplicates += 1
                continue
            here.setdefault(stamp, []).append(raw)
            stamped.append((stamp, message))
        for stamp, raws in here.items():
            earlier.setdefault(stamp, []).extend(raws)
    # Newest first in the files: reversed, equal timestamps come out in the order they
    # were sent, and the stable sort then only has to put the files in order.
    stamped.reverse()
    stamped.sort(key=lambda pair: pair[0])
    title = next((doc["title"] for doc in docs if isinstance(doc.get("title"), str)), None)
    warnings = ()
    if duplicates:
        warnings = (f"{duplicates} message(s) repeated across files dropped",)
    return Chat(
        source=source,
        format=_format(docs),
        title=repair_mojibake(title) if title is not None else None,
        messages=tuple(message for _, message in stamped),
        warnings=warnings,
    )


def repair_mojibake(text: str) -> str:
    """``text`` with Facebook's mojibake undone.

    Facebook writes each UTF-8 byte as its own ``\\u00XX`` escape, so "é" arrives as
    "Ã©". Encoding back to Latin-1 recovers the bytes; where that or decoding them
    as UTF-8 fails, the string was not mojibake and is kept.
    """
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _message(raw: dict, where: str, source: str) -> tuple[float, Message]:
    def fail(problem: str) -> ChatImportError:
        return ChatImportError(source, f"Messenger {where}: {problem}")

    stamp = raw.get("timestamp_ms")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise fail("no numeric timestamp_ms")
    try:
        time = datetime.fromtimestamp(stamp // 1000)
    except (ValueError, OverflowError, OSError):
        raise fail(f"timestamp_ms {stamp} is not a date") from None
    name = raw.get("sender_name")
    content = raw.get("content", "")
    share = raw.get("share")
    if not isinstance(name, str):
        raise fail("no sender_name")
    if not isinstance(content, str):
        raise fail("content is not text")
    if share is not None and not isinstance(share, dict):
        raise fail("share is not an object")
    sender = clean_name(repair_mojibake(name))
    content = strip_leading_marks(repair_mojibake(content))
    kind, text = _kind_and_text(raw, sender, content, share)
    return stamp, Message(time, None if kind == SYSTEM else sender, text, kind)


def _kind_and_text(raw: dict, sender: str, content: str, share: dict | None) -> tuple[str, str]:
    notice = _notice(content, sender)
    typed = "" if notice else content
    if notice == "unsent" or any(raw.get(key) is True for key in _UNSENT_FLAGS):
        return DELETED, ""
    if notice == "event" or raw.get("type") in _SYSTEM_TYPES:
        return SYSTEM, content
    if "call_duration" in raw or "users" in raw:
        # Calls, and people added to or leaving a group, in exports without "type".
        return SYSTEM, content
    if any(raw.get(key) for key in _ATTACHMENTS):
        return MEDIA, typed
    if share is not None:
        link = share.get("link")
        # A plain web link is what a person sends by pasting it: a text, as WhatsApp
        # exports it. A shared post (it names its owner) or a live location (no link)
        # is an attachment.
        if isinstance(link, str) and link and "original_content_owner" not in share:
            return TEXT, typed or repair_mojibake(link)
        return MEDIA, typed
    if notice == "attachment" or not content:
        # An attachment the export left out, or a message with nothing in it at all
        # (an expired story reply, a removed post): something was sent, not typed.
        return MEDIA, ""
    return TEXT, content


def _notice(content: str, sender: str) -> str | None:
    """Which generated notice ``content`` is ("unsent", "attachment", "event"), if any."""
    content = content.rstrip()  # Instagram ends some notices with a space
    if _BARE_EVENT.fullmatch(content):
        return "event"
    for who in ("You", sender):
        if who and content.startswith(who + " "):
            rest = content[len(who) + 1 :]
            if _UNSENT.fullmatch(rest):
                return "unsent"
            if _ATTACHMENT.fullmatch(rest):
                return "attachment"
            if _EVENT.fullmatch(rest):
                return "event"
    return None


def _format(docs: list[dict]) -> str:
    """The thread's service, "instagram" or "messenger", told by where its media lie.

    Both services write the same shape, down to "is_still_participant", "thread_type"
    and "magic_words". What differs is the folder media paths start with (newer
    exports: your_instagram_activity/ or your_facebook_activity/) and the invite
    links of Instagram groups (ig.me). A thread without either is called
    "messenger".
    """
    for doc in docs:
        joinable = doc.get("joinable_mode")
        if isinstance(joinable, dict) and "ig.me/" in str(joinable.get("link", "")):
            return INSTAGRAM
        for uri in _uris(doc):
            if uri.startswith("your_instagram_activity/"):
                return INSTAGRAM
            if uri.startswith("your_facebook_activity/"):
                return MESSENGER
    return MESSENGER


def _uris(doc: dict) -> Iterator[str]:
    """The media paths in one message_N.json, the group image's first, found lazily."""
    messages = doc["messages"]
    values = chain([doc.get("image")], (raw.get(key) for raw in messages for key in _ATTACHMENTS))
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("uri"), str):
                yield item["uri"]
