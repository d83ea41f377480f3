"""What every command group shares: the program's name, numeric options read against
the settings' ranges, and asking the user to confirm (and saying what a refusal kept)."""

from __future__ import annotations

import argparse
import sys

from gpt_is_you.limits import Limit

PROG = "gpt-is-you"


def number(limit: Limit):
    """An option's ``type``: the number typed, checked against the setting's range, so
    that a bad one is refused as the arguments are read, before anything loads."""

    def read(text: str) -> int | float:
        try:
            return limit.read(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return read


def confirm(question: str, yes: bool) -> bool | None:
    """True when confirmed; None when there is no terminal to ask and no --yes."""
    if yes:
        return True
    if not sys.stdin.isatty():
        return None
    return input(f"{question} [y/N] ").strip().casefold() in ("y", "yes")


def declined(kept: str) -> int:
    """A confirmation answered no: one line saying what stays as it was, and exit status
    1, since the command did not do its work (a script's next step must not run)."""
    print(kept, file=sys.stderr)
    return 1
