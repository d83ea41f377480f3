"""Decoding the JSON files that Telegram Desktop and Facebook / Instagram write."""

from __future__ import annotations

import json
import re

from gpt_is_you.chats.message import ChatImportError

# Any backslash escape, so that an escaped backslash is consumed as a pair and the
# "x41" in `\\x41` is never mistaken for an escape of its own. A surrogate escape
# is taken whole, with the low half that may follow it.
_ESCAPE = re.compile(
    r"\\(x[0-9A-Fa-f]{2}|u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|u[dD][89a-fA-F][0-9a-fA-F]{2}|.)",
    re.DOTALL,
)
# Where a surrogate escape may be; most exports have none and skip the substitution.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _repair(match: re.Match[str]) -> str:
    """Telegram's ``\\xNN`` as ``\\u00NN``, and half a surrogate pair as U+FFFD."""
    escape = match[1]
    if len(escape) == 3:
        return "\\u00" + escape[1:]
    if len(escape) == 5:
        # A lone half: json.loads would give a str that cannot be encoded (the
        # summary, --jsonl, the store would all fail on it). A whole pair is kept.
        return "\\ufffd"
    return match[0]


def load_json(raw: bytes, path: object) -> object:
    """The JSON document in ``raw`` (UTF-8, with or without a byte-order mark).

    Telegram Desktop writes control characters as ``\\xNN``, which JSON does not
    allow; those become U+00NN. Half a surrogate pair (``\\ud83d`` alone, from an
    emoji cut in two) becomes U+FFFD, so that every string is valid Unicode. Anything
    that is still not JSON raises ChatImportError naming ``path``.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ChatImportError(
            path, f"not UTF-8 text (byte {error.start}), so not a JSON chat export"
        ) from None
    if "\\x" in text or _SURROGATE.search(text):
        text = _ESCAPE.sub(_repair, text)
    try:
        # strict=False lets raw control characters through inside strings: they are
        # part of what people typed, and refusing the whole export for one would help
        # nobody.
        return json.loads(text, strict=False)
    except json.JSONDecodeError as error:
        raise ChatImportError(
            path, f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except ValueError:
        # The one other ValueError: an integer longer than Python will convert.
        raise ChatImportError(path, "not a usable JSON document (a number is too long)") from None
    except RecursionError:
        raise ChatImportError(path, "not a usable JSON document (nested too deeply)") from None
