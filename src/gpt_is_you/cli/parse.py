"""The command line's ``parse``: what an export holds, as a summary or every message."""

from __future__ import annotations

import argparse
import json
import sys

from gpt_is_you.cli.common import PROG


def add_commands(commands) -> None:
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
    reading_options(parse)
    parse.set_defaults(run=_parse)


def reading_options(parser: argparse.ArgumentParser) -> None:
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


def _parse(args: argparse.Namespace) -> int:
    from gpt_is_you.chats import read_export
    from gpt_is_you.chats.summary import summarize

    chat = read_export(args.export, date_order=args.date_order, chat=args.chat)
    if args.jsonl:
        sys.stdout.writelines(m.to_json_line() + "\n" for m in chat.messages)
        sys.stdout.flush()
        if chat.member is not None:  # on stderr: stdout is the messages alone
            print(f"{PROG}: read {chat.member} in {chat.source}", file=sys.stderr)
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
    if summary.member is not None:  # a folder or zip: which of its files was read
        console.print(f"read {summary.member}", markup=False, highlight=False)
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
