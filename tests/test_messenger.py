"""The Facebook Messenger / Instagram reader, against hand-written fixtures and random damage."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_is_you.chats.jsonload import load_json
from gpt_is_you.chats.message import ChatImportError
from gpt_is_you.chats.messenger import looks_like_messenger, parse_messenger, repair_mojibake
from json_damage import damaged

FIXTURES = Path(__file__).parent / "fixtures" / "messenger"
GROUP = FIXTURES / "weekend_group"
INSTAGRAM = FIXTURES / "instagram_dm"


def _load(path: Path) -> dict:
    return load_json(path.read_bytes(), path)


def _expected(folder: Path) -> list[dict]:
    lines = (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


GROUP_DOCS = [_load(GROUP / "message_1.json"), _load(GROUP / "message_2.json")]
INSTAGRAM_DOCS = [_load(INSTAGRAM / "message_1.json")]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch):
    """Expected times are written for UTC; timestamps are read in the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_facebook_group_thread_over_two_files() -> None:
    chat = parse_messenger(GROUP_DOCS, source="message_1.json")
    assert chat.format == "messenger"
    assert chat.title == "Week-end à Lyon"
    assert chat.source == "message_1.json"
    assert [m.to_json() for m in chat.messages] == _expected(GROUP)
    assert chat.warnings == ("1 message(s) repeated across files dropped",)


def test_file_order_does_not_matter() -> None:
    forwards = parse_messenger(GROUP_DOCS, source="m")
    backwards = parse_messenger(GROUP_DOCS[::-1], source="m")
    assert forwards.messages == backwards.messages


def test_instagram_thread() -> None:
    chat = parse_messenger(INSTAGRAM_DOCS, source="message_1.json")
    assert chat.format == "instagram"
    assert chat.title == "Bruno Keller"
    assert [m.to_json() for m in chat.messages] == _expected(INSTAGRAM)
    assert chat.warnings == ()


def test_times_are_the_machines_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    chat = parse_messenger([_thread([_msg("hi", 1682942400000)])], source="m")
    assert chat.messages[0].time.isoformat() == "2023-05-01T21:00:00"


def test_equal_timestamps_keep_the_order_they_were_sent_in() -> None:
    # Newest first in the file: "second" was sent after "first" in the same millisecond.
    doc = _thread([_msg("third", 2000), _msg("second", 1000), _msg("first", 1000)])
    assert [m.text for m in parse_messenger([doc], source="m").messages] == [
        "first",
        "second",
        "third",
    ]


def test_identical_messages_within_one_file_are_kept() -> None:
    doc = _thread([_msg("ok", 1000), _msg("ok", 1000)])
    assert len(parse_messenger([doc], source="m").messages) == 2


def test_notices_need_the_senders_own_name() -> None:
    doc = _thread(
        [
            _msg("Alice Martin named the group Trip.", 3000, sender="Bruno Keller"),
            _msg("Alice Martin named the group Trip.", 2000),
            _msg("Liked a message", 1000),
        ]
    )
    kinds = [(m.kind, m.sender) for m in parse_messenger([doc], source="m").messages]
    assert kinds == [("system", None), ("system", None), ("text", "Bruno Keller")]


@pytest.mark.parametrize(
    ("share", "content", "kind", "text"),
    [
        ({"link": "https://example.org/a"}, None, "text", "https://example.org/a"),
        (
            {"link": "https://example.org/a"},
            "Alice Martin sent a link.",
            "text",
            "https://example.org/a",
        ),
        (
            {"link": "https://example.org/a"},
            "regarde https://example.org/a",
            "text",
            "regarde https://example.org/a",
        ),
        (
            {"link": "https://instagram.com/p/x", "original_content_owner": "chloe"},
            None,
            "media",
            "",
        ),
        (
            {"link": "https://instagram.com/p/x", "original_content_owner": "chloe"},
            "trop bien",
            "media",
            "trop bien",
        ),
        ({"share_text": "Live location"}, None, "media", ""),
    ],
)
def test_shares(share: dict, content: str | None, kind: str, text: str) -> None:
    message = _msg(content, 1000, share=share)
    if content is None:
        del message["content"]
    parsed = parse_messenger([_thread([message])], source="m").messages[0]
    assert (parsed.kind, parsed.text) == (kind, text)


def test_instagram_group_invite_link_says_instagram() -> None:
    doc = _thread([_msg("hi", 1000)], joinable_mode={"mode": 1, "link": "https://ig.me/j/abc/"})
    assert parse_messenger([doc], source="m").format == "instagram"


def test_text_only_thread_is_called_messenger() -> None:
    assert parse_messenger([_thread([_msg("hi", 1000)])], source="m").format == "messenger"


def test_looks_like_messenger() -> None:
    assert all(looks_like_messenger(doc) for doc in GROUP_DOCS + INSTAGRAM_DOCS)
    assert looks_like_messenger({"participants": [], "messages": []})
    telegram = Path(__file__).parent / "fixtures" / "telegram" / "group_result.json"
    assert not looks_like_messenger(_load(telegram))
    for other in ({}, [], "text", {"messages": [{"text": "x"}]}, {"messages": []}):
        assert not looks_like_messenger(other)


@pytest.mark.parametrize("docs", [[], "message_1.json", [[]], [{"title": "x"}]])
def test_no_thread_to_read(docs: object) -> None:
    with pytest.raises(ChatImportError):
        parse_messenger(docs, source="m")


@given(st.text())
def test_mojibake_round_trips(text: str) -> None:
    assert repair_mojibake(text.encode("utf-8").decode("latin-1")) == text


@given(st.text())
def test_repair_keeps_what_is_not_mojibake(text: str) -> None:
    repaired = repair_mojibake(text)
    # Either untouched, or the string was the Latin-1 reading of UTF-8 bytes.
    assert repaired == text or repaired.encode("utf-8") == text.encode("latin-1")


@given(st.data())
def test_damaged_threads_raise_only_chat_import_error(data: st.DataObject) -> None:
    docs = data.draw(damaged(data.draw(st.sampled_from([GROUP_DOCS, INSTAGRAM_DOCS]))))
    try:
        parse_messenger(docs, source="message_1.json")
    except ChatImportError as error:
        assert "\n" not in str(error)


def _thread(messages: list[dict], **fields: object) -> dict:
    return {
        "participants": [{"name": "Alice Martin"}],
        "messages": messages,
        "title": "T",
        **fields,
    }


def _msg(content: str | None, stamp: int, sender: str = "Alice Martin", **fields: object) -> dict:
    return {"sender_name": sender, "timestamp_ms": stamp, "content": content, **fields}
