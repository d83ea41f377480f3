"""Recognise an export by its content and hand it to the right reader."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from gpt_is_you.chats.dates import ORDERS
from gpt_is_you.chats.message import EXPECTED, Chat, ChatImportError
from gpt_is_you.chats.whatsapp import parse_whatsapp

FORMATS = ("whatsapp-android", "whatsapp-ios", "telegram", "messenger", "instagram")
# Every JSON export is an object at the top; a "[" starts an iOS WhatsApp line.
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*\{")

# "WhatsApp Chat with Alice.txt" and its translations; "WhatsApp Chat - Alice.zip" (iOS).
_TITLE = re.compile(
    r"^(?:WhatsApp Chat with|WhatsApp Chat mit|Discussion WhatsApp avec|Chat de WhatsApp con"
    r"|Conversa do WhatsApp com|Conversa de WhatsApp com|Chat WhatsApp con|Chat di WhatsApp con"
    r"|WhatsApp-chat met|WhatsApp Chat -)\s+(.+)$",
    re.IGNORECASE,
)
_MESSENGER_PART = re.compile(r"^message_(\d+)\.json$")
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"SQLite format 3": "an SQLite database",
}


def read_export(
    path: str | Path, *, date_order: str | None = None, chat: str | None = None
) -> Chat:
    """Read any supported export. Raises ChatImportError, naming the file, for anything else.

    ``date_order`` (dmy, mdy or ymd) overrides the inferred WhatsApp date order;
    ``chat`` picks one chat out of a Telegram full-account export.
    """
    path = Path(path)
    source = str(path)
    if date_order is not None and date_order not in ORDERS:
        raise ChatImportError(source, f"unknown date order {date_order!r}; use dmy, mdy or ymd")
    try:
        if path.is_dir():
            return _read_folder(path, source, date_order=date_order, chat=chat)
        if zipfile.is_zipfile(path):
            return _read_zip(path, source, date_order=date_order, chat=chat)
        if _MESSENGER_PART.match(path.name):
            parts = _messenger_parts(path)
            return _read_json_files([p.read_bytes() for p in parts], source, chat=chat)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ChatImportError(source, "no such file or folder") from None
    except OSError as e:
        raise ChatImportError(source, f"cannot be read ({e.strerror or e})") from None
    return _read_bytes(raw, source, name=path.name, date_order=date_order, chat=chat)


def _read_bytes(
    raw: bytes, source: str, *, name: str, date_order: str | None, chat: str | None
) -> Chat:
    _refuse_non_text(raw, source)
    if _JSON_START.match(raw):
        return _read_json_files([raw], source, chat=chat)
    title = _title_from_name(name)
    return parse_whatsapp(raw, source=source, date_order=date_order, title=title)


def _refuse_non_text(raw: bytes, source: str) -> None:
    if not raw or raw.isspace():
        raise ChatImportError(source, f"the file is empty; {EXPECTED}")
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise ChatImportError(source, f"this is {what}, not a chat export; {EXPECTED}")
    if b"\x00" in raw[:4096]:
        raise ChatImportError(source, f"this is a binary file, not a chat export; {EXPECTED}")


def _read_json_files(raws: list[bytes], source: str, *, chat: str | None) -> Chat:
    from gpt_is_you.chats.jsonload import load_json
    from gpt_is_you.chats.messenger import looks_like_messenger, parse_messenger
    from gpt_is_you.chats.telegram import looks_like_telegram, parse_telegram

    docs = [load_json(raw, source) for raw in raws]
    if len(docs) == 1 and looks_like_telegram(docs[0]):
        return parse_telegram(docs[0], source=source, chat=chat)
    if all(looks_like_messenger(d) for d in docs):
        return parse_messenger(docs, source=source)
    raise ChatImportError(source, f"JSON, but not a chat export we know; {EXPECTED}")


def _messenger_parts(first: Path) -> list[Path]:
    """message_1.json and its siblings message_2.json, … of the same conversation."""
    parts = [p for p in first.parent.iterdir() if _MESSENGER_PART.match(p.name)]
    return sorted(parts, key=lambda p: int(_MESSENGER_PART.match(p.name)[1]))


def _read_folder(folder: Path, source: str, *, date_order: str | None, chat: str | None) -> Chat:
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    if "result.json" in files:
        return _read_json_files([files["result.json"].read_bytes()], source, chat=chat)
    if "message_1.json" in files:
        parts = _messenger_parts(files["message_1.json"])
        return _read_json_files([p.read_bytes() for p in parts], source, chat=chat)
    texts = {name: files[name].read_bytes for name in _chat_text_candidates(files)}
    return _first_whatsapp(texts, source, date_order=date_order, title=None, what="a folder")


def _read_zip(path: Path, source: str, *, date_order: str | None, chat: str | None) -> Chat:
    try:
        with zipfile.ZipFile(path) as archive:
            # Phones put the chat at the top; some tools add a folder around it.
            members = {i.filename.rsplit("/", 1)[-1]: i.filename for i in archive.infolist()}
            if "result.json" in members:
                return _read_json_files([archive.read(members["result.json"])], source, chat=chat)
            parts = sorted(
                (int(m[1]), member)
                for name, member in members.items()
                if (m := _MESSENGER_PART.match(name))
            )
            if parts:
                raws = [archive.read(member) for _, member in parts]
                return _read_json_files(raws, source, chat=chat)
            texts = {
                name: partial(archive.read, members[name])
                for name in _chat_text_candidates(members)
            }
            title = _title_from_name(path.name)
            return _first_whatsapp(
                texts, source, date_order=date_order, title=title, what="a zip archive"
            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as e:
        raise ChatImportError(source, f"a damaged or unsupported zip archive ({e})") from None


def _first_whatsapp(
    texts: dict[str, Callable[[], bytes]],
    source: str,
    *,
    date_order: str | None,
    title: str | None,
    what: str,
) -> Chat:
    """The first of the candidate text files that reads as a WhatsApp chat."""
    for name, read in texts.items():
        try:
            raw = read()
            _refuse_non_text(raw, source)
            return parse_whatsapp(
                raw, source=source, date_order=date_order, title=_title_from_name(name) or title
            )
        except ChatImportError:
            continue
    raise ChatImportError(source, f"{what} with no chat export in it; {EXPECTED}")


def _chat_text_candidates(names: Iterable[str]) -> list[str]:
    """The .txt names that may hold a WhatsApp chat, the likeliest first."""
    texts = [n for n in names if n.lower().endswith(".txt")]
    return sorted(texts, key=lambda n: (n != "_chat.txt", _title_from_name(n) is None, n))


def _title_from_name(name: str) -> str | None:
    m = _TITLE.match(name.rsplit(".", 1)[0])
    return m[1].strip() if m else None
