"""The command line's ``eval``: the persona-fidelity report, printed, as JSON, or the list
of earlier runs."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from gpt_is_you.cli.common import PROG, number
from gpt_is_you.evaluation.settings import EvalSettings

SHOWN_SAMPLES = 3


def add_commands(commands) -> None:
    evaluate = commands.add_parser(
        "eval",
        help="show whether the model learned the voice",
        description="On held-out conversations the model never saw: validation loss, "
        "perplexity and token accuracy of the base and the tuned model; their replies "
        "beside the real ones; style measures against the persona and the other person; "
        "a summary score; how often a reply repeats a training turn; and sense: how often "
        "each model's likelihood picks the real next turn among the persona's turns of "
        "other sessions (chance 20%), replies that echo the other person, empty replies. "
        "Each run is kept.",
    )
    evaluate.add_argument("name", metavar="NAME")
    defaults, limits = EvalSettings(), EvalSettings.LIMITS
    evaluate.add_argument(
        "--prompts",
        type=number(limits["prompts"]),
        default=defaults.prompts,
        metavar="N",
        help="held-out prompts (50)",
    )
    evaluate.add_argument("--seed", type=number(limits["seed"]), default=defaults.seed, help="(0)")
    evaluate.add_argument(
        "--temperature", type=number(limits["temperature"]), default=defaults.temperature
    )
    evaluate.add_argument(
        "--max-tokens",
        type=number(limits["max_tokens"]),
        default=defaults.max_tokens,
        metavar="N",
        help="per reply",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--list", action="store_true", help="list the earlier runs instead of running one"
    )
    evaluate.set_defaults(run=_eval)


def _eval(args: argparse.Namespace) -> int:
    if args.list:
        return _list(args.name, args.json)
    from gpt_is_you.evaluation.report import evaluate
    from gpt_is_you.store.models import find_model

    settings = EvalSettings(
        prompts=args.prompts,
        seed=args.seed,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
    )
    show = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if show:
            print(f"\rwriting replies: {done}/{total}", end="", file=sys.stderr, flush=True)

    report = evaluate(find_model(args.name), settings, progress)
    if show:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return 0
    print("\n".join(describe(report)))
    return 0


def _list(name: str, as_json: bool) -> int:
    from gpt_is_you.evaluation.runs import read_runs
    from gpt_is_you.store.models import find_model

    runs = read_runs(find_model(name))
    if as_json:
        print(
            json.dumps([run.report.to_json() | {"id": run.id} for run in runs], ensure_ascii=False)
        )
        return 0
    if not runs:
        print(f"{name} has no evaluations yet; `{PROG} eval {name}` runs one")
        return 0
    for run in runs:
        settings = run.report.settings
        print(
            f"{run.id:>3}  {run.created_at.replace('T', ' ')}  job {run.job_id}  "
            f"{settings.prompts} prompts, seed {settings.seed}  "
            f"score {run.report.closeness.score:+.2f}"
        )
    return 0


def describe(report) -> list[str]:
    """The report as lines of text."""
    from gpt_is_you.evaluation import parts

    lines = [
        f"{report.model}: persona fidelity of job {report.job_id} ({report.backend}, base "
        f"{report.base_model}) on {len(report.samples)} held-out prompts, "
        f"{report.seconds:.0f} s",
        "",
        f"{'':22}{'base':>10}{'tuned':>10}",
    ]
    for score in parts.score_rows(report):
        lines.append(
            f"{score.label:22}{parts.number(score.base):>10}{parts.number(score.tuned):>10}"
        )
    lines += [
        "",
        "Style of the replies: distance to the persona's real turns (0 is the same)",
        f"{'':22}{'persona':>12}{'base':>12}{'tuned':>12}{'base→':>8}{'tuned→':>8}",
    ]
    for row in parts.style_rows(report):
        lines.append(
            f"{row.label:22}{_value(row.persona):>12}{_value(row.base):>12}"
            f"{_value(row.tuned):>12}{row.base_distance:>8.2f}{row.tuned_distance:>8.2f}"
        )
    summary = parts.summary(report)
    lines += [
        "",
        f"Score {summary.score:+.2f}: the tuned model is closer to the persona than the base "
        f"on {summary.closer} of {summary.measures} measures"
        + (f", farther on {', '.join(summary.farther)}" if summary.farther else ""),
    ]
    if summary.to_other is not None:
        lines.append(
            "Mean distance to the other person's turns: "
            f"base {summary.to_other[0]:.2f}, tuned {summary.to_other[1]:.2f}"
        )
    for who, memorised in parts.copies(report):
        if memorised is not None:
            lines.append(
                f"Word-for-word copies of training turns ({who}): {parts.copied(memorised)}"
            )
    sense = parts.sense_rows(report)
    lines += ["", "Sense of the replies", *_wrapped(parts.sense_note(report))]
    if sense:
        lines.append(f"{'':26}{'base':>10}{'tuned':>10}")
        for row in sense:
            lines.append(f"{row.label:26}{parts.share(row.base):>10}{parts.share(row.tuned):>10}")
    for sample in report.samples[:SHOWN_SAMPLES]:
        lines += ["", *(f"  {line}" for line in sample.context)]
        for label, text in (("real", sample.real), ("tuned", sample.tuned), ("base", sample.base)):
            lines.append(f"    {label:>5} │ " + text.replace("\n", "\n          │ "))
    return lines


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, 88)


def _value(value: float | str) -> str:
    """A style measure: numbers with two decimals (shares too), words as they are."""
    return f"{value:.2f}" if isinstance(value, float) else value
