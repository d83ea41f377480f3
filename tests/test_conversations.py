"""Conversations in the store, without any UI: listing, replies replaced, Markdown export."""

from __future__ import annotations

import sqlite3

import pytest

from gpt_is_you.store import conversations as conv
from gpt_is_you.store import jobs, schema
from gpt_is_you.store.conversations import ChatLine, Persona

PERSONA = Persona("Sam Okafor", "Robin Hale", "You are Sam.", False)


@pytest.fixture
def db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(db)
    return db


def test_lines_from_before_the_stopped_mark_read_as_not_stopped():
    db = sqlite3.connect(":memory:", isolation_level=None)
    for version, step in enumerate(schema.MIGRATIONS[:2]):
        db.executescript(f"BEGIN;\n{step}\nPRAGMA user_version = {version + 1};\nCOMMIT;")
    db.execute("INSERT INTO conversations (title, created_at) VALUES ('hi', '2024-01-13T09:00:00')")
    db.execute(
        "INSERT INTO conversation_messages (conversation_id, role, content, time) "
        "VALUES (1, 'user', 'hi', '2024-01-13T09:00:00')"
    )
    schema.migrate(db)
    assert conv.lines(db, 1) == [ChatLine("user", "hi", "2024-01-13T09:00:00", False)]


def test_conversations_are_listed_latest_first_with_their_counts(db):
    first = conv.start(db, "first", None, time="2024-01-13T09:00:00")
    conv.add(db, first, conv.USER, "hi", time="2024-01-13T09:00:00")
    conv.add(db, first, conv.ASSISTANT, "yo\nsure", time="2024-01-13T09:00:05")
    second = conv.start(db, "second " + "x" * 100, None, time="2024-01-13T10:00:00")
    empty = conv.start(db, "empty", None, time="2024-01-12T08:00:00")
    listed = conv.list_conversations(db)
    assert [(c.id, c.lines) for c in listed] == [(second, 0), (first, 2), (empty, 0)]
    assert listed[1].last_time == "2024-01-13T09:00:05"
    assert len(listed[0].title) == 80
    # A new line moves its conversation up.
    conv.add(db, first, conv.USER, "again", time="2024-01-13T11:00:00")
    assert conv.list_conversations(db)[0].id == first


def test_a_regenerated_reply_replaces_the_last_one_or_answers_the_last_message(db):
    c = conv.start(db, "hi", None)
    conv.add(db, c, conv.USER, "hi", time="2024-01-13T09:00:00")
    conv.set_reply(db, c, "first try", time="2024-01-13T09:00:01", stopped=True)
    assert conv.lines(db, c)[-1] == ChatLine("assistant", "first try", "2024-01-13T09:00:01", True)
    conv.set_reply(db, c, "yo\nsure", time="2024-01-13T09:00:02")
    assert conv.lines(db, c) == [
        ChatLine("user", "hi", "2024-01-13T09:00:00"),
        ChatLine("assistant", "yo\nsure", "2024-01-13T09:00:02"),
    ]


def test_chat_job_is_the_latest_finished_training(db):
    assert conv.chat_job(db) is None
    done = jobs.create_job(db, backend="local", base_model="default", settings={})
    jobs.set_state(db, done, jobs.SUCCEEDED)
    failed = jobs.create_job(db, backend="local", base_model="default", settings={})
    jobs.set_state(db, failed, jobs.FAILED)
    assert conv.chat_job(db).id == done


def test_bubbles_split_a_message():
    assert conv.bubbles("yo\nsure") == ["yo", "sure"]
    assert conv.bubbles("  one \n\n two\n") == ["one", "two"]
    assert conv.bubbles("") == []


def test_markdown_names_the_model_and_shows_each_bubble():
    history = [
        ChatLine("user", "hey", "2024-01-13T09:00:00"),
        ChatLine("assistant", "yo\nsure", "2024-01-13T09:00:05"),
        ChatLine("user", "tell me more", "2024-01-13T09:01:00"),
        ChatLine("assistant", "well", "2024-01-13T09:01:02", stopped=True),
    ]
    text = conv.to_markdown(PERSONA, "hey", history)
    assert text == (
        "# hey\n"
        "\n"
        "A conversation with a model trained on Sam Okafor's messages; "
        "the replies were written by the model, not by Sam Okafor.\n"
        "\n**You** · 2024-01-13 09:00\n\nhey\n"
        "\n**Sam Okafor (model)** · 2024-01-13 09:00\n\nyo\n\nsure\n"
        "\n**You** · 2024-01-13 09:01\n\ntell me more\n"
        "\n**Sam Okafor (model)** · 2024-01-13 09:01\n\nwell\n\n_(stopped)_\n"
    )
