"""Benchmark: the persona-fidelity report on the sample chat, on this machine's CPU.

Makes the sample chat's model in bench/.data (once), trains it with the default local
settings (once; a trained model there is reused), then times `evaluate` with 50 held-out
prompts (the base and the tuned model each write 50 replies) and prints the report as
`gpt-is-you eval` does. Target (issue 7): the report shows the tuned model closer to the
persona than the base on the summary score and on most style measures.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "src" / "gpt_is_you" / "sample" / "sample_chat.txt"
HOME = HERE / ".data" / "eval-home"
NAME = "sample"


def main() -> None:
    os.environ["GPT_IS_YOU_HOME"] = str(HOME)
    from gpt_is_you.cli.evaluate import describe
    from gpt_is_you.evaluation.report import evaluate
    from gpt_is_you.evaluation.settings import EvalSettings
    from gpt_is_you.store.conversations import chat_job
    from gpt_is_you.store.models import find_model, list_models, open_model

    print(f"eval benchmark, {date.today()}, {platform.processor() or platform.machine()}")
    if NAME not in {m.name for m in list_models()}:
        _cli("new", NAME, "--from", str(SAMPLE), "--persona", "Sam Okafor", "--yes")
    with open_model(NAME) as db:
        trained = chat_job(db) is not None
    if not trained:
        started = time.perf_counter()
        _cli("train", NAME)
        print(f"trained with the defaults in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    report = evaluate(find_model(NAME), EvalSettings(prompts=50))
    seconds = time.perf_counter() - started
    print("\n".join(describe(report)))
    closer, measures = len(report.closeness.closer), len(report.closeness.measures)
    print(
        f"\nwall time for 50 held-out prompts: {seconds:.0f} s; score "
        f"{report.closeness.score:+.2f}, tuned closer on {closer} of {measures} measures: "
        + ("met" if report.closeness.score > 0 and closer > measures / 2 else "NOT met")
    )


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gpt_is_you", *args], check=True)


if __name__ == "__main__":
    main()
