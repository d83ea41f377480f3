"""Where the remote backends connect, and with which key.

Two backends: ``openai`` (OpenAI itself, or any OpenAI-compatible server at a base URL:
Ollama, vLLM, llama.cpp's server, LM Studio) and ``azure`` (Azure OpenAI: an endpoint and
an API version). Each setting comes from, in order: the environment variables the openai
SDK reads, the system keyring (keys only, where the ``keyring`` package has a working
backend), and ``connections.toml`` in the config folder (0600). The key is held by the
Connection and handed to the SDK; it is never written to a model's store, a log or a
message, and neither is a user or password written into a URL (``http://user:pw@host/v1``):
messages show such a URL as ``http://***@host/v1``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from gpt_is_you.providers.credentials import (
    config_path,
    put_key,
    read_config,
    saved_key,
    write_config,
)
from gpt_is_you.providers.credentials import forget_key as _forget
from gpt_is_you.providers.errors import ProviderError

BACKENDS = ("openai", "azure")
DEFAULT_API_VERSION = "2025-04-01-preview"
OPENAI_URL = "https://api.openai.com/v1"

# The environment variables the SDK itself reads, by backend and setting.
_ENV = {
    "openai": {"key": "OPENAI_API_KEY", "base_url": "OPENAI_BASE_URL"},
    "azure": {
        "key": "AZURE_OPENAI_API_KEY",
        "endpoint": "AZURE_OPENAI_ENDPOINT",
        "api_version": "OPENAI_API_VERSION",
    },
}
_NAMES = {"openai": "OpenAI", "azure": "Azure OpenAI"}
# The user and password of a URL: after the scheme, up to the last "@" before the path.
_CREDENTIALS = re.compile(r"(?<=://)[^/?#\s]*@")
# Where a setting may be given, for messages: the settings that are URLs.
_URL_SETTINGS = {"base_url": "base URL", "endpoint": "endpoint"}


def hide_credentials(text: str) -> str:
    """``text`` with the user and password of every URL in it masked: ``http://***@host``."""
    return _CREDENTIALS.sub("***@", text)


def url_problem(url: str) -> str | None:
    """Why ``url`` is not the address of a server (None when it is one)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises ValueError here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            f"{hide_credentials(url)!r} is not the address of a server: write it as "
            "http(s)://HOST/…"
        )
    return None


@dataclass(frozen=True)
class Connection:
    backend: str
    url: str  # OpenAI's base URL, or the Azure endpoint
    api_version: str | None
    key_source: str  # where the key came from, for messages
    key: str = field(repr=False)

    @property
    def service(self) -> str:
        """The service's name in messages: "OpenAI", "Azure OpenAI" or the server's URL."""
        if self.backend == "openai" and self.url.rstrip("/") != OPENAI_URL:
            return self.shown_url
        return _NAMES[self.backend]

    @property
    def shown_url(self) -> str:
        """The URL as messages show it: without a user or password in it."""
        return hide_credentials(self.url)

    def client(self, *, max_retries: int = 2, timeout: float = 60.0):
        import openai

        if self.backend == "azure":
            return openai.AzureOpenAI(
                azure_endpoint=self.url,
                api_version=self.api_version,
                api_key=self.key,
                max_retries=max_retries,
                timeout=timeout,
            )
        return openai.OpenAI(
            base_url=self.url, api_key=self.key, max_retries=max_retries, timeout=timeout
        )


def connection(backend: str) -> Connection:
    """The connection of ``backend``, or a ProviderError saying what to set."""
    if backend not in BACKENDS:
        raise ProviderError(f"unknown backend {backend!r}; use local, openai or azure")
    saved = read_config().get(backend, {})
    env = _ENV[backend]
    setting = "endpoint" if backend == "azure" else "base_url"
    url = os.environ.get(env[setting]) or saved.get(setting)
    if url:
        problem = url_problem(url)
        if problem is not None:
            where = env[setting] if os.environ.get(env[setting]) else str(config_path())
            raise ProviderError(
                f"the {_URL_SETTINGS[setting]} in {where}: {problem}; fix it, or set it again "
                f"with `gpt-is-you connect {backend} --{setting.replace('_', '-')} URL`",
                app=f"the {_URL_SETTINGS[setting]} in {where}: {problem}; fix it there",
            )
    if backend == "azure":
        if not url:
            raise ProviderError(
                "no Azure OpenAI endpoint: set AZURE_OPENAI_ENDPOINT or run "
                "`gpt-is-you connect azure --endpoint URL`",
                app="no Azure OpenAI endpoint: give it in the API key dialog, which a run "
                "on Azure OpenAI asks for first",
            )
        version = (
            os.environ.get(env["api_version"]) or saved.get("api_version") or DEFAULT_API_VERSION
        )
    else:
        url = url or OPENAI_URL
        version = None
    key, source = _key(backend, saved)
    if key is None:
        if backend == "openai" and url.rstrip("/") != OPENAI_URL:
            # Servers of one's own (Ollama, vLLM…) often take no key; the SDK needs one.
            key, source = "none", "no key"
        else:
            raise ProviderError(
                f"no {_NAMES[backend]} API key: set {env['key']} or save one with "
                f"`gpt-is-you connect {backend}`",
                app=f"no {_NAMES[backend]} API key: give one in the API key dialog, which a "
                "run asks for first",
            )
    return Connection(backend, url, version, source, key)


def delete_files_by_default(backend: str) -> bool:
    """Whether the user chose to delete a job's uploaded files whenever a job ends."""
    return read_config().get(backend, {}).get("delete_files") == "always"


def has_key(backend: str) -> bool:
    try:
        connection(backend)
    except ProviderError:
        return False
    return True


def save(
    backend: str,
    *,
    key: str | None = None,
    use_keyring: bool = False,
    **settings: str | None,
) -> str:
    """Save a backend's settings (``base_url``, ``endpoint``, ``api_version``,
    ``delete_files``: "always" or "ask") and key;
    returns where the key went. The file is written whole, readable by the user only;
    nothing is written when a URL is not one."""
    if backend not in BACKENDS:
        raise ProviderError(f"unknown backend {backend!r}; use openai or azure")
    for name, label in _URL_SETTINGS.items():
        problem = settings.get(name) and url_problem(str(settings[name]))
        if problem:
            raise ProviderError(f"the {label} {problem}; nothing was saved")
    config = read_config()
    section = dict(config.get(backend, {}))
    section.update({k: v for k, v in settings.items() if v})
    where = put_key(backend, section, key, use_keyring=use_keyring) if key else "none"
    config[backend] = section
    write_config(config)
    return where


def use_for_session(backend: str, *, key: str, **settings: str | None) -> None:
    """Use a key (and ``endpoint``, ``api_version``) until this process ends, saving
    nothing: the environment, which the job's watcher process inherits."""
    env = _ENV[backend]
    os.environ[env["key"]] = key
    for name, value in settings.items():
        if value and name in env:
            os.environ[env[name]] = value


def saved_endpoint(backend: str = "azure") -> str:
    """The Azure endpoint already set, to offer it again ("" when none)."""
    if os.environ.get(_ENV[backend]["endpoint"]):
        return os.environ[_ENV[backend]["endpoint"]]
    try:
        return read_config().get(backend, {}).get("endpoint", "")
    except ProviderError:  # an unreadable file is reported when it is used, not here
        return ""


def forget_key(backend: str) -> None:
    _forget(backend)


def _key(backend: str, saved: dict[str, str]) -> tuple[str | None, str]:
    variable = _ENV[backend]["key"]
    if os.environ.get(variable):
        return os.environ[variable], variable
    return saved_key(backend, saved)
