"""Key presses while a reply streams: how long the chat screen takes to answer each one.

    python bench/bench_tui_keys.py [--presses 100] [--rate 30]

The chat of a model made from the bundled sample chat, with 60 earlier exchanges in the
conversation, runs headless at 120×40. A scripted backend writes a long reply at
``--rate`` pieces per second (a piece is a word, as a token is about one); while it
streams, keys go in as a terminal sends them: letters typed into the message, then Up
(pick the message above) and Page Up / Page Down in the conversation. Each press is timed
from the moment the key event is posted until the widget it went to shows its effect (the
message's text grew, the pick moved, the scroll target moved; Textual scrolls after the
next refresh, so a page press includes one), then a pause of about a typist's pace
before the next. The same keys are timed with no reply streaming, to compare.

The slowest presses are shown with what else happened meanwhile: Python's full garbage
collections (they stop everything), and time the process spent off the CPU (other
programs on a busy machine). Target: every press answered within 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

TARGET_MS = 100.0
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "gpt_is_you" / "sample" / "sample_chat.txt"
MODEL = "bench"
HISTORY = 60  # earlier exchanges in the conversation
GAP_S = 0.06  # between presses: a quick typist
SIZE = (120, 40)
WORDS = "sure thing honestly I was thinking the same we could go on friday if the weather holds"


class StreamingChat:
    """A backend that writes ``pieces`` words at ``rate`` per second, a new bubble every
    dozen words; it counts what it wrote and stops when the screen stops reading."""

    name = "local"

    def __init__(self, pieces: int, rate: float) -> None:
        self.pieces = pieces
        self.rate = rate
        self.written = 0
        self.streaming = threading.Event()

    def chat(self, model, messages: Sequence[dict[str, object]], sampling) -> Iterator[str]:
        words = WORDS.split()
        self.streaming.set()
        start = time.perf_counter()
        try:
            for i in range(self.pieces):
                # Paced by the clock, not by sleeps that add up: ``rate`` per second.
                time.sleep(max(0.0, start + (i + 1) / self.rate - time.perf_counter()))
                self.written += 1
                yield ("\n" if i and i % 12 == 0 else " ") + words[i % len(words)]
        finally:
            self.streaming.clear()


class FullCollections:
    """Seconds spent in Python's full (generation 2) garbage collections so far."""

    def __init__(self) -> None:
        self.total = 0.0
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._began


@dataclass(frozen=True)
class Press:
    key: str
    seconds: float
    full_gc: float  # seconds of full garbage collection while it waited
    off_cpu: float  # seconds the main thread was not running (other programs)


def make_model(home: Path) -> None:
    """The sample chat's model, trained (a finished job row), with a long conversation."""
    env = {**os.environ, "GPT_IS_YOU_HOME": str(home)}
    command = [sys.executable, "-m", "gpt_is_you", "new", MODEL, "--from", str(SAMPLE)]
    subprocess.run(
        [*command, "--persona", "Sam Okafor", "--yes"], env=env, check=True, capture_output=True
    )
    from gpt_is_you.store import conversations, jobs
    from gpt_is_you.store.models import open_model

    with open_model(MODEL) as db:
        job = jobs.create_job(db, backend="local", base_model="default", settings={})
        jobs.set_state(db, job, jobs.SUCCEEDED)
        chat = conversations.start(db, "earlier", job, time="2024-01-13T09:00:00")
        for i in range(HISTORY):
            stamp = f"2024-01-13T{9 + i // 60:02d}:{i % 60:02d}:00"
            conversations.add(db, chat, "user", f"message {i}: how was it?", time=stamp)
            reply = "\n".join(" ".join(WORDS.split()[j : j + 6]) for j in range(0, 18, 6))
            conversations.add(db, chat, "assistant", reply, time=stamp)


async def timed(
    app, key: str, character: str | None, effect: Callable[[], object], gcs: FullCollections
) -> Press:
    """Post ``key`` and wait (spinning the event loop) until ``effect()`` changes."""
    from textual import events

    before = effect()
    gc_before, cpu_before = gcs.total, time.thread_time()
    began = time.perf_counter()
    app.post_message(events.Key(key, character))
    while effect() == before:
        if time.perf_counter() - began > 5:
            raise RuntimeError(f"{key!r} had no effect within 5 s")
        await asyncio.sleep(0)
    seconds = time.perf_counter() - began
    # The loop spins on this thread, so all its wall time is CPU time unless descheduled.
    off_cpu = max(0.0, seconds - (time.thread_time() - cpu_before))
    return Press(key, seconds, gcs.total - gc_before, off_cpu)


