"""WhatsApp exports (Android and iOS, many locales) read into DESIGN.md's normalized messages.

Each ``tests/fixtures/whatsapp/<case>.txt`` is a synthetic export (invented people,
numbers from the ranges reserved for fiction) written byte for byte as phones write
them: direction marks, no-break spaces, BOMs, CRLF, missing final newlines.
``<case>.jsonl`` is the expected output, written from what the export means, and an
optional ``<case>.json`` holds reader options such as ``{"date_order": "mdy"}``, and for
exports whose dates have no year the day they are read on: ``{"today": "2024-06-30"}``.

The zip tests pack the same fixtures the way phones share them: iOS as ``_chat.txt``
next to the media files, Android as ``WhatsApp Chat with X.txt`` under its localized
names. Every packing must read to exactly the messages of the plain ``.txt``.
"""

from __future__ import annotations

import difflib
import json
import random
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from gpt_is_you.chats import read_export, whatsapp

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
CASES = sorted(p.stem for p in FIXTURES.glob("*.txt"))
KEYS = ["time", "sender", "text", "kind", "edited"]


def expected_messages(case: str) -> list[dict]:
    lines = (FIXTURES / f"{case}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def reader_options(case: str) -> dict:
    path = FIXTURES / f"{case}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def read_messages(path: Path, **options) -> list[dict]:
    chat = read_export(path, **options)
    return [message.to_json() for message in chat.messages]


def read_fixture(path: Path, case: str, monkeypatch: pytest.MonkeyPatch):
    """The Chat of fixture ``case`` (at ``path``, possibly packed), read with its options."""
    options = reader_options(case)
    today = options.pop("today", None)
    if today:
        # Dates without a year are counted back from today: the day the fixture means.
        monkeypatch.setattr(whatsapp, "_today", lambda: date.fromisoformat(today))
    return read_export(path, **options)


def _show(message: dict) -> str:
    # ensure_ascii turns every invisible mark and no-break space into a visible \uXXXX
    return json.dumps(message, ensure_ascii=True)


def assert_same_messages(got: list[dict], want: list[dict], label: str) -> None:
    """Fail with a readable, message-by-message account of what differs."""
    if got == want:
        return
    report = [f"{label}: {len(got)} messages read, {len(want)} expected"]
    if len(got) == len(want):
        shown = 0
        for i, (g, w) in enumerate(zip(got, want, strict=True), start=1):
            if g == w:
                continue
            fields = [k for k in KEYS if g.get(k) != w.get(k)] or sorted(set(g) ^ set(w))
            report.append(f"message {i}: {', '.join(fields)} differ")
            report.append(f"  expected {_show(w)}")
            report.append(f"  got      {_show(g)}")
            shown += 1
            if shown == 12:
                rest = sum(1 for a, b in zip(got, want, strict=True) if a != b) - shown
                report.append(f"... and {rest} more differing messages")
                break
    else:
        diff = difflib.unified_diff(
            [_show(m) for m in want],
            [_show(m) for m in got],
            "expected",
            "got",
            lineterm="",
            n=1,
        )
        lines = list(diff)
        report.extend(lines[:120])
        if len(lines) > 120:
            report.append(f"... {len(lines) - 120} more diff lines")
    pytest.fail("\n".join(report), pytrace=False)


# --------------------------------------------------------------------------- plain .txt


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    want = expected_messages(case)
    chat = read_fixture(FIXTURES / f"{case}.txt", case, monkeypatch)
    assert_same_messages([m.to_json() for m in chat.messages], want, case)


def test_every_fixture_has_its_expected_output() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        want = expected_messages(case)
        assert want, case
        assert all(list(m) == KEYS for m in want), case


def test_large_cases_start_with_weeks_of_ambiguous_dates() -> None:
    """The big cases only prove inference from the whole file if their start is ambiguous."""
    head = re.compile(r"^\u200e?\[?(\d{1,2})/(\d{1,2})/\d{2,4}")
    for case in ("android_large_dmy", "ios_large_mdy"):
        text = (FIXTURES / f"{case}.txt").read_text(encoding="utf-8-sig")
        pairs = [
            (int(m.group(1)), int(m.group(2)))
            for m in (head.match(line) for line in text.splitlines())
            if m
        ]
        assert len(pairs) >= 300, case
        first_unambiguous = next(i for i, (a, b) in enumerate(pairs) if max(a, b) > 12)
        assert first_unambiguous >= 0.6 * len(pairs), (case, first_unambiguous, len(pairs))


# --------------------------------------------------------------------------- zips

# What the media files named in the exports are called, per layout.
ANDROID_ATTACHED = re.compile(
    r" - [^:\r\n]+: (\S[^\r\n]*?\.[A-Za-z0-9]{2,4}) \([^()\r\n]+\)\r?$", re.M
)
IOS_ATTACHED = re.compile(r"<[^<>:\r\n]+ ?: ([^<>\r\n]+\.[A-Za-z0-9]{2,4})>")


def fake_media(names: list[str], seed: str) -> dict[str, bytes]:
    rng = random.Random(seed)
    return {name: bytes(rng.randrange(256) for _ in range(rng.randint(16, 64))) for name in names}


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


IOS_ZIPS = [
    # (case, chat name)
    ("ios_en_gb_24h", "Trip"),
    ("ios_de_24h", "Reise"),
    ("ios_fr_24h", "Bruno Keller"),
    ("ios_en_us_12h_nnbsp", "Sam"),
]


@pytest.mark.parametrize(("case", "chat_name"), IOS_ZIPS)
def test_ios_zip(tmp_path: Path, case: str, chat_name: str) -> None:
    raw = (FIXTURES / f"{case}.txt").read_bytes()
    names = IOS_ATTACHED.findall(raw.decode("utf-8"))
    media = fake_media(names, case)
    if case == "ios_en_gb_24h":
        assert "00000012-PHOTO-2023-01-03-09-06-00.jpg" in media
    # one media file before the chat, the rest after: the reader must look for _chat.txt
    members = list(media.items())
    members = [*members[:1], ("_chat.txt", raw), *members[1:]]
    zipped = write_zip(tmp_path / f"WhatsApp Chat - {chat_name}.zip", members)
    got = read_messages(zipped, **reader_options(case))
    assert_same_messages(got, expected_messages(case), f"{case} as {zipped.name}")


ANDROID_ZIPS = [
    # (case, localized "WhatsApp Chat with" prefix, chat name)
    ("android_en_gb_24h", "WhatsApp Chat with", "Bruno Keller"),
    ("android_en_gb_crlf_bom", "WhatsApp Chat with", "Book club"),
    ("android_de_24h", "WhatsApp Chat mit", "Reise"),
    ("android_fr_24h", "Discussion WhatsApp avec", "Voyage"),
    ("android_es_12h", "Chat de WhatsApp con", "Viaje"),
    ("android_pt_br_24h", "Conversa do WhatsApp com", "Viagem"),
    ("android_it_24h", "Chat WhatsApp con", "Viaggio"),
    ("android_nl_24h", "WhatsApp-chat met", "Reis"),
]


@pytest.mark.parametrize(("case", "prefix", "chat_name"), ANDROID_ZIPS)
def test_android_zip(tmp_path: Path, case: str, prefix: str, chat_name: str) -> None:
    raw = (FIXTURES / f"{case}.txt").read_bytes()
    names = ANDROID_ATTACHED.findall(raw.decode("utf-8-sig"))
    if case == "android_en_gb_24h":
        assert "IMG-20230314-WA0003.jpg" in names and "Seed order March.pdf" in names
    media = fake_media(names, case)
    members = [(f"{prefix} {chat_name}.txt", raw), *media.items()]
    zipped = write_zip(tmp_path / f"{prefix} {chat_name}.zip", members)
    got = read_messages(zipped, **reader_options(case))
    assert_same_messages(got, expected_messages(case), f"{case} as {zipped.name}")


@pytest.mark.parametrize(("case", "prefix", "chat_name"), ANDROID_ZIPS)
def test_android_txt_with_localized_name(
    tmp_path: Path, case: str, prefix: str, chat_name: str
) -> None:
    renamed = tmp_path / f"{prefix} {chat_name}.txt"
    shutil.copyfile(FIXTURES / f"{case}.txt", renamed)
    got = read_messages(renamed, **reader_options(case))
    assert_same_messages(got, expected_messages(case), f"{case} as {renamed.name}")


@pytest.mark.parametrize("case", ["ios_en_gb_24h", "ios_en_us_12h_nnbsp", "ios_de_24h"])
def test_ios_chat_txt_unzipped(tmp_path: Path, case: str) -> None:
    """People unzip the iOS export and hand over _chat.txt itself (its first byte is "[")."""
    unzipped = tmp_path / "_chat.txt"
    shutil.copyfile(FIXTURES / f"{case}.txt", unzipped)
    got = read_messages(unzipped, **reader_options(case))
    assert_same_messages(got, expected_messages(case), f"{case} as {unzipped.name}")
