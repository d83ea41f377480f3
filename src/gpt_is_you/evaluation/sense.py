"""Whether the replies make sense, beside whether they sound like the person.

- **Choice**: for each held-out prompt, the real next turn of the persona and the
  distractors (``prompts.py``: the persona's turns of other sessions, of similar
  length) are scored by the model's likelihood; the model picks the likeliest. A model
  that follows the conversation picks the real turn more often than chance (one in five).
  A model that cannot score a text (a remote service) has no figure: not available.
- **Echo**: a reply that repeats the other person's last message ("hey, what are you up
  to tonight?" answered with "what are you up to tonight?").
- **Empty**: a reply with no text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from gpt_is_you.evaluation.style import words

ECHO_WORDS = 3  # a shared part shorter than this is a common phrase ("ok", "me too")


@dataclass(frozen=True)
class SenseOf:
    """One model's figures, each a share of the prompts."""

    choice: float | None  # picked the real turn; None: the model cannot score texts
    echo: float  # replies that repeat the other person's last message
    empty: float  # replies with no text

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SenseOf:
        choice = data["choice"]
        return cls(
            None if choice is None else float(choice), float(data["echo"]), float(data["empty"])
        )


@dataclass(frozen=True)
class Sense:
    chance: float  # the share a blind pick gets right (0.2 with four distractors)
    choices: int  # prompts that had distractors to choose among
    base: SenseOf
    tuned: SenseOf

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sense:
        return cls(
            float(data["chance"]),
            int(data["choices"]),
            SenseOf.from_json(data["base"]),
            SenseOf.from_json(data["tuned"]),
        )


def credit(scores: Sequence[float]) -> float:
    """How right a pick by these scores is, the real turn's first: 1 when it scores
    highest, 1/k when it ties with k-1 others for the highest (a blind tie-break), else 0.
    So a model that scores every text alike gets chance, never a free 100%."""
    top = max(scores)
    return 1 / sum(score == top for score in scores) if scores[0] == top else 0.0


def echoes(reply: str, said: str) -> bool:
    """Whether ``reply`` repeats ``said``: the same words (case and punctuation set
    aside), or one held whole in the other when that part is ECHO_WORDS words or more
    ("what are you up to tonight?" in "hey, what are you up to tonight?")."""
    mine, theirs = words(reply), words(said)
    if not mine or not theirs:
        return False
    if mine == theirs:
        return True
    short, long = sorted((mine, theirs), key=len)
    return len(short) >= ECHO_WORDS and f" {' '.join(short)} " in f" {' '.join(long)} "


def sense_of(
    replies: Sequence[str], said: Sequence[str], credits: Sequence[float | None]
) -> SenseOf:
    """One model's figures from its replies, the other person's last message before each,
    and the credit of its pick on each prompt (None: not chosen)."""
    picked = [c for c in credits if c is not None]
    count = max(1, len(replies))
    return SenseOf(
        choice=sum(picked) / len(picked) if picked else None,
        echo=sum(echoes(r, s) for r, s in zip(replies, said, strict=True)) / count,
        empty=sum(not r.strip() for r in replies) / count,
    )


def chance(candidates: Sequence[int]) -> float:
    """The share a blind pick gets right, over prompts with these numbers of candidates."""
    return sum(1 / n for n in candidates) / len(candidates) if candidates else 0.0
