"""The header that starts each message of a WhatsApp export; the expression that splits a file.

A header is a date and a time, in either order, then what ends it::

    29/01/2022, 13:05 - Alice: …            Android: a dash after the time
    [29/01/2022, 13:05:09] Alice: …         iOS: in brackets
    1/29/18, 1:05:09 PM: Alice: …           old iOS: a colon after the time
    [13:05:09, 1/29/22] Alice: …            some locales: the time first

Dates are numbers (``29/01/2022``, ``2022-01-29``, ``R4/01/29``, ``1/29/2565 BE``; in
Arabic or Persian digits with direction marks between them and an Arabic comma after) or
hold a month's name (``29 Jan 2022``, ``Jan 29, 2022``, and without the year ``Jan 29``,
``29 Jan``). Times are on a 24-hour clock or a 12-hour one (``1:05 PM``, ``0:24 AM``,
``1:05 in the afternoon``, ``١:٠٥ م``): see ``clock``.

A file's *family* (brackets, dash or colon; date or time first; how the date is written)
is learned from its opening lines, with the variants of it they use (separators, clocks,
digits, marks): the split expression is written for exactly those, because a specific
expression runs twice as fast as a general one. A file that turns out to hold more
variants later (a phone whose clock setting changed) gets a wider expression: see
``Layout.widened``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from gpt_is_you.chats import clock
from gpt_is_you.chats.dates import ERAS, MONTHS
from gpt_is_you.chats.marks import INVISIBLE

# Marks before a header: U+200E before WhatsApp's own lines on iOS, a BOM, and the like.
_LEAD = f"[{INVISIBLE}]*"
# The same marks as UTF-8 bytes, written out by hand: this runs at every line of a file.
MARK_BYTES = rb"(?:\xe2(?:\x80[\x8e\x8f\xaa-\xae]|\x81[\xa6-\xa9])|\xef\xbb\xbf)*+"
# Marks inside a header: Arabic and Persian exports put U+200F or U+061C after numbers.
_INNER_MARKS = INVISIBLE + "\u061c"
_MARK = f"[{_INNER_MARKS}]"
_DIGIT = "[0-9\u0660-\u0669\u06f0-\u06f9]"
_SPACE = "[ \u00a0\u202f]"
_MONTH = "(?i:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ERA = "[" + "".join(ERAS) + "]"
_MARKERS = {
    "ampm": rf"{_SPACE}?[AaPp]\.?{_SPACE}?[Mm]\.?",
    "words": f"{_SPACE}(?:" + "|".join(sorted(clock.WORDS, key=len, reverse=True)) + ")",
    "arabic": f"{_SPACE}?{_MARK}*[" + "".join(clock.ARABIC) + "]",
}


# ----------------------------------------------------------------- the expression as bytes


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
    """A class as bytes. Its non-ASCII members (characters, or ranges whose ends differ
    only in their last byte, as Arabic-Indic digits do) are grouped by what comes before
    their last byte: one alternative each, not one per character, which the expression
    engine would try one by one. A negated class may hold ASCII only."""
    narrow, wide = [], {}  # wide: UTF-8 prefix -> last bytes, as class members
    i = 0
    while i < len(members):
        step = 2 if members[i] == "\\" else 1
        if members[i + step : i + step + 1] == "-" and i + step + 1 < len(members):
            first, last, step = members[i], members[i + step + 1], step + 2
        else:
            first = last = members[i : i + step]
        if ord(last[-1]) <= 0x7F:
            narrow.append(members[i : i + step])
        else:
            low, high = first.encode(), last.encode()
            if low[:-1] != high[:-1]:
                raise ValueError(f"cannot write the range {first}-{last} as bytes")
            ends = f"\\x{low[-1]:02x}" + (f"-\\x{high[-1]:02x}" if low != high else "")
            wide.setdefault(low[:-1], []).append(ends)
        i += step
    if not wide:
        return f"[{members}]"
    # ASCII first: the common case (a plain space before "PM") is tried first.
    options = [f"[{''.join(narrow)}]"] if narrow else []
    options += [_escaped_bytes(prefix) + f"[{''.join(ends)}]" for prefix, ends in wide.items()]
    return "(?:" + "|".join(options) + ")"


def _escaped_bytes(data: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in data)


def _escaped_utf8(char: str) -> str:
    return _escaped_bytes(char.encode())


def _probe(time_first: bool) -> re.Pattern[str]:
    """Any header of one order, with a named group for each way headers differ."""
    m, d = f"{_MARK}*", _DIGIT
    date = (
        f"(?P<date>(?P<era>{_ERA})?{d}{{1,4}}{m}(?P<sep>[./-]){m}{d}{{1,2}}{m}(?P=sep){m}"
        rf"{d}{{1,4}}(?P<dot>\.)?(?P<be> ?BE)?"
        rf"|(?P<dm>{d}{{1,2}}\.? {_MONTH}(?:,? {d}{{4}})?)"
        rf"|(?P<md>{_MONTH} {d}{{1,2}}(?:, {d}{{4}})?))"
    )
    markers = "|".join(f"(?P<{kind}>{form})" for kind, form in _MARKERS.items())
    time = rf"(?P<time>{d}{{1,2}}(?P<colon>[:.]){d}{{2}}(?:[:.]{d}{{2}})?{m}(?:{markers})?)"
    between = f"{m}(?P<between>[,\u060c] ?| ){m}"
    first, second = (time, date) if time_first else (date, time)
    return re.compile(
        f"(?P<lead>{_LEAD})(?P<bracket>\\[)?{m}{first}{between}{second}{m}"
        "(?(bracket)\\] |(?P<close> [-\u2013] |: ))"
    )


_PROBES = (_probe(time_first=False), _probe(time_first=True))
_NAMED = ("dm", "md")  # Family.date of dates with a month's name
_ANY_MARK = re.compile(_MARK)
_WIDE_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


# Family, Shape and Header are NamedTuples, not frozen dataclasses: as immutable, and a
# tenth of the cost to make, which counts for the 2,000 opening lines of every file.
class Family(NamedTuple):
    """What every header of a file has in common."""

    ending: str  # "bracket" (iOS), "dash" (Android) or "colon" (old iOS)
    time_first: bool
    date: str  # a numeric date's separator ("/", ".", "-"); "dm" or "md" for a month's name


class Shape(NamedTuple):
    """How one header is written, down to the variants the split expression must allow."""

    family: Family
    between: str  # between date and time: ", ", " ", "، "
    colon: str  # in the time: ":" or "."
    close: str  # "] ", " - ", " – ", ": "
    dot: str  # "." after a numeric date, or ""
    marker: str | None  # a key of _MARKERS; None on a 24-hour clock
    wide_digits: bool  # Arabic-Indic or Persian digits
    marks: bool  # direction marks inside the header
    era: bool  # a Japanese era letter before the year
    buddhist: bool  # " BE" after the year


class Header(NamedTuple):
    """A line that starts with a header: its shape, and its date and time as written."""

    shape: Shape
    date: str
    time: str


def header(line: str) -> Header | None:
    """The header ``line`` starts with, if it starts with one."""
    time_first = False
    m = _PROBES[0].match(line)
    if m is None:
        time_first = True
        m = _PROBES[1].match(line)
        if m is None:
            return None
    bracket = m["bracket"] is not None
    ending = "bracket" if bracket else ("colon" if m["close"] == ": " else "dash")
    written = m[0][m.end("lead") :]
    plain = written.isascii()  # most headers: then no marks and no other digits
    shape = Shape(
        family=Family(ending, time_first, m["sep"] or ("dm" if m["dm"] else "md")),
        between=m["between"],
        colon=m["colon"],
        close="] " if bracket else m["close"],
        dot=m["dot"] or "",
        marker=next((kind for kind in _MARKERS if m[kind]), None),
        wide_digits=not plain and bool(_WIDE_DIGIT.search(written)),
        marks=not plain and bool(_ANY_MARK.search(written)),
        era=m["era"] is not None,
        buddhist=m["be"] is not None,
    )
    return Header(shape, m["date"], m["time"])


@dataclass(frozen=True)
class Layout:
    """The headers of one file: their family, the variants seen, the split expression."""

    family: Family
    shapes: frozenset[Shape]
    twelve_hour: bool  # most headers have a 12-hour clock (a hint for the date order)
    # groups: the header's first part, its second part (date then time, or time then
    # date), the sender (None on a system line); the parts keep what stands around them
    # ("[", ", ", " - "), so that together they are the header as written. It also
    # stops, with every group None, at any other line that may be a header (one that
    # starts with a digit or a month's name), so that such lines are found for free
    # while the file is split: see ``whatsapp._rejoin``.
    split: re.Pattern[bytes]

    @property
    def ios(self) -> bool:
        return self.family.ending != "dash"

    @property
    def time_first(self) -> bool:
        return self.family.time_first

    @property
    def named_months(self) -> bool:
        """Dates hold a month's name, so their order is known: read as (day, month, year)."""
        return self.family.date in _NAMED

    def widened(self, shapes: Iterable[Shape]) -> Layout:
        """The layout that also splits on headers of ``shapes`` (of this family)."""
        shapes = self.shapes | {s for s in shapes if s.family == self.family}
        return Layout(self.family, shapes, self.twelve_hour, _split_expression(self.family, shapes))


