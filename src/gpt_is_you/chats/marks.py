"""Invisible characters that phones sprinkle into exports, and how names are cleaned."""

from __future__ import annotations

# Direction marks and the byte-order mark: never part of what anyone typed.
INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_DROP_INVISIBLE = {ord(c): None for c in INVISIBLE}
_NAME_TABLE = {**_DROP_INVISIBLE, 0x00A0: " ", 0x202F: " "}


def clean_name(raw: str) -> str:
    """A display name with direction marks removed and no-break spaces made plain."""
    return raw.translate(_NAME_TABLE).strip()


def strip_leading_marks(text: str) -> str:
    """Text with invisible marks removed from its start (and only there)."""
    return text.lstrip(INVISIBLE)
