"""The Textual app, driven through Pilot with the real stylesheet.

The test dependencies carry no async pytest plugin, so each test runs its Pilot
scenario with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from gpt_is_you.cli import main
from gpt_is_you.tui.app import GptIsYouApp

SIZE = (100, 30)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory that the app uses instead of the user's."""
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path))
    return tmp_path


def test_empty_state_tells_how_to_start(home: Path) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE):
            assert not app.screen.query(DataTable)
            help_text = str(app.screen.query_one("#empty-help", Static).render())
            assert "WhatsApp" in help_text
            assert "Telegram" in help_text
            assert "gpt-is-you parse EXPORT" in help_text

    asyncio.run(scenario())


def test_lists_the_models(home: Path) -> None:
    export = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"
    assert main(["new", "Bruno", "--from", str(export), "--persona", "Bruno Keller", "--yes"]) == 0
    (home / "models" / "stray-folder").mkdir()

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE):
            table = app.screen.query_one("#models", DataTable)
            assert table.row_count == 1
            name, persona, source, examples, state, _ = table.get_row_at(0)
            assert (name, persona, source) == ("Bruno", "Bruno Keller", export.name)
            assert "+" in examples
            assert state == "ready"
            assert not app.screen.query("#empty")

    asyncio.run(scenario())


def test_q_quits(home: Path) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(scenario())


def test_f1_toggles_help(home: Path) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f1")
            assert app.screen.query("HelpPanel")
            await pilot.press("f1")
            assert not app.screen.query("HelpPanel")

    asyncio.run(scenario())


def test_empty_state_snapshot(home: Path, snap_compare) -> None:
    assert snap_compare(GptIsYouApp(), terminal_size=SIZE)
