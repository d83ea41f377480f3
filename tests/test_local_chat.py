"""Writing the persona's reply with the trained adapter: streamed, stopped at the turn's end."""

from __future__ import annotations

import math

import pytest
import torch

from conftest import SYSTEM, USER_LINES, YO_SURE, load_tiny
from gpt_is_you.providers.local import generate
from gpt_is_you.providers.local.encode import reply_ids
from gpt_is_you.providers.local.generate import LocalChat, bubbles
from gpt_is_you.providers.local.train import ADAPTER
from gpt_is_you.providers.settings import Sampling

GREEDY = Sampling(temperature=0, max_tokens=40)


# Every test here runs with the bfloat16 copies for written tokens (the CPU default) and
# without (float32 throughout): a host whose bfloat16 rounds otherwise must not change
# what the tests see.
QUANTIZE, PRECISIONS = [True, False], ["bfloat16-writing", "float32"]
WRITING = pytest.mark.parametrize("quantize", QUANTIZE, ids=PRECISIONS)


@pytest.fixture(scope="module", params=QUANTIZE, ids=PRECISIONS)
def chat(request, yo_sure_run, tiny_base):
    folder, _, _ = yo_sure_run
    return LocalChat(
        base=str(tiny_base), adapter=folder / ADAPTER, context=256, quantize=request.param
    )


@pytest.fixture
def drawn(monkeypatch) -> list:
    """Every logits vector a token was drawn from, in order."""
    seen = []
    sample = generate.sample_token

    def spy(logits, sampling, generator):
        seen.append(logits.clone())
        return sample(logits, sampling, generator)

    monkeypatch.setattr(generate, "sample_token", spy)
    return seen