def learn_layout(lines: list[str]) -> Layout | None:
    """The layout of a file from its opening ``lines``; None if it is not an export.

    WhatsApp starts every export with a header, so the first line with text must be one;
    prose, tables and code that hold dates do not start with a date, a time and a dash.
    (No share of the lines is asked to be headers: one long message, pasted text or a
    run of multi-line messages is as much a chat as one line per message.) The family is
    the one most headers have; headers of another family are text in it.
    """
    first = next((line for line in lines if line.strip(INVISIBLE + " \t\r")), "")
    if header(first) is None:
        return None
    headers = [h for h in map(header, lines) if h is not None]
    family = Counter(h.shape.family for h in headers).most_common(1)[0][0]
    own = [h.shape for h in headers if h.shape.family == family]
    twelve_hour = sum(s.marker is not None for s in own) * 2 > len(own)
    shapes = frozenset(own)
    return Layout(family, shapes, twelve_hour, _split_expression(family, shapes))


def _split_expression(family: Family, shapes: frozenset[Shape]) -> re.Pattern[bytes]:
    """The expression for exactly the variants in ``shapes``: digits, marks, era letters
    and markers only where some header has them.

    Its runs of digits, marks and name are possessive (``+``): what follows each can
    never continue it, so no match is found by giving any of it back, and keeping no
    points to go back to makes the split (run at every line) a sixth faster.
    """

    def seen(attr: str) -> str:
        """An alternation of the forms an attribute takes."""
        forms = sorted({getattr(s, attr) for s in shapes}, key=len, reverse=True)
        return "(?:" + "|".join(map(re.escape, forms)) + ")"

    d = _DIGIT if any(s.wide_digits for s in shapes) else r"\d"
    m = f"{_MARK}*" if any(s.marks for s in shapes) else ""
    if family.date == "dm":
        date = rf"{d}{{1,2}}+\.? {_MONTH}(?:,? {d}{{4}})?"
    elif family.date == "md":
        date = rf"{_MONTH} {d}{{1,2}}+(?:, {d}{{4}})?"
    else:
        sep = re.escape(family.date)
        era = f"{_ERA}?" if any(s.era for s in shapes) else ""
        date = f"{era}{d}{{1,4}}+{m}{sep}{m}{d}{{1,2}}+{m}{sep}{m}{d}{{1,4}}+{seen('dot')}"
        if any(s.buddhist for s in shapes):
            date += "(?: ?BE)?"
    time = f"{d}{{1,2}}+{seen('colon')}{d}{{2}}(?:{seen('colon')}{d}{{2}})?"
    kinds = {s.marker for s in shapes}
    markers = [_MARKERS[k] for k in _MARKERS if k in kinds]
    if markers:
        time += m + "(?:" + "|".join(markers) + ")" + ("?" if None in kinds else "")
    between = m + seen("between") + m
    opening = r"\[" + m if family.ending == "bracket" else ""
    first, second = (time, date) if family.time_first else (date, time)
    # The sender is what comes before the line's first colon when a space follows it;
    # a line without that is WhatsApp's own (a system line) and leaves the group
    # empty. (A name with a colon inside, rare, is recovered by the reader.)
    pattern = f"({opening}{first}{between})({second}{m}{seen('close')})(?:([^\n:]*+): )?"
    # A line that may be a header starts with a number, or with a month's name in a
    # file whose dates hold one (looking for those in every line costs a sixth of the
    # split): cheap to look for here, the header itself is read from the line's text.
    starts = [_DIGIT, rf"{_ERA}\d"] + ([_MONTH] if family.date in _NAMED else [])
    may_be = rf"\[?{_MARK}*(?:{'|'.join(starts)})"
    return re.compile(
        b"\n(?:%s%s|(?=%s%s))"
        % (MARK_BYTES, _as_bytes_pattern(pattern), MARK_BYTES, _as_bytes_pattern(may_be))
    )


