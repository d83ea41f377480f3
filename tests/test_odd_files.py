"""Odd files a user may hand over: each is read, or refused in one line (exit status 2),
and never crashes, hangs or fills the memory (issue 13).
"""

from __future__ import annotations

import codecs
import io
import json
import os
import socket
import sys
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from gpt_is_you.chats import ChatImportError, detect, read_export
from gpt_is_you.cli import main
from zip_making import declare_size, encrypted_zip, zip_bytes

FIXTURES = Path(__file__).parent / "fixtures"
WHATSAPP = FIXTURES / "whatsapp" / "android_en_gb_24h.txt"
IOS = FIXTURES / "whatsapp" / "ios_en_gb_24h.txt"
TELEGRAM = FIXTURES / "telegram" / "group_result.json"
MESSENGER = FIXTURES / "messenger" / "weekend_group"


def _messages(path: Path) -> list[dict]:
    return [m.to_json() for m in read_export(path).messages]


def _refused(capsys, path: Path, *words: str) -> str:
    """``parse PATH`` exits 2 with one line naming ``path``, writing nothing."""
    before = sorted(path.parent.iterdir())
    assert main(["parse", str(path), "--jsonl"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"gpt-is-you: {path}: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err
    assert sorted(path.parent.iterdir()) == before
    return err


def _within(seconds: float, read) -> object:
    """``read()``'s result, failing (not hanging) if it blocks: a reader stuck on a
    pipe or a device stays stuck in its thread, which is a daemon."""
    result: list[object] = []

    def run() -> None:
        try:
            result.append(read())
        except BaseException as e:  # handed to the test's thread
            result.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"still reading after {seconds} s"
    return result[0]


# ----------------------------------------------------------------- not regular files

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@needs_fifo
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, capsys):
    pipe = tmp_path / "WhatsApp Chat with Bruno.txt"
    os.mkfifo(pipe)
    err = _within(30, lambda: _refused(capsys, pipe, "not a regular file (a named pipe)"))
    assert "give the exported .txt, .zip or .json" in err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_before_it_is_read(device):
    # /dev/zero never ends: read whole, it would fill the memory.
    error = _within(30, lambda: read_export(device))
    assert isinstance(error, ChatImportError)
    assert str(error) == (
        f"{device}: not a regular file (a device); give the exported .txt, .zip or .json"
    )


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(ChatImportError, match=r"not a regular file \(a socket\)"):
            read_export(path)


@needs_fifo
def test_a_folder_skips_pipes_named_like_an_export(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    os.mkfifo(folder / "_chat.txt")
    error = _within(30, lambda: read_export(folder))
    assert str(error).startswith(f"{folder}: a folder with no chat export in it")
    (folder / "WhatsApp Chat with Bruno.txt").write_bytes(WHATSAPP.read_bytes())
    assert _within(30, lambda: _messages(folder)) == _messages(WHATSAPP)


@needs_fifo
def test_messenger_parts_skip_a_pipe_and_refuse_one_given(tmp_path):
    for part in MESSENGER.glob("message_*.json"):
        (tmp_path / part.name).write_bytes(part.read_bytes())
    os.mkfifo(tmp_path / "message_3.json")
    first = _within(30, lambda: _messages(tmp_path / "message_1.json"))
    assert first == _messages(MESSENGER / "message_1.json")
    error = _within(30, lambda: read_export(tmp_path / "message_3.json"))
    assert "not a regular file (a named pipe)" in str(error)


def test_a_symlink_loop_is_one_line(tmp_path, capsys):
    loop = tmp_path / "chat.txt"
    loop.symlink_to(loop)
    _refused(capsys, loop, "cannot be read")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_a_file_that_may_not_be_read_is_named(tmp_path, capsys):
    folder = tmp_path / "export"
    folder.mkdir()
    secret = folder / "_chat.txt"
    secret.write_bytes(WHATSAPP.read_bytes())
    secret.chmod(0)
    with pytest.raises(ChatImportError) as caught:
        read_export(folder)
    assert str(caught.value) == f"{secret}: cannot be read (Permission denied)"


def test_folders_named_like_files_are_read_as_folders(tmp_path):
    named = tmp_path / "WhatsApp Chat with Bruno.zip"
    (named / "_chat.txt").mkdir(parents=True)  # a folder, where a file was expected
    with pytest.raises(ChatImportError, match="a folder with no chat export in it"):
        read_export(named)
    (named / "WhatsApp Chat with Bruno.txt").write_bytes(WHATSAPP.read_bytes())
    assert _messages(named) == _messages(WHATSAPP)


def test_a_file_larger_than_any_export_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(detect, "MAX_BYTES", 1000)
    path = tmp_path / "chat.txt"
    path.write_bytes(WHATSAPP.read_bytes())
    with pytest.raises(ChatImportError, match="more than any chat export") as caught:
        read_export(path)
    assert str(caught.value).startswith(f"{path}: ")


# ------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16", b""),  # with the machine's byte order and its mark
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32", b""),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8-sig", b""),
    ],
)
@pytest.mark.parametrize("export", [WHATSAPP, IOS, TELEGRAM], ids=lambda p: p.stem)
def test_text_saved_again_as_utf16_or_utf32_is_read(tmp_path, encoding, bom, export):
    """An editor can save the export again as UTF-16 or UTF-32, with a byte-order mark
    or, for UTF-16, without one."""
    path = tmp_path / export.name
    path.write_bytes(bom + export.read_text(encoding="utf-8").encode(encoding))
    assert _messages(path) == _messages(export)


