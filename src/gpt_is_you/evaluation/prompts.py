"""The held-out material an evaluation uses: prompts (the conversation before a real turn
of the persona, in the validation split the model never trained on), the persona's and
the other people's real turns there, and the persona's training turns."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from gpt_is_you.dataset.examples import ASSISTANT, TRAIN, USER, VALID, Example


@dataclass(frozen=True)
class Prompt:
    messages: tuple[dict[str, object], ...]  # system, then the turns before the real one
    real: str  # what the persona really wrote next
    lines: tuple[str, ...]  # the turns before, "Name: text", as a person reads them


@dataclass(frozen=True)
class HeldOut:
    prompts: tuple[Prompt, ...]  # the sample asked of the models
    persona_turns: tuple[str, ...]  # every learned persona turn of the validation split
    other_turns: tuple[str, ...]  # every other person's turn there
    training_turns: tuple[str, ...]  # the persona's turns the model learned from


def held_out(examples: Iterable[Example], count: int, seed: int) -> HeldOut:
    """Up to ``count`` prompts drawn (by ``seed``) from the validation split."""
    candidates: list[Prompt] = []
    persona: list[str] = []
    other: list[str] = []
    training: list[str] = []
    for example in examples:
        if example.split == TRAIN:
            training += [t.text for t in example.turns if t.role == ASSISTANT and t.weight]
            continue
        if example.split != VALID:
            continue
        messages = [_plain(m) for m in example.chat_messages()]
        for i, turn in enumerate(example.turns):
            if turn.role == USER:
                other.append(turn.text)
            elif turn.weight:
                persona.append(turn.text)
                if i > 0:  # a turn that opens a session has no prompt to answer
                    before = tuple(f"{t.speaker}: {t.text}" for t in example.turns[:i])
                    candidates.append(Prompt(tuple(messages[: i + 1]), turn.text, before))
    chosen = random.Random(seed).sample(candidates, min(count, len(candidates)))
    return HeldOut(tuple(chosen), tuple(persona), tuple(other), tuple(training))


def _plain(message: dict[str, object]) -> dict[str, object]:
    """A message as a model is asked with it (no training weight)."""
    return {"role": message["role"], "content": message["content"]}
