"""Benchmark: chatting with SmolLM2-135M on this machine's CPU.

Time to first token and tokens per second of `LocalChat.stream`, greedy, for realistic
prompts: "hey" opening a new conversation (the system prompt and one message); a first
message with held-out history (the trained system prompt and up to six turns, all read)
and the next one (the model's reply and a new
message added; the rest is still in its cache). With the CPU default (bfloat16 copies of
the weights for single tokens) and in plain float32 for comparison; and how often the
default's bfloat16 copies (the path of the tokens it writes) change the likeliest next
token, over the sample chat's held-out persona turns.
Targets (issue 4): first token under 300 ms, at least 30 tokens per second.
"""

from __future__ import annotations

import platform
import statistics
import time
from datetime import date
from pathlib import Path

import torch

from gpt_is_you.dataset.prepare import prepare
from gpt_is_you.dataset.settings import BuildSettings
from gpt_is_you.providers.local.encode import IGNORE, encode
from gpt_is_you.providers.local.generate import LocalChat
from gpt_is_you.providers.settings import Sampling

SAMPLE = (
    Path(__file__).resolve().parent.parent / "src" / "gpt_is_you" / "sample" / "sample_chat.txt"
)
PERSONA = "Sam Okafor"
PROMPTS = 5
REPEATS = 3


def main() -> None:
    threads = torch.get_num_threads()
    print(f"chat benchmark, {date.today()}, {_cpu()}, {threads} threads, torch {torch.__version__}")
    prepared = prepare(SAMPLE, BuildSettings.for_target("local", persona=PERSONA))
    valid = [e.chat_messages() for e in prepared.dataset.examples if e.split == "valid"]
    prompts = [_prompt(conversation) for conversation in valid[:PROMPTS]]
    models = {}
    for label, quantize in (("mixed (default)", True), ("float32", False)):
        started = time.perf_counter()
        chat = LocalChat(quantize=quantize)
        loaded = time.perf_counter() - started
        models[label] = chat
        firsts, nexts, rates, counts, openers = [], [], [], [], []
        for _ in range(REPEATS * 2):
            chat._held = None
            openers.append(_measure(chat, [*valid[0][:1], {"role": "user", "content": "hey"}])[0])
        for messages in prompts:
            for _ in range(REPEATS):
                chat._held = None  # a new conversation: nothing cached
                first, rate, count, reply = _measure(chat, messages)
                follow_up = [
                    *messages,
                    {"role": "assistant", "content": reply},
                    {"role": "user", "content": "haha ok and what about tomorrow then?"},
                ]
                following, *_ = _measure(chat, follow_up)
                firsts.append(first)
                nexts.append(following)
                rates.append(rate)
                counts.append(count)
        print(
            f"{label:>16}: load {loaded:.1f} s; first token {_ms(openers)} for a new "
            f"conversation's 'hey', {_ms(firsts)} for a first message with history, "
            f"{_ms(nexts)} for the next; {statistics.median(rates):.1f} tokens/s median "
            f"(best {max(rates):.1f}), {sum(counts) / len(counts):.0f} tokens a reply, "
            f"prompts of {min(len(chat.prompt(m, 100)) for m in prompts)}–"
            f"{max(len(chat.prompt(m, 100)) for m in prompts)} tokens"
        )
    agree, total = _agreement(models["float32"], models["mixed (default)"], valid)
    print(f"mixed vs float32: same likeliest token at {agree / total:.1%} of {total} positions")


def _prompt(conversation: list[dict[str, object]]) -> list[dict[str, object]]:
    """The conversation up to its last persona turn: what a user's chat looks like."""
    last = max(i for i, m in enumerate(conversation) if m["role"] == "assistant")
    return conversation[:last][-7:] if last > 7 else conversation[:last]


def _measure(chat: LocalChat, messages) -> tuple[float, float, int, str]:
    pieces = []
    started = time.perf_counter()
    first = None
    # 48 tokens a reply, so that the rate is measured over a real stretch.
    for piece in chat.stream(messages, Sampling(temperature=0, max_tokens=48), stop=False):
        pieces.append(piece)
        if first is None:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    return first, (len(pieces) - 1) / (total - first), len(pieces), "".join(pieces)


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms median (best {min(seconds) * 1000:.0f})"


def _agreement(exact: LocalChat, quantized: LocalChat, conversations) -> tuple[int, int]:
    agree = total = 0
    with torch.inference_mode():
        for conversation in conversations:
            encoded = encode(conversation, exact.tokenizer, 1024)
            ids = torch.tensor([encoded.input_ids])
            labels = torch.tensor(encoded.labels[1:])
            keep = labels != IGNORE
            a = exact.model(input_ids=ids).logits[0, :-1][keep].argmax(-1)
            quantized._writing.on = True  # every position through the written tokens' path
            try:
                b = quantized.model(input_ids=ids).logits[0, :-1][keep].argmax(-1)
            finally:
                quantized._writing.on = False
            agree += int((a == b).sum())
            total += int(keep.sum())
    return agree, total


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
