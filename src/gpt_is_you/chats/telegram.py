"""Telegram Desktop's "Export chat history" / "Export Telegram data" JSON (result.json)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from gpt_is_you.chats.marks import clean_name, strip_leading_marks
from gpt_is_you.chats.message import (
    MEDIA,
    SYSTEM,
    TEXT,
    Chat,
    ChatChoiceNeeded,
    ChatImportError,
    Message,
)

FORMAT = "telegram"

# Telegram Desktop writes "from": null when the author's name is empty, which is what
# a deleted account has. Telegram's own apps show such authors as "Deleted Account",
# so the user recognises the name; it must not be None, which means a system message.
DELETED_ACCOUNT = "Deleted Account"

# Keys Telegram Desktop writes for attachments: photos; "file" for documents, stickers,
# voice and video messages, video notes and GIFs (with "media_type" telling which);
# contacts, locations and venues, polls, games, invoices, giveaways and paid media.
_MEDIA_KEYS = frozenset(
    (
        "photo",
        "file",
        "media_type",
        "contact_information",
        "location_information",
        "place_name",
        "poll",
        "game_title",
        "invoice_information",
        "giveaway_information",
        "giveaway_results",
        "paid_stars_amount",
    )
)

# How many chat names an error lists before it says "and N more".
_NAMES_SHOWN = 20


def looks_like_telegram(doc: object) -> bool:
    """Whether ``doc`` is a single-chat or a full-account Telegram Desktop export."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("messages"), list):
        return "id" in doc and "type" in doc
    return any(
        isinstance(doc.get(key), dict) and isinstance(doc[key].get("list"), list)
        for key in ("chats", "left_chats")
    )


def parse_telegram(doc: dict, *, source: str, chat: str | None = None) -> Chat:
    """The messages of one chat of a Telegram Desktop JSON export.

    A full-account export holds many chats: ``chat`` picks one by name (any case) or
    by id; it may be left out when the export holds exactly one chat.
    """
    if not isinstance(doc, dict):
        raise ChatImportError(source, "not a Telegram export: the JSON is not an object")
    picked = _pick_chat(_chats(doc, source), chat, source)
    name = picked.get("name")
    raw_messages = picked.get("messages")
    if not isinstance(raw_messages, list):
        raise ChatImportError(source, f"Telegram chat {_label(picked)} has no message list")
    messages = []
    unsupported = 0
    for number, raw in enumerate(raw_messages, start=1):
        if not isinstance(raw, dict):
            raise ChatImportError(source, f"Telegram message {number} is not an object")
        if raw.get("type") == "unsupported":
            # Written for media this Telegram Desktop could not export; it has no date.
            unsupported += 1
            continue
        messages.append(_message(raw, number, source))
    warnings = ()
    if unsupported:
        warnings = (f"{unsupported} message(s) Telegram Desktop marked as unsupported skipped",)
    return Chat(
        source=source,
        format=FORMAT,
        title=name if isinstance(name, str) else None,
        messages=tuple(messages),
        warnings=warnings,
    )


def _chats(doc: dict, source: str) -> list[dict]:
    """The chats of the export: itself if it is a single-chat export."""
    if "messages" in doc:
        return [doc]
    chats: list[dict] = []
    for key in ("chats", "left_chats"):
        section = doc.get(key, {})
        listed = section.get("list", []) if isinstance(section, dict) else None
        if not isinstance(listed, list) or not all(isinstance(c, dict) for c in listed):
            raise ChatImportError(source, f'Telegram export\'s "{key}" is not a list of chats')
        chats.extend(listed)
    if not chats:
        raise ChatImportError(
            source, "this Telegram export holds no chats (export it with chats selected)"
        )
    return chats


def _label(chat: dict) -> str:
    name = chat.get("name")
    if isinstance(name, str) and name:
        return name
    return f"({chat.get('type', 'chat')} {chat.get('id')})"


def _listing(chats: list[dict]) -> str:
    labels = [_label(c) for c in chats[:_NAMES_SHOWN]]
    more = len(chats) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more else "")


