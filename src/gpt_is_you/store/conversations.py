"""Conversations with a trained model, kept in the model's store."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from gpt_is_you.store.jobs import now


@dataclass(frozen=True)
class ChatLine:
    role: str  # "user" or "assistant"
    content: str  # an assistant reply's bubbles joined by newlines, as in the dataset
    time: str


@dataclass(frozen=True)
class Persona:
    """What a chat with the model needs to know about the person it imitates."""

    name: str
    me: str | None
    system: str  # the system prompt the model was trained with
    group: bool  # several other people: the user's turns carry a name


def read_persona(db: sqlite3.Connection) -> Persona:
    row = db.execute("SELECT body FROM examples ORDER BY id LIMIT 1").fetchone()
    body = json.loads(row[0]) if row else {"system": "", "group": False}
    values = dict(db.execute("SELECT key, value FROM settings WHERE key IN ('persona', 'me')"))
    me = json.loads(values["me"]) if "me" in values else None
    return Persona(json.loads(values["persona"]), me, body["system"], body["group"])


def start(db: sqlite3.Connection, title: str, job_id: int | None) -> int:
    return db.execute(
        "INSERT INTO conversations (title, created_at, job_id) VALUES (?, ?, ?)",
        (title[:80], now(), job_id),
    ).lastrowid


def add(db: sqlite3.Connection, conversation: int, role: str, content: str) -> None:
    db.execute(
        "INSERT INTO conversation_messages (conversation_id, role, content, time) "
        "VALUES (?, ?, ?, ?)",
        (conversation, role, content, now()),
    )


def lines(db: sqlite3.Connection, conversation: int) -> list[ChatLine]:
    rows = db.execute(
        "SELECT role, content, time FROM conversation_messages WHERE conversation_id = ? "
        "ORDER BY id",
        (conversation,),
    )
    return [ChatLine(*row) for row in rows]


def chat_messages(persona: Persona, history: list[ChatLine]) -> list[dict[str, object]]:
    """The conversation as the model was trained to read it (OpenAI chat format)."""
    messages: list[dict[str, object]] = [{"role": "system", "content": persona.system}]
    for line in history:
        content = line.content
        if line.role == "user" and persona.group:
            content = f"{persona.me or 'Me'}: {content}"
        messages.append({"role": line.role, "content": content})
    return messages
