"""The SDK's errors as one line a user can act on, never carrying the key.

The service's own message is kept where it says what is wrong with the data (an invalid
file, an unknown model), with anything key-shaped taken out: OpenAI echoes a masked key
when it refuses one.
"""

from __future__ import annotations

import math
import re
from datetime import date

from gpt_is_you.providers import (
    OPENAI_NO_JOBS,
    OPENAI_NO_LAPSED,
    OPENAI_NO_NEW,
    OPENAI_RETIRED,
)
from gpt_is_you.providers.connection import OPENAI_URL, Connection, hide_credentials
from gpt_is_you.providers.errors import ProviderError

_KEYISH = re.compile(r"\b(sk|key)[-_][A-Za-z0-9*_\-]{3,}|\*{3,}[A-Za-z0-9]*")


def scrub(text: str, connection: Connection | None = None) -> str:
    """``text`` without the key, anything key-shaped, or a password written in a URL."""
    if connection is not None and connection.key and connection.key != "none":
        text = text.replace(connection.key, "***")
    return hide_credentials(_KEYISH.sub("***", text))


def service_message(error: Exception) -> str:
    """The message in an API error's body, or the error's own text."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if body.get("message"):
            return str(body["message"])
    return getattr(error, "message", None) or str(error)


def error_code(error: Exception) -> str | None:
    return getattr(error, "code", None)


def explain(error: Exception, connection: Connection) -> ProviderError:
    """A ProviderError for an openai SDK error (anything else is returned wrapped as is)."""
    import openai

    service = connection.service
    backend = connection.backend
    if isinstance(error, openai.AuthenticationError):
        return ProviderError(
            f"{service} refused the API key (from {connection.key_source}): check it, or save "
            f"another with `gpt-is-you connect {backend}`",
            app=f"{service} refused the API key (from {connection.key_source}): check it",
        )
    if isinstance(error, openai.PermissionDeniedError):
        return ProviderError(
            f"this API key has no access to that on {service}: "
            f"{scrub(service_message(error), connection)}"
        )
    if isinstance(error, openai.RateLimitError):
        if error_code(error) == "insufficient_quota":
            return ProviderError(
                f"the {service} account is out of quota: add credit or raise its limit, then "
                "try again"
            )
        wait = _retry_after(error)
        when = f"in {wait}" if wait else "in a minute"
        return ProviderError(f"{service} is rate-limiting this key: try again {when}")
    if isinstance(error, openai.APITimeoutError):
        return ProviderError(f"{service} did not answer in time: try again")
    if isinstance(error, openai.APIConnectionError):
        return ProviderError(
            f"cannot reach {connection.shown_url}: is the network up? Try again when it is"
        )
    if isinstance(error, openai.NotFoundError):
        return ProviderError(f"{service}: {scrub(service_message(error), connection)}")
    if isinstance(error, openai.InternalServerError):
        return ProviderError(
            f"{service} had a server error ({error.status_code}) and retrying did not help: "
            "try again later"
        )
    if isinstance(error, openai.APIStatusError):
        return ProviderError(
            f"{service} rejected the request: {scrub(service_message(error), connection)}"
        )
    return ProviderError(f"{service}: {scrub(str(error), connection)}")


# OpenAI's self-serve fine-tuning winds down (providers/__init__.py has the dates and
# where they come from). Creating a job is then refused with a 403 (PermissionDeniedError);
# no page stored here named the error code that comes with it.
NO_NEW_ORGANISATIONS = date.fromisoformat(OPENAI_NO_NEW)
NO_LAPSED_USERS = date.fromisoformat(OPENAI_NO_LAPSED)
NO_JOBS = date.fromisoformat(OPENAI_NO_JOBS)
RETIRED = date.fromisoformat(OPENAI_RETIRED)
_INSTEAD = (
    "train with Together AI (`--backend together`) or on this machine (`--backend local`) instead"
)
_INSTEAD_APP = "train with Together AI or on this machine (the backend field) instead"


def refused_job(error: Exception, connection: Connection, today: date | None = None):
    """The ProviderError for a fine-tuning job the service refused to create (a 403): at
    OpenAI itself, why in the terms of its wind-down, and what to do instead; elsewhere
    (Azure, a server or service at any other URL) what ``explain`` says."""
    if connection.url.rstrip("/") != OPENAI_URL:  # whatever the backend's name
        return explain(error, connection)
    said = scrub(service_message(error), connection)
    if (today or date.today()) >= NO_JOBS:
        why = (
            f"OpenAI starts no fine-tuning job for anyone since {NO_JOBS} (fine-tuned gpt-4o "
            f"and gpt-4.1 models are retired on {RETIRED})"
        )
    else:
        why = (
            "OpenAI refused to start a fine-tuning job for this key's organisation: its "
            f"fine-tuning takes no new organisations since {NO_NEW_ORGANISATIONS}, none "
            f"without fine-tuned-model use in the last 60 days since {NO_LAPSED_USERS}, and "
            f"no one from {NO_JOBS}"
        )
    return ProviderError(f"{why}; {_INSTEAD} (OpenAI said: {said})", app=f"{why}; {_INSTEAD_APP}")


def _retry_after(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return value  # an HTTP date
    return f"{math.ceil(seconds)} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"