def test_utf16_inside_a_zip_is_read(tmp_path):
    text = WHATSAPP.read_text(encoding="utf-8")
    path = tmp_path / "WhatsApp Chat with Bruno.zip"
    path.write_bytes(zip_bytes([("WhatsApp Chat with Bruno.txt", text.encode("utf-16"))]))
    assert _messages(path) == _messages(WHATSAPP)


def test_damaged_utf16_is_one_line(tmp_path, capsys):
    path = tmp_path / "chat.txt"
    # A high surrogate with no low half after it: not UTF-16.
    path.write_bytes(WHATSAPP.read_text(encoding="utf-8")[:200].encode("utf-16") + b"\x3d\xd8")
    _refused(capsys, path, "UTF-16 text damaged at byte", "export it again")


def test_text_in_a_legacy_code_page_is_refused_as_not_utf8(tmp_path, capsys):
    """WhatsApp writes only UTF-8; a file saved again as cp1252 is refused rather than
    guessed at (any byte is some cp1252 character, so a wrong guess goes unnoticed)."""
    path = tmp_path / "chat.txt"
    text = (FIXTURES / "whatsapp" / "android_fr_24h.txt").read_text(encoding="utf-8")
    path.write_bytes(text.encode("cp1252", "replace"))
    _refused(capsys, path, "not UTF-8")


def test_file_names_that_are_not_utf8_are_shown_and_stored(tmp_path, capsys, home):
    if sys.platform in ("darwin", "win32"):
        pytest.skip("file names here are always Unicode")
    path = Path(os.fsdecode(bytes(tmp_path) + b"/WhatsApp Chat with Bruno\xff.txt"))
    path.write_bytes(WHATSAPP.read_bytes())
    assert main(["parse", str(path)]) == 0
    assert "Bruno\ufffd" in capsys.readouterr().out
    args = ["new", "bruno", "--from", str(path), "--persona", "Alice Martin", "--yes"]
    assert main(args) == 0, capsys.readouterr().err
    assert main(["models"]) == 0
    assert "WhatsApp Chat with Bruno\ufffd.txt" in capsys.readouterr().out


# ----------------------------------------------------------------------- surrogates


