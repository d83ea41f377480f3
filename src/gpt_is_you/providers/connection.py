"""Where the remote services are, and with which key.

The built-in services: ``openai`` (OpenAI itself, or any OpenAI-compatible server at a base
URL: Ollama, vLLM, llama.cpp's server, LM Studio), ``azure`` (Azure OpenAI: an endpoint and
an API version) and ``together`` (Together AI, through its own SDK; chat through its
OpenAI-compatible endpoint). Besides them, named connections (``connect NAME --base-url
URL``): OpenAI-compatible fine-tuning services, each a section of ``connections.toml``
marked ``kind = "openai-compatible"``, with its key in ``NAME_API_KEY`` or saved.

Each setting comes from, in order: the environment variables the service's SDK reads, the
system keyring (keys only, where the ``keyring`` package has a working backend), and
``connections.toml`` in the config folder (0600). The key is held by the Connection and
handed to the SDK; it is never written to a model's store, a log or a message, and neither
is a user or password written into a URL (``http://user:pw@host/v1``): messages show such a
URL as ``http://***@host/v1``.
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

# What a service speaks.
OPENAI, AZURE, TOGETHER, COMPATIBLE = "openai", "azure", "together", "openai-compatible"
DEFAULT_API_VERSION = "2025-04-01-preview"
OPENAI_URL = "https://api.openai.com/v1"
TOGETHER_URL = "https://api.together.ai"  # the together SDK's own default: its paths add /v1
# Names a connection cannot take: the backends and the other sections of connections.toml.
RESERVED = frozenset({"local", OPENAI, AZURE, TOGETHER, "huggingface"})
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class Service:
    """How a service's settings and key are found."""

    name: str  # the backend's name, and its section in connections.toml
    kind: str  # OPENAI, AZURE, TOGETHER or COMPATIBLE
    shown: str  # as messages name it
    key_env: str  # the environment variable of its key
    url_setting: str = "base_url"  # "endpoint" for Azure
    url_env: str | None = None  # the environment variable of its URL, where the SDK has one
    default_url: str | None = None
    version_env: str | None = None  # Azure's API version


SERVICES = {
    OPENAI: Service(
        OPENAI, OPENAI, "OpenAI", "OPENAI_API_KEY", "base_url", "OPENAI_BASE_URL", OPENAI_URL
    ),
    AZURE: Service(
        AZURE,
        AZURE,
        "Azure OpenAI",
        "AZURE_OPENAI_API_KEY",
        "endpoint",
        "AZURE_OPENAI_ENDPOINT",
        version_env="OPENAI_API_VERSION",
    ),
    TOGETHER: Service(
        TOGETHER,
        TOGETHER,
        "Together AI",
        "TOGETHER_API_KEY",
        "base_url",
        "TOGETHER_BASE_URL",
        TOGETHER_URL,
    ),
}
# The user and password of a URL: after the scheme, up to the last "@" before the path.
_CREDENTIALS = re.compile(r"(?<=://)[^/?#\s]*@")
# Where a setting may be given, for messages: the settings that are URLs.
_URL_SETTINGS = {"base_url": "base URL", "endpoint": "endpoint"}


def service_of(name: str) -> Service:
    """The service a backend named ``name`` connects to: a built-in one, or the named
    connection saved under that name; a ProviderError when there is none."""
    if name in SERVICES:
        return SERVICES[name]
    if name in named():
        return _named_service(name)
    raise ProviderError(
        f"no connection named {name!r}: make one with `gpt-is-you connect {name} --base-url URL`",
        app=f"no connection named {name!r}: make one with the command line's connect",
    )


