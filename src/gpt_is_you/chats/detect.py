"""Recognise an export by its content and hand it to the right reader.

Whatever the path names, this reads nothing but regular files, never more than
``MAX_BYTES`` of one, and turns every way of failing into one ChatImportError: a
named pipe would block forever, a device would never end, and a zip's member can
expand to far more than the memory of the machine.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import BinaryIO

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
_SURROGATES = re.compile("[\ud800-\udfff]")
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"SQLite format 3": "an SQLite database",
}
# The longest 32-bit BOM first: UTF-32-LE's begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF = 4096  # bytes looked at to tell text from binary

# The most read of one file, or of the members of a zip that make one export. A
# 500,000-message WhatsApp chat is 35 MB of text: 1 GB is thirty times that, room for
# any real chat, while a file or zip member larger than that is refused before it is
# read. A zip itself can be larger: only its chat is read. Tests lower it.
MAX_BYTES = 1 << 30
# Deflate shrinks chat text 4 to 7 times (the fixtures, the bench export), and never
# more than about 1,000 times (a run of one byte). A member that claims to expand more
# than this, once it is big enough to matter, is a zip bomb: refused before inflating.
MAX_RATIO = 100
_RATIO_FROM = 1 << 20
# A zip member is inflated this much at a time: zipfile stops at the size the header
# declares (and then checks the CRC), so a header that lies about it costs one chunk.
_CHUNK = 1 << 20
# Every phone and desktop tool zips with deflate (or stores). bzip2 and LZMA inflate a
# whole block at once, which no chunk size bounds, so they are refused rather than read.
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64"}
_ZIP_START = b"PK\x03\x04"  # a zip's first member
_ENCRYPTED = 0x1  # general purpose flag bit 0 of a zip entry
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    EOFError,
    zlib.error,
    OSError,
)
_GIVE = "give the exported .txt, .zip or .json"


def read_export(
    path: str | Path, *, date_order: str | None = None, chat: str | None = None
) -> Chat:
    """Read any supported export. Raises ChatImportError, naming the file, for anything else.

    ``date_order`` (dmy, mdy or ymd) overrides the inferred WhatsApp date order;
    ``chat`` picks one chat out of a Telegram full-account export.
    """
    path = Path(path)
    source = _shown(str(path))
    if date_order is not None and date_order not in ORDERS:
        raise ChatImportError(source, f"unknown date order {date_order!r}; use dmy, mdy or ymd")
    try:
        if stat.S_ISDIR(_stat(path, source).st_mode):
            return _read_folder(path, source, date_order=date_order, chat=chat)
        if _MESSENGER_PART.match(path.name):
            raws = [_read_file(p) for p in _messenger_parts(path)]
            return _read_json_files(raws, source, chat=chat)
        with _open_regular(path, source) as file:
            if zipfile.is_zipfile(file):
                return _read_zip(file, source, name=path.name, date_order=date_order, chat=chat)
            file.seek(0)
            raw = _read_capped(file, source)
    except FileNotFoundError:
        raise ChatImportError(source, "no such file or folder") from None
    except OSError as e:
        raise ChatImportError(source, f"cannot be read ({e.strerror or e})") from None
    return _read_bytes(raw, source, name=path.name, date_order=date_order, chat=chat)


def _shown(name: str) -> str:
    """``name`` as it can be shown and stored: what Python keeps of a file name that is
    not valid UTF-8 (POSIX) or UTF-16 (Windows), lone surrogates, becomes U+FFFD."""
    return _SURROGATES.sub("\ufffd", name)


def _stat(path: Path, source: str) -> os.stat_result:
    """``path``'s status, refused unless it is a folder or a regular file."""
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        return info
    if not stat.S_ISREG(info.st_mode):
        raise ChatImportError(source, f"not a regular file ({_kind(info.st_mode)}); {_GIVE}")
    return info


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a folder" if stat.S_ISDIR(mode) else "a special file"


def _too_big(size: int) -> str:
    return f"{_size(size)}, more than any chat export (at most {_size(MAX_BYTES)})"


def _size(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} kB"


