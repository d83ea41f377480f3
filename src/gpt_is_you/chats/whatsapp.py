"""WhatsApp ``.txt`` exports (Android and iOS, any locale) into normalized messages.

A message starts on a line that begins with a header: ``date, time - `` on Android,
``[date, time] `` on iOS; every other line continues the message above it. The
reader learns the file's layout from its opening lines, splits the raw bytes on
that layout's header with one regular expression, and turns the pieces into
messages column by column with ``map`` and ``zip``, so that the work done for every
message runs in C. Only messages that need a closer look (media, system lines,
edits, deletions, invisible marks) go through Python one by one. This is what
lets a 35 MB export be read in about a second and a half.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import compress, count, repeat
from operator import add, itemgetter

from gpt_is_you.chats import whatsapp_words as words
from gpt_is_you.chats.collector import collector_paused
from gpt_is_you.chats.dates import ORDERS, infer_order, to_datetime
from gpt_is_you.chats.marks import INVISIBLE, clean_name, strip_leading_marks
from gpt_is_you.chats.message import (
    DELETED,
    EXPECTED,
    MEDIA,
    SYSTEM,
    TEXT,
    Chat,
    ChatImportError,
    Message,
)

_MARK_CHARS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_MARKS = f"[{_MARK_CHARS}]*"
# The same marks, any number of them, as UTF-8 bytes.
_MARK_BYTES = rb"(?:\xe2(?:\x80[\x8e\x8f\xaa-\xae]|\x81[\xa6-\xa9])|\xef\xbb\xbf)*"
_SPACE = "[ \u00a0\u202f]"
_MARKER = rf"{_SPACE}?[AaPp]\.?{_SPACE}?[Mm]\.?"
# Any header, to learn a file's layout from its opening lines.
_PROBE = re.compile(
    rf"{_MARKS}(?P<bracket>\[)?\d{{1,4}}(?P<sep>[./-])\d{{1,2}}(?P=sep)\d{{1,4}}(?P<dot>\.)?"
    rf"(?P<between>, ?| )\d{{1,2}}(?P<colon>[:.])\d\d(?:[:.]\d\d)?(?P<marker>{_MARKER})?"
    rf"(?(bracket)\] |(?P<dash> [-–] ))"
)
_TIME_PARTS = re.compile(
    rf"(\d{{1,2}})[:.](\d{{2}})(?:[:.](\d{{2}}))?(?:{_SPACE}?([AaPp])\.?{_SPACE}?[Mm]\.?)?\Z"
)
# Bodies that need a closer look: placeholders and markers hold "<" or "(",
# WhatsApp's own lines on iOS start with U+200E, a shared location holds a link.
_SPECIAL = re.compile(f"[<(/{_MARK_CHARS}]")
# Bodies WhatsApp writes whole, with none of those: deleted messages, live locations.
_WHOLE = {
    variant.encode()
    for text in words.DELETED_TEXTS + words.LIVE_LOCATION_TEXTS
    for variant in (text, text + ".", text.lower(), text.lower() + ".")
}
# On iOS, system lines an old export wrote without U+200E: known by how they begin,
# tested first on four characters.
_STARTS = {p[:4] for p in words.SYSTEM_PREFIXES} | {
    p[:4].capitalize() for p in words.SYSTEM_PREFIXES
}
_FIRST_FOUR = itemgetter(slice(4))
_PROBE_LINES = 2000
_PROBE_BYTES = 1 << 20
# Bytes split at a time: small enough that a chunk's pieces are still in the processor's
# cache when they become messages (a megabyte at a time is a quarter slower).
_CHUNK = 1 << 16
_BOM = "\ufeff".encode()


@dataclass(frozen=True)
class _Layout:
    ios: bool
    twelve_hour: bool
    header: re.Pattern[bytes]  # groups: date, time, sender (None on a system line)


def parse_whatsapp(
    data: bytes | str, *, source: str, date_order: str | None = None, title: str | None = None
) -> Chat:
    """Parse a WhatsApp export (its bytes, or its text). Raises ChatImportError if it is not one.

    ``date_order`` (one of dates.ORDERS) overrides the order inferred from the dates.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    opening = data[:_PROBE_BYTES].decode("utf-8", "ignore").replace("\r\n", "\n")
    layout = _learn_layout(opening)
    if layout is None:
        raise ChatImportError(source, f"not a chat export: {EXPECTED}")
    reader = _Reader(layout, date_order)
    try:
        with collector_paused():
            for columns in _split(_chunks(data), layout.header, layout.ios):
                reader.add(columns)
            messages = reader.finish()
    except UnicodeDecodeError:
        raise ChatImportError(source, "not UTF-8 text, so not a chat export") from None
    fmt = "whatsapp-ios" if layout.ios else "whatsapp-android"
    return Chat(source, fmt, title, messages, tuple(reader.warnings), reader.guessed)


