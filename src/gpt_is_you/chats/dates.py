"""Dates as chat exports write them, and which of day, month and year comes first.

Exports write dates in the phone's locale and never say which order it used, so
the order is inferred from every distinct date in the file: an order must make
every date a real calendar date, and chats run forward in time, so among the
orders left the one whose dates go backwards least often wins, then the one
whose dates lie closest together (a chat is dense in time; read the wrong way a
run of days becomes a run of months).

Phones write the year of their calendar: Thai phones the Buddhist era (2565 for 2022),
Persian phones the Solar Hijri calendar (1401/10/09 for 30 December 2022), Japanese
phones set to the imperial calendar an era letter and the year in it (R4 for 2022).
Month names are read in English, German, French, Spanish, Portuguese, Italian and Dutch,
whole or shortened as those locales shorten them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

ORDERS = ("dmy", "mdy", "ymd")
_NAMES = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}

# The year before year 1 of each Japanese era WhatsApp has lived in: Reiwa (R1 = 2019)
# and Heisei (H1 = 1989).
ERAS = {"R": 2018, "H": 1988}
# A year past this is a Buddhist-era year, 543 ahead (no chat is from 2400 CE).
_BUDDHIST_FROM = 2400
# Years in this range are Solar Hijri (a Gregorian 1300-1499 holds no chat).
_HIJRI = range(1300, 1500)

_MONTH_NAMES = (
    # en, de, fr, es, pt, it, nl: full names, then the shortened forms that differ.
    "january jan januar janv janvier enero ene janeiro gennaio gen januari",
    "february feb februar févr février fevr fevrier febrero fevereiro fev febbraio februari",
    "march mar märz mär mrz mars marzo março mrt maart",
    "april apr avril avr abril abr aprile",
    "may mai mayo maio mag maggio mei",
    "june jun juni juin junio junho giu giugno",
    "july jul juli juil juillet julio julho lug luglio",
    "august aug août aout agosto ago augustus",
    "september sep sept septembre septiembre setiembre set setembro settembre",
    "october oct oktober okt octobre octubre outubro out ottobre ott",
    "november nov novembre noviembre novembro",
    "december dec dezember dez décembre déc decembre diciembre dic dezembro dicembre",
)
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}


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
    elif year > _BUDDHIST_FROM:
        year -= 543
    elif year in _HIJRI:
        return _from_solar_hijri(year, month, day)
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _from_solar_hijri(year: int, month: int, day: int) -> datetime | None:
    """A Solar Hijri (Persian) date as a Gregorian midnight; None if no such day."""
    longest = 31 if month <= 6 else 30
    if month == 12:  # Esfand has 30 days in a leap year, 29 otherwise
        longest = _hijri_days_before(year + 1, 1, 1) - _hijri_days_before(year, 12, 1)
    if not (1 <= month <= 12 and 1 <= day <= longest):
        return None
    return datetime.fromordinal(_hijri_days_before(year, month, day) + _HIJRI_TO_ORDINAL)


def _hijri_days_before(year: int, month: int, day: int) -> int:
    """A day count for a Solar Hijri date: the 33-year leap cycle, exact from 1178 to 1633."""
    year += 1595
    days = -355668 + 365 * year + year // 33 * 8 + (year % 33 + 3) // 4 + day
    return days + ((month - 1) * 31 if month < 7 else (month - 7) * 30 + 186)


# 1 Farvardin 1403 was 20 March 2024.
_HIJRI_TO_ORDINAL = datetime(2024, 3, 20).toordinal() - _hijri_days_before(1403, 1, 1)


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
