"""What a fine-tuning job would cost: dated price tables (each price confirmed by a page, or
unknown) and the cookbook's estimate.

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


@dataclass(frozen=True)
class Price:
    """What training one base costs, in US dollars per 1M training tokens; None when no
    stored copy of the service's pricing page confirmed a figure."""

    model: str
    training: float | None


@dataclass(frozen=True)
class PriceTable:
    """A service's training prices, with the day they were checked and where."""

    service: str
    rows: tuple[Price, ...]
    as_of: str  # the day the rows were checked against ``source``
    source: str

    def price_for(self, model: str) -> Price:
        """The row for ``model``: a snapshot id, its undated alias, or a fine-tuned
        ``ft:BASE:org::id``. Raises ValueError naming the known models otherwise."""
        name = model.strip().lower()
        if name.startswith("ft:"):
            name = name[3:].split(":", 1)[0]
        for row in self.rows:
            if name in (row.model.lower(), _SNAPSHOT.sub("", row.model.lower())):
                return row
        known = ", ".join(row.model for row in self.rows) or "none"
        raise ValueError(
            f"no fine-tuning price known for {model!r} at {self.service}; known models: {known}"
        )


# Checked on 2026-12-03 against the stored copies of OpenAI's pages: its pricing page
# (fine-tuning section) is not among them, and third-party pages quoting it disagree (e.g.
# gpt-4o-mini training at $3, $1 or $25 per 1M tokens), so no training price is confirmed.
# The figures this table was first written with, from memory, are gone: a price shown to
# a user must be one a page said. Fill a row in once a copy of PRICES_SOURCE confirms it.
PRICES_AS_OF = "2026-12-03"
PRICES_SOURCE = "https://developers.openai.com/api/docs/pricing"
# OpenAI's fine-tunable snapshots (providers/settings.py REMOTE_BASES), none confirmed.
PRICES: tuple[Price, ...] = tuple(
    Price(model, training=None)
    for model in (
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "gpt-3.5-turbo-0125",
        "davinci-002",
        "babbage-002",
    )
)
OPENAI_PRICES = PriceTable("OpenAI", PRICES, PRICES_AS_OF, PRICES_SOURCE)

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


def price_for(model: str, prices: PriceTable = OPENAI_PRICES) -> Price:
    """The row of ``prices`` for ``model`` (see ``PriceTable.price_for``)."""
    return prices.price_for(model)


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
    billed_tokens: int  # Σ min(limit, tokens) × epochs (+ the evaluations, where billed)
    price_per_1m: float | None  # training, US dollars per 1M tokens; None: not confirmed
    cost_usd: float | None  # None when the price is
    prices_as_of: str = PRICES_AS_OF

    @property
    def amount(self) -> str:
        """The cost as every face shows it: "about $0.56", or why there is no figure."""
        if self.cost_usd is None:
            return f"price unknown (not confirmed since {self.prices_as_of})"
        return f"about ${self.cost_usd:,.2f}"


def estimate(
    token_counts: Sequence[int],
    model: str,
    *,
    limit: int,
    epochs: int | None = None,
    prices: PriceTable = OPENAI_PRICES,
    evaluated_tokens: int = 0,
) -> CostEstimate:
    """Estimate training ``model`` on examples of ``token_counts`` tokens each, at the
    service whose ``prices`` these are (the billed tokens even where its price is unknown),
    plus ``evaluated_tokens`` where the service bills evaluations too (Together AI).

    ``limit`` is the model's per-example token limit; ``epochs`` defaults to
    :func:`epochs_for` the number of examples.
    """
    price = prices.price_for(model)
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
    billed = sum(min(limit, n) for n in token_counts) * epochs + evaluated_tokens
    return CostEstimate(
        model=price.model,
        examples=len(token_counts),
        epochs=epochs,
        limit=limit,
        trimmed=sum(n > limit for n in token_counts),
        billed_tokens=billed,
        price_per_1m=price.training,
        cost_usd=None if price.training is None else billed * price.training / 1_000_000,
        prices_as_of=prices.as_of,
    )
