"""Benchmark: chat through PyTorch and through the fast runtime (ONNX Runtime GenAI int8,
providers/local/fast.py) in the same run, on SmolLM2-135M.

The model is the sample chat's trained job of bench/.data/chat-home when bench_chat.py
has made one (its merged model), else the bundled base itself (said which). Each runtime
is measured in a process of its own, so that its peak memory is its own: load time;
first-token time for a new conversation ("hey" after the system prompt), for a first
message with about 200 tokens of history, and for the follow-up turn (the model's reply
and a new message added: the fast runtime keeps its cache, PyTorch its prompt's);
decode tokens/s over 48-token replies; peak RSS. Then greedy agreement with float32
PyTorch over the evaluation's held-out prompts of the sample chat (the same draw as
`eval`'s): at each position of float32 PyTorch's greedy reply, given the same text before
it, whether the fast runtime's likeliest token is the same.
Targets (issue 18, on an idle 2-core machine): at least 3x PyTorch's tokens/s, the
follow-up's first token under 200 ms, the same greedy token at 99% of positions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from gpt_is_you.dataset.prepare import prepare
from gpt_is_you.dataset.settings import BuildSettings
from gpt_is_you.evaluation.prompts import held_out
from gpt_is_you.providers.settings import Sampling

SAMPLE = (
    Path(__file__).resolve().parent.parent / "src" / "gpt_is_you" / "sample" / "sample_chat.txt"
)
PERSONA = "Sam Okafor"
DATA = Path(__file__).resolve().parent / ".data"
CHAT_HOME = DATA / "chat-home"  # bench_chat.py's trained sample model
BASE_JOB = DATA / "runtime-base-job"  # the bundled base as a job folder, when none is trained
RUNTIMES = ("pytorch (default)", "pytorch float32", "fast int8")
REPEATS = 3
PROMPTS = 20  # held-out prompts for the agreement
WRITE = Sampling(temperature=0, max_tokens=48)
HISTORY = 200  # tokens of history before a first message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=RUNTIMES, help=argparse.SUPPRESS)
    parser.add_argument("--agreement", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    job, which = _job()
    if args.runtime:
        print(json.dumps(_speed(job, args.runtime)))
        return
    if args.agreement:
        print(json.dumps(_agreement(job)))
        return
    from gpt_is_you.providers.local import fast, merged

    print(f"chat runtime benchmark, {date.today()}, {os.cpu_count()} cores, {which}")
    shutil.rmtree(job / fast.FOLDER, ignore_errors=True)
    (job / fast.FAILED).unlink(missing_ok=True)
    started = time.perf_counter()
    fast.prepare(job, "default")
    size = sum(f.stat().st_size for f in (job / fast.FOLDER).iterdir())
    merged_size = sum(f.stat().st_size for f in (job / merged.MERGED).glob("*.safetensors"))
    print(
        f"converted in {time.perf_counter() - started:.1f} s (once per job): {size / 1e6:.0f} MB "
        f"(the merged float32 model: {merged_size / 1e6:.0f} MB)"
    )
    rates = {}
    for runtime in RUNTIMES:
        got = json.loads(_child("--runtime", runtime).splitlines()[-1])
        rates[runtime] = got["rate"]
        print(
            f"{runtime:>18}: load {got['load']:.1f} s; first token {_ms(got['new'])} new "
            f"conversation, {_ms(got['history'])} first message after {got['history_tokens']} "
            f"tokens of history, {_ms(got['follow_up'])} follow-up; "
            f"{statistics.median(got['rate']):.1f} tokens/s median (best {max(got['rate']):.1f}); "
            f"peak RSS {got['rss_mb']:.0f} MB"
        )
    fast_rate = statistics.median(rates["fast int8"])
    for runtime in RUNTIMES[:2]:
        print(f"fast / {runtime}: {fast_rate / statistics.median(rates[runtime]):.1f}x tokens/s")
    same, total, prompts = json.loads(_child("--agreement").splitlines()[-1])
    print(
        f"greedy agreement with float32 PyTorch: {same / total:.2%} of {total} positions "
        f"over {prompts} held-out prompts"
    )


def _job() -> tuple[Path, str]:
    """The job folder to convert: the trained sample model's, else the base's own."""
    from gpt_is_you.providers.local import base_model, merged

    if CHAT_HOME.is_dir():
        os.environ["GPT_IS_YOU_HOME"] = str(CHAT_HOME)
        from gpt_is_you.store.conversations import chat_job
        from gpt_is_you.store.jobs import job_folder
        from gpt_is_you.store.models import find_model

        try:
            model = find_model("sample")
            with model.db() as db:
                job = chat_job(db)
        except Exception:  # no such model: the base, below
            job = None
        if job is not None:
            folder = job_folder(model.folder, job.id)
            merged.prepare(folder, job.base_model)
            return folder, f"the sample chat's trained model (job {job.id}, merged)"
    if not (BASE_JOB / merged.MERGED).exists():
        BASE_JOB.mkdir(parents=True, exist_ok=True)
        (BASE_JOB / merged.MERGED).symlink_to(base_model.resolve("default").source)
    return BASE_JOB, "the bundled SmolLM2-135M-Instruct base (no trained job in bench/.data)"


def _chat(job: Path, runtime: str):
    from gpt_is_you.providers.local import fast, merged
    from gpt_is_you.providers.local.fast_chat import FastChat
    from gpt_is_you.providers.local.generate import LocalChat

    if runtime == "fast int8":
        return FastChat(job / fast.FOLDER)
    return LocalChat(str(job / merged.MERGED), None, quantize=runtime == "pytorch (default)")


def _material() -> tuple[list[dict[str, object]], list[list[dict[str, object]]]]:
    """The system prompt, and the held-out prompts (``eval``'s draw)."""
    examples = prepare(SAMPLE, BuildSettings.for_target("local", persona=PERSONA)).dataset.examples
    prompts = [list(p.messages) for p in held_out(examples, PROMPTS, 0).prompts]
    return prompts[0][:1], prompts


def _speed(job: Path, runtime: str) -> dict[str, object]:
    system, prompts = _material()
    started = time.perf_counter()
    chat = _chat(job, runtime)
    load = time.perf_counter() - started
    history = _history(system, prompts, chat)
    new, after_history, follow_up, rates = [], [], [], []
    for _ in range(REPEATS):
        for messages in ([*system, {"role": "user", "content": "hey"}], history):
            _forget(chat)
            first, rate, reply = _measure(chat, messages)
            (new if len(messages) == 2 else after_history).append(first)
            rates.append(rate)
            more = [
                *messages,
                {"role": "assistant", "content": reply},
                {"role": "user", "content": "haha ok and what about tomorrow then?"},
            ]
            follow_up.append(_measure(chat, more)[0])
    return {
        "load": load,
        "new": new,
        "history": after_history,
        "history_tokens": len(chat.prompt(history, WRITE.max_tokens)),
        "follow_up": follow_up,
        "rate": rates,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _history(system, prompts, chat) -> list[dict[str, object]]:
    """A first message after about HISTORY tokens of held-out turns."""
    turns: list[dict[str, object]] = []
    for turn in (turn for prompt in prompts for turn in prompt[1:]):
        turns.append(turn)
        if len(chat.prompt(system + turns, WRITE.max_tokens)) >= HISTORY:
            break
    while turns[-1]["role"] != "user":
        turns.pop()
    return system + turns


def _forget(chat) -> None:
    """A new conversation: nothing of the last one cached."""
    if hasattr(chat, "_held"):
        chat._held = None
    else:
        chat._generator = None


def _measure(chat, messages) -> tuple[float, float, str]:
    pieces = []
    started = time.perf_counter()
    first = None
    for piece in chat.stream(messages, WRITE, stop=False):  # 48 tokens: a real stretch
        pieces.append(piece)
        if first is None:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    return first, (len(pieces) - 1) / (total - first), "".join(pieces)


def _agreement(job: Path) -> tuple[int, int, int]:
    import torch

    _, prompts = _material()
    exact = _chat(job, "pytorch float32")
    fast = _chat(job, "fast int8")
    same = total = 0
    for messages in prompts:
        prompt = exact.prompt(messages, WRITE.max_tokens)
        written = exact.model.generate(
            torch.tensor([prompt]), max_new_tokens=WRITE.max_tokens, do_sample=False
        )[0, len(prompt) :].tolist()
        for i, token in enumerate(written):
            same += int(fast.logits_after(prompt + written[:i]).argmax()) == token
        total += len(written)
    return same, total, len(prompts)


def _child(*args: str) -> str:
    return subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms (best {min(seconds) * 1000:.0f})"


if __name__ == "__main__":
    main()
