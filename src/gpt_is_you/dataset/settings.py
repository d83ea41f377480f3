"""How a chat becomes examples: ``BuildSettings`` and the defaults each target brings,
apart from the building (build.py) so that the command line reads its options' ranges
without loading the builder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.limits import Limit, check


@dataclass(frozen=True)
class Target:
    """What a model is built for: it decides the token limit, whether to redact by
    default, and the tokenizer that counts the examples."""

    max_tokens: int
    redact: bool
    encoding: str
    remote: bool  # trained at a service: the examples leave this machine

    # The BuildSettings fields whose default is the target's, not BuildSettings' own.
    SETTINGS: ClassVar[tuple[str, ...]] = ("max_tokens", "redact")


TARGETS = {
    # A small local model trains on a CPU: short examples keep steps quick.
    "local": Target(max_tokens=1024, redact=False, encoding="o200k_base", remote=False),
    # OpenAI's limit for one chat fine-tuning example (gpt-4o-mini, gpt-4.1 families).
    "openai": Target(max_tokens=65536, redact=True, encoding="o200k_base", remote=True),
}


def target_named(name: str) -> Target:
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; use {' or '.join(TARGETS)}")
    return TARGETS[name]


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

    @classmethod
    def for_target(cls, target: str, **chosen: Any) -> BuildSettings:
        """The settings of a model built for ``target``: ``chosen`` (the persona and the
        fields the user set), the target's token limit and redaction where ``chosen`` does
        not set them, BuildSettings' own defaults for the rest."""
        defaults = target_named(target)
        return cls(**{name: getattr(defaults, name) for name in Target.SETTINGS} | chosen)


def _in(duration: object, unit: timedelta) -> object:
    """A duration counted in ``unit`` (anything else as it is, for the check to refuse)."""
    return duration / unit if isinstance(duration, timedelta) else duration
