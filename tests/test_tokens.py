"""Offline token counts: equal to tiktoken's, loaded lazily, counted like OpenAI's cookbook."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpt_is_you.dataset.tokens import count_chat, count_text, encoding_for

ENCODINGS = ("o200k_base", "cl100k_base")


@functools.cache
def tiktoken_compatible(encoding: str):
    """bpe-openai's tiktoken-compatible Encoding (ids, not only counts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai
    return bpe_openai.get_encoding(encoding)


# tiktoken's output for these strings (tiktoken README and OpenAI's cookbook "How to count
# tokens with tiktoken"), checked against bpe-openai's token ids, not only the counts.
TIKTOKEN = {
    "cl100k_base": {
        "hello world": [15339, 1917],
        "tiktoken is great!": [83, 1609, 5963, 374, 2294, 0],
        "2 + 2 = 4": [17, 489, 220, 17, 284, 220, 19],
        "お誕生日おめでとう": [33334, 45918, 243, 21990, 9080, 33334, 62004, 16556, 78699],
        "antidisestablishmentarianism": [519, 85342, 34500, 479, 8997, 2191],
    },
    "o200k_base": {
        "hello world": [24912, 2375],
        "tiktoken is great!": [83, 8251, 2488, 382, 2212, 0],
        "2 + 2 = 4": [17, 659, 220, 17, 314, 220, 19],
        "お誕生日おめでとう": [8930, 9697, 243, 128225, 8930, 17693, 4344, 48669],
        "antidisestablishmentarianism": [493, 129901, 376, 160388, 21203, 2367],
    },
}

# The example conversation of the cookbook's num_tokens_from_messages: 129 tokens for
# gpt-3.5-turbo and gpt-4 (cl100k_base), 124 for gpt-4o and gpt-4o-mini (o200k_base).
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "New synergies will help drive top-line growth.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]


@pytest.mark.parametrize(
    ("encoding", "text", "ids"),
    [(enc, text, ids) for enc, table in TIKTOKEN.items() for text, ids in table.items()],
)
def test_counts_equal_tiktoken(encoding: str, text: str, ids: list[int]) -> None:
    assert tiktoken_compatible(encoding).encode_ordinary(text) == ids
    assert count_text(text, encoding) == len(ids)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_hello_world_is_two_tokens(encoding: str) -> None:
    assert count_text("hello world", encoding) == 2
    assert count_text("", encoding) == 0


@pytest.mark.parametrize(("encoding", "expected"), [("cl100k_base", 129), ("o200k_base", 124)])
def test_count_chat_matches_the_cookbook(encoding: str, expected: int) -> None:
    assert count_chat(COOKBOOK_MESSAGES, encoding) == expected


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_count_chat_overheads(encoding: str) -> None:
    assert count_chat([], encoding) == 3  # the reply priming only
    hello = {"role": "user", "content": "hello world"}
    role = count_text("user", encoding)
    assert count_chat([hello], encoding) == 3 + 3 + role + 2
    named = {**hello, "name": "Bob"}
    assert count_chat([named], encoding) == 3 + 3 + role + 2 + count_text("Bob", encoding) + 1


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_count_chat_ignores_weight_and_non_text(encoding: str) -> None:
    plain = {"role": "assistant", "content": "ok"}
    assert count_chat([{**plain, "weight": 0}], encoding) == count_chat([plain], encoding)
    assert count_chat([{**plain, "weight": "1"}], encoding) == count_chat([plain], encoding)
    call = {"name": "f", "arguments": "{}"}
    assert count_chat([{**plain, "function_call": call}], encoding) == count_chat([plain], encoding)


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-2025-04-14", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini-2025-04-16", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC123", "o200k_base"),
        ("GPT-4O", "o200k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("babbage-002", "cl100k_base"),
        ("davinci-002", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0125:acme::xyz", "cl100k_base"),
        ("ft:davinci-002:acme::xyz", "cl100k_base"),
        ("cl100k_base", "cl100k_base"),
        ("o200k_base", "o200k_base"),
        ("some-future-model", "o200k_base"),
    ],
)
def test_encoding_for(model: str, encoding: str) -> None:
    assert encoding_for(model) == encoding