def _ask(text: str) -> list[dict[str, object]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


@pytest.mark.parametrize("line", USER_LINES[:3])
def test_the_trained_reply_streams_token_by_token_and_stops_at_the_turns_end(chat, line):
    pieces = list(chat.stream(_ask(line), GREEDY))
    assert "".join(pieces) == YO_SURE
    assert len(pieces) >= 4  # one piece per token as it is written (y, o, \n, su, re)
    assert all(pieces)
    # It stopped at the end-of-turn token, long before max_tokens ran out.
    assert len(chat.tokenizer(YO_SURE)["input_ids"]) == len(pieces) < GREEDY.max_tokens
    assert bubbles("".join(pieces)) == ["yo", "sure"]


def test_a_model_passed_in_gives_the_same_reply(yo_sure_run, tiny_base, tiny_tokenizer):
    folder, _, _ = yo_sure_run
    passed = LocalChat(
        adapter=folder / ADAPTER, model=load_tiny(tiny_base), tokenizer=tiny_tokenizer
    )
    assert "".join(passed.stream(_ask("hey"), GREEDY)) == YO_SURE


def test_without_the_adapter_the_base_model_does_not_say_it(chat, tiny_base):
    base = LocalChat(base=str(tiny_base), context=256)
    assert "".join(base.stream(_ask("hey"), GREEDY)) != YO_SURE


def test_sampling_with_a_seed_is_repeatable(chat, drawn):
    """A reply written again comes from the first one's cache: every token must be drawn
    from the very same numbers as the first time, on any processor."""
    sampling = Sampling(temperature=1.5, top_p=0.9, max_tokens=12, seed=7)
    first = "".join(chat.stream(_ask("hey"), sampling))
    fresh = drawn[:]
    drawn.clear()
    assert "".join(chat.stream(_ask("hey"), sampling)) == first
    assert len(drawn) == len(fresh)
    for cached, read in zip(drawn, fresh, strict=True):
        assert torch.equal(cached, read)


def test_bubbles_split_a_reply_into_messages():
    assert bubbles("yo\nsure") == ["yo", "sure"]
    assert bubbles("  one \n\n two\n") == ["one", "two"]
    assert bubbles("") == []


def test_a_long_prompt_keeps_the_system_message_and_drops_the_oldest_turns(chat):
    turns = []
    for i in range(40):
        turns.append({"role": "user", "content": f"message number {i} how are you"})
        turns.append({"role": "assistant", "content": f"yo {i}"})
    turns.append({"role": "user", "content": "the latest one"})
    messages = [{"role": "system", "content": SYSTEM}, *turns]
    room = 40
    ids = chat.prompt(messages, room)
    assert len(ids) <= chat.context - room
    text = chat.tokenizer.decode(ids)
    assert text.startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>")
    assert text.endswith("the latest one<|im_end|>\n<|im_start|>assistant\n")
    assert "message number 0 " not in text  # the oldest turns went first
    assert "message number 39 " in text  # the latest ones stay
    # Whole turns are dropped, never half of one.
    kept = [int(t.split()[0]) for t in text.split("message number ")[1:]]
    assert kept == list(range(kept[0], 40))
    # It writes a reply to such a prompt all the same.
    reply = list(chat.stream(messages, Sampling(temperature=0, max_tokens=room)))
    assert len(reply) <= room


def test_a_short_prompt_is_kept_whole(chat):
    messages = _ask("hey")
    assert chat.tokenizer.decode(chat.prompt(messages, 40)) == (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nhey<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


@WRITING
def test_a_follow_up_reuses_the_cached_conversation_and_writes_the_same_tokens(
    yo_sure_run, tiny_base, drawn, quantize
):
    """The next message of a conversation is read on top of the cache of the last prompt;
    the logits must be those of reading the whole prompt afresh (to float32's rounding:
    the two read it in pieces of other sizes; bfloat16's would be a thousand times more)."""
    folder, _, _ = yo_sure_run
    sampling = Sampling(temperature=1.0, top_p=1.0, max_tokens=12, seed=3)
    warm = LocalChat(base=str(tiny_base), adapter=folder / ADAPTER, context=256, quantize=quantize)
    first = "".join(warm.stream(_ask("hey"), GREEDY))
    follow_up = [
        *_ask("hey"),
        {"role": "assistant", "content": first},
        {"role": "user", "content": "ok"},
    ]
    read = []
    forward = warm.model.forward

    def spy(*args, **kwargs):
        read.append(kwargs["input_ids"].shape[1])
        return forward(*args, **kwargs)

    warm.model.forward = spy
    drawn.clear()
    reply = "".join(warm.stream(follow_up, sampling))
    warm_first = drawn[0]
    drawn.clear()
    cold = LocalChat(base=str(tiny_base), adapter=folder / ADAPTER, context=256, quantize=quantize)
    assert "".join(cold.stream(follow_up, sampling)) == reply
    torch.testing.assert_close(warm_first, drawn[0], rtol=1e-4, atol=1e-4)
    # It read only what the cache lacked: the reply, the new message, the header.
    assert read[0] == len(warm.prompt(follow_up, 12)) - len(warm.prompt(_ask("hey"), 40))


UNRELATED = "I'm lying here listening to the rain."


def test_the_trained_reply_scores_higher_than_unrelated_text(chat, tiny_base):
    """The model trained to say "yo\\nsure" finds it likelier than anything else; the
    base model, untrained, has no such preference to show (its scores are merely numbers)."""
    candidates = [YO_SURE, UNRELATED, "sure\nyo", "ok"]
    scores = chat.score(_ask("hey"), candidates)
    assert len(scores) == len(candidates)
    assert scores[0] == max(scores)
    assert scores[0] > scores[1] + 1  # nats per token: not a near thing
    base = LocalChat(base=str(tiny_base), context=256)
    assert all(math.isfinite(score) for score in base.score(_ask("hey"), candidates))


def test_a_score_is_the_mean_log_likelihood_of_the_replys_tokens(chat):
    """The batched score (the prompt read once, the candidates read together on its
    cache) equals reading each whole conversation in one pass and averaging the log
    probabilities of the reply's tokens, its end-of-turn token included."""
    from gpt_is_you.providers.local.encode import IGNORE, encode

    messages = _ask("how are you")
    candidates = [YO_SURE, UNRELATED, "ok"]
    scores = chat.score(messages, candidates)
    for candidate, score in zip(candidates, scores, strict=True):
        whole = [*messages, {"role": "assistant", "content": candidate}]
        encoded = encode(whole, chat.tokenizer, max_len=chat.context)
        ids = torch.tensor([encoded.input_ids])
        with torch.inference_mode():
            logits = chat.model(input_ids=ids).logits[0].float().log_softmax(-1)
        learned = [i for i, label in enumerate(encoded.labels) if label != IGNORE]
        expected = sum(float(logits[i - 1, encoded.labels[i]]) for i in learned) / len(learned)
        assert score == pytest.approx(expected, abs=1e-4)
    # Scoring leaves the chat as it was: a reply is written as before.
    assert "".join(chat.stream(_ask("hey"), GREEDY)) == YO_SURE


def test_scoring_after_a_reply_reads_only_the_candidates_and_leaves_the_cache(
    yo_sure_run, tiny_base
):
    """The evaluation writes a reply, then scores, on each prompt: the prompt's cache is
    used again (the prompt is not read twice), the scores are a cold model's, and a reply
    written again afterwards is the one a cold model writes with the same seed."""
    folder, _, _ = yo_sure_run
    candidates = [YO_SURE, UNRELATED, "ok"]
    messages = _ask("what about you")
    sampling = Sampling(temperature=1.5, top_p=0.9, max_tokens=12, seed=5)
    warm = LocalChat(base=str(tiny_base), adapter=folder / ADAPTER, context=256)
    cold = LocalChat(base=str(tiny_base), adapter=folder / ADAPTER, context=256)
    "".join(warm.stream(messages, GREEDY))
    read = []
    forward = warm.model.forward

    def spy(*args, **kwargs):
        read.append(tuple(kwargs["input_ids"].shape))
        return forward(*args, **kwargs)

    warm.model.forward = spy
    scores = warm.score(messages, candidates)
    widest = max(len(reply_ids(messages, text, warm.tokenizer)) for text in candidates)
    assert read == [(len(candidates), widest - 1)]  # the candidates only, in one batch
    assert scores == pytest.approx(cold.score(messages, candidates), abs=1e-4)
    assert "".join(warm.stream(messages, sampling)) == "".join(cold.stream(messages, sampling))