def _choices(chats: list[dict]) -> tuple[tuple[str, str], ...]:
    """Every chat as (label, what ``_pick_chat`` finds it by): its name, or its id when
    it has no name or shares it (in any case) with another chat."""
    names = Counter(c["name"].casefold() for c in chats if isinstance(c.get("name"), str))
    choices = []
    for chat in chats:
        name = chat.get("name")
        if isinstance(name, str) and name and names[name.casefold()] == 1:
            choices.append((name, name))
        elif isinstance(name, str) and name:
            choices.append((f"{name} ({chat.get('id')})", str(chat.get("id"))))
        else:
            choices.append((_label(chat), str(chat.get("id"))))
    return tuple(choices)


def _pick_chat(chats: list[dict], wanted: str | None, source: str) -> dict:
    if wanted is None:
        if len(chats) == 1:
            return chats[0]
        raise ChatChoiceNeeded(
            source,
            f"this Telegram export holds {len(chats)} chats; pass --chat NAME with one of: "
            + _listing(chats),
            _choices(chats),
        )
    key = wanted.casefold()
    by_name = [c for c in chats if isinstance(c.get("name"), str) and c["name"].casefold() == key]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        ids = ", ".join(str(c.get("id")) for c in by_name)
        raise ChatImportError(
            source, f'{len(by_name)} chats are named "{wanted}"; pass --chat with an id: {ids}'
        )
    by_id = [c for c in chats if "id" in c and str(c["id"]) == wanted]
    if by_id:
        return by_id[0]
    raise ChatImportError(
        source, f'no chat named "{wanted}" in this Telegram export; it holds: ' + _listing(chats)
    )


def _message(raw: dict, number: int, source: str) -> Message:
    def fail(problem: str) -> ChatImportError:
        return ChatImportError(source, f"Telegram message {number}: {problem}")

    text = _text(raw.get("text", ""))
    if text is None:
        raise fail('"text" is neither a string nor a list of strings and entities')
    edited = "edited" in raw or "edited_unixtime" in raw
    time = _time(raw)
    if time is None:
        raise fail('no readable "date" or "date_unixtime"')
    if raw.get("type") == "service":
        # Service messages (group created, call, pin, ...) usually have no text; the
        # action's name, or the custom text some carry, says what happened.
        for fallback in ("information_text", "action"):
            if not text and isinstance(raw.get(fallback), str):
                text = raw[fallback]
        return Message(time, None, strip_leading_marks(text), SYSTEM, edited)
    author = raw.get("from")
    if author is not None and not isinstance(author, str):
        raise fail('"from" is not a name')
    sender = clean_name(author or "") or DELETED_ACCOUNT
    kind = TEXT if _MEDIA_KEYS.isdisjoint(raw) else MEDIA
    return Message(time, sender, strip_leading_marks(text), kind, edited)


def _text(value: object) -> str | None:
    """A message's text: a string, or a list of strings and entity objects."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return None
    parts = []
    for part in value:
        if isinstance(part, dict):
            part = part.get("text")
        if not isinstance(part, str):
            return None
        parts.append(part)
    return "".join(parts)


def _time(raw: dict) -> datetime | None:
    """When the message was sent, as the local wall-clock time the export wrote.

    "date" is that time already; "date_unixtime" (newer exports write both) is only
    used when "date" is missing, and then read in this machine's time zone.
    """
    date = raw.get("date")
    if isinstance(date, str):
        try:
            time = datetime.fromisoformat(date)
        except ValueError:
            return None
        # Telegram writes no offset; were one there, the wall-clock part is kept.
        return time if time.tzinfo is None else time.replace(tzinfo=None)
    stamp = raw.get("date_unixtime")
    if isinstance(stamp, bool) or not isinstance(stamp, str | int):
        return None
    try:
        return datetime.fromtimestamp(int(stamp))
    except (ValueError, OverflowError, OSError):
        return None
