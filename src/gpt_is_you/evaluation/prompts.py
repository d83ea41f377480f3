"""The held-out material an evaluation uses: prompts (the conversation before a real turn
of the persona, in the validation split the model never trained on), the persona's and
the other people's real turns there, and the persona's training turns.

Each prompt also carries the sense measure's distractors: turns the persona wrote in
other held-out sessions, as long as the real one (in characters) as the split allows.
They come from the validation split, as the real turn does, so that neither side is
text the tuned model learned: a training turn would be picked for having been learned,
not for fitting the conversation. Nearest in length, because a model's likelihood
favours short or long texts whatever they say.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from gpt_is_you.dataset.examples import ASSISTANT, TRAIN, USER, VALID, Example
from gpt_is_you.evaluation.style import words

DISTRACTORS = 4  # with the real turn, five to choose from: chance is 20%


@dataclass(frozen=True)
class Prompt:
    messages: tuple[dict[str, object], ...]  # system, then the turns before the real one
    real: str  # what the persona really wrote next
    lines: tuple[str, ...]  # the turns before, "Name: text", as a person reads them
    said: str = ""  # the other person's last turn before the real one (echoes of it)
    distractors: tuple[str, ...] = ()  # persona turns of other sessions, none the real one


@dataclass(frozen=True)
class HeldOut:
    prompts: tuple[Prompt, ...]  # the sample asked of the models
    persona_turns: tuple[str, ...]  # every learned persona turn of the validation split
    other_turns: tuple[str, ...]  # every other person's turn there
    training_turns: tuple[str, ...]  # the persona's turns the model learned from


def held_out(examples: Iterable[Example], count: int, seed: int) -> HeldOut:
    """Up to ``count`` prompts drawn (by ``seed``) from the validation split, each with
    up to DISTRACTORS distractors drawn by the same seed."""
    candidates: list[tuple[int, Prompt]] = []  # the session, and the prompt
    persona: list[tuple[int, str]] = []
    other: list[str] = []
    training: list[str] = []
    for example in examples:
        if example.split == TRAIN:
            training += [t.text for t in example.turns if t.role == ASSISTANT and t.weight]
            continue
        if example.split != VALID:
            continue
        messages = [_plain(m) for m in example.chat_messages()]
        said = ""
        for i, turn in enumerate(example.turns):
            if turn.role == USER:
                other.append(turn.text)
                said = turn.text
            elif turn.weight:
                persona.append((example.session, turn.text))
                if i > 0:  # a turn that opens a session has no prompt to answer
                    before = tuple(f"{t.speaker}: {t.text}" for t in example.turns[:i])
                    prompt = Prompt(tuple(messages[: i + 1]), turn.text, before, said)
                    candidates.append((example.session, prompt))
    draw = random.Random(seed)
    chosen = draw.sample(candidates, min(count, len(candidates)))
    prompts = tuple(
        Prompt(
            prompt.messages,
            prompt.real,
            prompt.lines,
            prompt.said,
            _distractors(prompt.real, [t for s, t in persona if s != session], draw),
        )
        for session, prompt in chosen
    )
    return HeldOut(prompts, tuple(t for _, t in persona), tuple(other), tuple(training))


def _distractors(real: str, pool: list[str], draw: random.Random) -> tuple[str, ...]:
    """Up to DISTRACTORS texts of ``pool`` nearest to ``real`` in length, none the same
    as it or as each other once case and punctuation are set aside ("lol" and "LOL!" are
    one answer); turns of equal length are taken in the order ``draw`` shuffles them."""
    draw.shuffle(pool)
    pool.sort(key=lambda text: abs(math.log(max(1, len(text)) / max(1, len(real)))))
    seen, chosen = {_same(real)}, []
    for text in pool:
        if len(chosen) == DISTRACTORS:
            break
        if _same(text) not in seen:
            seen.add(_same(text))
            chosen.append(text)
    return tuple(chosen)


def _same(text: str) -> str:
    """What two turns share when they say the same thing."""
    return " ".join(words(text)) or text.strip()


def _plain(message: dict[str, object]) -> dict[str, object]:
    """A message as a model is asked with it (no training weight)."""
    return {"role": message["role"], "content": message["content"]}
