"""Redaction of personal data from message texts before training.

Phone numbers, e-mail addresses, IBANs, payment card numbers and (optionally) links are
replaced by typed placeholders (``<PHONE>``, ``<EMAIL>``, ``<IBAN>``, ``<CARD>``,
``<LINK>``); everything else in the text is kept exactly as it was. ``Redactor.redact``
returns the new text and a ``RedactionCounts``; counts add up over a dataset with ``+``
(or ``sum``).

Detection is conservative where a mistake would corrupt ordinary chat: IBANs must pass
the ISO 13616 mod-97 checksum and their country's length, card numbers must pass Luhn
and start with a known issuer prefix, and phone numbers must be valid numbers for some
configured region according to ``phonenumbers`` (with at least 7 digits, and not a date,
a time or a run of consecutive numbers). Redaction is idempotent: a text is redacted
until nothing more is found, so redacting the result again changes nothing.

Most chat messages hold no digit, no "@" and no link; they are answered after a few
cheap checks without running any of the detectors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "CARD",
    "DEFAULT_REGIONS",
    "EMAIL",
    "IBAN",
    "LINK",
    "PHONE",
    "RedactionCounts",
    "Redactor",
    "iban_is_valid",
    "luhn_is_valid",
]

PHONE = "<PHONE>"
EMAIL = "<EMAIL>"
IBAN = "<IBAN>"
CARD = "<CARD>"
LINK = "<LINK>"

DEFAULT_REGIONS: tuple[str, ...] = ("GB", "US", "DE", "FR", "ES", "IT", "NL", "BR", "IN")


@dataclass(frozen=True, slots=True)
class RedactionCounts:
    """How many items of each kind were replaced by a placeholder."""

    phone: int = 0
    email: int = 0
    iban: int = 0
    card: int = 0
    link: int = 0

    def __add__(self, other: RedactionCounts) -> RedactionCounts:
        if not isinstance(other, RedactionCounts):
            return NotImplemented
        return RedactionCounts(
            phone=self.phone + other.phone,
            email=self.email + other.email,
            iban=self.iban + other.iban,
            card=self.card + other.card,
            link=self.link + other.link,
        )

    def __radd__(self, other: object) -> RedactionCounts:
        # Lets the built-in sum() start from 0.
        if other == 0:
            return self
        return NotImplemented

    @property
    def total(self) -> int:
        return self.phone + self.email + self.iban + self.card + self.link

    def summary(self) -> str:
        """One line for people, e.g. ``"2 phone numbers, 1 e-mail address"``."""
        parts = [
            f"{n} {word if n == 1 else plural}"
            for n, word, plural in (
                (self.phone, "phone number", "phone numbers"),
                (self.email, "e-mail address", "e-mail addresses"),
                (self.iban, "IBAN", "IBANs"),
                (self.card, "card number", "card numbers"),
                (self.link, "link", "links"),
            )
            if n
        ]
        return ", ".join(parts) if parts else "nothing redacted"


_ZERO = RedactionCounts()

# --- cheap pre-checks --------------------------------------------------------------

_ANY_DIGIT = re.compile(r"\d")

# Every character phonenumbers accepts between the digit blocks of a number
# (phonenumberutil._VALID_PUNCTUATION), its lead characters (brackets and plus signs),
# and whitespace. Seven digits joined by at most four of these are needed before the
# (slow) phonenumbers matcher is worth running; a test checks this stays a superset.
_PHONE_PUNCT = (
    "\\-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f\\s\u00a0\u00ad\u200b\u2060\u3000"
    "()\uff08\uff09\uff3b\uff3d.\\[\\]/~\u2053\u223c\uff5e+\uff0b"
)
_PHONE_HINT = re.compile(rf"\d(?:[{_PHONE_PUNCT}]{{0,4}}\d){{6}}")
_MIN_PHONE_DIGITS = 7

# --- links and e-mail addresses ----------------------------------------------------

_LINK_RE = re.compile(r"(?<![\w@.\-/])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_LINK_TRAILING = ".,;:!?'\"*"
_LINK_BRACKETS = {")": "(", "]": "[", "}": "{"}

_EMAIL_RE = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-])")


def _trim_link(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from a link's end."""
    while url:
        last = url[-1]
        unbalanced = last in _LINK_BRACKETS and url.count(last) > url.count(_LINK_BRACKETS[last])
        if last not in _LINK_TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _redact_links(text: str) -> tuple[str, int]:
    pieces: list[str] = []
    pos = count = 0
    for match in _LINK_RE.finditer(text):
        url = _trim_link(match.group())
        if len(url) <= 4 or url.lower() in ("http://", "https://"):
            continue
        pieces.append(text[pos : match.start()])
        pieces.append(LINK)
        pos = match.start() + len(url)
        count += 1
    if not count:
        return text, 0
    pieces.append(text[pos:])
    return "".join(pieces), count


