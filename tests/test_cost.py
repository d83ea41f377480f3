"""The cost estimate: dated price tables (a price confirmed by a page, or unknown), the
cookbook's epoch heuristic, billed tokens."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_is_you.dataset.cost import (
    OPENAI_PRICES,
    PRICES,
    PRICES_AS_OF,
    PRICES_SOURCE,
    CostEstimate,
    Price,
    PriceTable,
    epochs_for,
    estimate,
    price_for,
)

# A service whose page confirmed its prices, for the arithmetic.
PRICED = PriceTable(
    "Priced",
    (Price("gpt-4o-mini-2024-07-18", 3.00), Price("gpt-4.1-mini-2025-04-14", 5.00)),
    "2026-11-30",
    "https://example.com/pricing",
)


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [
        (1, 25),  # 100 / 1 = 100, capped at 25
        (3, 25),  # ceil(100 / 3) = 34, capped
        (4, 25),  # 4 × 25 = 100
        (10, 10),
        (30, 4),  # 90 < 100: ceil(100 / 30) = 4 (the cookbook's 100 // 30 would say 3)
        (33, 4),  # 99 < 100
        (34, 3),  # 102
        (1_000, 3),
        (8_333, 3),  # 24,999
        (8_334, 2),  # 25,002 > 25,000: 25,000 // 8,334 = 2
        (12_500, 2),
        (12_501, 1),
        (25_000, 1),
        (50_000, 1),  # 25,000 // 50,000 = 0, raised to 1
    ],
)
def test_epoch_heuristic(examples: int, epochs: int) -> None:
    assert epochs_for(examples) == epochs


def test_epoch_heuristic_with_another_default() -> None:
    assert epochs_for(100, default=2) == 2
    assert epochs_for(20, default=2) == 5  # 40 < 100
    assert epochs_for(20_000, default=2) == 1  # 40,000 > 25,000


def test_no_examples_have_no_epochs() -> None:
    with pytest.raises(ValueError):
        epochs_for(0)


@given(st.integers(min_value=1, max_value=10**7))
def test_epochs_stay_in_bounds(n: int) -> None:
    epochs = epochs_for(n)
    assert 1 <= epochs <= 25
    if 4 <= n <= 25_000:  # where 1 to 25 epochs can reach the target at all
        assert 100 <= n * epochs <= 25_000


def test_estimate_known_answer() -> None:
    result = estimate([100, 200, 5_000], "gpt-4o-mini-2024-07-18", limit=4_096, prices=PRICED)
    assert result == CostEstimate(
        model="gpt-4o-mini-2024-07-18",
        examples=3,
        epochs=25,
        limit=4_096,
        trimmed=1,
        billed_tokens=(100 + 200 + 4_096) * 25,
        price_per_1m=3.00,
        cost_usd=pytest.approx(109_900 * 3.00 / 1_000_000),
        prices_as_of="2026-11-30",
    )
    assert result.amount == "about $0.33"


def test_estimate_with_chosen_epochs() -> None:
    result = estimate([1_000] * 1_000, "gpt-4.1-mini", limit=65_536, epochs=2, prices=PRICED)
    assert (result.epochs, result.billed_tokens, result.trimmed) == (2, 2_000_000, 0)
    assert result.cost_usd == pytest.approx(2 * price_for("gpt-4.1-mini", PRICED).training)


def test_an_unconfirmed_price_is_unknown_yet_the_tokens_are_counted() -> None:
    result = estimate([100, 200], "gpt-4o-mini", limit=4_096, epochs=3)
    assert (result.billed_tokens, result.price_per_1m, result.cost_usd) == (900, None, None)
    assert result.amount == f"price unknown (not confirmed since {PRICES_AS_OF})"
    assert "$" not in result.amount


def test_estimate_is_frozen() -> None:
    result = estimate([10], "gpt-4o-mini", limit=100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.epochs = 1  # type: ignore[misc]


def test_estimate_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        estimate([], "gpt-4o-mini", limit=100)
    with pytest.raises(ValueError):
        estimate([10], "gpt-4o-mini", limit=0)
    with pytest.raises(ValueError):
        estimate([10], "gpt-4o-mini", limit=100, epochs=0)
    with pytest.raises(ValueError):
        estimate([-1], "gpt-4o-mini", limit=100)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="gpt-4o-mini-2024-07-18") as error:
        estimate([10], "gpt-2", limit=100)
    for row in PRICES:
        assert row.model in str(error.value)


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"),
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        ("GPT-4o", "gpt-4o-2024-08-06"),
        ("gpt-4.1", "gpt-4.1-2025-04-14"),
        ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano-2025-04-14"),
        ("gpt-3.5-turbo", "gpt-3.5-turbo-0125"),
        ("babbage-002", "babbage-002"),
        ("davinci-002", "davinci-002"),
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC123", "gpt-4o-mini-2024-07-18"),
    ],
)
def test_price_lookup(name: str, model: str) -> None:
    assert price_for(name).model == model


def test_price_table_is_dated_and_sourced() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", PRICES_AS_OF)
    assert PRICES_SOURCE.startswith("https://")
    assert (OPENAI_PRICES.as_of, OPENAI_PRICES.source) == (PRICES_AS_OF, PRICES_SOURCE)
    models = [row.model for row in PRICES]
    assert len(models) == len(set(models))
    for row in PRICES:
        assert row.training is None or row.training > 0


def test_no_openai_price_is_shown_that_no_page_confirmed() -> None:
    """The stored copies of OpenAI's pages confirmed none (dataset/cost.py says why): a
    figure here would be one written from memory."""
    assert all(row.training is None for row in OPENAI_PRICES.rows)


@given(
    counts=st.lists(st.integers(min_value=0, max_value=200_000), min_size=1, max_size=50),
    limit=st.integers(min_value=1, max_value=100_000),
    epochs=st.none() | st.integers(min_value=1, max_value=25),
    model=st.sampled_from([row.model for row in PRICED.rows]),
)
def test_billed_tokens_never_exceed_the_limit(counts, limit, epochs, model) -> None:
    result = estimate(counts, model, limit=limit, epochs=epochs, prices=PRICED)
    assert result.billed_tokens <= limit * result.examples * result.epochs
    assert result.billed_tokens <= sum(counts) * result.epochs
    assert result.trimmed == sum(n > limit for n in counts)
    if result.trimmed == 0:
        assert result.billed_tokens == sum(counts) * result.epochs
    assert result.cost_usd == pytest.approx(result.billed_tokens * result.price_per_1m / 1e6)
