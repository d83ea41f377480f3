"""The store's errors, light to import for the command line's error handling."""

from __future__ import annotations

from pathlib import Path

# The states a model that cannot be read is listed with.
DAMAGED = "damaged"
NEWER = "newer version"

# Why the disk refused (``StorageError.reason``).
FULL = "full"
READ_ONLY = "read-only"
MISSING = "missing"
BUSY = "busy"
FAILED = "failed"


class ModelError(ValueError):
    """A model that does not exist, or already does. ``str()`` is the line to show; ``app``
    the app's, where the line names a command (``user_errors.app_text``)."""

    def __init__(self, line: str, *, app: str | None = None) -> None:
        super().__init__(line)
        self.app = app


class UnreadableModelError(ModelError):
    """A model whose store cannot be read: damaged, or made by a newer gpt-is-you.

    Its name is in the store it cannot read, so it goes by its folder's name, which is
    also how ``rm`` deletes it.
    """

    def __init__(self, folder: Path, problem: str, state: str = DAMAGED) -> None:
        self.folder = folder
        self.problem = problem
        self.state = state
        said = f"model {folder.name!r} ({folder})"
        if state == NEWER:
            super().__init__(
                f"{said} was made by a newer gpt-is-you ({problem}); update gpt-is-you"
            )
        else:
            super().__init__(
                f"{said} is damaged: {problem}; `gpt-is-you rm {folder.name}` deletes it",
                app=f"{said} is damaged: {problem}; x on the models screen deletes it",
            )


class StorageError(ModelError):
    """The disk refused: a folder that is missing, read-only or full. ``str()`` names the
    path and says what to do; ``reason`` is FULL, READ_ONLY, MISSING, BUSY or FAILED."""

    def __init__(self, line: str, reason: str) -> None:
        super().__init__(line)
        self.reason = reason
