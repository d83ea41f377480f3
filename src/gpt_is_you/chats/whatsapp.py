"""WhatsApp ``.txt`` exports (Android and iOS, any locale) into normalized messages.

A message starts on a line that begins with a header (``date, time - `` on Android,
``[date, time] `` on iOS, and the other layouts of ``whatsapp_layout``); every other
line continues the message above it. The reader learns the file's layout from its
opening lines, splits the raw bytes on that layout's header with one regular
expression, and turns the pieces into messages column by column with ``map`` and
``zip``, so that the work done for every message runs in C. Only messages that need a
closer look (media, system lines, edits, deletions, invisible marks, continuation lines
that start with a digit) go through Python one by one. This is what lets a 35 MB export
be read in about a second and a half.

A line that looks like a header but cannot be read as one (a date or time that does not
exist, or a header written unlike the rest of the file) is never dropped or merged
silently: it stays text of the message above it, and ``Chat.warnings`` counts such lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from gpt_is_you.chats.whatsapp_layout import (
    Layout,
    Shape,
    header,
    learn_layout,
    read_date,
    read_time,
)

_MARK_CHARS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
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
_NEWLINE = b"\n"
_NUL = b"\0"
# How many times a file may show header variants its opening lines did not (each time
# it is read again with a wider expression); past that, such lines stay text.
_WIDENINGS = 3


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
    layout = learn_layout(opening.split("\n", _PROBE_LINES)[:_PROBE_LINES])
    if layout is None:
        raise ChatImportError(source, f"not a chat export: {EXPECTED}")
    try:
        reader = _read(data, layout, date_order)
    except UnicodeDecodeError:
        raise ChatImportError(source, "not UTF-8 text, so not a chat export") from None
    if not reader.messages:
        raise ChatImportError(
            source,
            f"not a chat export: no message header has a date and time that exist; {EXPECTED}",
        )
    warnings = reader.warnings + _unread_lines_warning(reader, data)
    fmt = "whatsapp-ios" if reader.layout.ios else "whatsapp-android"
    return Chat(source, fmt, title, tuple(reader.messages), tuple(warnings), reader.guessed)


def _read(data: bytes, layout: Layout, date_order: str | None) -> _Reader:
    """Read the whole file; again with a wider layout where later lines need one."""
    widenings = 0
    while True:
        reader = _Reader(layout, date_order, may_widen=widenings < _WIDENINGS)
        try:
            with collector_paused():
                for pieces in _split(_chunks(data), layout):
                    reader.add(pieces)
                reader.finish()
            return reader
        except _Widen as more:
            layout = layout.widened(more.shapes)
            widenings += 1


def _chunks(data: bytes) -> Iterator[bytes]:
    """``data`` ``_CHUNK`` bytes or so at a time, each piece but the first starting at a
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


@dataclass
class _Pieces:
    """A run of messages as the split leaves them: parallel columns of raw bytes."""

    dates: list[bytes]  # each with what stands around it in the header ("[", ", ")
    times: list[bytes]  # likewise (" - ", "] ")
    senders: list[bytes | None]  # None on a system line
    bodies: list[bytes]
    # Lines that may be headers (they start with a digit or a month's name) but came out
    # of the split as text: of these messages, and of what comes before the first one.
    maybe_headers: list[bytes]
    maybe_headers_before: list[bytes]

    def header(self, i: int, time_first: bool) -> bytes:
        """The header of message ``i`` as written (less any marks before it)."""
        return self.times[i] + self.dates[i] if time_first else self.dates[i] + self.times[i]


def _split(chunks: Iterator[bytes], layout: Layout) -> Iterator[_Pieces]:
    """Split the export on message headers, one chunk at a time, into columns.

    The last message of a chunk may go on in the next one, whose bytes before its
    first header are then the rest of it: so it waits and goes first there.
    """
    date, time = (2, 1) if layout.time_first else (1, 2)
    waiting: list[bytes] = []  # the header parts, sender and text of the last message so far
    maybe, maybe_before = [], []
    for chunk in chunks:
        pieces = layout.split.split(chunk)
        del chunk
        if waiting:
            waiting[-1] += pieces[0]
            pieces[:1] = [b"", *waiting]
        if None in pieces[1::4]:
            pieces = _rejoin(pieces, maybe, maybe_before)
        if len(pieces) == 1:
            continue  # nothing but what came before the first header
        waiting = pieces[-4:]
        del pieces[-4:]
        if len(pieces) > 1:
            yield _Pieces(
                pieces[date::4], pieces[time::4], pieces[3::4], pieces[4::4], maybe, maybe_before
            )
            maybe, maybe_before = [], []
    if waiting:
        first, second, sender, text = waiting
        # A final newline ends the file, not the message.
        text = text[:-1] if text.endswith(b"\n") else text
        dates, times = ([second], [first]) if layout.time_first else ([first], [second])
        yield _Pieces(dates, times, [sender], [text], maybe, maybe_before)


