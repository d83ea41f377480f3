"""The examples preview, driven with keys: opened from the models list, a page of the
table, the selected example as a conversation, search, split, exclude, export, and the
keys to train, chat and go back."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static

from gpt_is_you.cli import main
from gpt_is_you.store import browse
from gpt_is_you.store.models import open_model, read_examples
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.models import ModelsScreen
from gpt_is_you.tui.screens.preview import PreviewScreen
from gpt_is_you.tui.widgets.dataset_export import DatasetExportDialog
from gpt_is_you.tui.widgets.dialogs import ErrorDialog
from gpt_is_you.tui.widgets.example_table import ExampleTable

SIZE = (120, 40)
FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"
MODEL = "Bruno"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with one model of Bruno Keller (64 examples: 58 train, 6 valid),
    made once: each test works on a copy."""
    home = tmp_path_factory.mktemp("built") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPT_IS_YOU_HOME", str(home))
        new = ["new", MODEL, "--from", str(FIXTURE), "--persona", "Bruno Keller", "--yes"]
        assert main(new) == 0
        assert main([*new[:1], "Remote", *new[2:], "--target", "openai"]) == 0
    return home


@pytest.fixture
def home(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # export paths typed in the dialog are short
    return home


class RecordingApp(GptIsYouApp):
    """The app, with the screens the preview opens recorded instead of opened."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[tuple[str, str]] = []

    def open_training(self, model: str, *, replace: bool = False) -> None:
        self.opened.append(("training", model))

    def open_chat(self, model: str, *, replace: bool = False) -> None:
        self.opened.append(("chat", model))


async def settle(pilot: Pilot) -> None:
    """Until no worker runs and every message they posted is handled (a message can start
    another worker: a page read asks for its first example)."""
    for _ in range(50):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return
    raise AssertionError("the workers never settled")


async def open_preview(pilot: Pilot) -> PreviewScreen:
    """From the models list, as a user does: the model's row is selected, Enter opens."""
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PreviewScreen)
    return screen


def text(screen: PreviewScreen, selector: str) -> str:
    """What the widget shows, line by line, without trailing blanks."""
    widget = screen.query_one(selector, Static)
    lines = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join(line.text.rstrip() for line in lines).strip()


def flat(screen: PreviewScreen, selector: str) -> str:
    """What the widget shows, its words separated by single spaces."""
    return " ".join(text(screen, selector).split())


def transcript(screen: PreviewScreen) -> str:
    return text(screen, "#preview-transcript")


def shown_ids(screen: PreviewScreen) -> list[int]:
    table = screen.query_one(ExampleTable)
    return [int(table.coordinate_to_cell_key((row, 0))[0].value) for row in range(table.row_count)]


def run(scenario: Callable[[Pilot], object], app: GptIsYouApp | None = None) -> None:
    async def go() -> None:
        async with (app or GptIsYouApp()).run_test(size=SIZE) as pilot:
            await scenario(pilot)

    asyncio.run(go())


def examples() -> list:
    with open_model(MODEL) as db:
        return read_examples(db)


def test_opens_on_the_first_page_and_the_first_example(home):
    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        assert shown_ids(screen) == list(range(1, 65))
        assert text(screen, "#preview-position") == "1–64 of 64 examples"
        first = examples()[0][1]
        shown = transcript(screen)
        assert shown.startswith("Example 1 · session 1 · train · 136 tokens")
        for turn in first.turns:
            assert turn.speaker in shown and turn.text.splitlines()[0] in shown
        splits = flat(screen, "#stats-splits")
        assert "train 58 446 6,833 valid 6 43 661 excluded 0" in splits
        assert "for the openai target only" in flat(screen, "#stats-checks")

    run(scenario)


