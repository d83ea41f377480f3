"""Unit tests of the WhatsApp reader's parts: date order, names, chunking, errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gpt_is_you.chats import SYSTEM, TEXT, ChatImportError, read_export, whatsapp, whatsapp_layout
from gpt_is_you.chats.dates import infer_order
from gpt_is_you.chats.whatsapp import parse_whatsapp
from test_whatsapp_fixtures import read_fixture

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"


def test_date_order_from_a_day_past_twelve():
    assert infer_order([(3, 1, 2023), (14, 1, 2023)], twelve_hour=True).order == "dmy"
    assert infer_order([(1, 3, 2023), (1, 14, 2023)], twelve_hour=False).order == "mdy"
    assert infer_order([(2023, 1, 3), (2023, 1, 14)], twelve_hour=False).order == "ymd"


def test_date_order_of_ambiguous_dates_prefers_dates_that_run_forward():
    # Month-first these are 2, 3, 4 Jan, then 1 Feb; day-first 1 Feb, 1 Mar, 1 Apr, 2 Jan.
    dates = [(1, 2, 2023), (1, 3, 2023), (1, 4, 2023), (2, 1, 2023)]
    order = infer_order(dates, twelve_hour=False)
    assert (order.order, order.ambiguous) == ("mdy", False)
    flipped = infer_order([(b, a, y) for a, b, y in dates], twelve_hour=True)
    assert (flipped.order, flipped.ambiguous) == ("dmy", False)


def test_date_order_of_dates_that_fit_both_ways_is_flagged():
    order = infer_order([(1, 2, 2023), (2, 2, 2023), (3, 2, 2023)], twelve_hour=False)
    assert (order.order, order.ambiguous) == ("dmy", True)  # 1, 2, 3 Feb: days apart
    assert infer_order([(5, 5, 2023)], twelve_hour=True).order == "mdy"


def test_ambiguous_file_gets_a_warning_and_the_override_wins():
    text = "01/02/2023, 10:00 - Alice: hi\n02/02/2023, 10:00 - Bob: hey\n"
    chat = parse_whatsapp(text, source="x.txt")
    assert chat.messages[1].time == datetime(2023, 2, 2, 10, 0)
    assert len(chat.warnings) == 1 and "--date-order" in chat.warnings[0]
    chat = parse_whatsapp(text, source="x.txt", date_order="mdy")
    assert chat.messages[1].time == datetime(2023, 2, 2, 10, 0)
    assert chat.messages[0].time == datetime(2023, 1, 2, 10, 0)
    assert chat.warnings == ()


def test_late_day_past_twelve_settles_the_order_of_early_dates():
    lines = [f"{d:02d}/01/2023, 09:00 - Alice: day {d}" for d in range(1, 13)]
    lines += [f"{d:02d}/{m:02d}/2023, 09:00 - Bob: later" for m in range(2, 12) for d in (1, 5)]
    lines.append("13/11/2023, 09:00 - Alice: the thirteenth")
    chat = parse_whatsapp("\n".join(lines), source="x.txt")
    assert chat.messages[1].time == datetime(2023, 1, 2, 9, 0)
    assert chat.warnings == ()


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Alice Martin", "Alice Martin"),
        ("\u202a+44\u00a07700\u00a0900123\u202c", "+44 7700 900123"),
        ('Dana "DJ" Okafor', 'Dana "DJ" Okafor'),
        ("Siobhán O'Brien", "Siobhán O'Brien"),
        ('Alice changed the subject from "Trip" to "Trip', None),
        ("Alice a modifié le sujet de « Trip » en « Trip ", None),
        ("Alice hat den Betreff von „Trip“ zu „Trip", None),
    ],
)
def test_sender_names(raw, name):
    assert whatsapp._sender_name(raw) == name


def test_subject_change_with_a_colon_is_a_system_line():
    text = (
        "12/01/2023, 09:00 - Alice: hi\n"
        '12/01/2023, 09:01 - Alice changed the subject from "Trip" to "Trip: Paris"\n'
    )
    messages = parse_whatsapp(text, source="x.txt").messages
    assert messages[1].sender is None and messages[1].kind == SYSTEM
    assert messages[1].text == 'Alice changed the subject from "Trip" to "Trip: Paris"'


def test_names_with_a_colon_and_subjects_with_times():
    text = (
        "12/01/2023, 09:00 - Mum :): dinner at 7?\n"
        '12/01/2023, 09:01 - Alice changed the subject from "12:30 lunch" to "Lunch: 13:00"\n'
    )
    first, second = parse_whatsapp(text, source="x.txt").messages
    assert (first.sender, first.text, first.kind) == ("Mum :)", "dinner at 7?", TEXT)
    assert (second.sender, second.kind) == (None, SYSTEM)
    assert second.text == 'Alice changed the subject from "12:30 lunch" to "Lunch: 13:00"'


def test_a_line_that_looks_like_a_header_but_names_no_date_continues_the_message():
    text = "12/01/2023, 09:00 - Alice: the code is\n99/99/2023, 10:00 - not a date\n13/01/2023, 09:00 - Bob: ok\n"
    chat = parse_whatsapp(text, source="x.txt")
    assert [m.text for m in chat.messages] == ["the code is\n99/99/2023, 10:00 - not a date", "ok"]
    assert chat.warnings == (
        "1 line looks like a message header but its date or time cannot be read, or it is"
        " written unlike the rest of the file; it was kept as text of the message above"
        " (line 2: '99/99/2023, 10:00 - not a date').",
    )


def test_lines_that_look_like_headers_but_cannot_be_read_are_counted_from_the_first():
    # A date that does not exist, an hour that does not, and an iOS line pasted into an
    # Android chat: the warning counts all three and names the first in the file.
    chat = read_export(FIXTURES / "android_en_gb_unreadable_headers.txt")
    unread = [w for w in chat.warnings if "look like message headers" in w]
    assert len(unread) == 1
    assert unread[0].startswith("3 lines look like message headers")
    assert "kept as text of the message above" in unread[0]
    assert "(first at line 2: '31/02/2023, 09:00 - 4711, and this line is not a date')" in unread[0]


def test_a_header_that_cannot_be_read_before_any_message_is_left_out_with_a_warning():
    text = "31/02/2023, 09:00 - Alice: lost\n12/03/2023, 09:01 - Bob: first\n"
    chat = parse_whatsapp(text, source="x.txt", date_order="dmy")
    assert [m.text for m in chat.messages] == ["first"]
    assert chat.warnings == (
        "1 line looks like a message header but its date or time cannot be read, or it is"
        " written unlike the rest of the file; it was left out, as no message comes before"
        " (line 1: '31/02/2023, 09:00 - Alice: lost').",
    )


def test_a_header_that_cannot_be_read_folds_into_the_message_made_before_its_chunk(monkeypatch):
    # In chunks of 50 bytes the bad header starts a chunk: the message above it was made
    # already, and is made again from its raw text, so that it is classified as a whole.
    monkeypatch.setattr(whatsapp, "_CHUNK", 50)
    text = (
        "12/03/2023, 09:00 - Alice: This message was deleted\n"
        "31/02/2023, 09:00 - Alice: (no: it was not)\n12/03/2023, 09:01 - Bob: ok\n"
    )
    first, second = parse_whatsapp(text, source="x.txt", date_order="dmy").messages
    assert first.kind == TEXT
    assert first.text == "This message was deleted\n31/02/2023, 09:00 - Alice: (no: it was not)"
    assert second.text == "ok"


def test_a_file_with_no_readable_header_is_refused():
    with pytest.raises(ChatImportError, match="no message header has a date and time that exist"):
        parse_whatsapp("31/02/2023, 09:00 - Alice: hi\n30/02/2023, 09:00 - Bob: no\n", source="x")


def test_a_clock_switch_past_the_opening_lines_is_read_line_by_line():
    # The layout is learned from the first 2,000 lines; the phone switched to a 12-hour
    # clock after them. Those headers are found and the file is read again.
    start = datetime(2023, 1, 13, 8, 0)  # days past the 12th: the order is plain
    times = [start + timedelta(minutes=7 * i) for i in range(2100)]
    lines = [f"{t:%d/%m/%Y, %H:%M} - Alice: line {i}" for i, t in enumerate(times[:2050])]
    lines += [
        f"{t:%d/%m/%Y}, {t.hour % 12 or 12}:{t:%M} {'PM' if t.hour >= 12 else 'AM'} - Bob: {i}"
        for i, t in enumerate(times[2050:])
    ]
    chat = parse_whatsapp("\n".join(lines), source="x.txt")
    assert [m.time for m in chat.messages] == times
    assert chat.warnings == ()


def test_long_messages_do_not_make_an_export_look_like_prose():
    # One header, then a pasted text of 200 lines: as much a chat as one line per message.
    text = "12/03/2023, 09:00 - Alice: the minutes:\n" + "\n".join(f"point {i}" for i in range(200))
    (message,) = parse_whatsapp(text, source="x.txt").messages
    assert message.text.count("\n") == 200


@pytest.mark.parametrize("case", sorted(p.stem for p in FIXTURES.glob("*.txt")))
def test_tiny_chunks_read_the_same_as_one_chunk(monkeypatch, case):
    whole = read_fixture(FIXTURES / f"{case}.txt", case, monkeypatch)
    monkeypatch.setattr(whatsapp, "_CHUNK", 50)
    assert read_fixture(FIXTURES / f"{case}.txt", case, monkeypatch) == whole


def test_no_final_newline_and_crlf():
    text = "12/01/2023, 09:00 - Alice: one\r\ntwo\r\n\r\n12/01/2023, 09:01 - Bob: three"
    messages = parse_whatsapp(text, source="x.txt").messages
    assert [(m.sender, m.text, m.kind) for m in messages] == [
        ("Alice", "one\ntwo\n", TEXT),
        ("Bob", "three", TEXT),
    ]


def test_text_before_the_first_header_is_not_a_message():
    text = "\ufeff\n12/01/2023, 09:00 - Alice: one\n12/01/2023, 09:01 - Bob: two\n"
    assert [m.text for m in parse_whatsapp(text, source="x.txt").messages] == ["one", "two"]


def test_invalid_utf8_is_refused_with_its_position(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_bytes(b"12/01/2023, 09:00 - Alice: caf\xe9\n12/01/2023, 09:01 - Bob: ok\n")
    with pytest.raises(ChatImportError, match="not UTF-8"):
        read_export(path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"name,date,amount\nAlice,2023-01-12,3\nBob,2023-01-13,4\n", "not a chat export"),
        (
            b"It was 12/01/2023, 09:00 when the letter came.\nNobody read it.\nThe end.\n",
            "not a chat export",
        ),
        # WhatsApp starts every export with a header: notes that hold some are not one.
        (
            b"Meeting notes\n12/01/2023, 09:00 - Alice: opening\n12/01/2023, 09:30 - Bob: q&a\n",
            "not a chat export",
        ),
        (b'{"hello": "world"}', "not a chat export"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_non_chat_inputs_are_refused_in_one_line(tmp_path, content, problem):
    path = tmp_path / "upload.txt"
    path.write_bytes(content)
    with pytest.raises(ChatImportError) as e:
        read_export(path)
    message = str(e.value)
    assert problem in message and str(path) in message and "\n" not in message


def test_missing_file_and_folder_without_export(tmp_path):
    with pytest.raises(ChatImportError, match="no such file"):
        read_export(tmp_path / "nope.txt")
    (tmp_path / "notes.md").write_text("hello")
    with pytest.raises(ChatImportError, match="folder with no chat export"):
        read_export(tmp_path)


def test_damaged_zip(tmp_path):
    import zipfile

    path = tmp_path / "chat.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_chat.txt", "12/01/2023, 09:00 - Alice: hi\n")
    data = bytearray(path.read_bytes())
    data[40:60] = b"\xff" * 20  # inside the compressed member
    path.write_bytes(bytes(data))
    with pytest.raises(ChatImportError):
        read_export(path)


def test_zip_without_a_chat(tmp_path):
    import zipfile

    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("IMG-0001.jpg", b"\xff\xd8\xff\xe0")
        z.writestr("readme.txt", "just a note\n")
    with pytest.raises(ChatImportError, match="zip archive with no chat export"):
        read_export(path)


def test_the_byte_pattern_of_marks_matches_every_invisible_mark_and_nothing_else():
    import re

    from gpt_is_you.chats.marks import INVISIBLE

    marks = re.compile(whatsapp_layout.MARK_BYTES + rb"\Z")
    assert all(marks.match(c.encode()) for c in INVISIBLE)
    others = [chr(c) for c in range(0x2000, 0x2100)] + ["\ufefe", "\u00a0"]
    assert not [c for c in others if c not in INVISIBLE and marks.match(c.encode())]


@pytest.mark.parametrize(
    "members",
    [
        "[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]",
        "[0-9\u0660-\u0669\u06f0-\u06f9]",
        "[ \u00a0\u202f]",
    ],
)
def test_a_class_as_bytes_matches_what_it_matches_as_text(members):
    import re

    as_text = re.compile(members)
    as_bytes = re.compile(whatsapp_layout._as_bytes_pattern(members) + rb"\Z")
    chars = [chr(c) for c in [*range(0x0, 0x800), *range(0x2000, 0x2100), 0xFEFF, 0xFEFE]]
    assert [c for c in chars if as_text.fullmatch(c)] == [
        c for c in chars if as_bytes.match(c.encode())
    ]
