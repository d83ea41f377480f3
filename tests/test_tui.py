"""The app shell and its first screen (the models), driven through Pilot with the real
stylesheet.

The test dependencies carry no async pytest plugin, so each test runs its Pilot
scenario with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.screen import Screen
from textual.widgets import DataTable, Input

from conftest import add_job
from gpt_is_you.cli import main
from gpt_is_you.store.models import list_models, model_folder, open_model
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens import models as models_screen
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog, ErrorDialog, TextPrompt
from pilot_helpers import calls, dialog_text, until

SIZE = (100, 30)
WIDE = (120, 40)  # wide enough for every column of the models table
EXPORT = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory that the app uses instead of the user's."""
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path))
    monkeypatch.setenv("GPT_IS_YOU_CONFIG", str(tmp_path / "config"))
    return tmp_path


def make_model(name: str) -> None:
    assert main(["new", name, "--from", str(EXPORT), "--persona", "Bruno Keller", "--yes"]) == 0
    # A fixed creation time, so that the "last activity" column draws the same every run.
    with open_model(name) as db:
        db.execute(
            "UPDATE settings SET value = ? WHERE key = 'created_at'",
            (json.dumps("2026-01-02T03:04:05"),),
        )


def run(scenario) -> None:
    asyncio.run(scenario())


def test_empty_state_tells_how_to_start(home: Path) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE):
            assert not app.screen.query_one("#models", DataTable).display
            help_text = str(app.screen.query_one("#empty-help").render())
            assert "WhatsApp" in help_text
            assert "Telegram" in help_text
            assert "gpt-is-you new NAME" in help_text

    run(scenario)


def test_the_sample_button_opens_the_wizard_on_the_sample(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str | None] = []
    monkeypatch.setattr(GptIsYouApp, "open_wizard", lambda self, export=None: opened.append(export))

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")  # the focused "Try the sample chat" button
            await pilot.press("n")

    run(scenario)
    assert opened[0] is not None and opened[0].endswith("sample_chat.txt")
    assert opened[1] is None


def test_lists_the_models(home: Path) -> None:
    make_model("Bruno")
    (home / "models" / "stray-folder").mkdir()

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=WIDE):
            table = app.screen.query_one("#models", DataTable)
            assert table.row_count == 1
            name, persona, source, size, backend, state, activity = table.get_row_at(0)
            assert (name, persona, source) == ("Bruno", "Bruno Keller", EXPORT.name)
            assert size == "64 ex · 649 msg"
            assert (backend, state, activity) == ("–", "ready", "2026-01-02 03:04")
            assert not app.screen.query("#empty")  # made only when there is no model

    run(scenario)


