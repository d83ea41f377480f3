"""The SDK's errors as one line a user can act on, never carrying the key.

The service's own message is kept where it says what is wrong with the data (an invalid
file, an unknown model), with anything key-shaped taken out: OpenAI echoes a masked key
when it refuses one.
"""

from __future__ import annotations

import math
import re

from gpt_is_you.providers.connection import Connection, hide_credentials
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
            f"this API key has no access to that on {service} (OpenAI's fine-tuning is open "
            f"only to existing users): {scrub(service_message(error), connection)}"
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
