"""The dataset builder: properties over random chats, and the rules case by case."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gpt_is_you.chats import DELETED, MEDIA, SYSTEM, TEXT, Message
from gpt_is_you.dataset.build import BuildSettings, build
from gpt_is_you.dataset.examples import ASSISTANT, TRAIN, USER, VALID


def rough_tokens(text: str) -> int:
    return len(text) // 4 + 1


PEOPLE = ["Sam Okafor", "Robin Hale", "Chloé Dubois"]


@st.composite
def chats(draw):
    people = PEOPLE[: draw(st.integers(2, 3))]
    t = datetime(2024, 1, 1, 8, 0)
    messages = []
    for _ in range(draw(st.integers(1, 60))):
        t += timedelta(seconds=draw(st.sampled_from([5, 30, 120, 600, 900, 4 * 3600, 2 * 86400])))
        kind = draw(st.sampled_from([TEXT, TEXT, TEXT, TEXT, MEDIA, DELETED, SYSTEM]))
        sender = None if kind == SYSTEM else draw(st.sampled_from(people))
        text = "" if kind == DELETED else draw(st.text("abc xyz!?😀", min_size=0, max_size=40))
        messages.append(Message(t, sender, text, kind, False))
    return messages


SETTINGS = st.builds(
    BuildSettings,
    persona=st.sampled_from(PEOPLE[:2]),
    media=st.sampled_from(["drop", "placeholder"]),
    merge_window=st.sampled_from([timedelta(0), timedelta(minutes=1), timedelta(minutes=10)]),
    session_gap=st.sampled_from([timedelta(minutes=30), timedelta(hours=3)]),
    max_tokens=st.sampled_from([40, 80, 2048]),
    context_turns=st.integers(0, 4),
    validation_share=st.sampled_from([0.0, 0.1, 0.5]),
    drop_duplicates=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(chats(), SETTINGS)
def test_properties_of_every_dataset(messages, s):
    data = build(messages, s, count_tokens=rough_tokens)
    splits = {TRAIN: set(), VALID: set()}
    for example in data.examples:
        # Every assistant turn is the persona's, and nobody else's turn is.
        assert all((t.role == ASSISTANT) == (t.speaker == s.persona) for t in example.turns)
        # Something is learned, and it answers someone.
        first_user = next(i for i, t in enumerate(example.turns) if t.role == USER)
        assert any(t.role == ASSISTANT and t.weight for t in example.turns[first_user:])
        assert all(not t.weight for t in example.turns[:first_user] if t.role == ASSISTANT)
        for turn in example.turns:
            # Merging never joins messages further apart than the merge window.
            times = [messages[i].time for i in turn.sources]
            assert all(b - a <= s.merge_window for a, b in itertools.pairwise(times))
            assert all(messages[i].sender == turn.speaker for i in turn.sources)
            assert all(messages[i].kind not in (SYSTEM, DELETED) for i in turn.sources)
        # No example crosses a session gap.
        turns = example.turns
        assert all(b.start - a.end < s.session_gap for a, b in itertools.pairwise(turns))
        splits[example.split].update(example.sources)
    # No message is both trained on and validated on; validation comes last.
    assert not splits[TRAIN] & splits[VALID]
    if splits[TRAIN] and splits[VALID]:
        assert max(splits[TRAIN]) < min(splits[VALID])


def _chat(*rows):
    t = datetime(2024, 3, 1, 9, 0)
    out = []
    for minutes, sender, text, *kind in rows:
        out.append(
            Message(t + timedelta(minutes=minutes), sender, text, kind[0] if kind else TEXT, False)
        )
    return out


def test_a_two_person_chat():
    messages = _chat(
        (0, "Robin Hale", "Morning! Are we still on for Saturday?"),
        (1, "Sam Okafor", "yess"),
        (1, "Sam Okafor", "what time 👀"),
        (3, "Robin Hale", "Ten o'clock, at the market entrance; bring a bag."),
        (4, None, "Missed voice call", SYSTEM),
        (5, "Sam Okafor", "", DELETED),
        (6, "Sam Okafor", "", MEDIA),
        (7, "Sam Okafor", "ok see u there", TEXT),
    )
    data = build(messages, BuildSettings(persona="Sam Okafor"), count_tokens=rough_tokens)
    (example,) = data.examples
    assert example.chat_messages() == [
        {
            "role": "system",
            "content": "You are Sam Okafor, chatting with Robin Hale. Write as Sam Okafor writes.",
        },
        {"role": "user", "content": "Morning! Are we still on for Saturday?"},
        {"role": "assistant", "content": "yess\nwhat time 👀"},
        {"role": "user", "content": "Ten o'clock, at the market entrance; bring a bag."},
        {"role": "assistant", "content": "ok see u there"},
    ]


def test_persona_turns_before_anyone_spoke_are_context_and_media_placeholders():
    messages = _chat(
        (0, "Sam Okafor", "u up?"),
        (30, "Robin Hale", "I am now."),
        (31, "Sam Okafor", "look", MEDIA),
    )
    s = BuildSettings(persona="Sam Okafor", media="placeholder")
    (example,) = build(messages, s, count_tokens=rough_tokens).examples
    rendered = example.chat_messages()
    assert rendered[1] == {"role": "assistant", "content": "u up?", "weight": 0}
    assert rendered[3] == {"role": "assistant", "content": "[media] look"}


def test_group_chats_name_the_speaker():
    messages = _chat(
        (0, "Robin Hale", "Who is bringing the cake?"),
        (1, "Chloé Dubois", "Not me, I did last time."),
        (2, "Sam Okafor", "me 🎂"),
    )
    (example,) = build(
        messages, BuildSettings(persona="Sam Okafor"), count_tokens=rough_tokens
    ).examples
    assert example.system.startswith(
        "You are Sam Okafor, chatting in a group with Chloé Dubois and Robin Hale"
    )
    assert example.chat_messages()[2] == {
        "role": "user",
        "content": "Chloé Dubois: Not me, I did last time.",
    }


def test_sessions_split_at_silences_and_the_latest_are_held_out():
    rows = []
    for day in range(10):
        rows += [
            (day * 1440, "Robin Hale", f"Day {day}: how are you?"),
            (day * 1440 + 1, "Sam Okafor", f"good {day}"),
        ]
    data = build(
        _chat(*rows),
        BuildSettings(persona="Sam Okafor", validation_share=0.2),
        count_tokens=rough_tokens,
    )
    assert data.sessions == 10
    assert [e.split for e in data.examples] == [TRAIN] * 8 + [VALID] * 2


def test_a_long_session_is_cut_with_context():
    rows = []
    for i in range(40):
        rows += [
            (2 * i, "Robin Hale", f"Question number {i} is rather long, isn't it?"),
            (2 * i + 1, "Sam Okafor", f"answer {i}"),
        ]
    data = build(
        _chat(*rows),
        BuildSettings(persona="Sam Okafor", max_tokens=120, context_turns=2, validation_share=0),
        count_tokens=rough_tokens,
    )
    assert data.cut == 1 and len(data.examples) > 2
    later = data.examples[1]
    assert later.part == 1
    assert [t.weight for t in later.turns[:2] if t.role == ASSISTANT] == [
        0
    ]  # context, not learned twice
    for e in data.examples:
        assert sum(rough_tokens(m["content"]) + 4 for m in e.chat_messages()) <= 120 + 8


def test_filters():
    messages = _chat(
        (0, "Robin Hale", "Look at this"),
        (1, "Sam Okafor", "https://example.org/cat"),
        (2, "Robin Hale", "Cute, isn't it?"),
        (3, "Sam Okafor", "ok"),
        (4, "Robin Hale", "And this one?"),
        (5, "Sam Okafor", "ok"),
        (6, "Robin Hale", "Right."),
        (7, "Sam Okafor", "so cute omg"),
    )
    base = BuildSettings(persona="Sam Okafor", validation_share=0)

    def persona_turns(s):
        (example,) = build(messages, s, count_tokens=rough_tokens).examples
        return [(t.text, t.weight) for t in example.turns if t.role == ASSISTANT]

    assert persona_turns(base) == [
        ("https://example.org/cat", 1),
        ("ok", 1),
        ("ok", 1),
        ("so cute omg", 1),
    ]
    links = BuildSettings(persona="Sam Okafor", validation_share=0, drop_link_only=True)
    assert persona_turns(links)[0] == ("ok", 1)
    short = BuildSettings(persona="Sam Okafor", validation_share=0, min_chars=3)
    assert [t for t, _ in persona_turns(short)] == ["https://example.org/cat", "so cute omg"]
    repeats = BuildSettings(persona="Sam Okafor", validation_share=0, drop_duplicates=True)
    assert persona_turns(repeats)[1:3] == [("ok", 1), ("ok", 0)]
