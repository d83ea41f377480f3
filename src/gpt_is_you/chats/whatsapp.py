"""WhatsApp ``.txt`` exports (Android and iOS, any locale) into normalized messages.

A message starts on a line that begins with a header: ``date, time - `` on Android,
``[date, time] `` on iOS; every other line continues the message above it. The
reader learns the file's layout from its opening lines, splits the whole text on
that layout's header with one regular expression, and turns the pieces into
messages column by column with ``map`` and ``zip``, so that the work done for every
message runs in C. Only messages that need a closer look (media, system lines,
edits, deletions, invisible marks) go through Python one by one. This is what
lets a 35 MB export be read in about a second.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import compress, count, repeat
from operator import add, itemgetter, not_

from gpt_is_you.chats import whatsapp_words as words
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

_MARKS = "[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]*"
_SPACE = "[ \u00a0\u202f]"
_TIME = rf"\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?(?:{_SPACE}?[AaPp]\.?{_SPACE}?[Mm]\.?)?"
# Any header, to learn a file's layout from its opening lines.
_PROBE = re.compile(
    rf"{_MARKS}(\[)?(\d{{1,4}})([./-])(\d{{1,2}})\3(\d{{1,4}})\.?(?:, ?| )({_TIME})"
    rf"(?(1)\] | [-–] )"
)
_TIME_PARTS = re.compile(
    rf"(\d{{1,2}})[:.](\d{{2}})(?:[:.](\d{{2}}))?(?:{_SPACE}?([AaPp])\.?{_SPACE}?[Mm]\.?)?\Z"
)
# Bodies that need a closer look: placeholders and markers start with "<" or "(",
# WhatsApp's own lines on iOS start with U+200E.
_SPECIAL = re.compile(r"[<(\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# How the lines that need a closer look and hold no "<", "(" or mark begin: a cheap
# first test of four characters before the real one.
_STARTS = words.PREFIX_STARTS | {
    variant
    for text in words.DELETED | words.LIVE_LOCATION
    for variant in (text[:4], text[:4].capitalize())
}
_FIRST_FOUR = itemgetter(slice(4))
_PROBE_LINES = 2000
_PROBE_CHARS = 1 << 20
_CHUNK = 4 << 20  # characters split at a time: bounds the memory the pieces take


@dataclass(frozen=True)
class _Layout:
    ios: bool
    twelve_hour: bool
    header: re.Pattern[str]  # groups: date, time, sender (None on a system line)


def parse_whatsapp(
    text: str, *, source: str, date_order: str | None = None, title: str | None = None
) -> Chat:
    """Parse the text of a WhatsApp export. Raises ChatImportError if it is not one.

    ``date_order`` (one of dates.ORDERS) overrides the order inferred from the dates.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    text = text.lstrip("\ufeff")
    layout = _learn_layout(text)
    if layout is None:
        raise ChatImportError(source, f"not a chat export: {EXPECTED}")
    reader = _Reader(layout, date_order)
    with _collector_paused():
        for columns in _split(text, layout.header, layout.ios):
            reader.add(columns)
        messages = reader.finish()
    fmt = "whatsapp-ios" if layout.ios else "whatsapp-android"
    return Chat(source, fmt, title, messages, tuple(reader.warnings))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while half a million tuples are made.

    None of them can form a cycle, yet each collection would walk them all again:
    with the collector on, reading a large export takes about twice as long.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _learn_layout(text: str) -> _Layout | None:
    """Find the header layout the opening lines use; None if they have no headers."""
    votes: dict[tuple[bool, str], int] = {}
    lines = twelve_hour = 0
    for line in text[:_PROBE_CHARS].split("\n", _PROBE_LINES)[:_PROBE_LINES]:
        lines += bool(line.strip())
        m = _PROBE.match(line)
        if m:
            key = (m[1] is not None, m[3])
            votes[key] = votes.get(key, 0) + 1
            twelve_hour += m[6][-1] in "MmPp."
    if not votes:
        return None
    (ios, sep), found = max(votes.items(), key=itemgetter(1))
    # Prose that happens to contain a date is not an export: most messages are one
    # line long, so headers must be a fair share of the lines.
    if found * 5 < lines:
        return None
    s = re.escape(sep)
    date = rf"(\d{{1,4}}{s}\d{{1,2}}{s}\d{{1,4}})\.?(?:, ?| )"
    opening, closing = (r"\[", r"\] ") if ios else ("", " [-–] ")
    # The sender is everything up to the first ": " of the line; a line without one
    # is WhatsApp's own (a system line) and leaves the group empty.
    header = rf"\n{_MARKS}{opening}{date}({_TIME}){closing}(?:([^\n]*?): )?"
    return _Layout(ios, twelve_hour * 2 > found, re.compile(header))