def named() -> dict[str, dict[str, str]]:
    """The named connections saved in connections.toml, by name (an unreadable file
    gives none here: it is reported where a connection is used)."""
    try:
        config = read_config()
    except ProviderError:
        return {}
    return {
        name: section
        for name, section in config.items()
        if section.get("kind") == COMPATIBLE and name not in RESERVED and _NAME.match(name)
    }


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new connection (None when it can)."""
    if name in RESERVED:
        return f"{name!r} is a built-in backend; a connection needs a name of its own"
    if not _NAME.match(name):
        return (
            f"{name!r} cannot name a connection: use lowercase letters, digits and dashes, "
            "starting with a letter (at most 32)"
        )
    return None


def _named_service(name: str) -> Service:
    return Service(name, COMPATIBLE, name, re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_API_KEY")


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
    url: str  # the base URL (for Together, the bare host), or the Azure endpoint
    api_version: str | None
    key_source: str  # where the key came from, for messages
    key: str = field(repr=False)
    kind: str = OPENAI
    profile: str | None = None  # a named connection's service profile

    @property
    def service(self) -> str:
        """The service's name in messages: "OpenAI", "Azure OpenAI", "Together AI", a
        named connection's name, or the URL of a server set as OpenAI's base URL."""
        if self.kind == OPENAI and self.url.rstrip("/") != OPENAI_URL:
            return self.shown_url
        return service_of(self.backend).shown if self.kind != COMPATIBLE else self.backend

    @property
    def shown_url(self) -> str:
        """The URL as messages show it: without a user or password in it."""
        return hide_credentials(self.url)

    @property
    def chat_url(self) -> str:
        """Where its OpenAI-compatible API is (Together's under /v1 of its host)."""
        return self.url.rstrip("/") + "/v1" if self.kind == TOGETHER else self.url

    def client(self, *, max_retries: int = 2, timeout: float = 60.0):
        """An openai SDK client: the service's OpenAI(-compatible) API."""
        import openai

        if self.kind == AZURE:
            return openai.AzureOpenAI(
                azure_endpoint=self.url,
                api_version=self.api_version,
                api_key=self.key,
                max_retries=max_retries,
                timeout=timeout,
            )
        return openai.OpenAI(
            base_url=self.chat_url, api_key=self.key, max_retries=max_retries, timeout=timeout
        )

    def together(self, *, max_retries: int = 2, timeout: float = 60.0):
        """A together SDK client (Together AI only): its base URL is the bare host."""
        import together

        return together.Together(
            base_url=self.url, api_key=self.key, max_retries=max_retries, timeout=timeout
        )


def connection(backend: str) -> Connection:
    """The connection of ``backend``, or a ProviderError saying what to set."""
    if backend == "local":
        raise ProviderError("the local backend needs no connection")
    service = service_of(backend)
    saved = read_config().get(backend, {})
    setting = service.url_setting
    from_env = bool(service.url_env and os.environ.get(service.url_env))
    url = (os.environ[service.url_env] if from_env else None) or saved.get(setting)
    if url:
        problem = url_problem(url)
        if problem is not None:
            where = service.url_env if from_env else str(config_path())
            raise ProviderError(
                f"the {_URL_SETTINGS[setting]} in {where}: {problem}; fix it, or set it again "
                f"with `gpt-is-you connect {backend} --{setting.replace('_', '-')} URL`",
                app=f"the {_URL_SETTINGS[setting]} in {where}: {problem}; fix it there",
            )
    version = None
    if service.kind == AZURE:
        if not url:
            raise ProviderError(
                "no Azure OpenAI endpoint: set AZURE_OPENAI_ENDPOINT or run "
                "`gpt-is-you connect azure --endpoint URL`",
                app="no Azure OpenAI endpoint: give it in the API key dialog, which a run "
                "on Azure OpenAI asks for first",
            )
        version = (
            os.environ.get(service.version_env or "")
            or saved.get("api_version")
            or DEFAULT_API_VERSION
        )
    url = url or service.default_url
    if not url:  # a named connection's section lost its URL
        raise ProviderError(
            f"the connection {backend!r} has no base URL: run "
            f"`gpt-is-you connect {backend} --base-url URL`",
            app=f"the connection {backend!r} has no base URL: set it with the command line's "
            "connect",
        )
    key, source = _key(service, saved)
    if key is None:
        if service.kind == OPENAI and url.rstrip("/") != OPENAI_URL:
            # Servers of one's own (Ollama, vLLM…) often take no key; the SDK needs one.
            key, source = "none", "no key"
        else:
            raise ProviderError(
                f"no {service.shown} API key: set {service.key_env} or save one with "
                f"`gpt-is-you connect {backend}`",
                app=f"no {service.shown} API key: give one in the API key dialog, which a "
                "run asks for first",
            )
    return Connection(backend, url, version, source, key, service.kind, saved.get("profile"))


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
    """Save a connection's settings (``base_url``, ``endpoint``, ``api_version``,
    ``delete_files``: "always" or "ask", ``profile``) and key; returns where the key went.
    A name that is no built-in service makes (or changes) a named connection, which needs a
    base URL. The file is written whole, readable by the user only; nothing is written when
    a URL or a name is not one."""
    for name, label in _URL_SETTINGS.items():
        problem = settings.get(name) and url_problem(str(settings[name]))
        if problem:
            raise ProviderError(f"the {label} {problem}; nothing was saved")
    config = read_config()
    section = dict(config.get(backend, {}))
    if backend not in SERVICES:
        problem = name_problem(backend)
        if problem is not None:
            raise ProviderError(f"{problem}; nothing was saved")
        if not (settings.get("base_url") or section.get("base_url")):
            raise ProviderError(
                f"a new connection needs its service's address: `gpt-is-you connect {backend} "
                "--base-url URL`; nothing was saved",
                app="a new connection needs its service's address; nothing was saved",
            )
        section["kind"] = COMPATIBLE
    section.update({k: v for k, v in settings.items() if v})
    where = put_key(backend, section, key, use_keyring=use_keyring) if key else "none"
    config[backend] = section
    write_config(config)
    return where


def use_for_session(backend: str, *, key: str, **settings: str | None) -> None:
    """Use a key (and ``endpoint``, ``api_version``) until this process ends, saving
    nothing: the environment, which the job's watcher process inherits."""
    service = service_of(backend)
    os.environ[service.key_env] = key
    for name, value in settings.items():
        if value and name == service.url_setting and service.url_env:
            os.environ[service.url_env] = value
        elif value and name == "api_version" and service.version_env:
            os.environ[service.version_env] = value


def saved_endpoint(backend: str = AZURE) -> str:
    """The Azure endpoint already set, to offer it again ("" when none)."""
    variable = SERVICES[backend].url_env or ""
    if os.environ.get(variable):
        return os.environ[variable]
    try:
        return read_config().get(backend, {}).get("endpoint", "")
    except ProviderError:  # an unreadable file is reported when it is used, not here
        return ""


def forget_key(backend: str) -> None:
    _forget(backend)


def _key(service: Service, saved: dict[str, str]) -> tuple[str | None, str]:
    if os.environ.get(service.key_env):
        return os.environ[service.key_env], service.key_env
    return saved_key(service.name, saved)
