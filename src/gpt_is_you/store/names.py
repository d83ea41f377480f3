"""Model names: what a name may be, and the folder it is kept in.

A model is found by its name, compared without regard to case; its folder's name (the
slug) is only where it is kept. Two names that would share a folder cannot both exist.
"""

from __future__ import annotations

import re
import unicodedata

from gpt_is_you.store.errors import ModelError

# Long enough for any name a person gives; a list, a dialog title and a folder stay usable.
MAX_NAME = 100


def check_name(name: str) -> str:
    """``name`` without its surrounding spaces, or a ModelError that says the rule broken.

    A name is shown in lists and typed in commands: no path separators or ``..`` (a name
    must never read as a path), no control characters, at most MAX_NAME characters, and
    at least a letter or digit for its folder's name.
    """
    name = name.strip()
    shown = shorten(name)
    if not name:
        raise ModelError("a model needs a name")
    if len(name) > MAX_NAME:
        raise ModelError(f"{shown} is too long for a model's name: {MAX_NAME} characters at most")
    if "/" in name or "\\" in name or ".." in name:
        raise ModelError(f"{shown} cannot name a model: no '/', '\\' or '..' in a name")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise ModelError(f"{shown} cannot name a model: no control characters or line breaks")
    slugify(name)
    return name


def slugify(name: str) -> str:
    """A folder name for a model: lowercase ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        raise ModelError(f"{shorten(name)} cannot name a model: use letters or digits")
    return slug[:64]


def shorten(name: str) -> str:
    """``name`` quoted for a message (escapes and all: it may hold anything), cut when it
    would make the line unreadable."""
    shown = repr(name)
    return shown if len(shown) <= 50 else f"{shown[:48]}…{shown[0]}"
