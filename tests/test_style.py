"""Style measures of replies, their distances and the base-vs-tuned comparison, on crafted
replies whose answers were worked out by hand."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpt_is_you.evaluation.style import (
    LABELS,
    MEASURES,
    StyleProfile,
    compare,
    count_emoji,
    detect_language,
    distances,
    profile,
    words,
)

EMPTY = profile([])


def test_empty_input_gives_a_zero_profile():
    assert profile([]) == StyleProfile(
        replies=0,
        words=0.0,
        bubbles=0.0,
        emoji=0.0,
        capitals=0.0,
        end_punctuation=0.0,
        questions=0.0,
        exclamations=0.0,
        openers=(),
        vocabulary=(),
        language="?",
    )


def test_every_measure_has_a_label():
    assert set(LABELS) == set(MEASURES)
    assert LABELS["words"] == "length in words"


def test_words_and_bubbles_per_reply():
    # 1 + 4 words, 1 + 2 bubbles; blank lines are no bubble
    p = profile(["hey", "ok cool\n\nsee you"])
    assert p.replies == 2
    assert p.words == 2.5
    assert p.bubbles == 1.5
    assert p.emoji == 0.0


def test_words_are_letters_digits_and_inner_apostrophes():
    assert words("Don't, DON’T stop_me at 5pm! 😂 c'est") == [
        "don't",
        "don't",
        "stop",
        "me",
        "at",
        "5pm",
        "c'est",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🥲", 1),
        ("❤️", 1),  # heart + variation selector 16
        ("❤", 1),  # the same heart without it
        ("🇫🇷", 1),  # a flag: two regional indicators
        ("🇫🇷🇩🇪", 2),
        ("👍🏽", 1),  # skin tone
        ("👨‍👩‍👧", 1),  # a family joined by zero-width joiners
        ("🏃🏽‍♀️", 1),  # skin tone, joiner and gender sign
        ("1️⃣", 1),  # keycap
        ("🏴󠁧󠁢󠁥󠁮󠁧󠁿", 1),  # England: black flag and tags
        ("★ ✔ ☺", 3),  # symbols
        ("haha 😂😂😂 ok 🙏", 4),
        ("hello!!! ... ?! (:", 0),  # punctuation and emoticons are no emoji
        ("© 2024 → °", 0),  # text symbols without emoji presentation
        ("©️", 1),
    ],
)
def test_emoji_are_counted_once_per_sequence(text, expected):
    assert count_emoji(text) == expected


def test_emoji_per_reply():
    assert profile(["ok 👍🏽", "🇫🇷 ❤️\n🥲", "no"]).emoji == pytest.approx(4 / 3)


def test_capitals_share_of_bubbles_with_a_letter():
    # Hey: upper, ok: lower, 123: no letter (left out), "😂 Sure": upper -> 2 of 3
    p = profile(["Hey\nok", "123", "😂 Sure"])
    assert p.capitals == pytest.approx(2 / 3)


def test_punctuation_questions_and_exclamations_ignore_trailing_emoji():
    # bubbles: "ok." yes, "fine 😂" no, "sure! 😂😂" yes, "what?" yes, "really…" yes, "no" no
    p = profile(["ok.", "fine 😂", "sure! 😂😂 ", "what?\nreally…", "no"])
    assert p.end_punctuation == pytest.approx(4 / 6)
    assert p.questions == pytest.approx(1 / 6)
    assert p.exclamations == pytest.approx(1 / 6)


def test_openers_are_shares_of_replies_most_common_first():
    p = profile(["Hey! how", "hey you", "OK.", "lol", "..."])
    # "..." has no opener but is still a reply; ties in alphabetical order
    assert p.openers == (("hey", 0.4), ("lol", 0.2), ("ok", 0.2))


def test_an_emoji_can_open_a_reply():
    assert profile(["😂 no way"]).openers == (("😂", 1.0),)


def test_only_ten_openers_are_kept():
    p = profile([f"w{i} x" for i in range(12)] + ["w5 again"])
    assert len(p.openers) == 10
    assert p.openers[0] == ("w5", pytest.approx(2 / 13))


def test_vocabulary_counts_words_most_common_first():
    p = profile(["The cat, the DOG", "the cat"])
    assert p.vocabulary == (("the", 3), ("cat", 2), ("dog", 1))
    assert len(profile([" ".join(f"w{i}" for i in range(600))]).vocabulary) == 500


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("hey how are you? I am at the station, see you in a bit", "en"),
        ("ich bin gleich da, hast du das gesehen? nicht schlecht", "de"),
        ("je suis à la gare, tu viens avec moi ? c'est pas loin", "fr"),
        ("hola, ¿cómo estás? estoy en casa con mi hermano", "es"),
        ("ciao, come stai? io sono a casa, non ho fatto niente", "it"),
        ("oi, tudo bem? eu estou em casa, não vou sair hoje", "pt"),
        ("hoi, ik ben er zo, heb je dat gezien? niet slecht", "nl"),
        ("hej, jag är hemma nu, vad gör du? inte så mycket", "sv"),
        ("12 34 5678", "?"),
        ("", "?"),
        ("lol", "?"),
    ],
)
def test_language_of_short_texts(text, code):
    assert detect_language(text) == code


def test_language_of_the_replies_taken_together():
    assert profile(["ich bin da", "hast du es gesehen?", "ok"]).language == "de"


# --- distances --------------------------------------------------------------------------

PIECES = [*"abcXYZ é?!.…,' \n", "😂", "👍🏽", "🇫🇷", "❤️", "the ", "und ", "Hey "]
chat_text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=15).map("".join),
    st.text(max_size=20),  # any Unicode at all
)
profiles = st.lists(chat_text, max_size=6).map(profile)


@settings(max_examples=150, deadline=None)
@given(profiles, profiles)
def test_distances_are_symmetric_in_range_and_zero_to_itself(a, b):
    there, back = distances(a, b), distances(b, a)
    assert list(there) == list(MEASURES)
    assert there == back
    assert all(0.0 <= d <= 1.0 for d in there.values())
    assert set(distances(a, a).values()) == {0.0}


def test_counts_differ_relatively():
    d = distances(replace(EMPTY, words=2.0, emoji=0.5), replace(EMPTY, words=4.0))
    assert d["words"] == 0.5
    assert d["emoji"] == 1.0
    assert d["bubbles"] == 0.0  # both 0


def test_shares_differ_absolutely():
    d = distances(replace(EMPTY, capitals=0.2), replace(EMPTY, capitals=0.7, questions=0.1))
    assert d["capitals"] == pytest.approx(0.5)
    assert d["questions"] == pytest.approx(0.1)


def test_openers_distance_is_the_share_not_in_common():
    # hi .5, yo .5 against hi .5, hey .5: half in common
    assert distances(profile(["hi there", "yo"]), profile(["hi", "hey"]))["openers"] == 0.5
    assert distances(profile(["hi"]), profile(["yo"]))["openers"] == 1.0
    assert distances(profile(["hi"]), EMPTY)["openers"] == 1.0


def test_vocabulary_distance_is_one_minus_cosine():
    # (x 1, y 1) against (x 1, z 1): cosine 1/2
    assert distances(profile(["x y"]), profile(["x z"]))["vocabulary"] == pytest.approx(0.5)
    # the same proportions are the same vocabulary
    assert distances(profile(["x y"]), profile(["x y x y"]))["vocabulary"] == pytest.approx(0.0)
    assert distances(profile(["x"]), profile(["y"]))["vocabulary"] == 1.0


def test_language_distance():
    en, de, unsure = (replace(EMPTY, language=code) for code in ("en", "de", "?"))
    assert distances(en, de)["language"] == 1.0
    assert distances(en, unsure)["language"] == 0.5
    assert distances(unsure, unsure)["language"] == 0.0


# --- base against tuned -----------------------------------------------------------------

PERSONA = profile(["lol ok", "yeah 😂\nsee u", "lol no way", "ok ok 👍"])
BASE = profile(
    [
        "Hello! How can I help you today?",
        "That is a great question. Let me explain.",
        "Sure, I would be happy to help!",
    ]
)


def test_a_tuned_model_writing_like_the_persona_is_closer():
    closeness = compare(PERSONA, BASE, PERSONA)
    base_distances = distances(PERSONA, BASE)
    assert closeness.score > 0
    assert closeness.score == pytest.approx(sum(base_distances.values()) / len(MEASURES))
    assert [m for m, _, _ in closeness.measures] == list(MEASURES)
    assert all(tuned == 0.0 for _, _, tuned in closeness.measures)
    assert closeness.closer == tuple(m for m in MEASURES if base_distances[m] > 0.005)
    assert "words" in closeness.closer
    assert closeness.farther == ()


def test_a_tuned_model_moving_away_is_farther():
    closeness = compare(PERSONA, PERSONA, BASE)
    assert closeness.score < 0
    assert closeness.closer == ()
    assert "emoji" in closeness.farther


def test_small_differences_are_neither_closer_nor_farther():
    tuned = replace(PERSONA, capitals=PERSONA.capitals + 0.004)
    closeness = compare(PERSONA, PERSONA, tuned)
    assert closeness.closer == closeness.farther == ()


def test_profiles_and_closeness_are_plain_json():
    p = profile(["Hey! 😂 how are you?", "ok\nsee you"])
    data = p.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["openers"][0] == ["hey", 0.5]
    closeness = json.loads(json.dumps(compare(PERSONA, BASE, p).to_json()))
    assert closeness["measures"][0]["label"] == "length in words"
