"""Time opening the examples preview on a model of 100,000 examples.

The model is built once from a generated 700,000-message export (an OpenAI-target
build, so that the cost estimate and the format checks run too, with a token limit small
enough to cut the chat into more than 100,000 examples, trimmed to exactly 100,000) and
kept under ``bench/.data/preview-home``. Each run is a fresh process: the app starts
headless, the preview is pushed, and the time to its first complete paint (the first page
of the table, the first example's conversation and the statistics on screen) is printed,
then the time until the format checks have reported.

    python bench/bench_preview.py [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import generate_whatsapp

TARGET_S = 1.0
EXAMPLES = 100_000
MODEL = "preview-bench"
PERSONA = "Léa Dubois"  # one of the two people generate_whatsapp.py writes
# Short examples: the export's 700,000 messages become about 110,000 of them.
MESSAGES = 700_000
MAX_TOKENS = 160
HOME = generate_whatsapp.DATA_DIR / "preview-home"
SIZE = (120, 40)


def ensure_model(export: Path) -> None:
    """Build the benchmark's model unless a run before left it complete."""
    stamp = HOME / "stamp.json"
    wanted = {
        "examples": EXAMPLES,
        "max_tokens": MAX_TOKENS,
        "export": export.name,
    }
    os.environ["GPT_IS_YOU_HOME"] = str(HOME)
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        from gpt_is_you.store.models import open_model

        with open_model(MODEL):  # a model kept from an older version is migrated, untimed
            return
    from gpt_is_you.dataset.examples import TRAIN, VALID
    from gpt_is_you.dataset.prepare import prepare
    from gpt_is_you.dataset.settings import BuildSettings
    from gpt_is_you.store.models import find_model, remove_model
    from gpt_is_you.store.new import store

    if (HOME / "models" / MODEL).exists():
        remove_model(find_model(MODEL))
    print(f"building {EXAMPLES:,} examples from {export.name} (once)…", file=sys.stderr)
    settings = BuildSettings.for_target("openai", persona=PERSONA, max_tokens=MAX_TOKENS)
    prepared = prepare(export, settings, target="openai")
    pairs = list(zip(prepared.dataset.examples, prepared.tokens, strict=True))
    valid = [p for p in pairs if p[0].split == VALID]
    train = [p for p in pairs if p[0].split == TRAIN][: EXAMPLES - len(valid)]
    if len(train) + len(valid) != EXAMPLES:
        raise SystemExit(f"the export gives only {len(pairs):,} examples; lower MAX_TOKENS")
    kept = train + valid
    dataset = replace(prepared.dataset, examples=tuple(e for e, _ in kept))
    store(MODEL, replace(prepared, dataset=dataset, tokens=tuple(n for _, n in kept)))
    stamp.write_text(json.dumps(wanted))


async def open_preview() -> tuple[float, float]:
    """(seconds to the first complete paint, seconds until the checks reported)."""
    from gpt_is_you.tui.app import GptIsYouApp

    app = GptIsYouApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        app.open_preview(MODEL)
        while not _painted(app):
            await asyncio.sleep(0.002)
        # The messages still queued are handled and the screen is drawn.
        await pilot.pause(0)
        painted = time.perf_counter() - start
        while not app.screen.checks_done:
            await asyncio.sleep(0.01)
        checked = time.perf_counter() - start
    return painted, checked


def _painted(app) -> bool:
    screen = app.screen
    return type(screen).__name__ == "PreviewScreen" and screen.loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        os.environ["GPT_IS_YOU_HOME"] = str(HOME)
        print(json.dumps(asyncio.run(open_preview())))
        return
    export = generate_whatsapp.default_path(MESSAGES)
    generate_whatsapp.ensure(export, MESSAGES)
    ensure_model(export)
    print(f"preview of {EXAMPLES:,} examples, {SIZE[0]}x{SIZE[1]}, a fresh process per run")
    runs = []
    for i in range(args.repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--once"], check=True, capture_output=True, text=True
        ).stdout
        painted, checked = json.loads(out.splitlines()[-1])
        runs.append((painted, checked))
        print(f"  run {i + 1}/{args.repeat}: first paint {painted:.3f} s, checks {checked:.2f} s")
    best = min(p for p, _ in runs)
    median = statistics.median(p for p, _ in runs)
    print(f"first paint: best {best:.3f} s, median {median:.3f} s")
    print(f"{'PASS' if median < TARGET_S else 'FAIL'} (target < {TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
