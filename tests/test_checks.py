"""OpenAI's chat format checks and the legacy prepare_data advice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_is_you.dataset.checks import (
    SEPARATOR,
    STOP,
    check_chat_example,
    prepare_data_advice,
)


def chat(*messages: dict[str, object]) -> dict[str, object]:
    return {"messages": list(messages)}


SYSTEM = {"role": "system", "content": "You are Alice."}
USER = {"role": "user", "content": "dinner?"}
ASSISTANT = {"role": "assistant", "content": "yes! 8pm"}


def test_a_good_example_has_no_problems() -> None:
    assert check_chat_example(chat(SYSTEM, USER, ASSISTANT)) == []
    assert check_chat_example(chat(USER, {**ASSISTANT, "weight": 0}, USER, ASSISTANT)) == []
    assert check_chat_example(chat({**USER, "name": "Bob"}, {**ASSISTANT, "weight": 1})) == []


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ([USER, ASSISTANT], ["the example is a list, not a dict"]),
        ("text", ["the example is a str, not a dict"]),
        (None, ["the example is a null, not a dict"]),
        ({}, ["the example has no messages list"]),
        ({"messages": []}, ["the example has no messages list"]),
        ({"messages": {"role": "user"}}, ["messages is a dict, not a list"]),
        (
            chat(USER, "hi"),
            ["message 2 is a str, not a dict", "the example has no assistant message"],
        ),
        (chat(USER), ["the example has no assistant message"]),
        (chat(SYSTEM, USER), ["the example has no assistant message"]),
        (chat(USER, {"role": "assistant"}), ["message 2 has no 'content'"]),
        (
            chat(USER, {"content": "hi"}),
            ["message 2 has no 'role'", "the example has no assistant message"],
        ),
        (
            chat(USER, {**ASSISTANT, "time": "9:06"}),
            [
                "message 2 has unrecognized key 'time' "
                "(allowed: role, content, name, function_call, weight)"
            ],
        ),
        (
            chat(USER, {"role": "bot", "content": "hi"}),
            [
                "message 2 has unrecognized role 'bot' (expected system, user, assistant, function)",
                "the example has no assistant message",
            ],
        ),
        (chat(USER, {**ASSISTANT, "content": None}), ["message 2 content is a null, not a string"]),
        (
            chat(USER, {**ASSISTANT, "content": ["a"]}),
            ["message 2 content is a list, not a string"],
        ),
        (chat(USER, {**ASSISTANT, "content": ""}), ["message 2 content is empty"]),
        (chat(USER, {**ASSISTANT, "content": " \n"}), ["message 2 content is empty"]),
        (chat(USER, {**ASSISTANT, "weight": 2}), ["message 2 weight must be 0 or 1, not 2"]),
        (chat(USER, {**ASSISTANT, "weight": 0.5}), ["message 2 weight must be 0 or 1, not 0.5"]),
        (chat(USER, {**ASSISTANT, "weight": True}), ["message 2 weight must be 0 or 1, not True"]),
        (
            chat({**USER, "weight": 1}, ASSISTANT),
            ["message 1 has a weight, which only assistant messages may have"],
        ),
    ],
)
def test_problems(example: object, expected: list[str]) -> None:
    assert check_chat_example(example) == expected


def test_every_bad_message_is_reported() -> None:
    problems = check_chat_example(chat({"role": "user", "content": ""}, ASSISTANT, {"x": 1}))
    assert problems == [
        "message 1 content is empty",
        "message 3 has no 'role' and no 'content'",
        "message 3 has unrecognized key 'x' (allowed: role, content, name, function_call, weight)",
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
loose_message = st.dictionaries(
    st.sampled_from(["role", "content", "name", "weight", "function_call", "other"]),
    json_values | st.sampled_from(["system", "user", "assistant", "function"]),
    max_size=5,
)


@given(json_values | st.fixed_dictionaries({"messages": st.lists(loose_message | json_values)}))
def test_never_raises_on_any_json(example: object) -> None:
    problems = check_chat_example(example)
    assert isinstance(problems, list)
    assert all(isinstance(p, str) and p for p in problems)


good_message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "user", "assistant"]),
        "content": st.text(min_size=1).filter(str.strip),
    },
    optional={"name": st.text(max_size=8)},
)


@given(st.lists(good_message), st.booleans(), st.sampled_from([0, 1]))
def test_well_formed_examples_pass(messages, weighted: bool, weight: int) -> None:
    last: dict[str, object] = {"role": "assistant", "content": "ok"}
    if weighted:
        last["weight"] = weight
    assert check_chat_example({"messages": [*messages, last]}) == []


# prepare_data_advice


def good_pairs(n: int) -> list[tuple[str, str]]:
    return [
        (f"Bob: are you free on day {i}?{SEPARATOR}", f" maybe, ask me on day {i + 1}{STOP}")
        for i in range(n)
    ]


def test_good_pairs_get_no_advice() -> None:
    assert prepare_data_advice(good_pairs(100)) == []


def test_no_pairs() -> None:
    assert prepare_data_advice([]) == ["there are no prompt-completion pairs"]


def test_too_few_examples() -> None:
    (advice,) = prepare_data_advice(good_pairs(99))
    assert advice.startswith("only 99 prompt-completion pairs: at least a few hundred")


def test_duplicates() -> None:
    pairs = good_pairs(100)
    pairs[10] = pairs[3]
    pairs[20] = pairs[3]
    assert prepare_data_advice(pairs) == [
        "2 duplicated prompt-completion pairs (pairs 11, 21): remove the repeats"
    ]


def test_missing_separator() -> None:
    pairs = good_pairs(100)
    pairs[4] = ("Bob: hi", pairs[4][1])
    (advice,) = prepare_data_advice(pairs)
    assert advice.startswith(
        "1 of 100 prompts (pair 5) do not end with the separator '\\n\\n###\\n\\n' (no common ending)"
    )
    pairs = [(p[: -len(SEPARATOR)] + "\n\n", c) for p, c in good_pairs(100)]
    (advice,) = prepare_data_advice(pairs)
    assert "100 of 100 prompts (pairs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …)" in advice
    assert "their only common ending is '?\\n\\n'" in advice


def test_separator_inside_a_prompt() -> None:
    pairs = good_pairs(100)
    pairs[0] = (f"Bob: a{SEPARATOR}b{SEPARATOR}", pairs[0][1])
    assert prepare_data_advice(pairs) == [
        "the separator '\\n\\n###\\n\\n' also appears inside 1 prompt (pair 1): "
        "it should appear only at the end"
    ]


def test_empty_prompts_are_open_ended_generation() -> None:
    pairs = [("", f" line {i}{STOP}") for i in range(100)]
    assert prepare_data_advice(pairs) == []


def test_identical_prompts_and_completions() -> None:
    pairs = [(f"Bob: hi{SEPARATOR}", f" hey{STOP}")] * 2
    advice = prepare_data_advice(pairs)
    assert any(a.startswith("all prompts are identical") for a in advice)
    assert any(a.startswith("all completions are identical") for a in advice)


def test_completion_space_and_stop() -> None:
    pairs = good_pairs(100)
    pairs[1] = (pairs[1][0], "no space ###")
    pairs[2] = (pairs[2][0], " no stop")
    pairs[3] = (pairs[3][0], f" stop{STOP} inside{STOP}")
    assert prepare_data_advice(pairs) == [
        "1 completion (pair 2) does not start with a space: start every completion with one, "
        "which suits the tokenizer",
        "1 completion (pair 3) does not end with the stop ' ###': end every completion with it "
        "so the model knows where to stop",
        "the stop ' ###' also appears inside 1 completion (pair 4): generation would end there",
    ]


def test_empty_completions() -> None:
    pairs = good_pairs(100)
    pairs[7] = (pairs[7][0], "")
    advice = prepare_data_advice(pairs)
    assert advice[0] == "1 empty completion (pair 8): remove them"


def test_long_examples_by_characters_and_by_tokens() -> None:
    pairs = good_pairs(100)
    pairs[5] = ("x " * 5_000 + SEPARATOR, pairs[5][1])
    assert prepare_data_advice(pairs) == [
        "1 example (pair 6) is longer than 10,000 characters: shorten or split it"
    ]
    pairs = good_pairs(100)
    pairs[5] = ("hello " * 200 + SEPARATOR, pairs[5][1])
    pairs[6] = ("hello " * 300 + SEPARATOR, pairs[6][1])
    assert prepare_data_advice(pairs, limit=100, encoding="o200k_base") == [
        "2 examples (pairs 6, 7) are longer than 100 tokens: shorten or split them"
    ]


def test_other_separator_and_stop() -> None:
    pairs = [(f"q{i} ->", f" a{i}\n") for i in range(100)]
    assert prepare_data_advice(pairs, separator=" ->", stop="\n") == []
    with pytest.raises(ValueError):
        prepare_data_advice(pairs, stop="")
