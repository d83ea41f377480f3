"""The command line's ``new`` and ``duplicate``: a model made from an export, or from another
model's chat with other dataset settings, and the report of what was stored."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import timedelta

from gpt_is_you.cli.common import PROG, confirm, declined, number
from gpt_is_you.cli.parse import reading_options
from gpt_is_you.dataset.settings import TARGETS, BuildSettings


def add_commands(commands) -> None:
    new = commands.add_parser(
        "new",
        help="create a model from an export",
        description="Read an export, build the training examples for one person's voice, and "
        "store them as a new model.",
    )
    new.add_argument("name", metavar="NAME", help="a name for the model")
    new.add_argument(
        "--from", dest="export", metavar="EXPORT", required=True, help="the exported chat"
    )
    new.add_argument("--persona", metavar="WHO", required=True, help="whose voice to learn")
    new.add_argument("--me", metavar="WHO", help="who you are in the chat")
    reading_options(new)
    _build_options(new, keep=False)
    new.set_defaults(run=_new)

    duplicate = commands.add_parser(
        "duplicate",
        help="a new model from a model's chat, with other settings",
        description="Build a model's chat again with other dataset settings, as a new model "
        "(no export file needed: the chat is read from the model). Settings left out keep "
        'the model\'s; its persona and "me" stay; training runs and conversations do not '
        "come along.",
    )
    duplicate.add_argument("name", metavar="NAME", help="the model to copy the chat from")
    duplicate.add_argument("new_name", metavar="NEW", help="the new model's name")
    _build_options(duplicate, keep=True)
    duplicate.set_defaults(run=_duplicate)


def _build_options(parser: argparse.ArgumentParser, *, keep: bool) -> None:
    """The dataset settings of ``new``, and of ``duplicate`` (``keep``), where an option
    left out keeps the source model's setting instead of taking the default."""

    limits = BuildSettings.LIMITS

    def add(*flags: str, help: str, default: object, shown: str = "", **kwargs) -> None:
        if keep:
            default, shown = None, "the model's"
        help = f"{help} ({shown})" if shown else help
        parser.add_argument(*flags, default=default, help=help, **kwargs)

    add(
        "--target",
        choices=tuple(TARGETS),
        help="where it will be trained: sets the token limit and redaction",
        default="local",
        shown="local",
    )
    add(
        "--media",
        choices=("drop", "placeholder"),
        help="drop media, or keep it as [media]; captions are kept either way",
        default="drop",
        shown="drop",
    )
    add(
        "--redact",
        action=argparse.BooleanOptionalAction,
        help="replace phone numbers, e-mails, IBANs and card numbers",
        default=None,
        shown="on for the openai target",
    )
    add(
        "--validation-share",
        type=number(limits["validation_share"]),
        metavar="SHARE",
        help="share of the examples, the latest sessions, held out",
        default=0.1,
        shown="0.1",
    )
    add(
        "--merge-window",
        type=number(limits["merge_window"]),
        metavar="MINUTES",
        help="messages of one person this close become one turn",
        default=10,
        shown="10",
    )
    add(
        "--session-gap",
        type=number(limits["session_gap"]),
        metavar="HOURS",
        help="a silence this long starts a new session",
        default=3,
        shown="3",
    )
    add(
        "--max-tokens",
        type=number(limits["max_tokens"]),
        metavar="N",
        help="token limit of one example",
        default=None,
        shown=", ".join(f"{t.max_tokens} {name}" for name, t in TARGETS.items()),
    )
    add(
        "--min-chars",
        type=number(limits["min_chars"]),
        metavar="N",
        help="drop turns shorter than this",
        default=0,
    )
    add(
        "--drop-link-only",
        action=argparse.BooleanOptionalAction,
        help="drop turns that are only links",
        default=False,
    )
    add(
        "--drop-duplicates",
        action=argparse.BooleanOptionalAction,
        help="learn each distinct persona turn once",
        default=False,
    )
    add(
        "--redact-links",
        action=argparse.BooleanOptionalAction,
        help="also replace links by <LINK>",
        default=False,
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="confirm you have the persona's permission (needed without a terminal)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _chosen_settings(args: argparse.Namespace) -> dict[str, object]:
    """The BuildSettings fields the options set: all but the target's own (token limit,
    redaction) for ``new`` unless given; for ``duplicate``, only those given."""
    chosen: dict[str, object] = {
        "media": args.media,
        "validation_share": args.validation_share,
        "merge_window": None if args.merge_window is None else timedelta(minutes=args.merge_window),
        "session_gap": None if args.session_gap is None else timedelta(hours=args.session_gap),
        "min_chars": args.min_chars,
        "drop_link_only": args.drop_link_only,
        "drop_duplicates": args.drop_duplicates,
        "redact_links": args.redact_links,
        "redact": args.redact,
        "max_tokens": args.max_tokens,
    }
    return {key: value for key, value in chosen.items() if value is not None}


def _new(args: argparse.Namespace) -> int:
    from gpt_is_you.dataset.prepare import prepare
    from gpt_is_you.store.models import free_folder

    free_folder(args.name)  # a bad or taken name fails before the export is read
    settings = BuildSettings.for_target(
        args.target, persona=args.persona, me=args.me, **_chosen_settings(args)
    )
    prepared = prepare(
        args.export, settings, target=args.target, date_order=args.date_order, chat=args.chat
    )
    return _store_and_report(args, args.name, prepared, ask=True)


def _duplicate(args: argparse.Namespace) -> int:
    from gpt_is_you.store.manage import prepare_duplicate
    from gpt_is_you.store.models import free_folder

    free_folder(args.new_name)  # a taken name fails before the chat is built again
    prepared = prepare_duplicate(args.name, target=args.target, **_chosen_settings(args))
    # The persona agreed to a model on this machine when the source was made; sending
    # their messages to a remote service is a new question.
    return _store_and_report(args, args.new_name, prepared, ask=prepared.remote)


def _store_and_report(args: argparse.Namespace, name: str, prepared, *, ask: bool) -> int:
    """Ask for the persona's permission (when ``ask``), store ``name``, print the report."""
    from gpt_is_you.dataset.persona import consent_question
    from gpt_is_you.store.new import store

    if ask:
        question = consent_question(
            prepared.dataset.settings.persona,
            prepared.persona_messages(),
            remote=prepared.remote,
        )
        confirmed = confirm(question, args.yes)
        if confirmed is None:
            print(f"{PROG}: {question} Pass --yes to confirm.", file=sys.stderr)
            return 2
        if not confirmed:
            return declined("Nothing was created.")
    folder = store(name, prepared)
    report = _report(name, prepared, folder)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return 0


def _report(name: str, prepared, folder) -> dict[str, object]:
    data = prepared.dataset
    return {
        "name": name,
        "folder": str(folder),
        "persona": data.settings.persona,
        "target": prepared.target,
        "participants": [
            {"name": p.name, "messages": p.messages} for p in prepared.summary.participants
        ],
        "sessions": data.sessions,
        "examples": {"train": len(data.split("train")), "valid": len(data.split("valid"))},
        "tokens": {
            "train": prepared.split_tokens("train"),
            "valid": prepared.split_tokens("valid"),
        },
        "over_limit": prepared.over_limit,
        "redactions": asdict(data.redactions) if data.settings.redact else None,
        "cost": _cost_json(prepared.cost()),
        "warnings": list(prepared.warnings),
    }


def _cost_json(cost) -> dict[str, object] | None:
    if cost is None:
        return None
    from gpt_is_you.dataset.cost import PRICES_SOURCE

    return {
        "model": cost.model,
        "epochs": cost.epochs,
        "billed_tokens": cost.billed_tokens,
        "usd": None if cost.cost_usd is None else round(cost.cost_usd, 2),  # None: unknown
        "amount": cost.amount,
        "prices_as_of": cost.prices_as_of,
        "prices_source": PRICES_SOURCE,
    }


def _print_report(report: dict) -> None:
    from rich.console import Console

    console = Console()
    ex, tok = report["examples"], report["tokens"]
    console.print(f"[bold]{report['name']}[/bold]: writes like {report['persona']}")
    people = ", ".join(f"{p['name']} ({p['messages']:,})" for p in report["participants"])
    console.print(f"participants: {people}", highlight=False)
    console.print(
        f"examples: {ex['train']:,} to train, {ex['valid']:,} to validate "
        f"({report['sessions']:,} sessions); tokens: {tok['train']:,} + {tok['valid']:,}",
        highlight=False,
    )
    if report["redactions"] is not None:
        found = ", ".join(f"{n} {k}" for k, n in report["redactions"].items() if n) or "nothing"
        console.print(f"redacted: {found}", highlight=False)
    cost = report["cost"]
    if cost is not None:
        console.print(
            f"estimated cost on {cost['model']}: {cost['amount']} "
            f"({cost['billed_tokens']:,} billed tokens over {cost['epochs']} epochs; "
            f"prices checked on {cost['prices_as_of']} against {cost['prices_source']})",
            highlight=False,
        )
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
