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

from gpt_is_you.chats import ChatImportError

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
    parse.add_argument(
        "--date-order",
        choices=("dmy", "mdy", "ymd"),
        help="how the export writes dates (day/month/year, month/day/year, year/month/day); "
        "inferred from the whole file when left out",
    )
    parse.add_argument(
        "--chat", metavar="NAME", help="the chat to read from a Telegram account export"
    )
    parse.set_defaults(run=_parse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        from gpt_is_you.tui.app import run

        run()
        return 0
    try:
        return args.run(args)
    except ChatImportError as e:
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


def _parse(args: argparse.Namespace) -> int:
    from gpt_is_you.chats import read_export
    from gpt_is_you.chats.summary import summarize

    chat = read_export(args.export, date_order=args.date_order, chat=args.chat)
    if args.jsonl:
        sys.stdout.writelines(m.to_json_line() + "\n" for m in chat.messages)
        sys.stdout.flush()
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