def _with_lone_surrogates(tmp_path: Path) -> Path:
    """The Telegram fixture with halves of emoji in a name, a text and the title."""
    text = TELEGRAM.read_text(encoding="utf-8")
    text = text.replace("Bruno Keller", "Bruno \\ud83dKeller")
    text = text.replace("Salut ! On part vendredi ?", "Salut \\ude00! On part vendredi ?")
    text = text.replace('"name": "Week-end à Lyon"', '"name": "Week-end \\ud83d"')
    path = tmp_path / "result.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_lone_surrogates_are_replaced_in_jsonl(tmp_path, capsys):
    assert main(["parse", str(_with_lone_surrogates(tmp_path)), "--jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "Salut \ufffd! On part vendredi ?" in [m["text"] for m in lines]
    assert "Bruno \ufffdKeller" in [m["sender"] for m in lines]


@pytest.mark.parametrize("form", [[], ["--json"]])
def test_lone_surrogates_are_replaced_in_the_summary(tmp_path, capsys, form):
    assert main(["parse", str(_with_lone_surrogates(tmp_path)), *form]) == 0
    out = capsys.readouterr().out
    assert "Bruno \ufffdKeller" in out and "Week-end \ufffd" in out


def test_lone_surrogates_are_stored_by_new(tmp_path, capsys, home):
    export = _with_lone_surrogates(tmp_path)
    args = ["new", "lyon", "--from", str(export), "--persona", "Alice Martin", "--yes"]
    assert main(args) == 0, capsys.readouterr().err
    assert main(["examples", "lyon", "--jsonl"]) == 0
    assert "Bruno \ufffdKeller" in capsys.readouterr().out


def test_lone_surrogates_in_messenger_names(tmp_path, capsys):
    text = (MESSENGER / "message_1.json").read_text(encoding="utf-8")
    assert '"sender_name": "Bruno Keller"' in text
    path = tmp_path / "message_1.json"
    path.write_text(text.replace("Bruno Keller", "Bruno \\udc00Keller"), encoding="utf-8")
    assert main(["parse", str(path)]) == 0
    assert "Bruno \ufffdKeller" in capsys.readouterr().out


def test_whatsapp_text_never_carries_a_surrogate(tmp_path, capsys):
    """WhatsApp text is decoded from UTF-8 strictly: the bytes of half a surrogate pair
    (as CESU-8 writes an emoji) are not UTF-8, and the file is refused."""
    path = tmp_path / "chat.txt"
    path.write_bytes(b"12/01/2023, 09:00 - Alice: hi \xed\xa0\xbd\n12/01/2023, 09:01 - Bob: yo\n")
    _refused(capsys, path, "not UTF-8")


# ---------------------------------------------------------------------- parse output


def _ascii_stdout(monkeypatch) -> io.BytesIO:
    """A terminal that can write nothing but ASCII (a C locale, an old code page)."""
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    return raw


def test_jsonl_is_utf8_whatever_the_terminal_writes(monkeypatch):
    raw = _ascii_stdout(monkeypatch)
    assert main(["parse", str(TELEGRAM), "--jsonl"]) == 0
    sys.stdout.flush()
    texts = [json.loads(line)["text"] for line in raw.getvalue().decode("utf-8").splitlines()]
    assert texts == [m["text"] for m in _messages(TELEGRAM)]


def test_the_summary_shows_what_the_terminal_cannot_as_question_marks(monkeypatch):
    raw = _ascii_stdout(monkeypatch)
    assert main(["parse", str(TELEGRAM)]) == 0
    sys.stdout.flush()
    assert "Chlo? Dubois" in raw.getvalue().decode("ascii")


# ----------------------------------------------------------------------------- zips


def _zip(tmp_path: Path, data: bytes, name: str = "WhatsApp Chat with Bruno.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_password_protected_zip_is_one_line(tmp_path, capsys):
    members = [("WhatsApp Chat with Bruno.txt", WHATSAPP.read_bytes()), ("IMG-1.jpg", b"\xff")]
    path = _zip(tmp_path, encrypted_zip(members, b"hunter2"))
    err = _refused(capsys, path)
    assert err == (
        f"gpt-is-you: {path}: this zip archive is protected by a password: "
        "export again without one\n"
    )


def test_the_encrypted_zip_helper_is_real_zipcrypto():
    archive = zipfile.ZipFile(io.BytesIO(encrypted_zip([("a.txt", b"hello")], b"pw")))
    assert archive.read("a.txt", pwd=b"pw") == b"hello"
    with pytest.raises(RuntimeError, match="Bad password"):
        archive.read("a.txt", pwd=b"nope")


def _peak_while(read) -> int:
    """The most memory Python allocated while ``read()`` ran, in bytes."""
    tracemalloc.start()
    try:
        read()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def _refuse(path: Path, *words: str) -> None:
    with pytest.raises(ChatImportError) as caught:
        read_export(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    for word in words:
        assert word in message


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = _zip(tmp_path, zip_bytes([("_chat.txt", bytes(30_000_000))]))
    peak = _peak_while(
        lambda: _refuse(path, "_chat.txt would expand ", " times, to 30 MB, which no")
    )
    assert peak < 5_000_000


def test_a_zip_member_that_lies_about_its_size_costs_one_chunk(tmp_path):
    path = _zip(tmp_path, declare_size(zip_bytes([("_chat.txt", bytes(30_000_000))]), 100))
    peak = _peak_while(lambda: _refuse(path, "damaged or unsupported zip archive"))
    assert peak < 5_000_000


def test_a_zip_member_larger_than_any_export_is_refused_before_reading(tmp_path, monkeypatch):
    text = (FIXTURES / "whatsapp" / "android_large_dmy.txt").read_bytes()
    path = _zip(tmp_path, zip_bytes([("_chat.txt", text)]))
    # The zip is read whatever its own size (media make it large); its chat is not.
    monkeypatch.setattr(detect, "MAX_BYTES", path.stat().st_size)
    _refuse(path, f"its _chat.txt is {len(text) / 1e3:.0f} kB, more than any chat export")
    # Messenger parts are one export together: their sum is what counts.
    monkeypatch.setattr(detect, "MAX_BYTES", 4000)
    parts = [(p.name, p.read_bytes()) for p in sorted(MESSENGER.glob("message_*.json"))]
    assert all(len(data) < 4000 for _, data in parts)
    _refuse(
        _zip(tmp_path, zip_bytes(parts), "messages.zip"),
        "its chat is 6 kB, more than any chat export (at most 4 kB)",
    )


@pytest.mark.parametrize(
    ("method", "name"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")]
)
def test_zips_compressed_other_than_by_phones_are_refused(tmp_path, method, name):
    path = _zip(tmp_path, zip_bytes([("_chat.txt", WHATSAPP.read_bytes())], method))
    _refuse(path, f"_chat.txt is compressed with {name}, which phones do not use")


def test_a_zip_with_a_bad_crc_is_one_line(tmp_path, capsys):
    data = bytearray(zip_bytes([("_chat.txt", WHATSAPP.read_bytes())], zipfile.ZIP_STORED))
    data[60] ^= 0x01  # a byte of the stored chat
    _refused(capsys, _zip(tmp_path, bytes(data)), "damaged or unsupported zip", "export it again")


def test_a_zip_cut_short_is_called_so(tmp_path, capsys):
    data = zip_bytes([("_chat.txt", WHATSAPP.read_bytes())])
    _refused(capsys, _zip(tmp_path, data[: len(data) // 2]), "a zip archive cut short")


def test_a_zip_inside_a_zip_says_to_give_the_inner_one(tmp_path, capsys):
    inner = zip_bytes([("WhatsApp Chat with Bruno.txt", WHATSAPP.read_bytes())])
    path = _zip(tmp_path, zip_bytes([("WhatsApp Chat with Bruno.zip", inner)]), "outer.zip")
    _refused(capsys, path, "a zip archive around another (WhatsApp Chat with Bruno.zip)")


def test_folder_entries_of_a_zip_are_not_read_as_files(tmp_path):
    data = zip_bytes(
        [("_chat.txt/", b""), ("x/WhatsApp Chat with Bruno.txt", WHATSAPP.read_bytes())]
    )
    assert _messages(_zip(tmp_path, data)) == _messages(WHATSAPP)


# --------------------------------------------------------------------- one line each


def test_a_file_name_with_a_line_break_is_still_one_line(tmp_path, capsys):
    path = tmp_path / "notes\nfrom Bruno.txt"
    path.write_bytes(b"no chat here\n")
    assert main(["parse", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notes\\nfrom Bruno.txt: not a chat export" in err


def test_chat_names_with_line_breaks_are_listed_on_one_line(tmp_path, capsys):
    doc = json.loads((FIXTURES / "telegram" / "full_export.json").read_text(encoding="utf-8"))
    doc["chats"]["list"][0]["name"] = "Trip\n2023\u2028Lyon"
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["parse", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Trip\\n2023\\u2028Lyon, " in err


# ------------------------------------------------------------- new, after reading


def test_new_hashes_a_large_zip_without_holding_it(tmp_path, home):
    from gpt_is_you.dataset.prepare import read_source

    media = bytes(40_000_000)  # a video the chat holds, stored as phones store media
    members = [("WhatsApp Chat with Bruno.txt", WHATSAPP.read_bytes()), ("VID-1.mp4", media)]
    path = _zip(tmp_path, zip_bytes(members, zipfile.ZIP_STORED))
    del media, members
    assert _peak_while(lambda: read_source(path)) < 10_000_000


def test_new_from_a_folder_with_a_file_name_that_is_not_utf8(tmp_path, capsys, home):
    if sys.platform in ("darwin", "win32"):
        pytest.skip("file names here are always Unicode")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "WhatsApp Chat with Bruno.txt").write_bytes(WHATSAPP.read_bytes())
    Path(os.fsdecode(bytes(folder) + b"/IMG-\xe9t\xe9.jpg")).write_bytes(b"\xff\xd8\xff")
    args = ["new", "bruno", "--from", str(folder), "--persona", "Alice Martin", "--yes"]
    assert main(args) == 0, capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_new_names_a_media_file_of_the_folder_that_may_not_be_read(tmp_path, capsys, home):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "WhatsApp Chat with Bruno.txt").write_bytes(WHATSAPP.read_bytes())
    (folder / "IMG-1.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "IMG-1.jpg").chmod(0)
    args = ["new", "bruno", "--from", str(folder), "--persona", "Alice Martin", "--yes"]
    assert main(args) == 2
    assert capsys.readouterr().err == (
        f"gpt-is-you: {folder / 'IMG-1.jpg'}: cannot be read (Permission denied)\n"
    )


def test_every_command_writes_what_the_terminal_cannot_show_as_question_marks(
    monkeypatch, tmp_path
):
    """Not only parse: new, models and examples print the people's names too."""
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path / "home"))
    raw = _ascii_stdout(monkeypatch)
    persona = "Chloé Dubois"
    assert main(["new", "chloe", "--from", str(TELEGRAM), "--persona", persona, "--yes"]) == 0
    assert main(["models"]) == 0
    assert main(["examples", "chloe"]) == 0
    sys.stdout.flush()
    shown = raw.getvalue().decode("ascii")
    assert shown.count("Chlo? Dubois") >= 3
