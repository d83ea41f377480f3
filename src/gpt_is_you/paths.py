"""Where gpt-is-you keeps its data. Resolved when asked, never at import."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "gpt-is-you"


def data_dir() -> Path:
    """The data directory: ``GPT_IS_YOU_HOME`` if set, else the platform's user data dir."""
    return _chosen("GPT_IS_YOU_HOME", "user_data_dir")


def models_dir() -> Path:
    """The folder holding one sub-folder per model (it may not exist yet)."""
    return data_dir() / "models"


def cache_dir() -> Path:
    """Rebuildable data (converted base models): ``GPT_IS_YOU_CACHE`` or the platform's."""
    return _chosen("GPT_IS_YOU_CACHE", "user_cache_dir")


def config_dir() -> Path:
    """User settings (the key map): ``GPT_IS_YOU_CONFIG`` or the platform's config dir."""
    return _chosen("GPT_IS_YOU_CONFIG", "user_config_dir")


def _chosen(variable: str, platform_dir: str) -> Path:
    """The folder the environment variable names, else the platform's (``platformdirs``,
    loaded only then)."""
    override = os.environ.get(variable)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(getattr(platformdirs, platform_dir)(APP_NAME))


def sample_chat() -> Path | None:
    """The sample chat of invented people that ships inside the package (package data).

    The wizard reads it by path, so it is offered only where the package is installed as
    files (a wheel, a source checkout), not from inside a zip archive.
    """
    from importlib.resources import files

    found = files("gpt_is_you") / "sample" / "sample_chat.txt"
    return found if isinstance(found, Path) and found.is_file() else None
