"""The error every provider raises for something the user can fix (shown as one line)."""

from __future__ import annotations


class ProviderError(Exception):
    """A training or chat problem the user can act on; its text says what to do."""
