"""The Telegram Desktop reader, against hand-written fixtures and random damage."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_is_you.chats.jsonload import load_json
from gpt_is_you.chats.marks import INVISIBLE
from gpt_is_you.chats.message import ChatChoiceNeeded, ChatImportError
from gpt_is_you.chats.telegram import looks_like_telegram, parse_telegram
from json_damage import damaged

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
GROUP = FIXTURES / "group_result.json"
FULL = FIXTURES / "full_export.json"


def _load(path: Path) -> dict:
    return load_json(path.read_bytes(), path)


def _expected(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Read date_unixtime in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_single_chat_export(utc) -> None:
    chat = parse_telegram(_load(GROUP), source=str(GROUP))
    assert chat.format == "telegram"
    assert chat.title == "Week-end à Lyon"
    assert chat.source == str(GROUP)
    assert [m.to_json() for m in chat.messages] == _expected(GROUP.with_suffix(".jsonl"))
    assert chat.warnings == ("1 message(s) Telegram Desktop marked as unsupported skipped",)


def test_full_export_picks_the_chat_by_name_in_any_case() -> None:
    chat = parse_telegram(_load(FULL), source="result.json", chat="alice MARTIN")
    assert chat.title == "Alice Martin"
    assert [m.to_json() for m in chat.messages] == _expected(FIXTURES / "full_export_alice.jsonl")


def test_full_export_reaches_left_chats_and_unnamed_chats_by_id() -> None:
    left = parse_telegram(_load(FULL), source="result.json", chat="Club photo")
    assert [m.text for m in left.messages] == ["Bienvenue au club"]
    saved = parse_telegram(_load(FULL), source="result.json", chat="5550002")
    assert saved.title is None
    assert [m.sender for m in saved.messages] == ["Bruno Keller"]


def test_full_export_without_chat_lists_the_names() -> None:
    with pytest.raises(ChatImportError) as caught:
        parse_telegram(_load(FULL), source="result.json")
    message = str(caught.value)
    assert "--chat NAME" in message
    for name in ("Alice Martin", "Randonnée du dimanche", "Club photo", "(saved_messages 5550002)"):
        assert name in message
    assert "\n" not in message


def test_full_export_without_chat_offers_each_chat_to_read() -> None:
    doc = _load(FULL)
    with pytest.raises(ChatChoiceNeeded) as caught:
        parse_telegram(doc, source="result.json")
    choices = caught.value.choices
    assert [label for label, _ in choices] == [
        "(saved_messages 5550002)",
        "Alice Martin",
        "Randonnée du dimanche",
        "Club photo",
    ]
    titles = [parse_telegram(doc, source="r", chat=value).title for _, value in choices]
    assert titles == [None, "Alice Martin", "Randonnée du dimanche", "Club photo"]


def test_chats_sharing_a_name_are_offered_by_id() -> None:
    doc = {"chats": {"list": [_chat("Alice", 1, []), _chat("alice", 2, [_msg("hi")])]}}
    with pytest.raises(ChatChoiceNeeded) as caught:
        parse_telegram(doc, source="r.json")
    assert caught.value.choices == (("Alice (1)", "1"), ("alice (2)", "2"))
    assert [m.text for m in parse_telegram(doc, source="r.json", chat="2").messages] == ["hi"]


def test_unknown_chat_lists_the_names() -> None:
    with pytest.raises(ChatImportError, match=r'no chat named "Zoé".*Alice Martin'):
        parse_telegram(_load(FULL), source="result.json", chat="Zoé")


def test_single_chat_export_checks_a_given_name() -> None:
    doc = _load(GROUP)
    assert parse_telegram(doc, source="r.json", chat="week-end À lyon").title == "Week-end à Lyon"
    with pytest.raises(ChatImportError, match="Week-end à Lyon"):
        parse_telegram(doc, source="r.json", chat="Alice")


def test_full_export_with_one_chat_needs_no_name() -> None:
    doc = {"chats": {"list": [_chat("Alice Martin", 1, [_msg("hi")])]}}
    assert parse_telegram(doc, source="r.json").title == "Alice Martin"


def test_two_chats_with_one_name_ask_for_an_id() -> None:
    doc = {"chats": {"list": [_chat("Alice", 1, []), _chat("Alice", 2, [_msg("hi")])]}}
    with pytest.raises(ChatImportError, match="pass --chat with an id: 1, 2"):
        parse_telegram(doc, source="r.json", chat="alice")
    assert [m.text for m in parse_telegram(doc, source="r.json", chat="2").messages] == ["hi"]


def test_long_chat_lists_are_cut_short() -> None:
    doc = {"chats": {"list": [_chat(f"Chat {n}", n, []) for n in range(30)]}}
    with pytest.raises(ChatImportError, match=r"Chat 19 and 10 more$"):
        parse_telegram(doc, source="r.json")


def test_export_without_chats() -> None:
    with pytest.raises(ChatImportError, match="holds no chats"):
        parse_telegram({"about": "x", "chats": {"list": []}}, source="r.json")


def test_date_wins_over_date_unixtime(utc) -> None:
    # The exporter was in Paris: "date" is 09:06 local, the instant is 08:06 UTC.
    message = _msg("hi", date="2023-01-03T09:06:00", date_unixtime="1672733160")
    chat = parse_telegram(_chat("A", 1, [message]), source="r.json")
    assert chat.messages[0].time.isoformat() == "2023-01-03T09:06:00"


def test_date_unixtime_alone_is_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    try:
        chat = parse_telegram(_chat("A", 1, [_msg("hi", date_unixtime=1672733160)]), source="r")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert chat.messages[0].time.isoformat() == "2023-01-03T17:06:00"


def test_edited_unixtime_alone_marks_edited() -> None:
    chat = parse_telegram(_chat("A", 1, [_msg("hi", edited_unixtime="1")]), source="r")
    assert chat.messages[0].edited


DOCS = [_load(GROUP), _load(FULL)]


def test_looks_like_telegram() -> None:
    assert looks_like_telegram(_load(GROUP))
    assert looks_like_telegram(_load(FULL))
    assert looks_like_telegram({"left_chats": {"list": []}})
    messenger = (
        Path(__file__).parent / "fixtures" / "messenger" / "weekend_group" / "message_1.json"
    )
    assert not looks_like_telegram(_load(messenger))
    for other in ({}, [], "text", {"messages": []}, {"chats": []}):
        assert not looks_like_telegram(other)


entity = st.one_of(
    st.text(max_size=8),
    st.builds(
        lambda kind, text: {"type": kind, "text": text},
        st.sampled_from(["bold", "italic", "link", "mention", "text_link", "custom_emoji"]),
        st.text(max_size=8),
    ),
)


@given(st.lists(entity, max_size=8))
def test_entity_lists_concatenate(parts: list) -> None:
    chat = parse_telegram(_chat("A", 1, [_msg(parts)]), source="r.json")
    joined = "".join(p if isinstance(p, str) else p["text"] for p in parts)
    assert chat.messages[0].text == joined.lstrip(INVISIBLE)


@given(st.data())
def test_damaged_exports_raise_only_chat_import_error(data: st.DataObject) -> None:
    doc = data.draw(damaged(data.draw(st.sampled_from(DOCS))))
    name = data.draw(st.none() | st.sampled_from(["Alice Martin", "Club photo", "1790042123"]))
    try:
        parse_telegram(doc, source="result.json", chat=name)
    except ChatImportError as error:
        assert "\n" not in str(error)


def _chat(name: str, chat_id: int, messages: list) -> dict:
    return {"name": name, "type": "personal_chat", "id": chat_id, "messages": messages}


def _msg(text: object, **fields: object) -> dict:
    if "date_unixtime" not in fields:
        fields.setdefault("date", "2023-01-03T09:06:00")
    return {"id": 1, "type": "message", "from": "Alice Martin", "text": text, **fields}
