"""The memorisation check: generated replies and bubbles copied from training turns."""

from __future__ import annotations

import json

from gpt_is_you.evaluation.memorisation import Memorisation, normalise, verbatim

TRAINING = [
    "See you tomorrow at the station\nbring the keys",
    "lol",
    "ok sure thing then",
]


def test_normalise_folds_case_and_white_space_per_bubble():
    assert normalise("  See  YOU\n\n tomorrow\tthen \n") == "see you\ntomorrow then"


def test_copies_are_found_whatever_their_case_and_spacing():
    generated = [
        "see  you TOMORROW at the station\nBring the keys",  # the whole first turn
        "lol",  # equal to a turn, but too short to count
        "bring the keys please now",  # checked, new
        "something new entirely here",  # checked, new
        "see you tomorrow at the station",  # a bubble of a turn, not a whole turn
    ]
    result = verbatim(generated, TRAINING)
    assert result == Memorisation(
        replies=5,
        copied_replies=1,
        # "bring the keys" has 3 words: not checked
        copied_bubbles=2,
        bubbles=4,
        examples=(
            "see  you TOMORROW at the station\nBring the keys",
            "see you tomorrow at the station",
        ),
    )
    assert result.reply_rate == 0.2
    assert result.bubble_rate == 0.5


def test_short_texts_are_not_memorisation():
    assert verbatim(["ok sure thing then"], TRAINING).copied_replies == 1
    short = verbatim(["ok sure thing then", "lol"], TRAINING, min_words=5)
    assert (short.copied_replies, short.copied_bubbles, short.bubbles) == (0, 0, 0)
    assert short.examples == ()


def test_at_most_five_examples_each_once():
    training = [f"this is training turn {i}" for i in range(8)]
    generated = [*training, training[0]]
    result = verbatim(generated, training)
    assert result.copied_replies == 9
    assert result.examples == tuple(training[:5])


def test_nothing_generated():
    result = verbatim([], TRAINING)
    assert (result.replies, result.reply_rate, result.bubble_rate) == (0, 0.0, 0.0)


def test_json_is_plain():
    result = verbatim(["see you tomorrow at the station"], TRAINING)
    data = json.loads(json.dumps(result.to_json()))
    assert data["bubble_rate"] == 1.0
    assert data["copied_bubbles"] == result.copied_bubbles
