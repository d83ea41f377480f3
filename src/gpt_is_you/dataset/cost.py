"""What an OpenAI fine-tuning job would cost: a dated price table and the cookbook's estimate.

OpenAI bills training tokens: every example, cut at the model's per-example limit, once per
epoch. The number of epochs, when not chosen, follows the heuristic of OpenAI's cookbook
("Data preparation and analysis for chat model fine-tuning",
examples/Chat_finetuning_data_prep.ipynb): about 3 epochs, raised for small datasets and
lowered for large ones so that examples × epochs stays between 100 and 25,000.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

# WARNING: these prices were written from memory of OpenAI's pricing page (fine-tuning
# section) because the page could not be fetched while writing this table. They must be
# checked against PRICES_SOURCE, and PRICES_AS_OF / PRICES_VERIFIED updated, before release.
PRICES_AS_OF = "2026-11-25"
PRICES_SOURCE = "https://openai.com/api/pricing/"
PRICES_VERIFIED = False


@dataclass(frozen=True)
class Price:
    """One fine-tunable model's prices, in US dollars per 1M tokens."""

    model: str
    training: float
    # Using the fine-tuned model afterwards.
    input: float
    output: float


PRICES: tuple[Price, ...] = (
    Price("gpt-4.1-2025-04-14", training=25.00, input=3.00, output=12.00),
    Price("gpt-4.1-mini-2025-04-14", training=5.00, input=0.80, output=3.20),
    Price("gpt-4.1-nano-2025-04-14", training=1.50, input=0.20, output=0.80),
    Price("gpt-4o-2024-08-06", training=25.00, input=3.75, output=15.00),
    Price("gpt-4o-mini-2024-07-18", training=3.00, input=0.30, output=1.20),
    Price("gpt-3.5-turbo-0125", training=8.00, input=3.00, output=6.00),
    Price("davinci-002", training=6.00, input=12.00, output=12.00),
    Price("babbage-002", training=0.40, input=1.60, output=1.60),
)
# The model a remote estimate is priced for until the user picks one (issue 6 lets them).
DEFAULT_REMOTE_MODEL = "gpt-4o-mini-2024-07-18"

# A snapshot's date, so "gpt-4o-mini" finds gpt-4o-mini-2024-07-18 and "gpt-3.5-turbo" finds
# gpt-3.5-turbo-0125.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")

# The cookbook's constants (TARGET_EPOCHS is ``default`` below).
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def price_for(model: str) -> Price:
    """The price row for ``model``: a snapshot id, its undated alias, or a fine-tuned
    ``ft:BASE:org::id``. Raises ValueError naming the known models otherwise."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    for row in PRICES:
        if name in (row.model, _SNAPSHOT.sub("", row.model)):
            return row
    known = ", ".join(row.model for row in PRICES)
    raise ValueError(f"no fine-tuning price known for {model!r}; known models: {known}")


def epochs_for(n_examples: int, default: int = 3) -> int:
    """The cookbook's default number of epochs for ``n_examples`` training examples.

    ``default`` epochs, unless examples × default falls below 100 (then enough epochs to
    reach 100, at most 25) or above 25,000 (then as many as fit in 25,000, at least 1).

    One deliberate difference: the cookbook rounds the small-dataset case down
    (``100 // n``), which leaves e.g. 30 examples at 3 epochs = 90 < 100; this rounds up,
    so examples × epochs really reaches 100 whenever 25 epochs allow it.
    """
    if n_examples < 1:
        raise ValueError("no training examples: the number of epochs is undefined")
    if default < 1:
        raise ValueError(f"default epochs must be at least 1, not {default}")
    if n_examples * default < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, math.ceil(MIN_TARGET_EXAMPLES / n_examples))
    if n_examples * default > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return default


@dataclass(frozen=True)
class CostEstimate:
    """The estimated training bill for one dataset on one model."""

    model: str  # the price row used (a dated snapshot)
    examples: int
    epochs: int
    limit: int  # tokens per example; longer ones are billed (and trained) only up to it
    trimmed: int  # examples over the limit
    billed_tokens: int  # Σ min(limit, tokens) × epochs
    price_per_1m: float  # training, US dollars per 1M tokens
    cost_usd: float
    prices_as_of: str = PRICES_AS_OF


def estimate(
    token_counts: Sequence[int], model: str, *, limit: int, epochs: int | None = None
) -> CostEstimate:
    """Estimate training ``model`` on examples of ``token_counts`` tokens each.

    ``limit`` is the model's per-example token limit; ``epochs`` defaults to
    :func:`epochs_for` the number of examples.
    """
    price = price_for(model)
    if limit < 1:
        raise ValueError(f"the token limit must be positive, not {limit}")
    if not token_counts:
        raise ValueError("no training examples to estimate")
    if any(n < 0 for n in token_counts):
        raise ValueError("token counts cannot be negative")
    if epochs is None:
        epochs = epochs_for(len(token_counts))
    elif epochs < 1:
        raise ValueError(f"epochs must be at least 1, not {epochs}")
    billed = sum(min(limit, n) for n in token_counts) * epochs
    return CostEstimate(
        model=price.model,
        examples=len(token_counts),
        epochs=epochs,
        limit=limit,
        trimmed=sum(n > limit for n in token_counts),
        billed_tokens=billed,
        price_per_1m=price.training,
        cost_usd=billed * price.training / 1_000_000,
    )
