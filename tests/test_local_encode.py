"""Examples as ids and labels (only the persona's learned turns), and their batches."""

from __future__ import annotations

from itertools import groupby, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local.batches import (
    epoch_order,
    make_batches,
    padding_share,
)
from gpt_is_you.providers.local.encode import IGNORE, Encoded, encode, prompt_ids

END = "<|im_end|>"


def _learned_runs(tokenizer, encoded: Encoded) -> list[str]:
    """The labelled tokens, each unbroken run of them decoded on its own."""
    runs = []
    for learned, group in groupby(
        zip(encoded.input_ids, encoded.labels, strict=True), key=lambda p: p[1] != IGNORE
    ):
        if learned:
            runs.append(tokenizer.decode([label for _, label in group]))
    return runs


def _expected_runs(messages) -> list[str]:
    return [
        m["content"] + END for m in messages if m["role"] == "assistant" and m.get("weight", 1) != 0
    ]


CONVERSATION = [
    {"role": "system", "content": "You are Sam."},
    {"role": "user", "content": "hey 😅\nhow are you"},
    {"role": "assistant", "content": "yo\nsure"},
    {"role": "user", "content": "ok"},
    {"role": "assistant", "content": "what I said before", "weight": 0},
    {"role": "assistant", "content": "fine ✨"},
]


def test_only_the_learned_assistant_turns_and_their_end_are_labelled(tiny_tokenizer):
    encoded = encode(CONVERSATION, tiny_tokenizer, 256)
    assert not encoded.truncated
    assert len(encoded.input_ids) == len(encoded.labels)
    # The ids are the whole conversation as the template writes it.
    text = tiny_tokenizer.apply_chat_template(
        [{"role": m["role"], "content": m["content"]} for m in CONVERSATION], tokenize=False
    )
    assert tiny_tokenizer.decode(encoded.input_ids) == text
    # A label is IGNORE or the token itself.
    assert all(
        label in (IGNORE, token)
        for token, label in zip(encoded.input_ids, encoded.labels, strict=True)
    )
    assert _learned_runs(tiny_tokenizer, encoded) == ["yo\nsure" + END, "fine ✨" + END]
    end = tiny_tokenizer.convert_tokens_to_ids(END)
    # Every learned run ends with the end-of-turn token: that is what teaches stopping.
    ends = [
        i
        for i, label in enumerate(encoded.labels)
        if label != IGNORE and (i + 1 == len(encoded.labels) or encoded.labels[i + 1] == IGNORE)
    ]
    assert [encoded.input_ids[i] for i in ends] == [end, end]
    assert encoded.learned == sum(label != IGNORE for label in encoded.labels)


def test_a_conversation_without_a_learned_turn_has_no_label(tiny_tokenizer):
    messages = [m for m in CONVERSATION if m["role"] != "assistant" or m.get("weight") == 0]
    encoded = encode(messages, tiny_tokenizer, 256)
    assert encoded.learned == 0
    assert set(encoded.labels) == {IGNORE}


# Bubbles as the dataset writes them: no space at either end, joined by newlines.
_CHARS = st.sampled_from(
    [
        *"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,!?'-:;()@#\téßü中文😅✨🫠",
        "❤️",
        "👍🏽",
        "👨‍👩‍👧",
    ]
)
_BUBBLE = st.lists(_CHARS, min_size=1, max_size=25).map("".join).map(str.strip).filter(bool)
_CONTENT = st.lists(_BUBBLE, min_size=1, max_size=4).map("\n".join)
_TURN = st.one_of(
    st.fixed_dictionaries({"role": st.just("user"), "content": _CONTENT}),
    st.fixed_dictionaries({"role": st.just("assistant"), "content": _CONTENT}),
    st.fixed_dictionaries(
        {"role": st.just("assistant"), "content": _CONTENT, "weight": st.sampled_from([0, 1])}
    ),
)
_CONVERSATIONS = st.builds(
    lambda system, turns: [{"role": "system", "content": system}, *turns],
    _CONTENT,
    st.lists(_TURN, min_size=1, max_size=7),
)


