"""The command line: ``gpt-is-you`` opens the app; subcommands do one job each.

Exit status: 0 done, 1 failed, 2 bad input. Bad input is one line on stderr, never
a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta

from gpt_is_you import cli_eval, cli_train
from gpt_is_you.dataset.settings import BuildSettings
from gpt_is_you.user_errors import USER_ERRORS

PROG = "gpt-is-you"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit status is already 2
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Turn an exported chat into a model that writes like one of its people. "
        "With no command, opens the app.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    parse = commands.add_parser(
        "parse",
        help="show what an export holds",
        description="Read a chat export (WhatsApp .txt/.zip, Telegram result.json, "
        "Messenger/Instagram message_1.json) and show a summary, or every message as JSON lines.",
    )
    parse.add_argument("export", metavar="EXPORT", help="the exported file or folder")
    out = parse.add_mutually_exclusive_group()
    out.add_argument("--jsonl", action="store_true", help="print one JSON object per message")
    out.add_argument("--json", action="store_true", help="print the summary as JSON")
    _reading_options(parse)
    parse.set_defaults(run=_parse)

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
    _reading_options(new)
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

    rename = commands.add_parser(
        "rename",
        help="rename a model",
        description="Give a model a new name; its training runs and conversations stay.",
    )
    rename.add_argument("name", metavar="OLD")
    rename.add_argument("new_name", metavar="NEW")
    rename.set_defaults(run=_rename)

    models = commands.add_parser("models", help="list the models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(run=_models)

    rm = commands.add_parser("rm", help="delete a model")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    rm.add_argument(
        "--remote",
        action="store_true",
        help="also delete its uploaded files and fine-tuned models at OpenAI or Azure OpenAI",
    )
    rm.set_defaults(run=_rm)

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
    cli_train.add_commands(commands)
    cli_eval.add_commands(commands)
    return parser


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
        choices=("local", "openai"),
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
        type=cli_train.number(limits["validation_share"]),
        metavar="SHARE",
        help="share of the examples, the latest sessions, held out",
        default=0.1,
        shown="0.1",
    )
    add(
        "--merge-window",
        type=cli_train.number(limits["merge_window"]),
        metavar="MINUTES",
        help="messages of one person this close become one turn",
        default=10,
        shown="10",
    )
    add(
        "--session-gap",
        type=cli_train.number(limits["session_gap"]),
        metavar="HOURS",
        help="a silence this long starts a new session",
        default=3,
        shown="3",
    )
    add(
        "--max-tokens",
        type=cli_train.number(limits["max_tokens"]),
        metavar="N",
        help="token limit of one example",
        default=None,
        shown="1024 local, 65536 openai",
    )
    add(
        "--min-chars",
        type=cli_train.number(limits["min_chars"]),
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


def _build_settings(args: argparse.Namespace) -> dict[str, object]:
    """The BuildSettings fields the options set (all of them for ``new``)."""
    options: dict[str, object] = {
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
    return {key: value for key, value in options.items() if value is not None}


def _reading_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that reads an export."""
    parser.add_argument(
        "--date-order",
        choices=("dmy", "mdy", "ymd"),
        help="how the export writes dates (day/month/year, month/day/year, year/month/day); "
        "inferred from the whole file when left out",
    )
    parser.add_argument(
        "--chat", metavar="NAME", help="the chat to read from a Telegram account export"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        from gpt_is_you.tui.app import run

        run()
        return 0
    _encode_output(for_programs=getattr(args, "json", False) or getattr(args, "jsonl", False))
    try:
        return args.run(args)
    except USER_ERRORS as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``| head``): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # the user gets one line; GPT_IS_YOU_DEBUG=1 shows the traceback
        if os.environ.get("GPT_IS_YOU_DEBUG"):
            raise
        print(f"{PROG}: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


def _encode_output(*, for_programs: bool) -> None:
    """JSON is read by programs: UTF-8 whatever the terminal's encoding (a Windows
    console's code page cannot write most emoji). Text is read by people: a character
    their terminal cannot show becomes "?" rather than a failure."""
    if hasattr(sys.stdout, "reconfigure"):
        if for_programs:
            sys.stdout.reconfigure(encoding="utf-8")
        else:
            sys.stdout.reconfigure(errors="replace")


def _parse(args: argparse.Namespace) -> int:
    from gpt_is_you.chats import read_export
    from gpt_is_you.chats.summary import summarize

    chat = read_export(args.export, date_order=args.date_order, chat=args.chat)
    if args.jsonl:
        sys.stdout.writelines(m.to_json_line() + "\n" for m in chat.messages)
        sys.stdout.flush()
        for warning in chat.warnings:  # on stderr: stdout is the messages alone
            print(f"{PROG}: warning: {warning}", file=sys.stderr)
        return 0
    summary = summarize(chat)
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
        return 0
    _print_summary(summary)
    return 0


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    span = "no messages"
    if summary.first:
        span = f"{summary.first:%Y-%m-%d %H:%M} to {summary.last:%Y-%m-%d %H:%M}"
    title = f" · {summary.title}" if summary.title else ""
    console.print(f"[bold]{summary.format}[/bold]{title} · {summary.messages:,} messages · {span}")
    people = Table(title="Participants", title_justify="left", show_edge=False)
    people.add_column("name")
    people.add_column("messages", justify="right")
    for p in summary.participants:
        people.add_row(p.name, f"{p.messages:,}")
    console.print(people)
    kinds = Table(title="Kinds", title_justify="left", show_edge=False)
    kinds.add_column("kind")
    kinds.add_column("messages", justify="right")
    for kind, n in summary.kinds.items():
        kinds.add_row(kind, f"{n:,}")
    console.print(kinds)
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _new(args: argparse.Namespace) -> int:
    from gpt_is_you.store.models import free_folder
    from gpt_is_you.store.new import prepare

    free_folder(args.name)  # a bad or taken name fails before the export is read
    prepared = prepare(
        args.export,
        persona=args.persona,
        me=args.me,
        target=args.target,
        date_order=args.date_order,
        chat=args.chat,
        **_build_settings(args),
    )
    return _store_and_report(args, args.name, prepared, ask=True)


def _duplicate(args: argparse.Namespace) -> int:
    from gpt_is_you.store.manage import prepare_duplicate
    from gpt_is_you.store.models import free_folder

    free_folder(args.new_name)  # a taken name fails before the chat is built again
    prepared = prepare_duplicate(args.name, target=args.target, **_build_settings(args))
    # The persona agreed to a model on this machine when the source was made; sending
    # their messages to a remote service is a new question.
    return _store_and_report(args, args.new_name, prepared, ask=prepared.target != "local")


def _store_and_report(args: argparse.Namespace, name: str, prepared, *, ask: bool) -> int:
    """Ask for the persona's permission (when ``ask``), store ``name``, print the report."""
    from gpt_is_you.dataset.persona import consent_question
    from gpt_is_you.store.new import store

    if ask:
        question = consent_question(
            prepared.dataset.settings.persona,
            prepared.persona_messages(),
            remote=prepared.target != "local",
        )
        confirmed = cli_train.confirm(question, args.yes)
        if confirmed is None:
            print(f"{PROG}: {question} Pass --yes to confirm.", file=sys.stderr)
            return 2
        if not confirmed:
            print("Nothing was created.", file=sys.stderr)
            return 1
    folder = store(name, prepared)
    report = _report(name, prepared, folder)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return 0


def _rename(args: argparse.Namespace) -> int:
    from gpt_is_you.store.manage import rename_model

    rename_model(args.name, args.new_name)
    print(f"{args.name} is now {args.new_name.strip()}")
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
    from gpt_is_you.dataset.cost import PRICES_SOURCE, PRICES_VERIFIED

    return {
        "model": cost.model,
        "epochs": cost.epochs,
        "billed_tokens": cost.billed_tokens,
        "usd": round(cost.cost_usd, 2),
        "prices_as_of": cost.prices_as_of,
        "prices_source": PRICES_SOURCE,
        "prices_verified": PRICES_VERIFIED,
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
        unverified = "" if cost["prices_verified"] else ", not yet checked against that page"
        console.print(
            f"estimated cost on {cost['model']}: ${cost['usd']:,.2f} "
            f"({cost['billed_tokens']:,} billed tokens over {cost['epochs']} epochs; "
            f"prices of {cost['prices_as_of']} from {cost['prices_source']}{unverified})",
            highlight=False,
        )
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _models(args: argparse.Namespace) -> int:
    from gpt_is_you.store.models import list_models

    models = list_models()
    if args.json:
        print(json.dumps([m.to_json() for m in models], ensure_ascii=False, indent=2))
    elif not models:
        print("No models yet. Create one with: gpt-is-you new NAME --from EXPORT --persona WHO")
    else:
        for m in models:
            if m.readable:
                print(
                    f"{m.name}\t{m.persona}\t{m.source}\t{m.train} train / {m.valid} valid\t"
                    f"{m.state_text}"
                )
            else:
                print(f"{m.name}\t\t\t\t{m.state_text}: {m.problem} ({m.path})")
    return 0


def _rm(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.openai import remote_leftovers
    from gpt_is_you.store.errors import UnreadableModelError
    from gpt_is_you.store.models import model_folder, open_model, refuse_if_training, remove_model

    folder = model_folder(args.name)  # a missing model fails here, before asking
    question = f"Delete the model {args.name!r} and everything stored with it"
    try:
        with open_model(args.name) as db:  # and a training one
            refuse_if_training(db, args.name)
        leftovers = remote_leftovers(args.name)
    except UnreadableModelError as e:
        # Nothing in it can be read, what it left at a service included: it goes as it is.
        leftovers = {}
        question = f"Delete the {e.state} model {args.name!r} in {folder} ({e.problem})"
        if args.remote:
            print(f"{PROG}: what it left at a service, if anything, stays there", file=sys.stderr)
    if args.remote and leftovers:
        names = ", ".join(f"{what} at {backend}" for backend, what in leftovers.items())
        question += f", and {names}"
    confirmed = cli_train.confirm(question + "?", args.yes)
    if confirmed is None:
        print(f"{PROG}: deleting needs confirmation; pass --yes", file=sys.stderr)
        return 2
    if not confirmed:
        return 1
    if args.remote:
        from gpt_is_you.providers.openai import OpenAIProvider

        for backend in leftovers:
            # A failure stops here, before the local store (which remembers the ids) goes.
            for remote_id in OpenAIProvider(backend).delete_remote(args.name):
                print(f"deleted {remote_id} at {backend}")
    elif leftovers:
        names = "; ".join(f"{what} at {backend}" for backend, what in leftovers.items())
        print(f"left in place: {names} (`rm --remote` deletes them too)", file=sys.stderr)
    remove_model(args.name)
    return 0


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
    print(f"── example {number} · session {example.session} · {example.split} · {tokens} tokens")
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

    exported = export_model(args.name, args.format, args.output)
    for path, count in exported.files:
        print(f"{path}\t{count:,} lines")
    for advice in exported.advice:
        print(f"advice: {advice}", file=sys.stderr)
    return 0
