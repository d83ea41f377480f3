"""Before a local run starts: about how many steps it takes and how long on this machine,
and whether so few steps can learn a voice. The training form and `train` say it.

The time is the recommendation's (``recommend.py``: this base's measured throughput on this
machine where ``bases --probe`` measured it, else estimated), for the model's training
tokens × the epochs; nothing new is measured here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gpt_is_you.providers.settings import TrainSettings

if TYPE_CHECKING:
    from gpt_is_you.providers.local.hardware import Hardware
    from gpt_is_you.store.models import Model

# The smallest budget measured to learn the voice is the sample chat's default run: one
# epoch, 38 steps (style score +0.24, the tuned model closer to the persona on 9 of 10
# measures; docs/benchmarks.md, "Persona fidelity" and "Sense"). Nothing shorter was
# measured to learn it, and the issue-16 run of 12 steps was far from it: under 30 steps
# (a little slack under the measured run) a run is told it will not learn a voice yet.
MEASURED_STEPS = 38
MIN_STEPS = 30
# Rows of similar lengths are batched up to ``batch_tokens`` with the padding: a batch
# holds about this share of learned positions (the sample: 38 batches for its tokens).
PACKING = 0.8


@dataclass(frozen=True)
class Estimate:
    steps: int  # optimizer steps, about
    time: str | None  # "11 min (estimated)"; None for a base the catalogue does not list
    warning: str | None  # the budget is too small to learn a voice

    @property
    def text(self) -> str:
        line = f"about {self.steps:,} steps"
        return line + (f", {self.time} on this machine" if self.time else "")


def estimate(
    model: Model, settings: TrainSettings, *, hardware: Hardware | None = None
) -> Estimate:
    """The estimate of a run of ``settings`` on ``model``'s examples."""
    from gpt_is_you.providers.local.recommend import recommend

    found = recommend(model, hardware=hardware, epochs=settings.epochs)
    per_step = settings.batch_tokens * settings.grad_accum * PACKING
    every = max(1, math.ceil(found.tokens / per_step))
    steps = min(every, settings.max_steps) if settings.max_steps else every
    row = found.row(settings.base)
    time = None
    if row is not None:
        time = replace(row, seconds=row.seconds * steps / every).time_text
    warning = None
    if steps < MIN_STEPS:
        warning = (
            f"{steps} steps are too few to learn a voice (the shortest run measured to learn "
            f"one had {MEASURED_STEPS}): raise the epochs or the max steps"
        )
    return Estimate(steps, time, warning)
