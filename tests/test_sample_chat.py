"""The bundled sample chat (src/gpt_is_you/sample/, package data): a synthetic iOS export
that reads cleanly, has two clearly different voices, and is exactly what its generator
(scripts/make_sample_chat.py) writes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from conftest import SAMPLE
from gpt_is_you.chats import DELETED, MEDIA, SYSTEM, TEXT, Chat, read_export

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "make_sample_chat.py"
SAM = "Sam Okafor"
ROBIN = "Robin Hale"
EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]")


@pytest.fixture(scope="module")
def chat() -> Chat:
    return read_export(SAMPLE)


def texts(chat: Chat, sender: str) -> list[str]:
    return [m.text for m in chat.messages if m.sender == sender and m.kind == TEXT]


def test_reads_cleanly_as_a_large_ios_export(chat: Chat) -> None:
    assert chat.format == "whatsapp-ios"
    assert chat.warnings == ()
    assert len(chat.messages) >= 3000
    senders = {m.sender for m in chat.messages if m.sender is not None}
    assert senders == {SAM, ROBIN}
    span = chat.messages[-1].time - chat.messages[0].time
    assert span.days >= 120
    times = [m.time for m in chat.messages]
    assert times == sorted(times)


def test_opens_with_the_encryption_notice(chat: Chat) -> None:
    first = chat.messages[0]
    assert first.kind == SYSTEM
    assert first.sender is None
    assert first.text.startswith("Messages and calls are end-to-end encrypted.")
    # and the file carries it by the chat's name, the other person's, after U+200E
    line = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[0]
    assert f"] {SAM}: \u200eMessages and calls are end-to-end encrypted." in line


def test_every_kind_is_there(chat: Chat) -> None:
    kinds = Counter(m.kind for m in chat.messages)
    assert kinds[TEXT] > 3000
    assert kinds[MEDIA] >= 20
    assert kinds[DELETED] >= 3
    assert kinds[SYSTEM] >= 3  # the encryption notice and missed calls
    assert sum(m.edited for m in chat.messages) >= 3
    assert sum("\n" in m.text for m in chat.messages) >= 3  # multi-line messages
    missed = [m for m in chat.messages if m.kind == SYSTEM and "Missed" in m.text]
    assert missed and all(m.sender is None for m in missed)


def test_no_invisible_marks_leak_into_texts(chat: Chat) -> None:
    for m in chat.messages:
        assert "\u200e" not in m.text
        assert "This message was edited" not in m.text


def test_sam_writes_short_lowercase_and_with_emoji(chat: Chat) -> None:
    sam = texts(chat, SAM)
    lowercase = sum(t == t.lower() for t in sam) / len(sam)
    with_emoji = sum(bool(EMOJI.search(t)) for t in sam) / len(sam)
    full_stops = sum(t.rstrip().endswith(".") for t in sam) / len(sam)
    assert lowercase >= 0.8
    assert with_emoji >= 0.3
    assert full_stops < 0.01


def test_robin_writes_long_punctuated_sentences(chat: Chat) -> None:
    sam = texts(chat, SAM)
    robin = texts(chat, ROBIN)
    mean_sam = sum(map(len, sam)) / len(sam)
    mean_robin = sum(map(len, robin)) / len(robin)
    assert mean_robin >= 3 * mean_sam
    punctuated = sum(t.rstrip(" )\"'").endswith((".", "!", "?")) for t in robin) / len(robin)
    assert punctuated >= 0.8
    capitalised = sum(t[0].isupper() for t in robin) / len(robin)
    assert capitalised >= 0.95
    with_emoji = sum(bool(EMOJI.search(t)) for t in robin) / len(robin)
    assert with_emoji < 0.1


def test_sam_sends_bursts_and_robin_one_long_bubble(chat: Chat) -> None:
    runs: dict[str, list[int]] = {SAM: [], ROBIN: []}
    previous, length = None, 0
    for m in chat.messages:
        if m.sender == previous:
            length += 1
            continue
        if previous in runs:
            runs[previous].append(length)
        previous, length = m.sender, 1
    mean = {who: sum(r) / len(r) for who, r in runs.items()}
    assert mean[SAM] > 1.4
    assert mean[ROBIN] < 1.2


def test_conversations_come_in_sessions(chat: Chat) -> None:
    """A few hundred sessions, separated by hours to days, nearly all with both people in
    them (what the dataset builder turns into one example each)."""
    sessions: list[set[str | None]] = [set()]
    long_gaps = 0
    for a, b in pairwise(chat.messages):
        gap = b.time - a.time
        if gap > timedelta(hours=6):
            sessions.append(set())
        long_gaps += gap > timedelta(days=1)
        sessions[-1].add(b.sender)
    assert len(sessions) >= 200
    assert long_gaps >= 10
    both = sum({SAM, ROBIN} <= people for people in sessions)
    assert both >= 0.9 * len(sessions)


def test_few_exact_duplicates(chat: Chat) -> None:
    all_texts = [m.text for m in chat.messages if m.kind == TEXT]
    duplicates = len(all_texts) - len(set(all_texts))
    assert duplicates / len(all_texts) <= 0.05


def test_generator_is_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "sample_chat.txt"
    subprocess.run([sys.executable, str(GENERATOR), str(out)], check=True, timeout=120)
    assert out.read_bytes() == SAMPLE.read_bytes()
