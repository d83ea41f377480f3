"""The command line as a user meets it: output, exit status, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE
from gpt_is_you.cli import main

WHATSAPP = Path(__file__).parent / "fixtures" / "whatsapp"
TELEGRAM = Path(__file__).parent / "fixtures" / "telegram"


def _expected(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize(
    ("export", "expected", "options"),
    [
        (WHATSAPP / "android_en_gb_24h.txt", WHATSAPP / "android_en_gb_24h.jsonl", []),
        (WHATSAPP / "ios_en_us_12h.txt", WHATSAPP / "ios_en_us_12h.jsonl", []),
        (
            WHATSAPP / "android_mdy_ambiguous_override.txt",
            WHATSAPP / "android_mdy_ambiguous_override.jsonl",
            ["--date-order", "mdy"],
        ),
        (TELEGRAM / "group_result.json", TELEGRAM / "group_result.jsonl", []),
    ],
)
def test_parse_jsonl_prints_the_normalized_messages(capsys, export, expected, options):
    assert main(["parse", str(export), "--jsonl", *options]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert [json.loads(line) for line in lines] == _expected(expected)
    # Keys in DESIGN.md's order, one object per line, text kept as written.
    assert all(
        list(json.loads(line)) == ["time", "sender", "text", "kind", "edited"] for line in lines
    )
    assert "\\u00e9" not in out


def test_parse_summary(capsys):
    assert main(["parse", str(WHATSAPP / "android_en_gb_24h.txt")]) == 0
    out = capsys.readouterr().out
    assert "whatsapp-android" in out
    assert "Alice Martin" in out and "Bruno Keller" in out
    assert "2023-03-14" in out
    for kind in ("text", "media", "deleted", "system"):
        assert kind in out


def test_parse_json_summary(capsys):
    assert main(["parse", str(WHATSAPP / "android_en_gb_24h.txt"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["format"] == "whatsapp-android"
    assert summary["messages"] == len(_expected(WHATSAPP / "android_en_gb_24h.jsonl"))
    assert summary["first"].startswith("2023-03-14")
    assert sum(summary["kinds"].values()) == summary["messages"]
    assert {p["name"] for p in summary["participants"]} >= {"Alice Martin", "Bruno Keller"}


def test_parse_folder_names_the_file_it_read_and_how_to_read_another(tmp_path, capsys):
    chat = (WHATSAPP / "android_en_gb_24h.txt").read_bytes()
    (tmp_path / "WhatsApp Chat with Alice.txt").write_bytes(chat)
    (tmp_path / "WhatsApp Chat with Bruno.txt").write_bytes(chat)
    (tmp_path / "notes.txt").write_text("not a chat\n")
    assert main(["parse", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "read WhatsApp Chat with Alice.txt" in out
    assert (
        "read WhatsApp Chat with Alice.txt; a folder also holds WhatsApp Chat with Bruno.txt, "
        "notes.txt: to read one of those instead, pass that file"
    ) in " ".join(out.split())
    assert main(["parse", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["file"] == "WhatsApp Chat with Alice.txt"
    assert main(["parse", str(tmp_path), "--jsonl"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"gpt-is-you: read WhatsApp Chat with Alice.txt in {tmp_path}"


def test_parse_folder_with_one_chat_names_it_without_a_warning(tmp_path, capsys):
    (tmp_path / "_chat.txt").write_bytes((WHATSAPP / "android_en_gb_24h.txt").read_bytes())
    assert main(["parse", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["file"] == "_chat.txt"
    assert not [w for w in summary["warnings"] if "also holds" in w]


def test_ambiguous_dates_are_reported(capsys):
    export = WHATSAPP / "android_mdy_ambiguous_override.txt"
    assert main(["parse", str(export), "--json"]) == 0
    assert any("--date-order" in w for w in json.loads(capsys.readouterr().out)["warnings"])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", b""),
        ("report.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"),
        ("table.csv", b"date,name,amount\n2023-01-12,Alice,3\n2023-01-13,Bob,4\n"),
        ("story.txt", b"Once upon a time there was a chat.\nIt had no dates.\nThe end.\n"),
        ("data.json", b'{"users": [1, 2, 3]}'),
    ],
)
def test_not_a_chat_exits_2_with_one_line(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["parse", str(path), "--jsonl"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert str(path) in captured.err and captured.err.startswith("gpt-is-you: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["parse", str(WHATSAPP / "android_en_gb_24h.txt"), "--date-order", "dym"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_never_shows_a_traceback(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    script = Path(sys.executable).with_name("gpt-is-you")
    run = subprocess.run(
        [str(script), "parse", str(path)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert (
        run.stderr.strip()
        == f"gpt-is-you: {path}: this is a PDF document, not a chat export; "
        + (
            "expected a WhatsApp export (.txt or .zip), a Telegram Desktop result.json, "
            "or a Facebook Messenger/Instagram message_1.json"
        )
    )


def test_help_lists_parse(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert "parse" in capsys.readouterr().out


def _refused(capsys, argv: list[str]) -> str:
    """The one line a bad argument gets, with exit status 2 as the arguments are read."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--merge-window", "nan"],
            "--merge-window: must be between 0 and 1,440 minutes (got nan)",
        ),
        (
            ["--session-gap", "1e30"],
            "--session-gap: must be above 0 and at most 8,760 hours (got 1e+30)",
        ),
        (
            ["--min-chars", "-5"],
            "--min-chars: must be a whole number between 0 and 10,000 characters (got -5)",
        ),
        (["--validation-share", "1"], "--validation-share: must be at least 0 and below 1 (got 1)"),
        (
            ["--max-tokens", "0"],
            "--max-tokens: must be a whole number between 16 and 131,072 tokens (got 0)",
        ),
    ],
)
@pytest.mark.parametrize("command", ["new", "duplicate"])
def test_bad_dataset_numbers_are_refused_as_the_arguments_are_read(
    home, capsys, command, option, message
):
    if command == "new":
        argv = ["new", "sam", "--from", str(SAMPLE), "--persona", "Sam Okafor", "--yes"]
    else:
        argv = ["duplicate", "sam", "sam again", "--yes"]
    line = _refused(capsys, [*argv, *option])
    assert line.startswith(f"gpt-is-you {command}: argument ") and message in line
    assert not (home / "models").exists() or not any((home / "models").iterdir())