def _chunks(data: bytes) -> Iterator[bytes]:
    """``data`` a megabyte or so at a time, each piece but the first starting at a
    newline, so that every header in it has the newline before it.

    The bytes are split, not the text: a single emoji makes Python store a whole
    string at four bytes a character, which would take 140 MB for a 35 MB export
    and make the split slower. Only the messages' own texts are decoded.
    """
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _CHUNK)
        if end < 0:
            end = len(data)
        elif data[end - 1 : end] == b"\r":
            end -= 1  # keep a CRLF whole
        piece = data[start:end]
        if b"\r" in piece:
            piece = piece.replace(b"\r\n", b"\n")
        # The first header has no newline before it in the file: give it one.
        yield piece if start else b"\n" + piece
        start = end


def _learn_layout(text: str) -> _Layout | None:
    """Learn the header layout from the opening lines; None if they have no headers.

    The header expression is then written for exactly what those lines use (date
    separator, what stands between date and time, the clock): it is what the whole
    file is split with, and a specific expression runs twice as fast as a general one.
    """
    matches = []
    lines = 0
    for line in text.split("\n", _PROBE_LINES)[:_PROBE_LINES]:
        lines += bool(line.strip())
        m = _PROBE.match(line)
        if m:
            matches.append(m)
    # Prose that happens to contain a date is not an export: most messages are one
    # line long, so headers must be a fair share of the lines.
    if not matches or len(matches) * 5 < lines:
        return None
    layouts = Counter((m["bracket"] is not None, m["sep"]) for m in matches)
    (ios, sep), _ = layouts.most_common(1)[0]
    matches = [m for m in matches if (m["bracket"] is not None, m["sep"]) == (ios, sep)]
    twelve_hour = sum(m["marker"] is not None for m in matches) * 2 > len(matches)

    def seen(group: str) -> str:
        """An alternation of the forms a group took in the opening lines."""
        forms = sorted({m[group] or "" for m in matches}, key=len, reverse=True)
        return "(?:" + "|".join(map(re.escape, forms)) + ")"

    s = re.escape(sep)
    date = rf"(\d{{1,4}}{s}\d{{1,2}}{s}\d{{1,4}}){seen('dot')}{seen('between')}"
    clock = rf"\d{{1,2}}{seen('colon')}\d\d(?:{seen('colon')}\d\d)?"
    if twelve_hour:
        clock += _MARKER
    opening, closing = (r"\[", r"\] ") if ios else ("", seen("dash"))
    # The sender is what comes before the line's first colon when a space follows it;
    # a line without that is WhatsApp's own (a system line) and leaves the group
    # empty. (A name with a colon inside, rare, is recovered in _classify.)
    header = rf"{opening}{date}({clock}){closing}(?:([^\n:]*): )?"
    return _Layout(ios, twelve_hour, re.compile(b"\n" + _MARK_BYTES + _as_bytes_pattern(header)))


