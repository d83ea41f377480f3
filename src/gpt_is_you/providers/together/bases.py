"""The open bases Together AI fine-tunes with LoRA that suit a chat twin, as data.

Each is Together's model name, the Hugging Face repo of the same weights (what a
downloaded adapter is loaded onto for chat on this machine) and the LoRA supervised
training price per 1M tokens. Together bills ``n_epochs × training tokens + n_evals ×
validation tokens`` (its pricing page, below) in its own tokenizer's tokens; ours are
counted with OpenAI's, so an estimate is near, not exact. Where no stored page confirmed
a price it is None, and the plan says the cost is unknown rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpt_is_you.dataset import cost
from gpt_is_you.dataset.cost import CostEstimate, Price, PriceTable

# When the prices below were read, and where. The formula is confirmed there; the rates
# themselves are on together.ai/pricing, which no stored page showed: None until then.
PRICES_AS_OF = "2026-12-01"
PRICES_SOURCE = "https://docs.together.ai/docs/fine-tuning-pricing"
# Together's defaults when a job does not say (its API reference, POST /fine-tunes).
DEFAULT_EPOCHS = 1
DEFAULT_LEARNING_RATE = 1e-5
# Evaluations of the validation split a job asks for (when it has one): each is billed
# as the split's tokens.
N_EVALS = 4


@dataclass(frozen=True)
class TogetherBase:
    name: str  # as Together's API takes it
    repo: str  # the same weights on the Hugging Face hub
    price_per_1m: float | None  # LoRA SFT training, US dollars; None: not confirmed


BASES: tuple[TogetherBase, ...] = (
    # Named in Together's API reference (POST /fine-tunes) and its LoRA modules table.
    TogetherBase(
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "meta-llama/Llama-3.1-8B-Instruct",
        None,
    ),
    # Named by issue 17; not found in a stored page of Together's.
    TogetherBase("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct", None),
    # In Together's LoRA modules table.
    TogetherBase(
        "meta-llama/Meta-Llama-3-8B-Instruct", "meta-llama/Meta-Llama-3-8B-Instruct", None
    ),
)


def prices() -> PriceTable:
    """The bases' prices as the cost estimate reads a service's table."""
    rows = tuple(Price(base.name, base.price_per_1m) for base in BASES)
    return PriceTable("Together AI", rows, PRICES_AS_OF, PRICES_SOURCE)


def names() -> tuple[str, ...]:
    """The bases' names, the default first."""
    return tuple(base.name for base in BASES)


def find(name: str) -> TogetherBase | None:
    return next((base for base in BASES if base.name == name), None)


def hub_repo(name: str) -> str:
    """The Hugging Face repo a Together base's adapter is loaded onto here: the catalogue's
    repo, or the name itself for a base not listed (Together names most by their repo)."""
    found = find(name)
    return found.repo if found else name


def estimate(
    token_counts: list[int], base: str, *, limit: int, epochs: int | None, eval_tokens: int = 0
) -> CostEstimate | None:
    """The bill of training on ``token_counts`` and evaluating ``eval_tokens`` (the
    validation split) ``N_EVALS`` times on ``base`` (its price unknown where no page
    confirmed it), or None for a base not listed or no examples. Epochs default as
    Together's API does (1)."""
    if find(base) is None or not token_counts:
        return None
    return cost.estimate(
        token_counts,
        base,
        limit=limit,
        epochs=epochs or DEFAULT_EPOCHS,
        prices=prices(),
        evaluated_tokens=eval_tokens * N_EVALS,
    )
