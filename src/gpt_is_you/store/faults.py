"""What SQLite and the disk refuse, as one line that names the path.

A store that cannot be read becomes an ``UnreadableModelError``; a folder that is full,
read-only or missing, or a store another process holds, a ``StorageError``. They are
translated where the store opens a database or changes its folders (``faults``), once,
rather than caught around every query.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gpt_is_you.store.errors import (
    BUSY,
    FAILED,
    FULL,
    MISSING,
    READ_ONLY,
    ModelError,
    StorageError,
    UnreadableModelError,
)


@contextmanager
def faults(folder: Path, *, files: bool = False) -> Iterator[None]:
    """SQLite's refusals inside the block as errors that name ``folder`` (a model's);
    with ``files``, the system's too (the block creates, moves or deletes files)."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        fault = sqlite_fault(e, folder)
        if fault is None:
            raise
        raise fault from e
    except OSError as e:
        fault = os_fault(e, folder) if files else None
        if fault is None:
            raise
        raise fault from e


def sqlite_fault(e: sqlite3.DatabaseError, folder: Path) -> ModelError | None:
    """What ``e`` means for the model in ``folder``; None for a bug of ours."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is None:
        return None
    code &= 0xFF  # the primary code; the extended ones say where
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return UnreadableModelError(folder, str(e))
    if code == sqlite3.SQLITE_FULL:
        return StorageError(f"no space left for the model in {folder}: free some space", FULL)
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return StorageError(
            f"cannot change the model in {folder}: the folder or its model.db is read-only ({e})",
            READ_ONLY,
        )
    if code == sqlite3.SQLITE_CANTOPEN:
        return StorageError(f"cannot open the model in {folder}: {e}", FAILED)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StorageError(
            f"the model in {folder} is busy: another gpt-is-you kept it locked; try again",
            BUSY,
        )
    if code == sqlite3.SQLITE_IOERR:
        return StorageError(f"the disk failed on the model in {folder}: {e}", FAILED)
    return None


def os_fault(e: OSError, folder: Path) -> StorageError | None:
    """What ``e`` means for the file it names (else ``folder``); None when it is not the
    disk refusing."""
    path = e.filename or folder
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(f"no space left for {path}: free some space", FULL)
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the disk is read-only" if e.errno == errno.EROFS else "permission denied"
        return StorageError(f"cannot write {path}: {why}", READ_ONLY)
    if e.errno == errno.ENOENT:
        return StorageError(f"{path}: no such file or folder", MISSING)
    if e.errno == errno.EIO:
        return StorageError(f"the disk failed on {path}: {e.strerror}", FAILED)
    return None
