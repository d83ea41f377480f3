"""Finding an export on disk: completion for a path field, and a file browser.

Only folders and the files an export can be (``.txt``, ``.zip``, ``.json``) are offered;
what the file holds is decided when it is read, never by its name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester
from textual.widgets import Button, DirectoryTree, Static

from gpt_is_you.tui.widgets.dialogs import Dialog

EXPORT_SUFFIXES = (".txt", ".zip", ".json")


def _offered(path: Path, *, hidden: bool = False) -> bool:
    """A folder, or a file an export can be; hidden ones only when asked for."""
    if path.name.startswith(".") and not hidden:
        return False
    try:
        return path.is_dir() or path.suffix.lower() in EXPORT_SUFFIXES
    except OSError:  # a broken link, a folder we may not read
        return False


class ExportPathSuggester(Suggester):
    """Completes a path as it is typed, from the folders and export files on disk.

    ``~/Dow`` suggests ``~/Downloads/``; the user accepts with → (or End). The first
    match in name order wins, folders ending in a slash so that typing goes on inside.
    """

    def __init__(self) -> None:
        # File names are case-sensitive and the disk changes: no folding, no cache.
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        folder_part, _, prefix = value.rpartition(os.sep)
        if not folder_part and value.startswith(os.sep):
            folder_part = os.sep
        folder = Path(os.path.expanduser(folder_part or "."))
        try:
            names = sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix))
        except OSError:
            return None
        for name in names:
            path = folder / name
            if _offered(path, hidden=prefix.startswith(".")):
                suggestion = value + name[len(prefix) :] + (os.sep if path.is_dir() else "")
                if suggestion != value:
                    return suggestion
        return None


class ExportTree(DirectoryTree):
    """A directory tree of folders and possible export files."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if _offered(p)]


class ExportBrowser(Dialog[str | None]):
    """A file browser for an export; dismisses with the chosen file, or None. Enter or
    Ctrl+N on a file chooses it, on a folder opens it."""

    SUBMIT = "Choose"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "backspace",
            "up",
            "Parent folder",
            id="browse.up",
            tooltip="Show the folder that holds this one.",
        ),
    ]

    HELP = """\
## Choose the export

Folders and the files an export can be (`.txt`, `.zip`, `.json`) are shown.
Arrow keys move, **Enter** opens a folder or chooses a file,
**Backspace** goes up to the parent folder, **Esc** closes.
"""

    def __init__(self, start: Path) -> None:
        super().__init__()
        self._start = start

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="browse-box"):
            yield Static("Choose the chat export", classes="dialog-title")
            yield Static("", id="browse-folder", markup=False)
            yield ExportTree(self._start, id="browse-tree")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Parent folder", id="browse-up")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._show_folder()
        self.query_one(ExportTree).focus()

    def action_up(self) -> None:
        tree = self.query_one(ExportTree)
        tree.path = Path(tree.path).resolve().parent
        self._show_folder()

    def _show_folder(self) -> None:
        folder = Path(self.query_one(ExportTree).path).resolve()
        self.query_one("#browse-folder", Static).update(str(folder))

    @on(DirectoryTree.FileSelected)
    def _chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(str(event.path))

    @on(Button.Pressed, "#browse-up")
    def _up_pressed(self) -> None:
        self.action_up()

    def action_submit(self) -> None:
        self.query_one(ExportTree).action_select_cursor()
