"""The backends, by name: the one place that names a concrete backend.

Each is registered with the path of its class, imported when the backend is first asked
for, so that neither torch nor the openai SDK loads before something needs them. A new
backend is its module (a ``Provider`` subclass) and one ``register`` line here. Besides
those, each named connection the user saved (``connect NAME --base-url URL``: an
OpenAI-compatible fine-tuning service) is a backend of the OpenAI kind, read from
connections.toml whenever the backends are listed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpt_is_you.providers.base import Provider

# OpenAI's self-serve fine-tuning winds down: no new organisations since OPENAI_NO_NEW, none
# without fine-tuned-model use in the last 60 days since OPENAI_NO_LAPSED, no new job for
# anyone from OPENAI_NO_JOBS, and fine-tuned gpt-4o and gpt-4.1 models retired with their
# bases on OPENAI_RETIRED. Source: OpenAI's deprecations page,
# https://developers.openai.com/api/docs/deprecations, "Update to OpenAI's self-serve
# fine-tuning" (notice of 2026-05-07) and its GPT-4 entry of 2026-10-14 (shutdown on
# 2027-01-14, "fine-tuned versions follow the base models' schedule"). Here, not with the
# OpenAI backend: the labels and the command line's help show them without loading it.
OPENAI_NO_NEW = "2026-05-07"
OPENAI_NO_LAPSED = "2026-07-02"
OPENAI_NO_JOBS = "2027-01-06"
OPENAI_RETIRED = "2027-01-14"


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
    """Every backend, in the order pickers offer them: the registered ones, then the
    named connections."""
    return (*_BACKENDS.values(), *_named().values())


def names(*, remote: bool | None = None) -> tuple[str, ...]:
    return tuple(b.name for b in backends() if remote is None or b.remote == remote)


def default() -> str:
    """The backend a new run starts on unless told otherwise: the first registered."""
    return next(iter(_BACKENDS))


def backend(name: str) -> Backend:
    from gpt_is_you.providers.errors import ProviderError

    found = _BACKENDS.get(name) or _named().get(name)
    if found is None:
        raise ProviderError(f"unknown backend {name!r}: {', '.join(names())}")
    return found


def service(name: str) -> str:
    """Where the backend named ``name`` trains, as messages say it (a backend this
    version does not know, of a job stored by another, goes by its name)."""
    found = _BACKENDS.get(name) or _named().get(name)
    return found.service if found else name


def is_remote(name: str) -> bool:
    found = _BACKENDS.get(name) or _named().get(name)
    return found is not None and found.remote


def _named() -> dict[str, Backend]:
    """The named connections, as backends of the OpenAI kind."""
    from gpt_is_you.providers.connection import hide_credentials, named

    return {
        name: Backend(
            name,
            "gpt_is_you.providers.openai:OpenAIProvider",
            label=f"{name}: OpenAI-compatible service at "
            f"{hide_credentials(section.get('base_url', '?'))}",
            service=name,
            hint="uploads the examples (you confirm first); a connection you made",
            remote=True,
        )
        for name, section in named().items()
        if name not in _BACKENDS
    }


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
    label=f"openai: OpenAI, for existing fine-tuning customers (no jobs from {OPENAI_NO_JOBS})",
    service="OpenAI",
    hint=f"no new organisations since {OPENAI_NO_NEW}, none without recent fine-tuned-model "
    f"use since {OPENAI_NO_LAPSED}; fine-tuned gpt-4o/4.1 retired on {OPENAI_RETIRED}. "
    "Uploads the examples (you confirm first); needs an API key",
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
register(
    "together",
    "gpt_is_you.providers.together:TogetherProvider",
    label="together: Together AI (LoRA on open bases; the adapter comes home)",
    service="Together AI",
    hint="uploads the examples (you confirm first); needs an API key; the trained adapter "
    "is downloaded here",
    remote=True,
)