def _rejoin(pieces: list[bytes | None], maybe: list[bytes], maybe_before: list[bytes]) -> list:
    """``pieces`` with the lines the split stopped at only because they may be headers
    given back to the text above them. Their first lines are noted: in ``maybe_before``
    those before the first header of the file (``pieces[0]`` is then that text), in
    ``maybe`` the others."""
    out, start = [], 0
    for n, k in enumerate(_positions(pieces[1::4], None)):
        i = 4 * k
        out += pieces[start : i + 1]  # up to the text above, which is out[-1]
        text = pieces[i + 4]
        out[-1] += b"\n" + text
        # Before the first header when every row before this one was such a line too.
        (maybe_before if n == k else maybe).append(text.split(b"\n", 1)[0])
        start = i + 5
    out += pieces[start:]
    return out


class _Cache(dict):
    """A dict that computes a missing value once: ``map(cache.__getitem__, keys)``
    then runs in C for every key already seen."""

    def __init__(self, compute) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value

    def fill(self, keys: Iterable) -> None:
        """Compute the values of ``keys`` not yet known."""
        for key in dict.fromkeys(keys):
            if key not in self:
                self[key] = self.compute(key)


def _columns(
    raw_senders: list[bytes | None], bodies: list[bytes], names: _Cache, ios: bool
) -> tuple[list[str | None], list[str], list[str], list[bool]]:
    """The senders, texts, kinds and edited flags of a run of messages."""
    senders = list(map(names.__getitem__, raw_senders))
    texts, special = _texts(bodies)
    n = len(texts)
    kinds = [TEXT] * n
    edited = [False] * n
    # Everything but plain text from a known sender gets a closer look.
    special.update(_positions(senders, None))
    special.update(compress(count(), map(_WHOLE.__contains__, bodies)))
    if ios:
        special.update(compress(count(), map(_STARTS.__contains__, map(_FIRST_FOUR, texts))))
    for i in special:
        raw = raw_senders[i]
        senders[i], texts[i], kinds[i], edited[i] = _classify(
            None if raw is None else raw.decode(), texts[i], senders[i], ios
        )
    return senders, texts, kinds, edited


def _texts(bodies: list[bytes]) -> tuple[list[str], set[int]]:
    """The decoded ``bodies``, and where those holding one of ``_SPECIAL`` stand.

    The bodies are joined by NULs, decoded as one string, searched from one special body
    to the next and cut apart again: far fewer calls than decoding and searching each
    body, which matters on half a million of them. A body with a NUL in it (never in a
    real export) would be cut in two: then each is decoded and searched alone.
    """
    whole = _NUL.join(bodies).decode()
    texts = whole.split("\0")
    if len(texts) != len(bodies):
        texts = list(map(bytes.decode, bodies))
        return texts, set(compress(count(), map(_SPECIAL.search, texts)))
    special = set()
    body = end = 0  # the body that ``end`` (a NUL, or the start) stands before
    found = _SPECIAL.search(whole)
    while found:
        body += whole.count("\0", end, found.start())
        special.add(body)
        end = whole.find("\0", found.start())
        if end < 0:
            break
        found = _SPECIAL.search(whole, end)  # on from the next body
    return texts, special


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


class _Widen(Exception):
    """Lines of a later part of the file are headers the split expression does not know."""

    def __init__(self, shapes: list[Shape]) -> None:
        super().__init__()
        self.shapes = shapes