# --- IBANs ---------------------------------------------------------------------------

# ISO 13616 IBAN lengths by country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}  # fmt: skip

# Where an IBAN may start: two letters and two check digits, not inside a word.
_IBAN_START = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}(?=[ ]?[0-9A-Za-z])")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def iban_is_valid(iban: str) -> bool:
    """Whether ``iban`` (spaces allowed, any case) has its country's length and checksum."""
    compact = iban.replace(" ", "").upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    if not compact.isascii() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _iban_end(text: str, start: int) -> int | None:
    """End of the IBAN starting at ``start``, or None when there is none."""
    length = IBAN_LENGTHS.get(text[start : start + 2].upper())
    if length is None:
        return None
    pos, seen, end = start + 4, 4, len(text)
    while seen < length:
        if pos < end and text[pos] in _ALNUM:
            pos += 1
        elif pos + 1 < end and text[pos] == " " and text[pos + 1] in _ALNUM:
            pos += 2
        else:
            return None
        seen += 1
    if pos < end and text[pos] in _ALNUM:
        return None  # a longer word, not this IBAN
    return pos if iban_is_valid(text[start:pos]) else None


def _redact_ibans(text: str) -> tuple[str, int]:
    pieces: list[str] = []
    pos = count = 0
    for match in _IBAN_START.finditer(text):
        start = match.start()
        if start < pos:
            continue
        end = _iban_end(text, start)
        if end is None:
            continue
        pieces.append(text[pos:start])
        pieces.append(IBAN)
        pos = end
        count += 1
    if not count:
        return text, 0
    pieces.append(text[pos:])
    return "".join(pieces), count


# --- payment card numbers ------------------------------------------------------------

