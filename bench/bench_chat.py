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

First, how soon a trained model answers (issue 16): the sample chat's model in
bench/.data/chat-home (made and trained once, with a few steps: its voice does not
matter here), its model prepared for chat once (timed, with its size on disk), then, in
fresh processes as a user meets them, the time from opening the app's chat screen
(Pilot, headless; from the models screen once the app has warmed up, and, for
comparison, the moment the app starts) to the first reply's first words, and the wall
time of
`gpt-is-you chat NAME -m TEXT`. Targets: the first reply within 3 s of opening the chat,
`chat -m` under 5 s, on an idle machine. `--start-only` measures only these.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

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
HOME = Path(__file__).resolve().parent / ".data" / "chat-home"
NAME = "sample"
QUESTION = "hey, what are you up to tonight?"
FIRST_REPLY_TARGET = 3.0  # seconds from opening the chat screen
ONE_REPLY_TARGET = 5.0  # seconds of `chat -m`


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-only", action="store_true", help="only the chat's start")
    parser.add_argument("--probe-app", choices=["warm", "cold"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["GPT_IS_YOU_HOME"] = str(HOME)
    if args.probe_app:
        print(asyncio.run(_first_reply_in_app(warm=args.probe_app == "warm")))
        return
    _start()
    if not args.start_only:
        _speed()


def _start() -> None:
    """The trained model's start: prepared once, then opened by the app and `chat -m`."""
    from gpt_is_you.providers.local import merged
    from gpt_is_you.store.conversations import chat_job
    from gpt_is_you.store.jobs import job_folder
    from gpt_is_you.store.models import find_model, list_models

    print(f"chat start benchmark, {date.today()}, {_cpu()}, {os.cpu_count()} cores")
    if NAME not in {m.name for m in list_models()}:
        _cli("new", NAME, "--from", str(SAMPLE), "--persona", PERSONA, "--yes")
    model = find_model(NAME)
    with model.db() as db:
        job = chat_job(db)
    if job is None:
        started = time.perf_counter()
        _cli("train", NAME, "--max-steps", "2")
        print(f"trained 2 steps in {time.perf_counter() - started:.0f} s (made once)")
        with model.db() as db:
            job = chat_job(db)
    folder = job_folder(model.folder, job.id)
    shutil.rmtree(folder / merged.MERGED, ignore_errors=True)
    started = time.perf_counter()
    merged.prepare(folder, job.base_model)
    size = sum(f.stat().st_size for f in (folder / merged.MERGED).iterdir())
    print(
        f"prepared for chat in {time.perf_counter() - started:.1f} s (once per job, by the "
        f"worker after training): {size / 1e6:.0f} MB"
    )
    app = [float(_run(__file__, "--probe-app", "warm").stdout.split()[-1]) for _ in range(REPEATS)]
    print(
        f"opening the chat screen to the first reply's first words: {_s(app)}; target "
        f"{FIRST_REPLY_TARGET:g} s: " + ("met" if min(app) <= FIRST_REPLY_TARGET else "NOT met")
    )
    cold = [float(_run(__file__, "--probe-app", "cold").stdout.split()[-1]) for _ in range(REPEATS)]
    print(f"  the same with the chat opened as the app starts (nothing warmed up): {_s(cold)}")
    one, words = [], 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        reply = _run("-m", "gpt_is_you", "chat", NAME, "-m", QUESTION, "--seed", "1").stdout
        one.append(time.perf_counter() - started)
        words = len(reply.split())
    print(
        f"`chat {NAME} -m TEXT` wall time: {_s(one)}, a reply of {words} words; target "
        f"{ONE_REPLY_TARGET:g} s: " + ("met" if min(one) < ONE_REPLY_TARGET else "NOT met")
    )
    # What every `chat -m` pays before its reply: Python, torch's and transformers' imports
    # (the model's modeling code pulls in torch._dynamo, torch.distributed.tensor and sympy),
    # the merged model's load, the prompt read.
    floor = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        _run("-m", "gpt_is_you", "chat", NAME, "-m", QUESTION, "--seed", "1", "--max-tokens", "1")
        floor.append(time.perf_counter() - started)
    print(f"  the same with a reply of one token (its fixed cost): {_s(floor)}")


async def _first_reply_in_app(*, warm: bool) -> float:
    """Seconds from opening the chat screen of NAME to its first reply's first words,
    the question sent as soon as the screen takes keys, in a fresh process. ``warm``: as
    a user meets it, the chat opened from the models screen once the app has warmed up
    (it imports torch in a thread after its first frame, when a model is trained here);
    else opened the moment the app starts."""
    from gpt_is_you.tui.app import GptIsYouApp
    from gpt_is_you.tui.screens.chat import ChatInput, ChatScreen
    from gpt_is_you.tui.screens.models import ModelsScreen
    from gpt_is_you.tui.widgets.bubbles import LiveReply

    app = GptIsYouApp()
    async with app.run_test(size=(120, 40)) as pilot:
        if warm:
            while not isinstance(app.screen, ModelsScreen) or not app._warmed:
                await pilot.pause(0.01)
            while any(w.group == "warm-up" and not w.is_finished for w in app.workers):
                await pilot.pause(0.01)
        started = time.perf_counter()
        app.push_screen(ChatScreen(NAME))
        while not isinstance(app.focused, ChatInput):
            await pilot.pause(0.01)
        app.focused.text = QUESTION  # pasted: the typing speed of Pilot is not the app's
        await pilot.press("enter")
        while not any(r.bubbles for r in app.screen.query(LiveReply)):
            await pilot.pause(0.01)
        seconds = time.perf_counter() - started
        await app.workers.wait_for_complete()
    return seconds


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True)


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gpt_is_you", *args], check=True)


def _s(seconds: list[float]) -> str:
    return (
        f"{statistics.median(seconds):.2f} s median (best {min(seconds):.2f}, {len(seconds)} runs)"
    )


def _speed() -> None:
    import torch

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
    import torch

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
