"""Fuzzing the readers through ``read_export``, as a user's file reaches them: the
project's own fixtures, damaged (cut short, bytes flipped, inserted or dropped, saved
again in another encoding, with a BOM, other line ends, NULs, escapes JSON does not
allow, deep nesting), then handed over as a file, a folder, a zip, a damaged zip or a
password-protected one. Every input gives messages that can be printed and stored, or
the one typed error, in one line.

Deterministic (``derandomize``): the same examples on every run and every host.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpt_is_you.chats import KINDS, Chat, ChatImportError, read_export
from gpt_is_you.chats.jsonload import load_json
from gpt_is_you.chats.summary import summarize
from json_damage import damaged
from zip_making import encrypted_zip, zip_bytes

FIXTURES = Path(__file__).parent / "fixtures"
# (the name the user's file has, the fixture): each reader and layout, small ones.
SEEDS = [
    ("WhatsApp Chat with Bruno Keller.txt", "whatsapp/android_en_gb_24h.txt"),
    ("_chat.txt", "whatsapp/ios_en_gb_24h.txt"),
    ("chat.txt", "whatsapp/android_en_gb_crlf_bom.txt"),
    ("chat.txt", "whatsapp/android_en_us_12h_nnbsp.txt"),
    ("_chat.txt", "whatsapp/ios_en_us_12h.txt"),
    ("chat.txt", "whatsapp/android_de_24h.txt"),
    ("result.json", "telegram/group_result.json"),
    ("result.json", "telegram/full_export.json"),
    ("message_1.json", "messenger/weekend_group/message_1.json"),
    ("message_1.json", "messenger/instagram_dm/message_1.json"),
]
SEED_BYTES = {fixture: (FIXTURES / fixture).read_bytes() for _, fixture in SEEDS}

FUZZ = settings(
    max_examples=1000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def damage(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with one kind of damage done to it."""
    at = draw(st.integers(0, len(raw)))
    kind = draw(
        st.sampled_from(
            [
                "cut",
                "flip",
                "insert",
                "drop",
                "nul",
                "encoding",
                "bom",
                "line ends",
                "escape",
                "nesting",
                "repeat",
            ]
        )
    )
    if kind == "cut":
        return raw[:at]
    if kind == "flip" and raw:
        at = min(at, len(raw) - 1)
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    if kind == "insert":
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    if kind == "drop":
        return raw[:at] + raw[at + draw(st.integers(1, 64)) :]
    if kind == "nul":
        return raw[:at] + b"\x00" * draw(st.integers(1, 4)) + raw[at:]
    if kind == "encoding":
        encoding = draw(
            st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1"])
        )
        return raw.decode("utf-8", "replace").encode(encoding, "replace")
    if kind == "bom":
        return b"\xef\xbb\xbf" + raw
    if kind == "line ends":
        old, new = draw(st.sampled_from([(b"\n", b"\r\n"), (b"\n", b"\r"), (b"\r\n", b"\n")]))
        return raw.replace(old, new)
    if kind == "escape":
        escape = draw(
            st.sampled_from(
                [
                    b"\\ud83d",
                    b"\\ude00",
                    b"\\ud83d\\ude00",
                    b"\\x1F",
                    b"\\u0000",
                    b"\\",
                    b"\\x",
                    b'"',
                ]
            )
        )
        return raw[:at] + escape + raw[at:]
    if kind == "nesting":
        depth = draw(st.sampled_from([10, 1000, 100_000]))
        return raw[:at] + b"[" * depth + b"1" + b"]" * depth + raw[at:]
    # repeat: a stretch written twice, as a copy-paste or a resumed download does
    return raw[:at] + raw[max(0, at - draw(st.integers(1, 200))) :]


@st.composite
def contents(draw: st.DrawFn) -> tuple[str, bytes]:
    """A seed's file name and its bytes, with up to three kinds of damage."""
    name, fixture = draw(st.sampled_from(SEEDS))
    raw = SEED_BYTES[fixture]
    if name.endswith(".json") and draw(st.booleans()):
        # Damage to the structure: a value replaced by random JSON, or a key dropped.
        doc = draw(damaged(load_json(raw, name)))
        raw = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    for _ in range(draw(st.integers(0, 3))):
        raw = draw(damage(raw))
    return name, raw


@st.composite
def handed_over(draw: st.DrawFn) -> tuple[str, dict[str, bytes]]:
    """What the user gives: (the path to read, relative; the files to write there)."""
    name, raw = draw(contents())
    form = draw(
        st.sampled_from(
            ["file", "folder", "zip", "zip in a folder", "damaged zip", "encrypted zip"]
        )
    )
    if form == "file":
        return name, {name: raw}
    if form == "folder":
        return "export", {f"export/{name}": raw, "export/IMG-0001.jpg": b"\xff\xd8\xff\xe0"}
    members = [(name, raw), ("IMG-0001.jpg", b"\xff\xd8\xff\xe0")]
    if form == "encrypted zip":
        return "export.zip", {"export.zip": encrypted_zip(members, b"secret")}
    if form == "zip in a folder":
        members = [(f"Export/{member}", data) for member, data in members]
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    archive = zip_bytes(members, method)
    if form == "damaged zip":
        archive = draw(damage(archive))
    return "export.zip", {"export.zip": archive}


def _check(chat: Chat) -> None:
    """Every string can be encoded (printed, stored, exported), every line parsed."""
    for message in chat.messages:
        assert isinstance(message.time, datetime)
        assert message.sender is None or isinstance(message.sender, str)
        assert isinstance(message.text, str) and isinstance(message.edited, bool)
        assert message.kind in KINDS
        line = message.to_json_line()
        line.encode("utf-8")
        assert json.loads(line) == message.to_json()
    summary = json.dumps(summarize(chat).to_json(), ensure_ascii=False)
    summary.encode("utf-8")
    str(chat.title).encode("utf-8")


def _read(path: Path) -> None:
    try:
        chat = read_export(path)
    except ChatImportError as e:
        line = str(e)
        assert line.startswith(f"{path}: ") and len(line.splitlines()) == 1, line
        line.encode("utf-8")
        return
    _check(chat)


@FUZZ
@given(handed_over())
def test_damaged_exports_give_messages_or_the_typed_error(given: tuple[str, dict[str, bytes]]):
    target, files = given
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_bytes(data)
        _read(Path(folder) / target)


@settings(FUZZ, max_examples=500)
@given(st.binary(max_size=600), st.sampled_from(["chat.txt", "result.json", "x.zip"]))
def test_any_bytes_give_messages_or_the_typed_error(raw: bytes, name: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(raw)
        _read(path)
