"""Grouping encoded examples into batches that waste little compute on padding.

Examples are sorted by length and cut into batches of at most ``batch_tokens`` tokens
counted as rows × longest row, so a batch holds rows of similar length. The order of the
batches is shuffled per epoch from the seed alone: the schedule of any run can be rebuilt
exactly, which is what lets a resumed job skip to where its checkpoint stopped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from gpt_is_you.providers.local.encode import Encoded


def make_batches(
    examples: Sequence[Encoded], batch_tokens: int, max_rows: int = 64
) -> list[tuple[int, ...]]:
    """Indices of ``examples`` grouped into batches, shortest first (unshuffled)."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].input_ids), i))
    batches: list[tuple[int, ...]] = []
    current: list[int] = []
    for i in order:
        width = len(examples[i].input_ids)  # the longest so far: the order is ascending
        if current and ((len(current) + 1) * width > batch_tokens or len(current) >= max_rows):
            batches.append(tuple(current))
            current = []
        current.append(i)
    if current:
        batches.append(tuple(current))
    return batches


def epoch_order(batches: Sequence[tuple[int, ...]], seed: int, epoch: int) -> list[tuple[int, ...]]:
    """The batches in the order epoch ``epoch`` of a run with ``seed`` visits them."""
    shuffled = list(batches)
    random.Random(seed * 1_000_003 + epoch).shuffle(shuffled)
    return shuffled


def padding_share(examples: Sequence[Encoded], batches: Sequence[tuple[int, ...]]) -> float:
    """The share of the computed positions that are padding."""
    real = sum(len(examples[i].input_ids) for b in batches for i in b)
    padded = sum(len(b) * max(len(examples[i].input_ids) for i in b) for b in batches)
    return 1 - real / padded if padded else 0.0
