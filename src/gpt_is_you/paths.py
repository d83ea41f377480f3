"""Where gpt-is-you keeps its data. Resolved when asked, never at import."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "gpt-is-you"


def data_dir() -> Path:
    """The data directory: ``GPT_IS_YOU_HOME`` if set, else the platform's user data dir."""
    override = os.environ.get("GPT_IS_YOU_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def models_dir() -> Path:
    """The folder holding one sub-folder per model (it may not exist yet)."""
    return data_dir() / "models"


def cache_dir() -> Path:
    """Rebuildable data (converted base models): ``GPT_IS_YOU_CACHE`` or the platform's."""
    override = os.environ.get("GPT_IS_YOU_CACHE")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME))


def config_dir() -> Path:
    """User settings (the key map): ``GPT_IS_YOU_CONFIG`` or the platform's config dir."""
    override = os.environ.get("GPT_IS_YOU_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def sample_chat() -> Path | None:
    """The sample chat of invented people that ships inside the package (package data).

    The wizard reads it by path, so it is offered only where the package is installed as
    files (a wheel, a source checkout), not from inside a zip archive.
    """
    from importlib.resources import files

    found = files("gpt_is_you") / "sample" / "sample_chat.txt"
    return found if isinstance(found, Path) and found.is_file() else None
