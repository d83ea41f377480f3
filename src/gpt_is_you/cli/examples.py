"""The command line's ``examples`` (shown, left out, taken back) and ``export``."""

from __future__ import annotations

import argparse
import json
import sys


def add_commands(commands) -> None:
    examples = commands.add_parser(
        "examples",
        help="show a model's training examples, or leave some out",
        description="Print the training examples, numbered; or leave examples out of "
        "training by number (--exclude) and take them back (--include).",
    )
    examples.add_argument("name", metavar="NAME")
    what = examples.add_mutually_exclusive_group()
    what.add_argument(
        "--jsonl", action="store_true", help="print the exact lines that would be trained on"
    )
    what.add_argument(
        "--exclude", type=int, nargs="+", metavar="ID", help="leave these examples out"
    )
    what.add_argument(
        "--include", type=int, nargs="+", metavar="ID", help="take excluded examples back in"
    )
    examples.set_defaults(run=_examples)

    export = commands.add_parser(
        "export",
        help="write a model's examples for other tools",
        description="Write the training and validation examples as JSONL: OpenAI chat "
        "format, the legacy prompt/completion format, or ShareGPT.",
    )
    export.add_argument("name", metavar="NAME")
    export.add_argument(
        "--format", choices=("openai", "prompt-completion", "sharegpt"), required=True
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the training file; the validation file goes beside it as FILE.valid.jsonl "
        "(default: the model's exports folder)",
    )
    export.set_defaults(run=_export)


def _examples(args: argparse.Namespace) -> int:
    from gpt_is_you.store.models import iter_examples, open_model

    if args.exclude or args.include:
        return _set_excluded(args.name, args.exclude or args.include, bool(args.exclude))
    with open_model(args.name) as db:
        if args.jsonl:
            for _, example, _ in iter_examples(db):
                print(json.dumps({"messages": example.chat_messages()}, ensure_ascii=False))
            return 0
        for number, example, tokens in iter_examples(db):
            _print_example(number, example, tokens)
    return 0


def _print_example(number: int, example, tokens: int | None) -> None:
    print(f"── example {number} · {example.place} · {example.split} · {tokens} tokens")
    for message in example.chat_messages()[1:]:
        mark = (
            "   " if message["role"] == "user" else ("·· " if message.get("weight") == 0 else ">> ")
        )
        for line in str(message["content"]).splitlines() or [""]:
            print(f"{mark}{line}")


def _set_excluded(name: str, ids: list[int], excluded: bool) -> int:
    from gpt_is_you.store.browse import set_excluded
    from gpt_is_you.store.models import open_model

    with open_model(name) as db:
        done = set_excluded(db, ids, excluded)
    verb = "excluded" if excluded else "included"
    print(
        f"{verb} {done.changed} example(s); {done.excluded:,} of {done.total:,} are left out "
        "of training"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from gpt_is_you.store.exports import export_model
    from gpt_is_you.store.models import find_model

    exported = export_model(find_model(args.name), args.format, args.output)
    for path, count in exported.files:
        print(f"{path}\t{count:,} lines")
    for advice in exported.advice:
        print(f"advice: {advice}", file=sys.stderr)
    return 0
