"""How an evaluation runs: how many held-out prompts, and how the replies are sampled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from gpt_is_you.limits import Limit, check
from gpt_is_you.providers.settings import SEED, Sampling


@dataclass(frozen=True)
class EvalSettings:
    prompts: int = 50
    seed: int = 0
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 100

    LIMITS: ClassVar[dict[str, Limit]] = {
        "prompts": Limit(1, 10_000, whole=True),
        "seed": SEED,
        **{name: Sampling.LIMITS[name] for name in ("temperature", "top_p", "max_tokens")},
    }

    def __post_init__(self) -> None:
        check(asdict(self), self.LIMITS)

    @classmethod
    def recorded(cls, values: Mapping[str, Any]) -> EvalSettings:
        """The settings a stored run was made with, as recorded (a field not recorded
        has its default). Not checked again: they were checked when the run was made,
        against the ranges of that version (an earlier one allowed any seed), and a
        report of the past must still open."""
        settings = object.__new__(cls)
        for known in fields(cls):
            object.__setattr__(settings, known.name, values.get(known.name, known.default))
        return settings

    def sampling(self, prompt_number: int) -> Sampling:
        """Each prompt its own seed: a run repeats, and prompts do not share randomness.
        The seeds wrap around within the range a seed has."""
        seed = (self.seed + prompt_number) % (int(SEED.high) + 1)
        return Sampling(self.temperature, self.top_p, self.max_tokens, seed)
