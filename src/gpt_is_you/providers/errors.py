"""The errors any backend raises for something the user can fix (shown as one line)."""

from __future__ import annotations


class ProviderError(Exception):
    """A training or chat problem the user can act on; its text says what to do, ``app``
    how in the app where the text names a command (``user_errors.app_text``)."""

    def __init__(self, line: str, *, app: str | None = None) -> None:
        super().__init__(line)
        self.app = app


class ReplyCut(ProviderError):
    """The reply stopped before its end (the connection broke, or the server ended the
    stream without saying the reply was finished); what came was yielded already."""