def test_moving_down_shows_the_selected_example(home):
    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        await pilot.press("down", "down", "down")
        await settle(pilot)
        shown = transcript(screen)
        assert shown.startswith("Example 4 ·")
        fourth = examples()[3][1]
        assert fourth.turns[-1].text.splitlines()[-1] in shown
        learned = [t for t in fourth.turns if t.role == "assistant" and t.weight]
        assert shown.count("learned") == len(learned) + 1  # and the title's "turns learned"

    run(scenario)


def test_pages_turn_past_the_edges(home, monkeypatch):
    monkeypatch.setattr(PreviewScreen, "PAGE_SIZE", 5)

    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        assert shown_ids(screen) == [1, 2, 3, 4, 5]
        await pilot.press(*["down"] * 5)
        await settle(pilot)
        assert shown_ids(screen) == [6, 7, 8, 9, 10]
        assert text(screen, "#preview-position") == "6–10 of 64 examples"
        assert transcript(screen).startswith("Example 6 ·")
        await pilot.press("up")
        await settle(pilot)
        assert shown_ids(screen)[0] == 1
        assert transcript(screen).startswith("Example 5 ·")
        await pilot.press("pagedown")  # from the page's last row: the next page
        await settle(pilot)
        assert transcript(screen).startswith("Example 6 ·")
        await pilot.press("pagedown")  # to the page's last row
        await settle(pilot)
        assert transcript(screen).startswith("Example 10 ·")
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert shown_ids(screen) == list(range(61, 65))
        assert transcript(screen).startswith("Example 64 ·")
        await pilot.press("pagedown", "down")  # the last page: nothing after it
        await settle(pilot)
        assert text(screen, "#preview-position") == "61–64 of 64 examples"
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert transcript(screen).startswith("Example 1 ·")

    run(scenario)


def test_home_and_end_go_to_the_first_and_the_last_example(home, monkeypatch):
    """End used to scroll the table sideways; only Ctrl+End reached the last example."""
    monkeypatch.setattr(PreviewScreen, "PAGE_SIZE", 5)

    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert transcript(screen).startswith("Example 64 ·")
        assert screen.query_one(ExampleTable).scroll_x == 0
        await pilot.press("home")
        await settle(pilot)
        assert transcript(screen).startswith("Example 1 ·")

    run(scenario)


def test_search_filters_and_escape_clears(home):
    holding = [i for i, e, _ in examples() if "sounds good" in str(e.turns).casefold()]

    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        await pilot.press("slash")
        assert screen.focused is screen.query_one("#preview-search")
        await pilot.press(*"sounds good", "enter")
        await settle(pilot)
        assert shown_ids(screen) == holding
        assert text(screen, "#preview-position") == (
            f"1–{len(holding)} of {len(holding)} examples holding “sounds good”"
        )
        assert screen.focused is screen.query_one(ExampleTable)
        assert "sounds good" in transcript(screen)
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert len(shown_ids(screen)) == 64
        assert isinstance(pilot.app.screen, PreviewScreen)  # Esc cleared, it did not leave
        await pilot.press("slash", *"[zebra", "enter")  # markup is the user's text
        await settle(pilot)
        assert shown_ids(screen) == []
        assert transcript(screen).startswith("No example holds “[zebra”")
        assert text(screen, "#preview-position") == "no examples holding “[zebra”"
        await pilot.press("x")  # nothing selected: nothing to exclude
        await settle(pilot)
        with open_model(MODEL) as db:
            assert browse.read_stats(db).excluded == 0

    run(scenario)


def test_s_cycles_the_split(home):
    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert text(screen, "#preview-position") == "1–58 of 58 examples (train only)"
        await pilot.press("s")
        await settle(pilot)
        assert len(shown_ids(screen)) == 6
        assert transcript(screen).split(" · ")[2] == "valid"
        await pilot.press("s")
        await settle(pilot)
        assert len(shown_ids(screen)) == 64

    run(scenario)