@dataclass
class _Columns:
    """A run of messages as parallel columns, one entry per message."""

    dates: list[str]
    times: list[str]
    senders: list[str | None]
    texts: list[str]
    kinds: list[str]
    edited: list[bool]


def _split(text: str, header: re.Pattern[str], ios: bool) -> Iterator[_Columns]:
    """Cut ``text`` into chunks at message headers, and each chunk into columns."""
    names = _Cache(_sender_name)
    start = 0
    while start < len(text):
        m = header.search(text, start + _CHUNK) if start + _CHUNK < len(text) else None
        end = m.start() if m else len(text)
        # The first header has no newline before it in the file; every later one does.
        chunk = text[start:end] if start else "\n" + text[:end]
        start = end
        pieces = header.split(chunk)
        del chunk
        if len(pieces) == 1:
            continue
        # pieces[0] is what precedes the first header: nothing, in a real export.
        texts = pieces[4::4]
        if end == len(text) and texts[-1].endswith("\n"):
            texts[-1] = texts[-1][:-1]
        yield _columns(pieces[1::4], pieces[2::4], pieces[3::4], texts, names, ios)


class _Cache(dict):
    """A dict that computes a missing value once: ``map(cache.__getitem__, keys)``
    then runs in C for every key already seen."""

    def __init__(self, compute) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value


def _columns(dates, times, raw_senders, texts, names: _Cache, ios: bool) -> _Columns:
    senders = list(map(names.__getitem__, raw_senders))
    n = len(texts)
    kinds = [TEXT] * n
    edited = [False] * n
    # Everything but plain text from a known sender gets a closer look.
    special = set(compress(count(), map(_SPECIAL.search, texts)))
    special.update(compress(count(), map(not_, senders)))
    special.update(compress(count(), map(_STARTS.__contains__, map(_FIRST_FOUR, texts))))
    for i in special:
        senders[i], texts[i], kinds[i], edited[i] = _classify(
            raw_senders[i], texts[i], senders[i], ios
        )
    return _Columns(dates, times, senders, texts, kinds, edited)


def _sender_name(raw: str | None) -> str | None:
    """The display name in front of ": ", or None where that is a system line's text.

    A system line can hold ": " inside a quoted group subject, as in
    ``Alice changed the subject from "Trip" to "Trip: Paris"``; cut there, the
    would-be name has a quote that never closes, which no display name has.
    """
    if raw is None or not raw.strip(INVISIBLE + " "):
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
        self.numbers: dict[str, tuple[int, int, int] | None] = {}
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

    def _midnight(self, date: str) -> datetime | None:
        numbers = self.numbers.get(date) or _date_numbers(date)
        return numbers and to_datetime(numbers, self.order)

    def _emit(self, c: _Columns) -> None:
        try:
            # A date or time that names no real day or hour is None, and None + ... fails.
            times = list(
                map(
                    add,
                    map(self.midnights.__getitem__, c.dates),
                    map(self.clock.__getitem__, c.times),
                )
            )
        except TypeError:
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
            line = f"{date}, {clock} - "
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


def _date_numbers(date: str) -> tuple[int, int, int] | None:
    parts = re.split(r"[./-]", date.rstrip("."))
    if len(parts) != 3:
        return None
    a, b, c = map(int, parts)
    return a, b, c


def _time_of_day(clock: str) -> timedelta | None:
    m = _TIME_PARTS.match(clock)
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