def test_unknown_encoding_is_an_error() -> None:
    with pytest.raises(ValueError, match="o200k_base or cl100k_base"):
        count_text("hi", "p50k_base")
    with pytest.raises(ValueError):
        count_text("", "gpt2")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_lone_surrogates_are_counted_as_replacement_characters(encoding: str) -> None:
    assert count_text("a\ud800b", encoding) == count_text("a\ufffdb", encoding)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_special_token_text_is_ordinary_text(encoding: str) -> None:
    # 8 tokens in both encodings with tiktoken's encode_ordinary.
    assert count_text("<|endoftext|> hi", encoding) == 8


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_whole_export_is_counted_in_one_call(encoding: str) -> None:
    # Past the tiktoken-compatible wrapper's 1,000,000-character guard. A line break followed
    # by a letter is always a pre-tokenization boundary, so the lines add up exactly.
    line = "Alice: see you at 8?\n"
    assert count_text(line * 60_000, encoding) == 60_000 * count_text(line, encoding)


@settings(max_examples=200, deadline=None)
@given(text=st.text(), encoding=st.sampled_from(ENCODINGS))
def test_count_is_the_length_of_the_encoding(text: str, encoding: str) -> None:
    assert count_text(text, encoding) == len(tiktoken_compatible(encoding).encode_ordinary(text))


# Concatenation is not additive in general (BPE merges across the seam, and it can gain or
# lose more than one token there), but a line break followed by a letter or digit always
# separates pre-tokenization pieces in both encodings, so counts add up across it.
@settings(max_examples=300, deadline=None)
@given(
    head=st.text(),
    first=st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No")),
    tail=st.text(),
    encoding=st.sampled_from(ENCODINGS),
)
def test_counts_add_up_across_a_line_break_before_a_word(
    head: str, first: str, tail: str, encoding: str
) -> None:
    left, right = head + "\n", first + tail
    assert count_text(left + right, encoding) == count_text(left, encoding) + count_text(
        right, encoding
    )


message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant"]), "content": st.text()},
    optional={"name": st.text(max_size=10), "weight": st.sampled_from([0, 1])},
)


@settings(max_examples=100, deadline=None)
@given(
    first=st.lists(message, max_size=4),
    second=st.lists(message, max_size=4),
    encoding=st.sampled_from(ENCODINGS),
)
def test_count_chat_is_additive_over_messages(first, second, encoding: str) -> None:
    both = count_chat(first + second, encoding)
    assert both == count_chat(first, encoding) + count_chat(second, encoding) - 3


def test_importing_loads_no_vocabulary() -> None:
    code = (
        "import json, sys\n"
        "import gpt_is_you.dataset.tokens as tokens\n"
        "import gpt_is_you.dataset.checks, gpt_is_you.dataset.cost\n"
        "print(json.dumps({\n"
        "    'bpe_openai': sorted(m for m in sys.modules if m.split('.')[0] == 'bpe_openai'),\n"
        "    'cached': tokens._counter.cache_info().currsize,\n"
        "}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == {"bpe_openai": [], "cached": 0}


def test_memo_counter_counts_like_count_text_and_feeds_count_chat() -> None:
    from gpt_is_you.dataset.tokens import memo_counter

    count = memo_counter("o200k_base")
    texts = ["hello world", "hello world", "antidisestablishmentarianism", ""]
    assert [count(t) for t in texts] == [count_text(t, "o200k_base") for t in texts]
    messages = [{"role": "user", "content": "hello world"}, {"role": "assistant", "content": "hi"}]
    assert count_chat(messages, "o200k_base", count) == count_chat(messages, "o200k_base")


def test_count_example_is_count_chat_of_its_messages() -> None:
    from datetime import datetime

    from gpt_is_you.dataset.examples import Example, Turn
    from gpt_is_you.dataset.tokens import count_example, memo_counter

    t = datetime(2024, 1, 1)
    turns = (
        Turn("assistant", "Sam", ("hey",), t, t, (0,), 0),
        Turn("user", "Robin", ("Hello, Sam.", "How are you?"), t, t, (1, 2)),
        Turn("assistant", "Sam", ("good 😀",), t, t, (3,)),
    )
    for group in (False, True):
        example = Example(0, 0, "train", "You are Sam.", turns, group)
        for encoding in ("o200k_base", "cl100k_base"):
            expected = count_chat(example.chat_messages(), encoding)
            assert count_example(example, memo_counter(encoding)) == expected