# ----------------------------------------------------------------- reading a header's parts

_TO_ASCII = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        **dict.fromkeys(map(ord, _INNER_MARKS), None),
    }
)
_NUMERIC = re.compile(rf"({_ERA})?(\d{{1,4}})([./-])(\d{{1,2}})\3(\d{{1,4}})")
_DAY_MONTH = re.compile(rf"(\d{{1,2}})\.? ({_MONTH})(?:,? (\d{{4}}))?")
_MONTH_DAY = re.compile(rf"({_MONTH}) (\d{{1,2}})(?:, (\d{{4}}))?")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
_MARKER = re.compile("|".join(_MARKERS.values()))


def read_date(written: str) -> tuple[int, int, int | None] | None:
    """A header's date as three numbers; None if it holds none.

    Numeric dates come in the order written (the file's order is inferred from all of
    them), a Japanese era year turned into its Gregorian number; a date with a month's
    name comes as (day, month, year), the year None where the export left it out.
    """
    text = written.translate(_TO_ASCII)
    m = _NUMERIC.search(text)
    if m:
        era, a, _, b, c = m.groups()
        first = int(a) + ERAS[era] if era else int(a)
        return first, int(b), int(c)
    m = _DAY_MONTH.search(text)
    if m:
        day, month, year = m[1], m[2], m[3]
    else:
        m = _MONTH_DAY.search(text)
        if m is None:
            return None
        month, day, year = m[1], m[2], m[3]
    number = MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    return int(day), number, int(year) if year else None


def read_time(written: str) -> timedelta | None:
    """A header's time of day; None if it names no time a clock shows."""
    text = written.translate(_TO_ASCII)
    m = _TIME.search(text)
    if m is None:
        return None
    marker = _MARKER.match(text, m.end())
    return clock.time_of_day(int(m[1]), int(m[2]), int(m[3] or 0), marker[0] if marker else None)