class _Reader:
    """Turns columns into messages once the file's date order is known.

    The order is fixed as soon as only one order fits every date seen so far (in
    most exports, within the first chunk); until then columns wait, and if the
    whole file leaves it open the order is inferred from all of its dates. Dates
    without a year wait for the end of the file too: their years are counted back
    from the newest.
    """

    def __init__(self, layout: Layout, date_order: str | None, *, may_widen: bool) -> None:
        self.layout = layout
        # A month's name leaves no doubt about the order: no override applies.
        self.order = "dmy" if layout.named_months else date_order
        self.may_widen = may_widen
        self.warnings: list[str] = []
        self.guessed: str | None = None  # the order chosen when the dates left it open
        # The numbers of each date, or None where no order makes them a real day.
        self.numbers = _Cache(self._date_parts)
        self.midnights = _Cache(self._midnight)
        self.clock = _Cache(_time_of_day)
        self.names = _Cache(_sender_name)
        self.yearless = False  # some dates have no year
        self.waiting: list[_Pieces] = []
        self.messages: list[Message] = []
        self.last: tuple[bytes | None, bytes] = (None, b"")  # raw sender and body of the last
        # Lines that look like headers but cannot be read as ones, as written: each list
        # in file order (they are found at different times).
        self.unread_in_text: list[str] = []  # inside a message's text, kept there
        self.unread_headers: list[str] = []  # split on, given back to the message above
        self.left_out: list[str] = []  # before the first message

    def add(self, p: _Pieces) -> None:
        if p.maybe_headers or p.maybe_headers_before:
            self._look_for_headers(p.maybe_headers, self.unread_in_text)
            self._look_for_headers(p.maybe_headers_before, self.left_out)
        if self.order is None:
            self.numbers.fill(p.dates)
            fitting = [o for o in ORDERS if self._fits(o)]
            if len(fitting) == 1:
                self.order = fitting[0]
        elif self.layout.named_months and not self.yearless:
            dates = map(self.numbers.__getitem__, p.dates)
            self.yearless = any(parts and parts[2] is None for parts in dates)
        if self.order is None or self.yearless:
            self.waiting.append(p)
            return
        for waiting in self.waiting:
            self._emit(waiting)
        self.waiting.clear()
        self._emit(p)

    def finish(self) -> None:
        if not self.waiting:
            return
        if self.order is None:
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
        days = self._count_years_back() if self.yearless else [None] * len(self.waiting)
        for waiting, midnights in zip(self.waiting, days, strict=True):
            self._emit(waiting, midnights)
        self.waiting.clear()

    def _date_parts(self, date: bytes) -> tuple[int, int, int | None] | None:
        parts = read_date(date.decode())
        return parts if self._readable(parts) else None

    def _readable(self, parts: tuple[int, int, int | None] | None) -> bool:
        """Whether some order makes ``parts`` a real day (any year's, where none is given)."""
        if parts is None:
            return False
        if parts[2] is None:
            return to_datetime((parts[0], parts[1], 2000), "dmy") is not None  # 2000 had a 29 Feb
        orders = ("dmy",) if self.layout.named_months else ORDERS
        return any(to_datetime(parts, o) for o in orders)

    def _fits(self, order: str) -> bool:
        return all(p is None or to_datetime(p, order) for p in self.numbers.values())

    def _midnight(self, date: bytes) -> datetime | None:
        parts = self.numbers[date]
        return parts and to_datetime(parts, self.order)

    def _look_for_headers(self, lines: list[bytes], unread: list[str]) -> None:
        """Note which of ``lines`` (text that may be headers) are headers after all.

        One of this file's family that can be read is a variant of its headers the
        opening lines did not show: the file is read again with a wider expression
        (``_Widen``). The others stay text, noted in ``unread`` for the warning.
        """
        more = []
        for line in map(bytes.decode, lines):
            found = header(line)
            if found is None:
                continue  # text that starts with a number
            readable = (
                found.shape.family == self.layout.family
                and read_time(found.time) is not None
                and self._readable(read_date(found.date))
            )
            if readable and self.may_widen:
                more.append(found.shape)
            else:
                unread.append(line)
        if more:
            raise _Widen(more)

    def _emit(self, p: _Pieces, midnights: list[datetime | None] | None = None) -> None:
        days = map(self.midnights.__getitem__, p.dates) if midnights is None else midnights
        try:
            times = list(map(add, days, map(self.clock.__getitem__, p.times)))
        except TypeError:
            # A date or time that names no real day or hour is None, and None + … fails.
            times = self._fold_unread_headers(p, midnights)
        if not times:
            return
        columns = _columns(p.senders, p.bodies, self.names, self.layout.ios)
        rows = zip(times, *columns, strict=True)
        self.messages.extend(map(tuple.__new__, repeat(Message), rows))
        self.last = (p.senders[-1], p.bodies[-1])

    def _fold_unread_headers(
        self, p: _Pieces, midnights: list[datetime | None] | None
    ) -> list[datetime]:
        """Give a line that looked like a header but names no real date or time back to
        the message above it, as the continuation line that someone typed or pasted.
        The columns are edited in place; returns the times of the messages kept.
        """
        if midnights is None:
            midnights = list(map(self.midnights.__getitem__, p.dates))
        keep, times = [], []
        for i, (day, clock) in enumerate(zip(midnights, p.times, strict=True)):
            hour = self.clock[clock]
            if day is not None and hour is not None:
                keep.append(i)
                times.append(day + hour)
                continue
            sender = p.senders[i]
            line = p.header(i, self.layout.time_first)
            line += p.bodies[i] if sender is None else sender + b": " + p.bodies[i]
            first_line = line.split(b"\n", 1)[0].decode()
            if keep:
                p.bodies[keep[-1]] += b"\n" + line
                self.unread_headers.append(first_line)
            elif self.messages:
                # The message above is the last one already made: make it again.
                sender, body = self.last
                self.last = sender, body + b"\n" + line
                columns = _columns([sender], [self.last[1]], self.names, self.layout.ios)
                self.messages[-1] = Message(self.messages[-1].time, *(c[0] for c in columns))
                self.unread_headers.append(first_line)
            else:
                self.left_out.append(first_line)
        for name in ("dates", "times", "senders", "bodies"):
            column = getattr(p, name)
            setattr(p, name, [column[i] for i in keep])
        return times

    def _count_years_back(self) -> list[list[datetime | None]]:
        """The midnights of the waiting messages where some dates have no year.

        Phones leave out the year of dates in the current one, so the newest message
        without a year is taken to be of today's year (the year before, if its day is
        still to come), and the years of earlier ones are counted back from it: a date
        more than a month later in the year than the date after it is of the year
        before (a small step back is a phone's clock, not a new year). A written year
        is taken as it is and counted back from in the same way.
        """
        rows = [self.numbers[d] for p in self.waiting for d in p.dates]
        today = _today()
        years: list[int | None] = []
        year, later = None, (0, 0)
        for parts in reversed(rows):
            if parts is None:
                years.append(None)
                continue
            day, month, written = parts
            if written is not None:
                year = written
            elif year is None:
                year = today.year - ((month, day) > (today.month, today.day))
            elif _day_of_year(month, day) > _day_of_year(*later) + 31:
                year -= 1
            later = (month, day)
            years.append(year)
        years.reverse()
        guessed = {y for y, parts in zip(years, rows, strict=True) if parts and parts[2] is None}
        span = f"{min(guessed)}" + (f" to {max(guessed)}" if len(guessed) > 1 else "")
        self.warnings.append(
            f"Some dates in this export have no year (phones leave out the current one); "
            f"they were read as {span}, counting back from today ({today.isoformat()})."
        )
        midnights = [
            None if parts is None else to_datetime((parts[0], parts[1], y), "dmy")
            for parts, y in zip(rows, years, strict=True)
        ]
        out, start = [], 0
        for p in self.waiting:
            out.append(midnights[start : start + len(p.dates)])
            start += len(p.dates)
        return out


