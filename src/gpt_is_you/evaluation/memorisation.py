"""Whether a model repeats its training data: generated replies and bubbles that are
exact copies of the persona's training turns.

Texts are compared after folding case and collapsing white space inside each bubble, so
"See you  Tomorrow" copies "see you tomorrow". Short texts are left out: a "lol" or an
"ok" equal to a training "lol" is how the person writes, not memorisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gpt_is_you.evaluation.style import words
from gpt_is_you.store.conversations import bubbles

__all__ = ["EXAMPLES", "MIN_WORDS", "Memorisation", "normalise", "verbatim"]

EXAMPLES = 5  # copied texts kept for the report
MIN_WORDS = 4  # shorter replies and bubbles are how the person writes, not copies


@dataclass(frozen=True)
class Memorisation:
    replies: int  # generated replies checked
    copied_replies: int  # replies equal to a whole training turn (and long enough)
    copied_bubbles: int  # bubbles (of at least min_words words) equal to a training bubble
    bubbles: int  # bubbles of at least min_words words checked
    examples: tuple[str, ...]  # up to EXAMPLES copied texts, as generated

    @property
    def reply_rate(self) -> float:
        return self.copied_replies / self.replies if self.replies else 0.0

    @property
    def bubble_rate(self) -> float:
        return self.copied_bubbles / self.bubbles if self.bubbles else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "replies": self.replies,
            "copied_replies": self.copied_replies,
            "copied_bubbles": self.copied_bubbles,
            "bubbles": self.bubbles,
            "reply_rate": self.reply_rate,
            "bubble_rate": self.bubble_rate,
            "examples": list(self.examples),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Memorisation:
        return cls(
            replies=int(data["replies"]),
            copied_replies=int(data["copied_replies"]),
            copied_bubbles=int(data["copied_bubbles"]),
            bubbles=int(data["bubbles"]),
            examples=tuple(str(text) for text in data["examples"]),
        )


def _bubble_key(bubble: str) -> str:
    return " ".join(bubble.casefold().split())


def normalise(turn: str) -> str:
    """A turn as compared: case folded, white space collapsed, bubbles joined by newline."""
    return "\n".join(_bubble_key(b) for b in bubbles(turn))


def _long_enough(text: str, min_words: int) -> bool:
    return len(words(text)) >= min_words


def verbatim(
    generated: Sequence[str], training_turns: Iterable[str], *, min_words: int = MIN_WORDS
) -> Memorisation:
    """How many ``generated`` replies, and how many of their bubbles of at least
    ``min_words`` words, are verbatim copies of the persona's ``training_turns``."""
    turns: set[str] = set()
    training_bubbles: set[str] = set()
    for turn in training_turns:
        turns.add(normalise(turn))
        training_bubbles.update(_bubble_key(b) for b in bubbles(turn))
    copied_replies = copied_bubbles = checked = 0
    examples: list[str] = []

    def keep(text: str) -> None:
        if len(examples) < EXAMPLES and text not in examples:
            examples.append(text)

    for reply in generated:
        whole = _long_enough(reply, min_words) and normalise(reply) in turns
        if whole:
            copied_replies += 1
            keep(reply.strip())
        for bubble in bubbles(reply):
            if not _long_enough(bubble, min_words):
                continue
            checked += 1
            if _bubble_key(bubble) in training_bubbles:
                copied_bubbles += 1
                if not whole:  # the whole reply is already an example
                    keep(bubble)
    return Memorisation(
        replies=len(generated),
        copied_replies=copied_replies,
        copied_bubbles=copied_bubbles,
        bubbles=checked,
        examples=tuple(examples),
    )
