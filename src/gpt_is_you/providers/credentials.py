"""Where keys and tokens are saved: the system keyring (where the ``keyring`` package has
a working backend) or ``connections.toml`` in the config folder (0600, written whole).

One section per service (``openai``, ``azure``, ``huggingface``); a saved key is read from
the keyring first, then from the file. Nothing here ever prints or logs a key.
"""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
from pathlib import Path

from gpt_is_you.paths import config_dir
from gpt_is_you.providers.errors import ProviderError

CONFIG_FILE = "connections.toml"
KEYRING_SERVICE = "gpt-is-you"
KEY = "api_key"  # a key's name in its section of the file


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def read_config() -> dict[str, dict[str, str]]:
    path = config_path()
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ProviderError(f"cannot read {path}: {e}; fix or delete it") from None
    return {k: {n: str(v) for n, v in v.items()} for k, v in data.items() if isinstance(v, dict)}


def write_config(config: dict[str, dict[str, str]]) -> None:
    """TOML of string values only; JSON's string escapes are valid TOML basic strings."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lines = []
    for section, values in config.items():
        if values:
            lines.append(f"[{section}]")
            lines += [f"{name} = {json.dumps(value)}" for name, value in values.items()]
            lines.append("")
    temp = path.with_name(f".{path.name}.tmp")
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(temp, path)


def saved_key(section: str, saved: dict[str, str]) -> tuple[str | None, str]:
    """The key saved for ``section`` (``saved`` is its part of the file) and where it came
    from, for messages; ``(None, "")`` when none is."""
    stored = _keyring_get(section)
    if stored:
        return stored, "the system keyring"
    if saved.get(KEY):
        return saved[KEY], str(config_path())
    return None, ""


def put_key(section: str, values: dict[str, str], key: str, *, use_keyring: bool) -> str:
    """Keep ``key`` in the keyring when asked and able, else in ``values`` (the section
    the caller then writes); returns where it went."""
    if use_keyring and _keyring_set(section, key):
        values.pop(KEY, None)
        return "the system keyring"
    values[KEY] = key
    return str(config_path())


def forget_key(section: str) -> None:
    config = read_config()
    config.get(section, {}).pop(KEY, None)
    write_config(config)
    _keyring_delete(section)


def keyring_available() -> bool:
    keyring = _keyring()
    if keyring is None:
        return False
    from keyring.backends.fail import Keyring as NoKeyring

    return not isinstance(keyring.get_keyring(), NoKeyring)


def _keyring():
    try:
        import keyring
    except ImportError:
        return None
    return keyring


def _keyring_get(section: str) -> str | None:
    keyring = _keyring()
    if keyring is None:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, section)
    except Exception:  # no usable keyring backend on this machine: the other sources stay
        return None


def _keyring_set(section: str, key: str) -> bool:
    keyring = _keyring()
    if keyring is None:
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, section, key)
    except Exception:  # no usable keyring: the caller falls back to the config file
        return False
    return True


def _keyring_delete(section: str) -> None:
    keyring = _keyring()
    if keyring is None:
        return
    with contextlib.suppress(Exception):  # nothing saved there, or no usable keyring
        keyring.delete_password(KEYRING_SERVICE, section)