def _today() -> date:
    return date.today()


def _day_of_year(month: int, day: int) -> int:
    """Near enough to compare days a month or more apart."""
    return (month - 1) * 31 + day


def _time_of_day(clock: bytes) -> timedelta | None:
    return read_time(clock.decode())


def _unread_lines_warning(reader: _Reader, data: bytes) -> list[str]:
    """The warning that counts the lines that look like headers but were not read as ones."""
    unread = (reader.unread_in_text, reader.unread_headers, reader.left_out)
    kept, left_out = len(unread[0]) + len(unread[1]), len(unread[2])
    total = kept + left_out
    if not total:
        return []
    # The first in the file: the earliest of the first of each list.
    firsts = [(data.find(lines[0].encode()), lines[0]) for lines in unread if lines]
    position, line = min(firsts, key=lambda f: (f[0] < 0, f[0]))
    shown = line if len(line) <= 70 else line[:69] + "\u2026"
    where = f"line {data.count(_NEWLINE, 0, position) + 1}: " if position >= 0 else ""
    one = total == 1
    lines, its, it_is, it_was = (
        ("line looks like a message header", "its", "it is", "it was")
        if one
        else ("lines look like message headers", "their", "they are", "they were")
    )
    text = (
        f"{total} {lines} but {its} date or time cannot be read, or {it_is} written unlike"
        f" the rest of the file; {it_was} "
    )
    if not left_out:
        text += "kept as text of the message above"
    elif not kept:
        text += "left out, as no message comes before"
    else:
        text += (
            f"kept as text of the message above ({left_out} left out, as no message comes before)"
        )
    return [f"{text} ({'' if one else 'first at '}{where}{shown!r})."]
