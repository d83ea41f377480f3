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
    """The bundled sample chat of invented people (in a source checkout), if present."""
    path = Path(__file__).resolve().parents[2] / "assets" / "sample" / "sample_chat.txt"
    return path if path.is_file() else None