# A run of digit groups joined by single spaces or dashes; not after "+" (phone numbers)
# and not the fractional part of a decimal number.
_DIGIT_RUN = re.compile(r"(?<![\d+])(?<!\d[.,])\d+(?:[ \-]\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
_MIN_CARD, _MAX_CARD = 13, 19


def luhn_is_valid(number: str) -> bool:
    """Luhn check over the digits of ``number`` (other characters are ignored)."""
    total = 0
    for i, ch in enumerate(reversed([c for c in number if c.isdecimal()])):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _issuer_accepts(digits: str) -> bool:
    """Whether a known card scheme issues numbers with this prefix and length."""
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    first = digits[0]
    if first == "4":  # Visa
        return n in (13, 16, 19)
    if p2 in (34, 37):  # American Express
        return n == 15
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if 2200 <= p4 <= 2204:  # Mir
        return n >= 16
    if 3528 <= p4 <= 3589:  # JCB
        return n >= 16
    if 300 <= int(digits[:3]) <= 305 or p2 in (36, 38, 39) or p4 == 3095:  # Diners Club
        return n >= 14
    # Maestro (50, 56-58, 6x), Discover (6011, 644-649, 65), UnionPay (62), RuPay (60, 65)
    return p2 == 50 or 56 <= p2 <= 58 or first == "6"


def _card_ok(groups: list[str]) -> bool:
    digits = "".join(str(int(c)) for c in "".join(groups))
    return _issuer_accepts(digits) and luhn_is_valid(digits)


def _card_spans(run: str) -> list[tuple[int, int]]:
    """Spans (within ``run``) of card numbers among its digit groups."""
    groups = list(_DIGIT_GROUP.finditer(run))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(groups):
        best = None
        ndigits = 0
        sep = None
        for j in range(i, len(groups)):
            if j > i:
                here = run[groups[j - 1].end()]
                if sep is None:
                    sep = here
                if here != sep or len(groups[j - 1].group()) < 3:
                    break  # mixed separators, or a short inner group: not one number
            ndigits += len(groups[j].group())
            if ndigits > _MAX_CARD:
                break
            if ndigits >= _MIN_CARD and _card_ok([g.group() for g in groups[i : j + 1]]):
                best = j
        if best is None:
            i += 1
        else:
            spans.append((groups[i].start(), groups[best].end()))
            i = best + 1
    return spans


def _redact_cards(text: str) -> tuple[str, int]:
    spans: list[tuple[int, int]] = []
    for match in _DIGIT_RUN.finditer(text):
        run = match.group()
        if len(run) < _MIN_CARD:
            continue
        after = text[match.end() : match.end() + 2]
        if len(after) == 2 and after[0] in ".," and after[1].isdecimal():
            continue  # the integer part of a decimal number
        spans.extend((match.start() + a, match.start() + b) for a, b in _card_spans(run))
    return _replace(text, spans, CARD)


# --- phone numbers -------------------------------------------------------------------

# Dates that phonenumbers may take for a number: d/m/y, m/d/y (also with "." or "-")
# and y-m-d, as whole tokens.
_DATE_RE = re.compile(
    r"(?<!\d)(?<!\d[./\-])"
    r"(?:(\d{1,2})([./\-])(\d{1,2})\2(?:\d{4}|\d{2})|\d{4}([./\-])(\d{1,2})\4(\d{1,2}))"
    r"(?!\d)(?![./\-]\d)"
)
_TIME_AFTER = re.compile(r"[:hH]\d\d")
_TIME_BEFORE = re.compile(r"\d:$")
_PLUS_LEAD = ("+", "\uff0b")
# Amounts written with thousands separators: "1.693.620", "3 109 854", "612.345,00".
_MILLIONS = re.compile(r"\d{1,2}([. \u00a0\u202f])\d{3}(?:\1\d{3})+")
_THOUSANDS = re.compile(r"\d{1,3}([. \u00a0\u202f])\d{3}(?:\1\d{3})*")
_DECIMALS_AFTER = re.compile(r"[.,]\d{1,2}(?!\d)")
_CURRENCY_CODE_BEFORE = re.compile(r"(?i)\b(?:EUR|USD|GBP|BRL|INR|CHF|Rs\.?)\s?$")
_CURRENCY_CODE_AFTER = re.compile(r"(?i)\s?(?:EUR|USD|GBP|BRL|INR|CHF|euros?|reais|dollars?)\b")


def _is_date(match: re.Match[str]) -> bool:
    if match.group(1) is not None:
        a, b = int(match.group(1)), int(match.group(3))
        return 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12
    month, day = int(match.group(5)), int(match.group(6))
    return 1 <= month <= 12 and 1 <= day <= 31


def _is_currency(ch: str) -> bool:
    return unicodedata.category(ch) == "Sc"


def _is_amount(text: str, start: int, end: int, raw: str) -> bool:
    """Whether a phonenumbers match is a sum of money or a number in the millions."""
    before = text[max(0, start - 2) : start].rstrip()
    after = text[end : end + 2].lstrip()
    if (before and _is_currency(before[-1])) or (after and _is_currency(after[0])):
        return True
    if _CURRENCY_CODE_BEFORE.search(text, max(0, start - 5), start):
        return True
    if _CURRENCY_CODE_AFTER.match(text, end):
        return True
    if _MILLIONS.fullmatch(raw):
        return True
    return bool(_THOUSANDS.fullmatch(raw) and _DECIMALS_AFTER.match(text, end))


def _not_a_phone(text: str, start: int, end: int, raw: str) -> bool:
    """Whether a phonenumbers match is really a date, a time or a list of numbers."""
    groups = _DIGIT_GROUP.findall(raw)
    if sum(map(len, groups)) < _MIN_PHONE_DIGITS:
        return True
    if _TIME_AFTER.match(text, end) or _TIME_BEFORE.search(text, max(0, start - 2), start):
        return True
    if _is_amount(text, start, end, raw):
        return True
    lo, hi = max(0, start - 12), min(len(text), end + 12)
    for date in _DATE_RE.finditer(text, lo, hi):
        if date.start() < end and date.end() > start and _is_date(date):
            return True
    if len(groups) >= 3:
        values = [int(g) for g in groups]
        steps = {b - a for a, b in pairwise(values)}
        if steps in ({1}, {-1}):
            return True  # "9 10 11 12 13"
    return False


def _mask_dates(text: str) -> str:
    """``text`` with its dates blanked out. A match overlapping a date is not taken for a
    phone number, so when only dates make up seven joined digits the matcher can be
    skipped (dates are common in chats, and the matcher is slow)."""
    return _DATE_RE.sub(lambda m: "#" if _is_date(m) else m.group(), text)


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> tuple[str, int]:
    """Replace non-overlapping ``spans`` (leftmost, then longest, wins) by ``placeholder``."""
    if not spans:
        return text, 0
    pieces: list[str] = []
    pos = count = 0
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos:
            continue
        pieces.append(text[pos:start])
        pieces.append(placeholder)
        pos = end
        count += 1
    pieces.append(text[pos:])
    return "".join(pieces), count


# --- the redactor --------------------------------------------------------------------


@dataclass(frozen=True)
class Redactor:
    """Replaces personal data in message texts by typed placeholders.

    ``regions`` are the countries whose national formats (numbers written without a
    ``+``/``00`` country code) are recognised as phone numbers; international numbers
    are recognised whatever the regions. ``links=True`` also replaces web links.
    """

    links: bool = False
    regions: tuple[str, ...] = DEFAULT_REGIONS

    def __post_init__(self) -> None:
        # Imported here: phonenumbers' tables take a while, and only redaction needs them.
        import phonenumbers

        regions = tuple(str(r).upper() for r in self.regions)
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown phone number region(s): {', '.join(unknown)}")
        # No region: international numbers only ("ZZ" is phonenumbers' unknown region).
        object.__setattr__(self, "regions", regions or ("ZZ",))

    def redact(self, text: str) -> tuple[str, RedactionCounts]:
        """Return ``text`` with personal data replaced, and what was replaced."""
        out, counts = self._pass(text)
        if counts is _ZERO:
            return text, _ZERO
        # Replacing one item can expose another (digits left beside a phone number);
        # go on until nothing changes, so that redaction is idempotent.
        for _ in range(8):
            again, more = self._pass(out)
            if more is _ZERO:
                break
            out, counts = again, counts + more
        return out, counts

    def _pass(self, text: str) -> tuple[str, RedactionCounts]:
        link = email = iban = card = phone = 0
        if self.links and ("://" in text or "www." in text.lower()):
            text, link = _redact_links(text)
        if "@" in text:
            text, email = _EMAIL_RE.subn(EMAIL, text)
        if _ANY_DIGIT.search(text) is not None:
            if _IBAN_START.search(text) is not None:
                text, iban = _redact_ibans(text)
            if len(_ANY_DIGIT.findall(text)) >= _MIN_CARD:
                text, card = _redact_cards(text)
            if _PHONE_HINT.search(text) is not None and _PHONE_HINT.search(_mask_dates(text)):
                text, phone = self._redact_phones(text)
        if not (link or email or iban or card or phone):
            return text, _ZERO
        return text, RedactionCounts(phone=phone, email=email, iban=iban, card=card, link=link)

    def _matches(self, text: str, region: str) -> list[tuple[int, int]]:
        import phonenumbers

        return [
            (m.start, m.end)
            for m in phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.VALID
            )
            if not _not_a_phone(text, m.start, m.end, m.raw_string)
        ]

    def _redact_phones(self, text: str) -> tuple[str, int]:
        first = self._matches(text, self.regions[0])
        # Numbers written with "+" read the same in every region: replace them first,
        # so that the other regions need not parse them again.
        plus = [
            (s, e) for s, e in first if text[s:e].lstrip("([\uff08\uff3b").startswith(_PLUS_LEAD)
        ]
        count = 0
        if plus:
            text, count = _replace(text, plus, PHONE)
            if _PHONE_HINT.search(text) is None:
                return text, count
            first = self._matches(text, self.regions[0])
        spans = list(first)
        for region in self.regions[1:]:
            spans.extend(self._matches(text, region))
        text, more = _replace(text, spans, PHONE)
        return text, count + more
