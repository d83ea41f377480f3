"""How a chat becomes examples: ``BuildSettings``, apart from the building (build.py) so
that the command line reads its options' ranges without loading the builder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.limits import Limit, check


@dataclass(frozen=True)
class BuildSettings:
    persona: str
    me: str | None = None  # who the user is; in a two-person chat, the other person
    media: str = "drop"  # "drop", or "placeholder" to keep media as "[media]"
    merge_window: timedelta = timedelta(minutes=10)  # between bubbles of one turn
    session_gap: timedelta = timedelta(hours=3)  # a silence this long starts a session
    max_tokens: int = 2048  # the target's limit for one example
    context_turns: int = 4  # turns repeated before each later part of a long session
    min_chars: int = 0  # a turn shorter than this is dropped
    drop_link_only: bool = False  # drop turns that are nothing but links
    drop_duplicates: bool = False  # persona turns seen before become context only
    redact: bool = False
    redact_links: bool = False
    validation_share: float = 0.1  # share of sessions, the latest, held out

    # The durations in the units a user types them in: minutes and hours.
    LIMITS: ClassVar[dict[str, Limit]] = {
        "merge_window": Limit(0, 24 * 60, unit="minutes"),
        "session_gap": Limit(0, 365 * 24, above=True, unit="hours"),
        # The most OpenAI takes in one example is 65,536 tokens (gpt-4.1); twice that
        # leaves room for other targets.
        "max_tokens": Limit(16, 131_072, whole=True, unit="tokens"),
        "context_turns": Limit(0, 100, whole=True),
        "min_chars": Limit(0, 10_000, whole=True, unit="characters"),
        "validation_share": Limit(0, 1, below=True),
    }

    def __post_init__(self) -> None:
        if self.media not in ("drop", "placeholder"):
            raise SettingsError("media must be 'drop' or 'placeholder'")
        numbers = {name: getattr(self, name) for name in self.LIMITS}
        numbers["merge_window"] = _in(self.merge_window, timedelta(minutes=1))
        numbers["session_gap"] = _in(self.session_gap, timedelta(hours=1))
        check(numbers, self.LIMITS)


def _in(duration: object, unit: timedelta) -> object:
    """A duration counted in ``unit`` (anything else as it is, for the check to refuse)."""
    return duration / unit if isinstance(duration, timedelta) else duration