def test_x_excludes_and_includes_the_selected_example(home):
    async def scenario(pilot: Pilot) -> None:
        screen = await open_preview(pilot)
        await pilot.press("down", "x")
        await settle(pilot)
        table = screen.query_one(ExampleTable)
        assert str(table.get_cell("2", "out")) == "✕"
        assert "excluded (x takes it back)" in transcript(screen)
        assert [i for i, _, _ in examples()][:2] == [1, 3]
        assert "train 57 442 6,744" in flat(screen, "#stats-splits")
        assert "excluded 1" in flat(screen, "#stats-splits")
        await pilot.press("x")
        await settle(pilot)
        assert str(table.get_cell("2", "out")) == ""
        assert "excluded 0" in flat(screen, "#stats-splits")
        assert len(examples()) == 64

    run(scenario)


def test_e_exports_a_file(home, tmp_path):
    (tmp_path / "out").mkdir()

    async def scenario(pilot: Pilot) -> None:
        await open_preview(pilot)
        await pilot.press("e", "escape")  # cancelled: nothing written
        await settle(pilot)
        assert isinstance(pilot.app.screen, PreviewScreen)
        assert not (home / "models" / "bruno" / "exports").exists()
        await pilot.press("e")
        assert isinstance(pilot.app.screen, DatasetExportDialog)
        await pilot.press("down", "down", "enter")  # sharegpt
        await pilot.press("tab", *"out/b.jsonl", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PreviewScreen)

    run(scenario)
    target = tmp_path / "out" / "b.jsonl"
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 58
    assert set(json.loads(lines[0])) == {"system", "conversations"}
    assert len(target.with_name("b.valid.jsonl").read_text().splitlines()) == 6


def test_an_export_that_cannot_be_written_says_why(home, tmp_path):
    (tmp_path / "f").write_text("")  # a file where a folder should be

    async def scenario(pilot: Pilot) -> None:
        await open_preview(pilot)
        await pilot.press("e", "tab", *"f/x", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ErrorDialog)
        assert "f is not a folder" in str(pilot.app.screen.query(Static)[1].render())

    run(scenario)


def test_t_trains_c_chats_f1_helps_escape_goes_back(home):
    app = RecordingApp()

    async def scenario(pilot: Pilot) -> None:
        await open_preview(pilot)
        await pilot.press("t", "c")
        assert app.opened == [("training", MODEL), ("chat", MODEL)]
        await pilot.press("f1")
        assert pilot.app.screen.query("HelpPanel")
        await pilot.press("f1", "escape")
        assert isinstance(pilot.app.screen, ModelsScreen)

    run(scenario, app)


def test_an_openai_model_shows_its_cost_and_checks(home):
    async def scenario(pilot: Pilot) -> None:
        pilot.app.open_preview("Remote")
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.checks_done
        notes = flat(screen, "#stats-notes")
        # No stored page confirmed OpenAI's price: no figure, the tokens and the day.
        assert "price unknown (not confirmed since 2026-12-03)" in notes and "$" not in notes
        assert "gpt-4o-mini-2024-07-18" in notes
        assert "on, nothing found" in notes
        assert "no problems in 64 examples" in flat(screen, "#stats-checks")

    run(scenario)


def test_a_missing_model_is_an_error_dialog(home):
    async def scenario(pilot: Pilot) -> None:
        pilot.app.open_preview("Nobody")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ErrorDialog)

    run(scenario)


def test_snapshot_opened(home, snap_compare):
    async def run_before(pilot: Pilot) -> None:
        await open_preview(pilot)
        await pilot.press("down", "down")
        await settle(pilot)

    assert snap_compare(GptIsYouApp(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_opened_80x24(home, snap_compare):
    async def run_before(pilot: Pilot) -> None:
        await open_preview(pilot)
        await pilot.press("down", "down")
        await settle(pilot)

    assert snap_compare(GptIsYouApp(), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_search(home, snap_compare):
    async def run_before(pilot: Pilot) -> None:
        await open_preview(pilot)
        await pilot.press("slash", *"meeting", "enter")
        await settle(pilot)

    assert snap_compare(GptIsYouApp(), terminal_size=SIZE, run_before=run_before)
