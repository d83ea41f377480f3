"""How an evaluation runs: how many held-out prompts, and how the replies are sampled."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

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

    def sampling(self, prompt_number: int) -> Sampling:
        """Each prompt its own seed: a run repeats, and prompts do not share randomness.
        The seeds wrap around within the range a seed has."""
        seed = (self.seed + prompt_number) % (int(SEED.high) + 1)
        return Sampling(self.temperature, self.top_p, self.max_tokens, seed)
