"""How an evaluation runs: how many held-out prompts, and how the replies are sampled."""

from __future__ import annotations

from dataclasses import dataclass

from gpt_is_you.providers.settings import Sampling


@dataclass(frozen=True)
class EvalSettings:
    prompts: int = 50
    seed: int = 0
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 100

    def problems(self) -> list[tuple[str, str]]:
        checks = [
            ("prompts", self.prompts < 1, "must be at least 1"),
            ("temperature", not 0 <= self.temperature <= 2, "must be 0 to 2"),
            ("max_tokens", self.max_tokens < 1, "must be at least 1"),
        ]
        return [(name, message) for name, failed, message in checks if failed]

    def sampling(self, prompt_number: int) -> Sampling:
        """Each prompt its own seed: a run repeats, and prompts do not share randomness."""
        return Sampling(self.temperature, self.top_p, self.max_tokens, self.seed + prompt_number)
