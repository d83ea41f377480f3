"""Benchmark: the persona-fidelity report on the sample chat, on this machine's CPU.

Makes the sample chat's model in bench/.data (once), trains it with the default local
settings (once; a trained model there is reused), then times `evaluate` with 50 held-out
prompts (the base and the tuned model each write 50 replies and pick the real next turn
among five) and prints the report as `gpt-is-you eval` does.

Targets: the tuned model closer to the persona than the base on the summary score and on
most style measures (issue 7); the tuned model's likelihood picks the real next turn at
least 10 points more often than the base's (issue 15).

`--epochs 2 3` also trains a model of the sample chat for each of those numbers of epochs
(the default budget is one) and evaluates it the same way, so that the default is chosen
by measurement; a table at the end puts the budgets side by side.
"""

from __future__ import annotations

import argparse
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
PROMPTS = 50
SENSE_TARGET = 0.10  # the tuned model's pick of the real turn, above the base's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs",
        type=float,
        nargs="*",
        default=[],
        metavar="N",
        help="also train and evaluate with N epochs (each its own model), e.g. 2 3",
    )
    args = parser.parse_args()
    os.environ["GPT_IS_YOU_HOME"] = str(HOME)
    print(f"eval benchmark, {date.today()}, {platform.processor() or platform.machine()}")
    rows = [_budget(NAME, None)]
    rows += [_budget(f"{NAME}-{epochs:g}-epochs", epochs) for epochs in args.epochs]
    if len(rows) > 1:
        print(
            "\nbudget        valid loss   style score   picks real (base → tuned)   "
            "echo (tuned)   empty (tuned)   train s   eval s"
        )
        for row in rows:
            print(row)


def _budget(name: str, epochs: float | None) -> str:
    """Train ``name`` (``epochs``, or the default budget) unless trained, evaluate it,
    print its report; its row of the table."""
    from gpt_is_you.cli.evaluate import describe
    from gpt_is_you.evaluation.report import evaluate
    from gpt_is_you.evaluation.settings import EvalSettings
    from gpt_is_you.store.conversations import chat_job
    from gpt_is_you.store.models import find_model, list_models, open_model

    budget = "default" if epochs is None else f"{epochs:g} epochs"
    print(f"\n== {budget} ({name}) ==")
    if name not in {m.name for m in list_models()}:
        _cli("new", name, "--from", str(SAMPLE), "--persona", "Sam Okafor", "--yes")
    with open_model(name) as db:
        trained = chat_job(db) is not None
    train_seconds = 0.0
    if not trained:
        started = time.perf_counter()
        _cli("train", name, *(() if epochs is None else ("--epochs", f"{epochs:g}")))
        train_seconds = time.perf_counter() - started
        print(f"trained ({budget}) in {train_seconds:.0f} s")
    started = time.perf_counter()
    report = evaluate(find_model(name), EvalSettings(prompts=PROMPTS))
    seconds = time.perf_counter() - started
    print("\n".join(describe(report)))
    closer, measures = len(report.closeness.closer), len(report.closeness.measures)
    print(
        f"\nwall time for {PROMPTS} held-out prompts: {seconds:.0f} s; score "
        f"{report.closeness.score:+.2f}, tuned closer on {closer} of {measures} measures: "
        + ("met" if report.closeness.score > 0 and closer > measures / 2 else "NOT met")
    )
    sense = report.sense
    base, tuned = sense.base.choice, sense.tuned.choice
    gain = tuned - base
    print(
        f"sense: the real next turn picked by the tuned model {tuned:.0%}, by the base "
        f"{base:.0%} (chance {sense.chance:.0%}): {gain * 100:+.0f} points, target "
        f"+{SENSE_TARGET * 100:.0f}: " + ("met" if gain >= SENSE_TARGET else "NOT met")
    )
    loss = report.tuned_scores.loss if report.tuned_scores else float("nan")
    return (
        f"{budget:12}{loss:>12.3f}{report.closeness.score:>+14.2f}"
        f"{f'{base:.0%} → {tuned:.0%}':>28}{sense.tuned.echo:>15.0%}{sense.tuned.empty:>16.0%}"
        f"{train_seconds:>10.0f}{seconds:>9.0f}"
    )


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gpt_is_you", *args], check=True)


if __name__ == "__main__":
    main()
