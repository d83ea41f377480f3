"""Small pieces of English the CLI and the app both write."""

from __future__ import annotations


def count(n: int, noun: str) -> str:
    """'1 completion', '2 completions'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