def test_keys_open_the_screens_of_the_selected_model(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_model("Anna")
    make_model("Bruno")
    opened: list[tuple[str, str]] = []
    for kind in ("preview", "training", "chat"):
        monkeypatch.setattr(
            GptIsYouApp,
            f"open_{kind}",
            lambda self, model, replace=False, kind=kind: opened.append((kind, model)),
        )

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("down", "enter", "t", "up", "c")

    run(scenario)
    assert opened == [("preview", "Bruno"), ("training", "Bruno"), ("chat", "Anna")]


def test_rename_asks_for_the_name(home: Path) -> None:
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one("#models", DataTable)
            await pilot.press("r")
            assert isinstance(app.screen, TextPrompt)
            await pilot.press(*["backspace"] * 5)
            await pilot.press(*"Bruno K", "enter")
            await until(pilot, lambda: table.get_row_at(0)[0] == "Bruno K", what="not renamed")

    run(scenario)
    assert [m.name for m in list_models()] == ["Bruno K"]


def test_a_failed_action_shows_a_dialog_not_a_traceback(home: Path) -> None:
    import shutil

    make_model("Anna")
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("r")
            shutil.rmtree(model_folder("Anna"))  # deleted meanwhile, from the command line say
            await pilot.press(*["backspace"] * 4, *"Carla", "enter")
            body = await dialog_text(pilot, ErrorDialog)
            # In the app's words: no command to run.
            assert body == "no model named 'Anna': it was deleted or renamed meanwhile"
            assert str(app.screen.query_one(".dialog-title").render()) == "Cannot do that"
            await pilot.press("escape")
            assert not isinstance(app.screen, ErrorDialog)

    run(scenario)
    assert sorted(m.name for m in list_models()) == ["Bruno"]


def test_delete_asks_first_and_cancel_keeps_the_model(home: Path) -> None:
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("delete")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("enter")  # the focus is on Cancel
            await app.workers.wait_for_complete()
            assert list_models()
            await pilot.press("x", "tab", "enter")
            await until(pilot, lambda: app.screen.query("#empty"), what="the list is not empty")
            assert app.screen.query_one("#empty").display
            sample = app.screen.query_one("#try-sample")
            await until(pilot, lambda: sample.has_focus, what="the sample button has no focus")

    run(scenario)
    assert not list_models()


def test_a_training_model_shows_its_progress_and_is_not_deleted(home: Path) -> None:
    from gpt_is_you.store import jobs

    make_model("Bruno")
    job = add_job("Bruno", jobs.RUNNING, pid=os.getpid())  # this process: a live worker
    with open_model("Bruno") as db:
        jobs.set_progress(db, job, 9, 20, {jobs.TRAIN_LOSS: 1.0})

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=WIDE) as pilot:
            table = app.screen.query_one("#models", DataTable)
            await until(pilot, lambda: table.row_count == 1)
            assert table.get_row_at(0)[5] == "training 45%"
            await pilot.press("delete")
            assert isinstance(app.screen, ErrorDialog)
            assert "Bruno is training" in str(app.screen.query_one(".dialog-body").render())

    run(scenario)
    assert [m.name for m in list_models()] == ["Bruno"]


def test_home_and_end_go_to_the_first_and_the_last_model(home: Path) -> None:
    for name in ("Anna", "Bruno", "Chloe"):
        make_model(name)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one("#models", DataTable)
            await pilot.press("end")  # Textual's table scrolled sideways instead
            assert (table.cursor_row, table.scroll_x) == (2, 0)
            await pilot.press("home")
            assert table.cursor_row == 0

    run(scenario)


def test_the_palette_lists_the_screens_actions(home: Path) -> None:
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"renam")
            found = app.screen.query_one(CommandList)  # every command until the search ends

            def only_rename() -> bool:
                return [str(o.prompt).split("\n")[0] for o in found.options] == ["Rename"]

            await until(pilot, only_rename, what="the palette did not find Rename alone")
            await pilot.press("down", "enter")
            await until(pilot, lambda: isinstance(app.screen, TextPrompt), what="no prompt")

    run(scenario)


def test_esc_says_where_it_goes_back_to(home: Path) -> None:
    """The chat opened from the training screen said "Back to the models"."""
    make_model("Bruno")

    def back(app: GptIsYouApp) -> str:
        (found,) = [c.help for c in app.get_system_commands(app.screen) if c.title == "Back"]
        keys = [a for a in app.screen.active_bindings.values() if a.binding.action == "back"]
        assert {a.tooltip for a in keys} == {found}  # the footer's tooltip says the same
        return found

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            app.open_training("Bruno")
            await pilot.pause()
            assert back(app) == "Back to the models (the job goes on)."
            app.open_chat("Bruno")
            await pilot.pause()
            assert back(app) == "Back to the training screen."
            await pilot.press("escape")
            await pilot.pause()
            app.open_preview("Bruno")
            await pilot.pause()
            assert back(app) == "Back to the training screen."
            app.open_chat("Bruno", replace=True)
            await pilot.pause()
            assert back(app) == "Back to the training screen."
            await pilot.press("escape", "escape")
            await pilot.pause()
            app.open_chat("Bruno")
            await pilot.pause()
            assert back(app) == "Back to the models."

    run(scenario)


def test_keys_can_be_remapped_by_binding_id(home: Path) -> None:
    make_model("Bruno")
    (home / "config").mkdir()
    (home / "config" / "keymap.toml").write_text('"models.rename" = "f2"\n')

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("r")
            assert not isinstance(app.screen, TextPrompt)
            await pilot.press("f2")
            assert isinstance(app.screen, TextPrompt)
            assert app.screen.query_one(Input).value == "Bruno"

    run(scenario)


