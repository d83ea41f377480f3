"""Which of day, month and year comes first in an export's dates.

Exports write dates in the phone's locale and never say which order it used, so
the order is inferred from every distinct date in the file: an order must make
every date a real calendar date, and chats run forward in time, so among the
orders left the one whose dates go backwards least often wins, then the one
whose dates lie closest together (a chat is dense in time; read the wrong way a
run of days becomes a run of months).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

ORDERS = ("dmy", "mdy", "ymd")
_NAMES = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}


@dataclass(frozen=True)
class DateOrder:
    order: str  # one of ORDERS
    ambiguous: bool  # True when more than one order fits and none is clearly right

    def describe(self) -> str:
        return _NAMES[self.order]


def to_datetime(parts: tuple[int, int, int], order: str) -> datetime | None:
    """The midnight of a date written as three numbers in ``order``, or None if no such day."""
    a, b, c = parts
    if order == "dmy":
        day, month, year = a, b, c
    elif order == "mdy":
        month, day, year = a, b, c
    else:
        year, month, day = a, b, c
    if year < 100:
        year += 2000  # WhatsApp, Telegram and Messenger are all younger than 2000
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def infer_order(dates: Sequence[tuple[int, int, int]], *, twelve_hour: bool) -> DateOrder:
    """Choose the order for ``dates`` (distinct dates in file order).

    ``twelve_hour`` breaks a perfect tie: phones with a 12-hour clock are mostly set
    to US English, which writes month first.
    """
    scored = []
    for order in ORDERS:
        days = [to_datetime(d, order) for d in dates]
        invalid = sum(d is None for d in days)
        valid = [d for d in days if d is not None]
        backwards = sum(later < earlier for earlier, later in pairwise(valid))
        spread = sum(abs((later - earlier).days) for earlier, later in pairwise(valid))
        scored.append((invalid, backwards, spread, order))
    fitting = [s for s in scored if s[0] == 0] or [min(scored)]
    tie_break = ("mdy", "dmy", "ymd") if twelve_hour else ("dmy", "mdy", "ymd")
    fitting.sort(key=lambda s: (s[1], s[2], tie_break.index(s[3])))
    best = fitting[0]
    # Ambiguous when another order fits and runs forward just as well: only the
    # closeness of the dates (or the clock) decided.
    ambiguous = len(fitting) > 1 and fitting[1][1] == best[1]
    return DateOrder(best[3], ambiguous)
