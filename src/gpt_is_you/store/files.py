"""Writing the user's files (exports, conversations): private, whole or not at all, and
a destination that cannot take them refused with one line that names it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gpt_is_you.store.errors import MISSING, StorageError
from gpt_is_you.store.faults import faults


def check_destination(path: Path) -> None:
    """Refuse a destination that is a folder, or in a folder that does not exist (no
    folders are made for the user: a mistyped path would go unnoticed)."""
    if path.is_dir():
        raise StorageError(f"{path} is a folder: give the name of a file in it", MISSING)
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise StorageError(f"{folder} is not a folder", MISSING)
    if not folder.is_dir():
        raise StorageError(f"{folder}: no such folder; create it first", MISSING)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all, readable by its owner only (0600)."""
    check_destination(path)
    with faults(path.parent, files=True):
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