def _as_bytes_pattern(pattern: str) -> bytes:
    """The same expression for UTF-8 bytes: a non-ASCII character becomes its
    encoding, and a class holding some becomes an alternation."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[":
            j = i + 1
            while pattern[j] != "]" or j == i + 1:
                j += 2 if pattern[j] == "\\" else 1
            out.append(_bytes_class(pattern[i + 1 : j]))
            i = j + 1
        else:
            out.append(_escaped_utf8(c) if ord(c) > 0x7F else c)
            i += 1
    return "".join(out).encode("ascii")


def _bytes_class(members: str) -> str:
    wide = [c for c in members if ord(c) > 0x7F]
    if not wide:
        return f"[{members}]"
    # Only plain lists of characters get here (no ranges, no negation).
    narrow = "".join(c for c in members if ord(c) <= 0x7F)
    options = [_escaped_utf8(c) for c in wide] + ([f"[{narrow}]"] if narrow else [])
    return "(?:" + "|".join(options) + ")"


def _escaped_utf8(char: str) -> str:
    return "".join(f"\\x{b:02x}" for b in char.encode())


@dataclass
class _Columns:
    """A run of messages as parallel columns, one entry per message."""

    dates: list[bytes]
    times: list[bytes]
    senders: list[str | None]
    texts: list[str]
    kinds: list[str]
    edited: list[bool]


def _split(chunks: Iterator[bytes], header: re.Pattern[bytes], ios: bool) -> Iterator[_Columns]:
    """Split the export on message headers, one chunk at a time, into columns.

    The last message of a chunk may go on in the next one, whose bytes before its
    first header are then the rest of it: so it waits and goes first there.
    """
    names = _Cache(_sender_name)
    waiting: list[bytes] = []  # date, time, sender and text of the last message so far
    for chunk in chunks:
        pieces = header.split(chunk)
        del chunk
        if waiting:
            waiting[-1] += pieces[0]
            pieces[:1] = [b"", *waiting]
        if len(pieces) == 1:
            continue  # nothing but what came before the first header
        waiting = pieces[-4:]
        del pieces[-4:]
        if len(pieces) > 1:
            yield _columns(pieces[1::4], pieces[2::4], pieces[3::4], pieces[4::4], names, ios)
    if waiting:
        date, time, sender, text = waiting
        # A final newline ends the file, not the message.
        text = text[:-1] if text.endswith(b"\n") else text
        yield _columns([date], [time], [sender], [text], names, ios)


class _Cache(dict):
    """A dict that computes a missing value once: ``map(cache.__getitem__, keys)``
    then runs in C for every key already seen."""

    def __init__(self, compute) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value


def _columns(dates, times, raw_senders, bodies, names: _Cache, ios: bool) -> _Columns:
    senders = list(map(names.__getitem__, raw_senders))
    texts = list(map(bytes.decode, bodies))
    n = len(texts)
    kinds = [TEXT] * n
    edited = [False] * n
    # Everything but plain text from a known sender gets a closer look.
    special = set(compress(count(), map(_SPECIAL.search, texts)))
    special.update(_positions(senders, None))
    special.update(compress(count(), map(_WHOLE.__contains__, bodies)))
    if ios:
        special.update(compress(count(), map(_STARTS.__contains__, map(_FIRST_FOUR, texts))))
    for i in special:
        raw = raw_senders[i]
        senders[i], texts[i], kinds[i], edited[i] = _classify(
            None if raw is None else raw.decode(), texts[i], senders[i], ios
        )
    return _Columns(dates, times, senders, texts, kinds, edited)


def _positions(items: list, value: object) -> Iterator[int]:
    """Where ``value`` stands in ``items``: a scan in C for a value that is rare."""
    i = -1
    for _ in range(items.count(value)):
        i = items.index(value, i + 1)
        yield i


def _sender_name(raw: bytes | str | None) -> str | None:
    """The display name in front of ": ", or None where that is a system line's text.

    A system line can hold ": " inside a quoted group subject, as in
    ``Alice changed the subject from "Trip" to "Trip: Paris"``; cut there, the
    would-be name has a quote that never closes, which no display name has.
    """
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode()
    if not raw.strip(INVISIBLE + " "):
        return None
    for opening, closing in words.QUOTES:
        opened = raw.count(opening)
        if opened and (opened % 2 if opening == closing else opened > raw.count(closing)):
            return None
    return clean_name(raw)


def _classify(
    raw: str | None, body: str, sender: str | None, ios: bool
) -> tuple[str | None, str, str, bool]:
    """(sender, text, kind, edited) of a message that may not be plain text."""
    if raw is None:
        name, split, after = body.partition(": ")
        if split and "\n" not in name and _sender_name(name):
            # A name with a colon in it, such as "Mum :)", that the header left out.
            return _classify(name, after, _sender_name(name), ios)
    if sender is None:
        # Android system line: no "Name: " at all, or a cut inside a quoted subject.
        line = body if raw is None else f"{raw}: {body}"
        return None, strip_leading_marks(line), SYSTEM, False
    name, split, after = body.partition(": \u200e")
    if ios and split and "\n" not in name and not after.startswith("<"):
        # A group named "Trip: Paris": iOS writes "Trip: Paris: ‎<system text>", and
        # the mark after the second ": " shows where the name really ends. (A "<"
        # there is the edited marker or an attachment, after a typed ":".)
        sender = clean_name(f"{raw}: {name}")
        body = "\u200e" + after
    marked = ios and body[:1] in "\u200e\u200f"
    text = strip_leading_marks(body)
    edited = False
    if text.endswith(">"):
        opening = text.rfind("<")
        if opening >= 0 and text[opening + 1 : -1].strip(" .").casefold() in words.EDITED:
            # WhatsApp adds one space (and on iOS a U+200E) before the marker.
            text = text[:opening].rstrip(INVISIBLE)
            if text.endswith((" ", "\u00a0")):
                text = text[:-1]
            edited = True
    first, _, rest = text.partition("\n")
    key = first.strip(INVISIBLE + " ").casefold()
    if key.rstrip(".") in words.DELETED and not rest:
        return sender, "", DELETED, edited
    if key in words.MEDIA_OMITTED or _omitted(first, marked) or words.FILE_ATTACHED.search(first):
        return sender, rest, MEDIA, edited
    attached = words.ATTACHED.search(text)
    if attached:
        caption = text[: attached.start()] + text[attached.end() :]
        return sender, caption.strip(INVISIBLE + " \n"), MEDIA, edited
    if key in words.LIVE_LOCATION or (
        key.startswith(words.LOCATION_PREFIXES) and words.LOCATION.match(first.strip(INVISIBLE))
    ):
        return sender, rest, MEDIA, edited
    if ios and (marked or key.startswith(words.SYSTEM_PREFIXES)):
        # iOS puts U+200E before every line WhatsApp wrote itself; such lines carry
        # the chat's name where a sender would be.
        return None, text, SYSTEM, False
    return sender, text, TEXT, edited


def _omitted(line: str, marked: bool) -> bool:
    """An iOS "image omitted" line, possibly after a file name and U+200E marks."""
    tail = line.rsplit("\u200e", 1)[-1].strip(" <>").casefold()
    parts = tail.split()
    return (
        0 < len(parts) <= 4
        and parts[-1] in words.OMITTED_WORDS
        and (marked or "\u200e" in line or line.startswith("<"))
    )


class _Reader:
    """Turns columns into messages once the file's date order is known.

    The order is fixed as soon as only one order fits every date seen so far (in
    most exports, within the first chunk); until then columns wait, and if the
    whole file leaves it open the order is inferred from all of its dates.
    """

    def __init__(self, layout: _Layout, date_order: str | None) -> None:
        self.layout = layout
        self.order = date_order
        self.warnings: list[str] = []
        self.guessed: str | None = None  # the order chosen when the dates left it open
        self.numbers: dict[bytes, tuple[int, int, int] | None] = {}
        self.midnights = _Cache(self._midnight)
        self.clock = _Cache(_time_of_day)
        self.waiting: list[_Columns] = []
        self.messages: list[Message] = []

    def add(self, columns: _Columns) -> None:
        if self.order is None:
            for d in dict.fromkeys(columns.dates):
                if d not in self.numbers:
                    self.numbers[d] = _date_numbers(d)
            fitting = [o for o in ORDERS if self._fits(o)]
            if len(fitting) == 1:
                self.order = fitting[0]
        if self.order is None:
            self.waiting.append(columns)
            return
        for waiting in self.waiting:
            self._emit(waiting)
        self.waiting.clear()
        self._emit(columns)

    def finish(self) -> tuple[Message, ...]:
        if self.waiting:
            dates = [p for p in self.numbers.values() if p is not None]
            inferred = infer_order(dates, twelve_hour=self.layout.twelve_hour)
            self.order = inferred.order
            if inferred.ambiguous:
                self.guessed = inferred.order
                self.warnings.append(
                    "Day and month could be either way round in this export's dates; read as "
                    f"{inferred.describe()} because the dates then run in order and lie "
                    "closest together. If that is wrong, use --date-order."
                )
            for waiting in self.waiting:
                self._emit(waiting)
            self.waiting.clear()
        return tuple(self.messages)

    def _fits(self, order: str) -> bool:
        return all(p is None or to_datetime(p, order) for p in self.numbers.values())

    def _midnight(self, date: bytes) -> datetime | None:
        numbers = self.numbers.get(date) or _date_numbers(date)
        return numbers and to_datetime(numbers, self.order)

    def _emit(self, c: _Columns) -> None:
        done = len(self.messages)
        days = map(self.midnights.__getitem__, c.dates)
        hours = map(self.clock.__getitem__, c.times)
        rows = zip(map(add, days, hours), c.senders, c.texts, c.kinds, c.edited, strict=True)
        try:
            self.messages.extend(map(tuple.__new__, repeat(Message), rows))
        except TypeError:
            # A date or time that names no real day or hour is None, and None + … fails.
            del self.messages[done:]
            times = self._fold_bad_headers(c)
            rows = zip(times, c.senders, c.texts, c.kinds, c.edited, strict=True)
            self.messages.extend(map(tuple.__new__, repeat(Message), rows))

    def _fold_bad_headers(self, c: _Columns) -> list[datetime]:
        """Give a line that looked like a header but names no real date or time back to
        the message above it, as the continuation line that someone typed or pasted.
        The columns are edited in place; returns the times of the messages kept.
        """
        keep, times = [], []
        for i, (date, clock) in enumerate(zip(c.dates, c.times, strict=True)):
            day, hour = self.midnights[date], self.clock[clock]
            if day is not None and hour is not None:
                keep.append(i)
                times.append(day + hour)
                continue
            line = f"{date.decode()}, {clock.decode()} - "
            line += c.texts[i] if c.senders[i] is None else f"{c.senders[i]}: {c.texts[i]}"
            if keep:
                c.texts[keep[-1]] += "\n" + line
            elif self.messages:
                last = self.messages[-1]
                self.messages[-1] = last._replace(text=f"{last.text}\n{line}")
        for name in ("senders", "texts", "kinds", "edited"):
            column = getattr(c, name)
            setattr(c, name, [column[i] for i in keep])
        return times


def _date_numbers(date: bytes) -> tuple[int, int, int] | None:
    parts = re.split(rb"[./-]", date.rstrip(b"."))
    if len(parts) != 3:
        return None
    a, b, c = map(int, parts)
    return a, b, c


def _time_of_day(clock: bytes) -> timedelta | None:
    m = _TIME_PARTS.match(clock.decode())
    if m is None:
        return None
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if m[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m[4] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return timedelta(hours=hour, minutes=minute, seconds=second)
