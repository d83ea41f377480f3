"""A model whose store cannot be read (damaged, or made by a newer gpt-is-you): listed
as such with its path, deletable, one line for every other command; the other models
work, in the command line and in the app."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable

from gpt_is_you.cli import main
from gpt_is_you.store import schema
from gpt_is_you.store.errors import NEWER, UnreadableModelError
from gpt_is_you.store.models import DB_NAME, list_models, open_model
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog, ErrorDialog, TextPrompt
from pilot_helpers import dialog_text

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"


def _new(name: str) -> Path:
    assert main(["new", name, "--from", str(FIXTURE), "--persona", "Bruno Keller", "--yes"]) == 0
    return _folder(name)


def _folder(name: str) -> Path:
    (summary,) = (m for m in list_models() if m.name == name)
    return Path(summary.path)


def _truncate(db: Path) -> None:
    db.write_bytes(db.read_bytes()[:1000])


def _empty(db: Path) -> None:
    db.write_bytes(b"")


def _garbage(db: Path) -> None:
    db.write_bytes(bytes(range(256)) * 200)


def _text(db: Path) -> None:
    db.write_text("these are my notes, not a database\n", encoding="utf-8")


def _foreign(db: Path) -> None:
    db.unlink()
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE notes (text TEXT)")
    other.commit()
    other.close()


DAMAGE = {
    "truncated": (_truncate, "malformed"),
    "empty": (_empty, "empty"),
    "garbage": (_garbage, "not a database"),
    "text": (_text, "not a database"),
    "another program's": (_foreign, "holds no model"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_model_is_listed_with_its_path_and_deleted_by_rm(home, capsys, damage):
    spoil, problem = DAMAGE[damage]
    _new("Anna")
    folder = _new("Bruno")
    spoil(folder / DB_NAME)
    capsys.readouterr()

    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Anna\tBruno Keller\t") and lines[0].endswith("\tready")
    assert lines[1].startswith("bruno\t") and "damaged: " in lines[1] and str(folder) in lines[1]
    assert main(["models", "--json"]) == 0
    anna, bruno = json.loads(capsys.readouterr().out)
    assert (anna["state"], anna["problem"], anna["train"] > 0) == ("ready", "", True)
    assert (bruno["name"], bruno["state"], bruno["path"]) == ("bruno", "damaged", str(folder))
    assert problem in bruno["problem"]

    for command in (["status", "bruno"], ["examples", "bruno"], ["train", "bruno"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(folder) in err and "is damaged" in err, command
        assert "`gpt-is-you rm bruno` deletes it" in err

    assert main(["rm", "bruno", "--yes"]) == 0
    assert not folder.exists()
    assert [m.name for m in list_models()] == ["Anna"]
    assert main(["status", "Anna"]) == 0  # the other model was never touched


def test_a_damaged_model_goes_by_its_folder_name_and_nothing_else(home, capsys):
    _new("Bruno Keller")
    folder = _folder("Bruno Keller")
    _garbage(folder / DB_NAME)
    capsys.readouterr()
    # Its name is in the store that cannot be read: the error names the folder, and rm
    # deletes nothing under another name.
    for name in ("Bruno Keller", "../bruno-keller"):
        assert main(["rm", name, "--yes"]) == 2
        assert "`gpt-is-you rm bruno-keller` deletes it" in capsys.readouterr().err
    assert folder.exists()
    assert main(["rm", "BRUNO-KELLER", "--yes"]) == 0
    assert not folder.exists()


def test_a_model_of_a_newer_gpt_is_you_says_so(home, capsys):
    _new("Bruno")
    folder = _folder("Bruno")
    newer = sqlite3.connect(folder / DB_NAME)
    newer.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    newer.close()
    capsys.readouterr()

    (listed,) = list_models()
    assert (listed.name, listed.state) == ("bruno", NEWER)
    assert f"version {schema.VERSION + 1}" in listed.problem
    with pytest.raises(UnreadableModelError, match="newer gpt-is-you"), open_model("bruno"):
        pass
    assert main(["examples", "bruno"]) == 2
    assert "update gpt-is-you" in capsys.readouterr().err
    # Nothing was written into it: a newer gpt-is-you still finds it as it left it.
    check = sqlite3.connect(folder / DB_NAME)
    assert check.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION + 1
    check.close()


def test_a_damaged_model_in_the_app_is_listed_explained_and_deleted(home):
    _new("Anna")
    folder = _new("Bruno")
    _truncate(folder / DB_NAME)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.screen.query_one("#models", DataTable)
            assert [table.get_row_at(i)[0] for i in range(2)] == ["Anna", "bruno"]
            # By the column's key: below 120 columns the table leaves out the source.
            assert table.get_cell("bruno", "state") == "damaged"
            await pilot.press("down", "enter")
            assert isinstance(app.screen, ErrorDialog)
            body = str(app.screen.query_one(".dialog-body").render())
            assert "malformed" in body and str(folder) in body
            await pilot.press("escape", "x")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("tab", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert table.row_count == 1

    asyncio.run(scenario())
    assert not folder.exists()
    assert [m.name for m in list_models()] == ["Anna"]


@pytest.mark.parametrize("key", ["enter", "t", "c", "e", "d", "r"])
def test_a_model_damaged_while_the_app_shows_it_is_a_dialog(home, key):
    folder = _new("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=(100, 30)) as pilot:
            # The list on screen shows it as it was until it is read again (every 2 s):
            # either way, a dialog says what is wrong.
            _truncate(folder / DB_NAME)
            await pilot.press(key)
            if isinstance(app.screen, TextPrompt):  # r: the new name, then the rename
                await pilot.press(*"Anna", "enter")
            body = await dialog_text(pilot, ErrorDialog)
            assert "is damaged" in body and str(folder) in body

    asyncio.run(scenario())


def test_the_app_starts_when_the_models_folder_cannot_be_read(home, monkeypatch):
    _new("Anna")

    models, iterdir = home / "models", Path.iterdir

    def unreadable(self):
        if self == models:
            raise PermissionError(13, "Permission denied", str(self))
        return iterdir(self)

    monkeypatch.setattr(Path, "iterdir", unreadable)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ErrorDialog)
            body = str(app.screen.query_one(".dialog-body").render())
            assert str(home / "models") in body and "permission denied" in body

    asyncio.run(scenario())
