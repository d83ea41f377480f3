"""load_json: UTF-8 JSON, Telegram Desktop's invalid \\xNN escapes, and one clear error."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_is_you.chats.jsonload import load_json
from gpt_is_you.chats.message import ChatImportError


def test_plain_json() -> None:
    assert load_json(b'{"a": [1, "b\\u00e9"]}', "x.json") == {"a": [1, "bé"]}


def test_byte_order_mark_is_skipped() -> None:
    assert load_json(b'\xef\xbb\xbf{"a": "\xc3\xa9"}', "x.json") == {"a": "é"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (rb'"a\x01b"', "a\x01b"),
        (rb'"\x0B\x0c\x1F"', "\x0b\x0c\x1f"),
        (rb'"\\x41"', "\\x41"),  # an escaped backslash, then plain "x41"
        (rb'"\\\x41"', "\\A"),  # an escaped backslash, then a real \x escape
        (rb'"\"\x22"', '""'),  # \x22 is a quote, and does not end the string
        (rb'"\x5C"', "\\"),
    ],
)
def test_telegram_x_escapes(raw: bytes, expected: str) -> None:
    assert load_json(raw, "result.json") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (rb'"\ud83d\ude00"', "\U0001f600"),  # a whole pair: the emoji
        (rb'"a\ud83db"', "a\ufffdb"),  # a high half alone
        (rb'"a\ude00"', "a\ufffd"),  # a low half alone
        (rb'"\ude00\ud83d"', "\ufffd\ufffd"),  # halves in the wrong order
        (rb'"\ud83d\ud83d\ude00"', "\ufffd\U0001f600"),  # a half, then a pair
        (rb'"\uD83D"', "\ufffd"),  # hex digits in capitals
        (rb'"\\ud83d"', "\\ud83d"),  # an escaped backslash, then plain "ud83d"
        (rb'"\\\ud83d"', "\\\ufffd"),  # an escaped backslash, then a half
        (rb'{"\ud83d": "\x01\ud83d"}', {"\ufffd": "\x01\ufffd"}),  # keys, with \x
    ],
)
def test_halves_of_surrogate_pairs_become_replacement_characters(raw: bytes, expected) -> None:
    """json.loads keeps a lone surrogate escape as a str nothing can encode: printing
    it, writing it as UTF-8 or storing it in SQLite would fail."""
    assert load_json(raw, "result.json") == expected


def test_raw_control_characters_inside_strings_are_tolerated() -> None:
    assert load_json(b'{"t": "a\x07b"}', "x.json") == {"t": "a\x07b"}


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "not valid JSON"),
        (b"Hello, this is a chat", "not valid JSON"),
        (b'{"a": 1,}', "line 1"),
        (b'{"a": "\\xZZ"}', "not valid JSON"),
        (b'{"a": "\\q"}', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000, "JSON"),
        (b"1" * 5000, "JSON"),
    ],
)
def test_what_is_not_json_is_one_clear_error(raw: bytes, words: str) -> None:
    with pytest.raises(ChatImportError) as caught:
        load_json(raw, "chat.json")
    message = str(caught.value)
    assert message.startswith("chat.json: ")
    assert words in message
    assert "\n" not in message


@given(st.binary(max_size=200))
def test_any_bytes_give_an_object_or_chat_import_error(raw: bytes) -> None:
    with contextlib.suppress(ChatImportError):
        load_json(raw, "fuzz.json")


@given(st.lists(st.sampled_from(["a", "\\", "\\\\", "\\ud83d", "\\ude00", "\\x41", '\\"'])))
def test_every_string_loaded_can_be_encoded(pieces: list[str]) -> None:
    with contextlib.suppress(ChatImportError):
        json.dumps(
            load_json(f'"{"".join(pieces)}"'.encode(), "x.json"), ensure_ascii=False
        ).encode()


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=10,
    )
)
def test_telegram_style_json_round_trips(value: object) -> None:
    assert load_json(_telegram_dumps(value).encode(), "result.json") == value


def _telegram_dumps(value: object) -> str:
    """JSON the way Telegram Desktop writes it: control characters as \\xNN."""
    if isinstance(value, str):
        out = []
        for char in value:
            if char in '"\\':
                out.append("\\" + char)
            elif char in "\n\r\t":
                out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
            elif ord(char) < 32:
                out.append(f"\\x{ord(char):02X}")
            else:
                out.append(char)
        return '"' + "".join(out) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_telegram_dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_telegram_dumps(k)}: {_telegram_dumps(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value)