def _open_regular(path: Path, source: str) -> BinaryIO:
    """``path`` open for reading, once it is known to be a regular file.

    It is checked before it is opened (opening a device can do things) and again once
    open, without blocking: a named pipe put in its place meanwhile would otherwise
    wait for a writer forever. On a regular file O_NONBLOCK changes nothing.
    """
    _stat(path, source)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ChatImportError(source, f"not a regular file ({_kind(mode)}); {_GIVE}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_file(path: Path) -> bytes:
    """The bytes of one file of a folder, errors naming that file."""
    source = _shown(str(path))
    try:
        with _open_regular(path, source) as file:
            return _read_capped(file, source)
    except OSError as e:
        raise ChatImportError(source, f"cannot be read ({e.strerror or e})") from None


def _read_capped(file: BinaryIO, source: str) -> bytes:
    """The whole of a file that is not a zip (a zip with its media can be gigabytes
    larger than the chat in it), refused unread if it is larger than any export."""
    size = os.fstat(file.fileno()).st_size
    # Read one byte more than allowed too: a file can grow, and some say they are empty.
    raw = b"" if size > MAX_BYTES else file.read(MAX_BYTES + 1)
    if size > MAX_BYTES or len(raw) > MAX_BYTES:
        raise ChatImportError(source, f"{_too_big(max(size, len(raw)))}; {_GIVE} of one chat")
    return raw


def _read_bytes(
    raw: bytes, source: str, *, name: str, date_order: str | None, chat: str | None
) -> Chat:
    if raw.startswith(_ZIP_START):  # and yet no zip: its directory, at the end, is missing
        raise ChatImportError(source, "a zip archive cut short; copy or export it again")
    raw = _utf8_text(raw, source)
    if _JSON_START.match(raw):
        return _read_json_files([raw], source, chat=chat)
    title = _title_from_name(_shown(name))
    return parse_whatsapp(raw, source=source, date_order=date_order, title=title)


def _utf8_text(raw: bytes, source: str) -> bytes:
    """``raw`` as UTF-8, refused if it is no text at all.

    WhatsApp, Telegram and Facebook write UTF-8; a text editor may have saved the file
    again as UTF-16 or UTF-32 (with a byte-order mark, or as UTF-16 without one),
    which is decoded here and handed on as UTF-8.
    """
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise ChatImportError(source, f"this is {what}, not a chat export; {EXPECTED}")
    encoding = _wide_encoding(raw[:_SNIFF])
    if encoding is not None:
        try:
            raw = raw.decode(encoding).encode()
        except UnicodeDecodeError as e:
            # Without a byte-order mark it was only a guess: the NUL test below says binary.
            if encoding in ("utf-16", "utf-32"):
                raise ChatImportError(
                    source, f"{encoding.upper()} text damaged at byte {e.start}; export it again"
                ) from None
    if not raw or raw.isspace():
        raise ChatImportError(source, f"the file is empty; {EXPECTED}")
    if b"\x00" in raw[:_SNIFF]:
        raise ChatImportError(source, f"this is a binary file, not a chat export; {EXPECTED}")
    return raw


def _wide_encoding(head: bytes) -> str | None:
    """The encoding of text saved as UTF-16 or UTF-32, told by its byte-order mark or,
    for UTF-16 without one, by a NUL in every other byte and only there (what mostly
    Latin text looks like); None for anything else."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    even, odd = head[0 : len(head) & ~1 : 2], head[1 : len(head) & ~1 : 2]
    if not odd:
        return None
    if b"\x00" not in even and odd.count(0) * 2 >= len(odd):
        return "utf-16-le"
    if b"\x00" not in odd and even.count(0) * 2 >= len(even):
        return "utf-16-be"
    return None


def _read_json_files(raws: list[bytes], source: str, *, chat: str | None) -> Chat:
    from gpt_is_you.chats.jsonload import load_json
    from gpt_is_you.chats.messenger import looks_like_messenger, parse_messenger
    from gpt_is_you.chats.telegram import looks_like_telegram, parse_telegram

    docs = [load_json(_utf8_text(raw, source), source) for raw in raws]
    if len(docs) == 1 and looks_like_telegram(docs[0]):
        return parse_telegram(docs[0], source=source, chat=chat)
    if all(looks_like_messenger(d) for d in docs):
        return parse_messenger(docs, source=source)
    raise ChatImportError(source, f"JSON, but not a chat export we know; {EXPECTED}")


def _messenger_parts(first: Path) -> list[Path]:
    """message_1.json and its siblings message_2.json, … of the same conversation."""
    # Only regular files, as in a folder; ``first`` itself was checked by the caller.
    parts = [p for p in first.parent.iterdir() if _MESSENGER_PART.match(p.name) and p.is_file()]
    return sorted(parts, key=lambda p: int(_MESSENGER_PART.match(p.name)[1]))


def _read_folder(folder: Path, source: str, *, date_order: str | None, chat: str | None) -> Chat:
    # Only regular files: a named pipe called _chat.txt would block the reader.
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    if "result.json" in files:
        return _read_json_files([_read_file(files["result.json"])], source, chat=chat)
    if "message_1.json" in files:
        parts = _messenger_parts(files["message_1.json"])
        return _read_json_files([_read_file(p) for p in parts], source, chat=chat)
    candidates = _chat_text_candidates(files)
    texts = {_shown(name): partial(_read_file, files[name]) for name in candidates}
    return _first_whatsapp(texts, source, date_order=date_order, title=None, what="a folder")


def _read_zip(
    file: BinaryIO, source: str, *, name: str, date_order: str | None, chat: str | None
) -> Chat:
    try:
        with zipfile.ZipFile(file) as archive:
            entries = [i for i in archive.infolist() if not i.is_dir()]
            if any(i.flag_bits & _ENCRYPTED for i in entries):
                raise ChatImportError(
                    source, "this zip archive is protected by a password: export again without one"
                )
            # Phones put the chat at the top; some tools add a folder around it.
            members = {i.filename.rsplit("/", 1)[-1]: i for i in entries}
            inflate = partial(_inflate, archive, source)
            if "result.json" in members:
                return _read_json_files([inflate(members["result.json"])], source, chat=chat)
            numbered = {
                int(m[1]): info
                for member, info in members.items()
                if (m := _MESSENGER_PART.match(member))
            }
            parts = [numbered[n] for n in sorted(numbered)]
            if parts:
                total = sum(info.file_size for info in parts)
                if total > MAX_BYTES:
                    raise ChatImportError(source, f"its chat is {_too_big(total)}; {_GIVE}")
                return _read_json_files([inflate(info) for info in parts], source, chat=chat)
            texts = {m: partial(inflate, members[m]) for m in _chat_text_candidates(members)}
            if not texts and (inner := [m for m in members if m.lower().endswith(".zip")]):
                raise ChatImportError(
                    source, f"a zip archive around another ({inner[0]}); give the one inside"
                )
            return _first_whatsapp(
                texts,
                source,
                date_order=date_order,
                title=_title_from_name(_shown(name)),
                what="a zip archive",
            )
    except _ZIP_ERRORS as e:
        raise ChatImportError(
            source, f"a damaged or unsupported zip archive ({e}); export it again"
        ) from None


def _inflate(archive: zipfile.ZipFile, source: str, info: zipfile.ZipInfo) -> bytes:
    """One member's contents, refused before it is inflated if it would be larger
    than any export, or inflate more than text does."""
    if info.compress_type not in _METHODS:
        method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise ChatImportError(
            source,
            f"{info.filename} is compressed with {method}, which phones do not use; "
            "zip the export again with the usual (deflate) compression",
        )
    if info.file_size > MAX_BYTES:
        raise ChatImportError(source, f"its {info.filename} is {_too_big(info.file_size)}; {_GIVE}")
    expands = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FROM and expands > MAX_RATIO:
        raise ChatImportError(
            source,
            f"its {info.filename} would expand {expands:,.0f} times, to "
            f"{_size(info.file_size)}, which no chat does; {_GIVE} the phone made",
        )
    with archive.open(info) as member:
        return b"".join(iter(partial(member.read, _CHUNK), b""))


def _first_whatsapp(
    texts: dict[str, Callable[[], bytes]],
    source: str,
    *,
    date_order: str | None,
    title: str | None,
    what: str,
) -> Chat:
    """The first of the candidate text files that reads as a WhatsApp chat, named in
    ``member``; the candidates not tried are named in a warning, with how to read one.

    A file that cannot be read (or is too big) stops the search with its own error;
    one that is not a chat only moves it on to the next.
    """
    names = list(texts)
    for index, (name, read) in enumerate(texts.items()):
        raw = read()
        try:
            chat = parse_whatsapp(
                _utf8_text(raw, source),
                source=source,
                date_order=date_order,
                title=_title_from_name(name) or title,
            )
        except ChatImportError:
            continue
        untried = names[index + 1 :]
        warnings = (_other_texts(name, untried, what),) if untried else ()
        return replace(chat, member=name, warnings=chat.warnings + warnings)
    raise ChatImportError(source, f"{what} with no chat export in it; {EXPECTED}")


def _other_texts(read: str, others: list[str], what: str) -> str:
    """The warning of a folder or zip with several .txt files: which was read, the
    others, and how to read one of them instead."""
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    how = "pass that file" if what == "a folder" else "extract it and pass that file"
    return f"read {read}; {what} also holds {shown}: to read one of those instead, {how}"


def _chat_text_candidates(names: Iterable[str]) -> list[str]:
    """The .txt names that may hold a WhatsApp chat, the likeliest first."""
    texts = [n for n in names if n.lower().endswith(".txt")]
    return sorted(texts, key=lambda n: (n != "_chat.txt", _title_from_name(n) is None, n))


def _title_from_name(name: str) -> str | None:
    m = _TITLE.match(name.rsplit(".", 1)[0])
    return m[1].strip() if m else None
