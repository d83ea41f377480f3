"""Lines of an export that look like headers but cannot be read: every face says so."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from gpt_is_you.cli import main
from gpt_is_you.tui.app import GptIsYouApp
from test_tui_wizard import SIZE, open_and_read, text

EXPORT = Path(__file__).parent / "fixtures" / "whatsapp" / "android_en_gb_unreadable_headers.txt"
WARNING = "3 lines look like message headers"


def test_parse_prints_the_warning(capsys):
    assert main(["parse", str(EXPORT)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # as one line, however Rich wrapped it
    assert f"warning: {WARNING}" in out and "first at line 2" in out


def test_parse_json_holds_the_warning(capsys):
    assert main(["parse", str(EXPORT), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert [w for w in warnings if w.startswith(WARNING)]


def test_parse_jsonl_prints_the_warning_on_stderr_only(capsys):
    assert main(["parse", str(EXPORT), "--jsonl"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["sender"] for line in out.splitlines()] == [
        "Alice Martin",
        "Bruno Keller",
        "Bruno Keller",
    ]
    assert f"gpt-is-you: warning: {WARNING}" in err


def test_new_reports_the_warning(home, capsys):
    argv = ["new", "doors", "--from", str(EXPORT), "--persona", "Bruno Keller", "--yes"]
    assert main([*argv, "--json"]) == 0
    assert [w for w in json.loads(capsys.readouterr().out)["warnings"] if w.startswith(WARNING)]
    assert main(["new", "doors2", *argv[2:]]) == 0
    assert WARNING in " ".join(capsys.readouterr().out.split())


def test_the_wizard_shows_the_warning(home):
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await open_and_read(pilot, EXPORT)
            assert WARNING in " ".join(text(app, "#found-warnings").split())

    asyncio.run(scenario())
