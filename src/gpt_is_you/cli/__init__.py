"""The command line: ``gpt-is-you`` opens the app; subcommands do one job each, a module
per group of commands (each adds its parsers with ``add_commands``).

Exit status: 0 done, 1 failed, 2 bad input. Bad input is one line on stderr, never
a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gpt_is_you.cli import (
    bases,
    chat,
    connect,
    evaluate,
    examples,
    export_model,
    manage,
    new,
    parse,
    serve,
    train,
)
from gpt_is_you.cli.common import PROG
from gpt_is_you.user_errors import USER_ERRORS

# In the order --help lists them.
GROUPS = (parse, new, manage, examples, train, bases, chat, serve, export_model, connect, evaluate)


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

    for group in GROUPS:
        group.add_commands(commands)
    return parser


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
