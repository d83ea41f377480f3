"""The backends, by name: the one place that names a concrete backend.

Each is registered with the path of its class, imported when the backend is first asked
for, so that neither torch nor the openai SDK loads before something needs them. A new
backend is its module (a ``Provider`` subclass) and one ``register`` line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpt_is_you.providers.base import Provider


@dataclass(frozen=True)
class Backend:
    """A registered backend: what pickers and help show without loading it."""

    name: str
    make: str | Callable[[str], Provider]  # "module:Class", called with the name
    label: str  # as a picker lists it
    service: str  # where it trains, as messages name it
    hint: str  # one line under the picker: where the examples go
    remote: bool  # the examples leave this machine (the user confirms first)


_BACKENDS: dict[str, Backend] = {}


def register(
    name: str,
    make: str | Callable[[str], Provider],
    *,
    label: str,
    service: str,
    hint: str,
    remote: bool,
) -> None:
    _BACKENDS[name] = Backend(name, make, label, service, hint, remote)


def unregister(name: str) -> None:
    _BACKENDS.pop(name, None)


def backends() -> tuple[Backend, ...]:
    """Every backend, in the order pickers offer them."""
    return tuple(_BACKENDS.values())


def names(*, remote: bool | None = None) -> tuple[str, ...]:
    return tuple(b.name for b in _BACKENDS.values() if remote is None or b.remote == remote)


def default() -> str:
    """The backend a new run starts on unless told otherwise: the first registered."""
    return next(iter(_BACKENDS))


def backend(name: str) -> Backend:
    from gpt_is_you.providers.errors import ProviderError

    try:
        return _BACKENDS[name]
    except KeyError:
        raise ProviderError(f"unknown backend {name!r}: {', '.join(names())}") from None


def service(name: str) -> str:
    """Where the backend named ``name`` trains, as messages say it (a backend this
    version does not know, of a job stored by another, goes by its name)."""
    return _BACKENDS[name].service if name in _BACKENDS else name


def is_remote(name: str) -> bool:
    return name in _BACKENDS and _BACKENDS[name].remote


def get(name: str) -> Provider:
    """A new instance of the backend named ``name``."""
    make = backend(name).make
    if isinstance(make, str):
        module, _, attribute = make.partition(":")
        make = getattr(importlib.import_module(module), attribute)
    return make(name)


register(
    "local",
    "gpt_is_you.providers.local:LocalProvider",
    label="local: on this machine",
    service="this machine",
    hint="private: nothing leaves this machine",
    remote=False,
)
register(
    "openai",
    "gpt_is_you.providers.openai:OpenAIProvider",
    label="openai: OpenAI, or the server at OPENAI_BASE_URL",
    service="OpenAI",
    hint="uploads the examples (you confirm first); needs an API key",
    remote=True,
)
register(
    "azure",
    "gpt_is_you.providers.openai:OpenAIProvider",
    label="azure: Azure OpenAI",
    service="Azure OpenAI",
    hint="uploads the examples (you confirm first); needs an endpoint and a key",
    remote=True,
)
