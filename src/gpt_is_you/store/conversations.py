"""Conversations with a trained model, kept in the model's store.

A conversation is a title and its lines: the user's messages and the persona's replies,
each reply its bubbles joined by newlines (as the dataset joins a turn's bubbles). The
terminal chat and the app's chat both read and write them here.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from gpt_is_you.store.jobs import SUCCEEDED, Job, now, read_job

USER = "user"
ASSISTANT = "assistant"


@dataclass(frozen=True)
class ChatLine:
    role: str  # USER or ASSISTANT
    content: str  # an assistant reply's bubbles joined by newlines, as in the dataset
    time: str
    stopped: bool = False  # the user stopped the reply; content is what it had written


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: str
    job_id: int | None  # the training job whose model answered
    lines: int
    last_time: str  # of its latest line (its creation when it has none)


@dataclass(frozen=True)
class Persona:
    """What a chat with the model needs to know about the person it imitates."""

    name: str
    me: str | None
    system: str  # the system prompt the model was trained with
    group: bool  # several other people: the user's turns carry a name


@dataclass(frozen=True)
class ReadyPrompt:
    title: str
    text: str


# Prompts to start from. The first three are the original recipe's: after training on one
# person's replies, ask the model about the one who wrote the prompts, about what the
# chats were about, and a question out of the blue to hear the voice.
READY_PROMPTS: tuple[ReadyPrompt, ...] = (
    ReadyPrompt(
        "Personality of the prompt writer",
        "Describe the personality of the person who wrote the messages you answer: "
        "how they write, what they care about, what they are like.",
    ),
    ReadyPrompt(
        "Topics of our conversations",
        "What do we usually talk about? List the topics of our conversations, "
        "the most frequent first.",
    ),
    ReadyPrompt("A cold question", "hey, random question: what's your favourite food?"),
    ReadyPrompt("Plans", "what are you up to this weekend?"),
    ReadyPrompt("Advice", "I can't decide whether to take the new job. what would you do?"),
)


def read_persona(db: sqlite3.Connection) -> Persona:
    row = db.execute("SELECT body FROM examples ORDER BY id LIMIT 1").fetchone()
    body = json.loads(row[0]) if row else {"system": "", "group": False}
    values = dict(db.execute("SELECT key, value FROM settings WHERE key IN ('persona', 'me')"))
    me = json.loads(values["me"]) if "me" in values else None
    return Persona(json.loads(values["persona"]), me, body["system"], body["group"])


def chat_job(db: sqlite3.Connection) -> Job | None:
    """The job whose model a chat talks to: the latest that finished training."""
    row = db.execute(
        "SELECT id FROM jobs WHERE state = ? ORDER BY id DESC LIMIT 1", (SUCCEEDED,)
    ).fetchone()
    return None if row is None else read_job(db, row[0])


def list_conversations(db: sqlite3.Connection) -> list[Conversation]:
    """Every conversation, the one with the latest line first."""
    rows = db.execute(
        "SELECT c.id, c.title, c.created_at, c.job_id, count(m.id), "
        "coalesce(max(m.time), c.created_at) AS last "
        "FROM conversations c LEFT JOIN conversation_messages m ON m.conversation_id = c.id "
        "GROUP BY c.id ORDER BY last DESC, c.id DESC"
    )
    return [Conversation(*row) for row in rows]


def start(
    db: sqlite3.Connection, title: str, job_id: int | None, *, time: str | None = None
) -> int:
    return db.execute(
        "INSERT INTO conversations (title, created_at, job_id) VALUES (?, ?, ?)",
        (title[:80], time or now(), job_id),
    ).lastrowid


def add(
    db: sqlite3.Connection,
    conversation: int,
    role: str,
    content: str,
    *,
    time: str | None = None,
    stopped: bool = False,
) -> None:
    db.execute(
        "INSERT INTO conversation_messages (conversation_id, role, content, time, stopped) "
        "VALUES (?, ?, ?, ?, ?)",
        (conversation, role, content, time or now(), stopped),
    )


def set_reply(
    db: sqlite3.Connection,
    conversation: int,
    content: str,
    *,
    time: str | None = None,
    stopped: bool = False,
) -> None:
    """The reply to the conversation's last message: added after the user's message, or
    in place of the reply already there (a reply written again)."""
    last = db.execute(
        "SELECT id, role FROM conversation_messages WHERE conversation_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (conversation,),
    ).fetchone()
    if last is None or last[1] != ASSISTANT:
        add(db, conversation, ASSISTANT, content, time=time, stopped=stopped)
        return
    db.execute(
        "UPDATE conversation_messages SET content = ?, time = ?, stopped = ? WHERE id = ?",
        (content, time or now(), stopped, last[0]),
    )


def lines(db: sqlite3.Connection, conversation: int) -> list[ChatLine]:
    rows = db.execute(
        "SELECT role, content, time, stopped FROM conversation_messages "
        "WHERE conversation_id = ? ORDER BY id",
        (conversation,),
    )
    return [ChatLine(role, content, time, bool(stopped)) for role, content, time, stopped in rows]


def title(db: sqlite3.Connection, conversation: int) -> str:
    row = db.execute("SELECT title FROM conversations WHERE id = ?", (conversation,)).fetchone()
    return row[0] if row else ""


def chat_messages(persona: Persona, history: list[ChatLine]) -> list[dict[str, object]]:
    """The conversation as the model was trained to read it (OpenAI chat format)."""
    messages: list[dict[str, object]] = [{"role": "system", "content": persona.system}]
    for line in history:
        content = line.content
        if line.role == USER and persona.group:
            content = f"{persona.me or 'Me'}: {content}"
        messages.append({"role": line.role, "content": content})
    return messages


def bubbles(reply: str) -> list[str]:
    """A message split back into bubbles, as the dataset joined a turn's bubbles."""
    return [line.strip() for line in reply.split("\n") if line.strip()]


def to_markdown(persona: Persona, title: str, history: list[ChatLine]) -> str:
    """A conversation as a Markdown document: who said what and when, one paragraph per
    bubble, the model named as a model."""
    out = [
        f"# {title}",
        "",
        f"A conversation with a model trained on {persona.name}'s messages; "
        f"the replies were written by the model, not by {persona.name}.",
    ]
    for line in history:
        who = "You" if line.role == USER else f"{persona.name} (model)"
        out += ["", f"**{who}** · {line.time.replace('T', ' ')[:16]}", ""]
        parts = bubbles(line.content) or ["_(no reply)_"]
        out.append("\n\n".join(parts))
        if line.stopped:
            out += ["", "_(stopped)_"]
    return "\n".join(out) + "\n"