@settings(max_examples=80, deadline=None)
@given(messages=_CONVERSATIONS)
def test_labels_are_exactly_the_learned_turns_property(tiny_tokenizer, messages):
    encoded = encode(messages, tiny_tokenizer, 10_000)
    assert not encoded.truncated
    assert all(
        label in (IGNORE, token)
        for token, label in zip(encoded.input_ids, encoded.labels, strict=True)
    )
    assert _learned_runs(tiny_tokenizer, encoded) == _expected_runs(messages)
    # Nothing else: the labelled tokens decode to the learned turns and nothing more.
    labelled = [label for label in encoded.labels if label != IGNORE]
    assert tiny_tokenizer.decode(labelled) == "".join(_expected_runs(messages))


def test_max_len_cuts_ids_and_labels_together(tiny_tokenizer):
    full = encode(CONVERSATION, tiny_tokenizer, 10_000)
    n = len(full.input_ids)
    for cut in (1, 17, n // 2, n - 1):
        short = encode(CONVERSATION, tiny_tokenizer, cut)
        assert short.truncated
        assert short.input_ids == full.input_ids[:cut]
        assert short.labels == full.labels[:cut]
    exact = encode(CONVERSATION, tiny_tokenizer, n)
    assert not exact.truncated
    assert exact == full


def test_a_template_that_does_not_write_turn_by_turn_is_refused(tiny_base):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    # The newest message first: a conversation's start is no prefix of the whole.
    tokenizer.chat_template = (
        "{% for message in messages|reverse %}"
        "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    with pytest.raises(ProviderError, match="chat template"):
        encode(CONVERSATION, tokenizer, 256)


def test_prompt_ids_end_with_the_assistant_header(tiny_tokenizer):
    ids = prompt_ids(CONVERSATION[:2], tiny_tokenizer)
    assert tiny_tokenizer.decode(ids).endswith("how are you<|im_end|>\n<|im_start|>assistant\n")


# Batches


def _examples(lengths: list[int]) -> list[Encoded]:
    return [Encoded(tuple(range(n)), tuple([IGNORE] * n), False) for n in lengths]


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 300), min_size=1, max_size=80),
    budget=st.integers(1, 1200),
    max_rows=st.integers(1, 16),
)
def test_batches_cover_every_example_once_within_the_budget(lengths, budget, max_rows):
    examples = _examples(lengths)
    batches = make_batches(examples, budget, max_rows)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    for batch in batches:
        assert batch
        assert len(batch) <= max_rows
        longest = max(lengths[i] for i in batch)
        assert len(batch) * longest <= budget or len(batch) == 1
    # Shortest first: a batch never holds a row longer than the next batch's shortest.
    for before, after in pairwise(batches):
        assert max(lengths[i] for i in before) <= min(lengths[i] for i in after)
    assert 0 <= padding_share(examples, batches) < 1


def test_batches_fill_up_to_the_budget():
    batches = make_batches(_examples([10] * 10), 40)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert padding_share(_examples([10] * 10), batches) == 0
    # One row longer than the budget still gets a batch of its own.
    assert make_batches(_examples([5, 500, 5]), 40) == [(0, 2), (1,)]


def test_epoch_order_depends_on_seed_and_epoch_only():
    batches = make_batches(_examples(list(range(1, 41))), 1)  # 40 one-row batches
    assert len(batches) == 40
    first = epoch_order(batches, seed=3, epoch=0)
    assert sorted(first) == sorted(batches)
    assert epoch_order(list(batches), seed=3, epoch=0) == first  # repeatable
    assert epoch_order(batches, seed=3, epoch=1) != first  # reshuffled per epoch
    assert epoch_order(batches, seed=4, epoch=0) != first  # and per seed
    assert batches == make_batches(_examples(list(range(1, 41))), 1)  # input untouched
