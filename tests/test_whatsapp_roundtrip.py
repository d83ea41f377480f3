"""Property tests: messages written in every WhatsApp layout read back the same."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpt_is_you.chats import DELETED, MEDIA, SYSTEM, TEXT, ChatImportError, Message
from gpt_is_you.chats import whatsapp_words as words
from gpt_is_you.chats.whatsapp import parse_whatsapp
from whatsapp_render import LAYOUTS, Layout, render

# How each sender appears in the file: phone numbers come wrapped in direction marks
# with no-break spaces inside; the reader must give back the clean name.
RAW_SENDERS = {
    "+44 7700 900123": "\u202a+44\u00a07700\u00a0900123\u202c",
    "Alice Martin": "Alice Martin",
    "Chloé Dubois": "Chloé Dubois",
    "Bruno 🚲 Keller": "Bruno 🚲 Keller",
    'Dana "DJ" Okafor': 'Dana "DJ" Okafor',
    "Émile": "\u200eÉmile",
    "Mum :)": "Mum :)",
}
SYSTEM_LINES = [
    "Alice Martin created group “Weekend Trip”",
    "Alice Martin added Bruno 🚲 Keller",
    "Bruno 🚲 Keller left",
    'Alice Martin changed the subject from "Trip" to "Trip: Paris"',
    "Chloé Dubois changed this group's icon",
    "Your security code with Bruno 🚲 Keller changed. Tap to learn more.",
]
# Text a person could type; no "<" (WhatsApp's own markers) and no invisible marks.
ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?'\"-:;/()éüßçñ😀🎉")
)
LINE = st.text(ALPHABET, min_size=1, max_size=40)
_HEADERISH = re.compile(r"\s*\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_PLACEHOLDERISH = re.compile(
    r"\(|omitted|deleted|location|missed|your security|gedeeld|live", re.IGNORECASE
)


def _typed(lines: list[str]) -> str | None:
    text = "\n".join(lines)
    if not text.strip() or any(_HEADERISH.match(line) for line in lines[1:]):
        return None
    if _PLACEHOLDERISH.search(lines[0]) or _is_placeholder(lines[0]):
        return None
    return text


def _is_placeholder(line: str) -> bool:
    """Typed text that reads exactly like something WhatsApp writes itself."""
    key = line.strip().casefold()
    return (
        key.rstrip(".") in words.DELETED
        or key in words.LIVE_LOCATION
        or key.startswith(words.SYSTEM_PREFIXES + words.LOCATION_PREFIXES)
    )


TEXTS = st.lists(st.one_of(LINE, st.just("")), min_size=1, max_size=4).map(_typed).filter(bool)
CAPTIONS = st.one_of(st.just(""), LINE.map(lambda s: _typed([s])).filter(bool))


@st.composite
def messages(draw, layout: Layout) -> list[Message]:
    count = draw(st.integers(1, 25))
    t = draw(st.datetimes(datetime(2001, 1, 1), datetime(2098, 1, 1)))
    out = []
    for _ in range(count):
        t += timedelta(seconds=draw(st.integers(0, 3 * 86400)))
        t = t.replace(microsecond=0, second=t.second if layout.seconds else 0)
        kind = draw(st.sampled_from([TEXT, TEXT, TEXT, MEDIA, DELETED, SYSTEM]))
        sender = draw(st.sampled_from(sorted(RAW_SENDERS)))
        if kind == SYSTEM:
            out.append(Message(t, None, draw(st.sampled_from(SYSTEM_LINES)), SYSTEM, False))
        elif kind == DELETED:
            out.append(Message(t, sender, "", DELETED, False))
        elif kind == MEDIA:
            out.append(Message(t, sender, draw(CAPTIONS), MEDIA, False))
        else:
            out.append(Message(t, sender, draw(TEXTS), TEXT, draw(st.booleans())))
    return out


@st.composite
def exports(draw):
    layout = draw(st.sampled_from(LAYOUTS))
    msgs = draw(messages(layout))
    return layout, msgs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports(), st.booleans(), st.booleans())
def test_every_layout_reads_back_the_same_messages(export, crlf, bom):
    layout, msgs = export
    text = render(msgs, layout, raw_senders=RAW_SENDERS, crlf=crlf, bom=bom)
    chat = parse_whatsapp(text, source="chat.txt", date_order=layout.order)
    assert chat.format == ("whatsapp-ios" if layout.ios else "whatsapp-android")
    assert list(chat.messages) == msgs


@settings(max_examples=100, deadline=None)
@given(exports())
def test_date_order_is_inferred_when_the_dates_tell(export):
    layout, msgs = export
    days = {m.time.day for m in msgs}
    # Inference needs a day past the 12th, or the month and day being the same.
    if layout.order != "ymd" and max(days) <= 12:
        msgs = [
            *msgs,
            Message(
                msgs[-1].time.replace(day=28) + timedelta(days=31),
                "Alice Martin",
                "later",
                TEXT,
                False,
            ),
        ]
        msgs[-1] = msgs[-1]._replace(
            time=msgs[-1].time.replace(
                day=28, second=0 if not layout.seconds else msgs[-1].time.second
            )
        )
    text = render(msgs, layout, raw_senders=RAW_SENDERS)
    chat = parse_whatsapp(text, source="chat.txt")
    assert list(chat.messages) == msgs


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_messages_or_the_typed_error(data):
    from gpt_is_you.chats.detect import _read_bytes

    try:
        chat = _read_bytes(data, "x.txt", name="x.txt", date_order=None, chat=None)
    except ChatImportError:
        return
    assert all(isinstance(m, Message) for m in chat.messages)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_random_text_gives_messages_or_the_typed_error(text):
    try:
        chat = parse_whatsapp(text, source="x.txt")
    except ChatImportError:
        return
    assert chat.messages


HEADER_LINES = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.integers(0, 40),
        st.integers(0, 2100),
        st.integers(0, 30),
        st.integers(0, 70),
        st.sampled_from(["", " AM", " pm"]),
        st.sampled_from(["/", ".", "-"]),
        st.booleans(),
        st.text(ALPHABET, max_size=20),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(HEADER_LINES)
def test_header_shaped_garbage_gives_messages_or_the_typed_error(rows):
    lines = []
    for a, b, c, h, m, marker, sep, ios, rest in rows:
        header = f"{a}{sep}{b}{sep}{c}, {h}:{m:02d}{marker}"
        lines.append(f"[{header}] {rest}" if ios else f"{header} - {rest}")
    try:
        chat = parse_whatsapp("\n".join(lines), source="x.txt")
    except ChatImportError:
        return
    assert all(isinstance(m.time, datetime) for m in chat.messages)


ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NUMBER = st.integers(0, 3000).map(str)
NUMERIC_DATE = st.tuples(
    st.sampled_from(["", "R", "H"]),
    NUMBER,
    st.sampled_from(["/", ".", "-"]),
    st.sampled_from(["", "\u200f"]),
    NUMBER,
    NUMBER,
    st.sampled_from(["", " BE", "."]),
).map(lambda p: f"{p[0]}{p[1]}{p[3]}{p[2]}{p[4]}{p[3]}{p[2]}{p[5]}{p[6]}")
NAMED_DATE = st.tuples(
    st.sampled_from(["Jan", "févr.", "März", "Sept", "dez", "Foo"]),
    NUMBER,
    st.sampled_from(["", ", 2024", " 1400"]),
    st.booleans(),
).map(lambda p: f"{p[1]} {p[0]}{p[2]}" if p[3] else f"{p[0]} {p[1]}{p[2]}")
CLOCK = st.tuples(
    st.integers(0, 30),
    st.integers(0, 70),
    st.sampled_from(["", ":07", ".99"]),
    st.sampled_from(
        ["", " AM", " p. m.", " in the evening", " at night", " noon", " م", "\u202fPM"]
    ),
).map(lambda p: f"{p[0]}:{p[1]:02d}{p[2]}{p[3]}")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(NUMERIC_DATE, NAMED_DATE),
            CLOCK,
            st.sampled_from([", ", " ", "، "]),
            st.sampled_from(["[]", " - ", ": ", " – "]),
            st.booleans(),  # time first
            st.booleans(),  # Arabic digits
            st.text(ALPHABET, max_size=20),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_header_shaped_lines_of_every_layout_give_messages_or_the_typed_error(rows):
    lines = []
    for date, clock, between, end, time_first, arabic, rest in rows:
        first, second = (clock, date) if time_first else (date, clock)
        header = f"{first}{between}{second}"
        header = header.translate(ARABIC_DIGITS) if arabic else header
        lines.append(f"[{header}] {rest}" if end == "[]" else f"{header}{end}{rest}")
    try:
        chat = parse_whatsapp("\n".join(lines), source="x.txt")
    except ChatImportError:
        return
    assert chat.messages and all(isinstance(m.time, datetime) for m in chat.messages)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)),
    st.none() | st.text(),
    st.text(),
    st.sampled_from([TEXT, MEDIA, DELETED, SYSTEM]),
    st.booleans(),
)
def test_json_line_is_json_dumps_of_the_message(time, sender, text, kind, edited):
    import json

    message = Message(time.replace(microsecond=0), sender, text, kind, edited)
    assert message.to_json_line() == json.dumps(message.to_json(), ensure_ascii=False)