def test_q_quits(home: Path) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("q")
            await until(pilot, lambda: not app.is_running, what="the app did not quit")

    run(scenario)


def test_f1_toggles_help(home: Path) -> None:
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f1")
            assert app.screen.query("HelpPanel")
            await pilot.press("f1")
            assert not app.screen.query("HelpPanel")

    run(scenario)


@pytest.mark.parametrize(
    "dialog",
    [
        lambda: ConfirmDialog("Delete?", "It goes.", danger=True),
        lambda: ErrorDialog("Oops", "It broke."),
    ],
    ids=["confirm", "error"],
)
def test_a_dialog_shown_as_the_app_quits_is_no_error(dialog) -> None:
    """A dialog pushed as the app quits (a job ended just then) is mounted without its
    buttons: focusing one on mount failed every time, and a test ending there with it."""

    class Quitting(App):
        def on_mount(self) -> None:
            self.push_screen(dialog())
            self.exit()

    async def scenario() -> None:
        async with Quitting().run_test():
            pass

    asyncio.run(scenario())


def test_the_safe_answer_of_a_dialog_has_the_focus(home: Path) -> None:
    async def scenario() -> None:
        async with App().run_test() as pilot:
            for dialog, focused in (
                (ConfirmDialog("Delete?", "It goes.", danger=True), "cancel"),
                (ConfirmDialog("Go on?", "Fine."), "confirm"),
                (ErrorDialog("Oops", "It broke."), "close"),
            ):
                pilot.app.push_screen(dialog)
                await until(pilot, lambda d=dialog: pilot.app.focused and d.is_current)
                assert pilot.app.focused.id == focused
                dialog.dismiss()
                await pilot.pause()

    asyncio.run(scenario())


def test_empty_state_snapshot(home: Path, snap_compare) -> None:
    assert snap_compare(GptIsYouApp(), terminal_size=SIZE)


def test_models_snapshot(home: Path, snap_compare) -> None:
    make_model("Anna")
    make_model("Bruno")
    assert model_folder("Bruno").is_dir()
    assert snap_compare(GptIsYouApp(), terminal_size=SIZE, press=["down"])


def test_empty_state_snapshot_80x24(home: Path, snap_compare) -> None:
    assert snap_compare(GptIsYouApp(), terminal_size=(80, 24))


def test_models_snapshot_80x24(home: Path, snap_compare) -> None:
    make_model("Anna")
    make_model("Bruno")
    assert snap_compare(GptIsYouApp(), terminal_size=(80, 24), press=["down"])


def test_duplicate_dialog_snapshot_80x24(home: Path, snap_compare) -> None:
    make_model("Bruno")
    assert snap_compare(GptIsYouApp(), terminal_size=(80, 24), press=["d"])


def test_duplicate_builds_a_copy_with_other_settings(home: Path) -> None:
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one("#models", DataTable)
            await pilot.press("d")
            name = app.screen.query_one("#duplicate-name", Input)
            assert name.value == "Bruno 2"
            app.screen.query_one("#session-gap", Input).focus()
            await pilot.press(*["backspace"] * 4, "1")
            name.focus()
            await pilot.press("enter")
            await until(pilot, lambda: table.row_count == 2, what="no copy listed")
            assert [table.get_row_at(i)[0] for i in range(2)] == ["Bruno", "Bruno 2"]

    run(scenario)
    with open_model("Bruno 2") as db:
        settings = json.loads(db.execute("SELECT settings FROM builds").fetchone()[0])
    assert settings["session_gap"] == 3600


def test_the_first_frame_reads_the_stores_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list read for the first frame is not read again at once by a worker (a second
    pass over every store, beside the first frame); coming back to the screen reads it."""
    make_model("Bruno")
    monkeypatch.setattr(models_screen, "REFRESH_SECONDS", 3600)  # no timer in the count
    reads = calls(monkeypatch, models_screen, "list_models")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert reads() == 1
            await app.push_screen(Screen())
            app.pop_screen()
            await until(pilot, lambda: reads() == 2, what="coming back did not read the list")

    run(scenario)