async def presses(app, count: int, gcs: FullCollections) -> dict[str, list[Press]]:
    """``count`` presses: 60% letters into the message, then Up and Page Up/Down."""
    from gpt_is_you.tui.screens.chat import ChatInput
    from gpt_is_you.tui.widgets.bubbles import MessageList

    chat_input = app.screen.query_one(ChatInput)
    messages = app.screen.query_one(MessageList)
    out: dict[str, list[Press]] = {"typing": [], "pick": [], "page": []}
    chat_input.focus()
    await asyncio.sleep(0.05)
    letters = count * 6 // 10
    for i in range(letters):
        letter = "abcdefghij"[i % 10]
        out["typing"].append(await timed(app, letter, letter, lambda: chat_input.text, gcs))
        await asyncio.sleep(GAP_S)
    messages.focus()
    await asyncio.sleep(0.3)  # a new focus restyles the screen: not part of the next key
    for i in range(count - letters):
        if i % 2 == 0:
            # Six up, four down: the messages near the bottom (going past the top adds
            # earlier ones, timed on its own below).
            key = "down" if i // 2 % 10 >= 6 else "up"
            out["pick"].append(await timed(app, key, None, lambda: messages.picked, gcs))
        else:
            key = "pageup" if i % 4 == 1 else "pagedown"
            scrolled = lambda: messages.scroll_target_y  # noqa: E731
            out["page"].append(await timed(app, key, None, scrolled, gcs))
        await asyncio.sleep(GAP_S)
    chat_input.clear()
    return out


async def run(count: int, rate: float) -> tuple[dict, dict, float, float, int]:
    from textual import events

    from gpt_is_you.tui.app import GptIsYouApp
    from gpt_is_you.tui.screens.chat import ChatInput, ChatScreen

    gcs = FullCollections()
    # Enough words to outlast the presses.
    backend = StreamingChat(pieces=int(rate * (count * (GAP_S + 0.05) + 10)), rate=rate)
    app = GptIsYouApp(providers={"local": backend})
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ChatScreen(MODEL))
        while not isinstance(app.screen, ChatScreen) or not app.screen.query("Turn"):
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        idle = await presses(app, count, gcs)
        earlier = await add_earlier(app, pilot)
        app.screen.query_one(ChatInput).focus()
        await pilot.pause(0.05)
        for key, char in (("h", "h"), ("i", "i"), ("enter", "\r")):
            app.post_message(events.Key(key, char))
        for _ in range(500):
            if backend.streaming.is_set():
                break
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("the reply did not start")
        await asyncio.sleep(0.5)  # the reply's first bubbles are on screen
        written, began = backend.written, time.perf_counter()
        streaming = await presses(app, count, gcs)
        rate_seen = (backend.written - written) / (time.perf_counter() - began)
        still = backend.streaming.is_set()
        await pilot.press("escape")
        await app.workers.wait_for_complete()
    if not still:
        raise SystemExit("the reply ended before the presses did; raise the piece count")
    return idle, streaming, earlier, rate_seen, backend.written


async def add_earlier(app, pilot) -> float:
    """Seconds from reaching the top (Home, after its scroll animation) until the next
    earlier messages are on screen: keys wait that long."""
    from textual import events

    messages = app.screen.query_one("MessageList")
    turns = len(messages.query("Turn"))
    app.post_message(events.Key("home", None))
    while messages.scroll_y > 0:
        await asyncio.sleep(0)
    began = time.perf_counter()
    while len(messages.query("Turn")) == turns:
        await asyncio.sleep(0)
    seconds = time.perf_counter() - began
    await pilot.press("end")
    return seconds


def summary(name: str, pressed: list[Press]) -> str:
    ms = sorted(p.seconds * 1000 for p in pressed)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (
        f"  {name:<8} {len(ms):>3} presses: median {statistics.median(ms):5.1f} ms, "
        f"p95 {p95:5.1f} ms, worst {ms[-1]:5.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--rate", type=float, default=30.0, help="pieces per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GPT_IS_YOU_HOME"] = tmp
        make_model(Path(tmp))
        idle, streaming, earlier, rate_seen, written = asyncio.run(run(args.presses, args.rate))
    print(f"no reply streaming ({args.presses} presses):")
    for name, pressed in idle.items():
        print(summary(name, pressed))
    print(f"  adding earlier messages when scrolled to the top: {earlier * 1000:.1f} ms")
    print(f"while a reply streams at {rate_seen:.1f} pieces/s ({written} pieces written):")
    for name, pressed in streaming.items():
        print(summary(name, pressed))
    everything = [p for pressed in streaming.values() for p in pressed]
    seconds = [p.seconds for p in everything]
    worst = max(seconds) * 1000
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(
        f"key to screen while streaming: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"worst {worst:.1f} ms over {len(everything)} presses "
        f"(target < {TARGET_MS:.0f} ms: {verdict})"
    )
    print("slowest presses while streaming, and what else happened meanwhile:")
    for p in sorted(everything, key=lambda p: p.seconds)[-3:]:
        print(
            f"  {p.key:<8} {p.seconds * 1000:5.1f} ms: full garbage collection "
            f"{p.full_gc * 1000:5.1f} ms, off the CPU {p.off_cpu * 1000:5.1f} ms"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
