"""Redaction of personal data: recall on a labelled set, no false positives on decoys,
and the properties that make it safe to run over a whole dataset.

All personal data here is invented: published example IBANs and IBANs with computed
check digits, card-scheme test numbers, phone numbers that phonenumbers accepts as valid
but that belong to nobody we know of, and example.* e-mail domains.
"""

from __future__ import annotations

import dataclasses
import re
import time

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpt_is_you.dataset import redact as redact_module
from gpt_is_you.dataset.redact import (
    CARD,
    EMAIL,
    IBAN,
    LINK,
    PHONE,
    RedactionCounts,
    Redactor,
    iban_is_valid,
    luhn_is_valid,
)

PLACEHOLDERS = {"phone": PHONE, "email": EMAIL, "iban": IBAN, "card": CARD, "link": LINK}


# --- the labelled set ----------------------------------------------------------------


def make_iban(country: str, bban: str) -> str:
    """An IBAN with correct ISO 13616 check digits for an invented account."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def in_groups_of_4(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


PHONES: dict[str, list[str]] = {
    "GB": [
        "+44 7911 123456", "+447911123456", "07911 123456", "07911-123-456",
        "(07911) 123456", "+44 (0)7911 123456", "0044 7911 123456", "020 7946 0958",
        "+44 20 7946 0958", "(020) 7946 0958", "0161 496 0000", "0161.496.0000",
    ],
    "US": [
        "+1 201-555-0123", "+1 (201) 555-0123", "(201) 555-0123", "201-555-0123",
        "201.555.0123", "201 555 0123", "1-201-555-0123", "+12015550123",
        "(212) 555-0199", "415.555.0132",
    ],
    "DE": [
        "+49 30 901820", "+49 30 12345678", "030 12345678", "030/12345678",
        "(030) 12345678", "+49 (0)30 12345678", "0151 23456789", "+49 151 23456789",
        "0049 151 23456789", "089-12345678",
    ],
    "FR": [
        "+33 6 12 34 56 78", "06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78",
        "0612345678", "+33 (0)6 12 34 56 78", "01 23 45 67 89", "+33 1 23 45 67 89",
        "0033 6 12 34 56 78",
    ],
    "ES": [
        "+34 612 34 56 78", "612 34 56 78", "612 345 678", "612-345-678", "91 123 45 67",
        "+34 91 123 45 67", "0034 612 345 678",
    ],
    "IT": [
        "+39 312 345 6789", "312 345 6789", "312-345-6789", "02 1234 5678",
        "+39 02 1234 5678", "06 1234 5678", "0039 347 123 4567", "347.123.4567",
    ],
    "NL": [
        "+31 6 12345678", "06-12345678", "06 12345678", "06 1234 5678", "020 123 4567",
        "+31 20 123 4567", "(020) 123 4567", "0031 6 12345678",
    ],
    "BR": [
        "+55 11 91234-5678", "(11) 91234-5678", "11 91234-5678", "+55 (11) 91234-5678",
        "(21) 2345-6789", "+55 21 2345-6789", "011 91234-5678",
    ],
    "IN": [
        "+91 98765 43210", "+91-98765-43210", "98765 43210", "9876543210",
        "098765 43210", "+91 22 2345 6789", "022 2345 6789", "+919876543210",
    ],
}  # fmt: skip

EMAILS = [
    "alice@example.com",
    "bob.smith+newsletter@mail.example.co.uk",
    "first_last@sub.domain.example.org",
    "x@example.io",
    "Upper.Case@Example.COM",
    "user-name@my-domain.example.net",
    "carol.07911123456@example.com",  # digits inside an address are not a phone number
    "josé.garcía@ejemplo.es",
    "a.b.c+d-e@a-b.c-d.example.travel",
]

_PUBLISHED_IBANS = [
    "GB82WEST12345698765432",
    "GB29NWBK60161331926819",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "BE68539007547034",
    "CH9300762011623852957",
    "AT611904300234573201",
    "PL61109010140000071219812874",
    "NO9386011117947",
    "SE4550000000058398257466",
    "DK5000400440116243",
    "IE29AIBK93115212345678",
    "PT50000201231234567890154",
    "BR9700360305000010009795493P1",
]
_GENERATED_IBANS = [
    make_iban("GB", "MIDL40051512345678"),
    make_iban("DE", "500105175407324931"),
    make_iban("FR", "30006000011234567890189"),
    make_iban("ES", "21000418401234567891"),
    make_iban("IT", "X0542811101000000123456"),
    make_iban("NL", "INGB0001234567"),
    make_iban("LU", "0019400644750000"),
    make_iban("FI", "12345600000785"),
]
IBANS = (
    _PUBLISHED_IBANS
    + [in_groups_of_4(i) for i in _PUBLISHED_IBANS]
    + _GENERATED_IBANS
    + [in_groups_of_4(i) for i in _GENERATED_IBANS]
    + ["de89 3704 0044 0532 0130 00"]  # typed in lower case
)

CARDS = [
    "4111 1111 1111 1111",
    "4111111111111111",
    "4111-1111-1111-1111",
    "5555-5555-5555-4444",
    "5555555555554444",
    "5105 1051 0510 5100",
    "2223 0031 2200 3222",  # Mastercard 2-series
    "378282246310005",
    "3782 822463 10005",  # American Express, grouped 4-6-5
    "3714 496353 98431",
    "6011 1111 1111 1117",  # Discover
    "3530 1113 3330 0000",  # JCB
    "3056 930902 5904",  # Diners Club, 14 digits
    "4222222222222",  # Visa, 13 digits
    "6200 0000 0000 0005",  # UnionPay
]

TEMPLATES = [
    "{}",
    "call me on {} tonight",
    "{}, thanks!",
    "ok so it's {}.",
    "here:\n{}\nbye",
    "«{}»",
]

LABELLED: list[tuple[str, str]] = (
    [(p, "phone") for numbers in PHONES.values() for p in numbers]
    + [(e, "email") for e in EMAILS]
    + [(i, "iban") for i in IBANS]
    + [(c, "card") for c in CARDS]
)


def test_labelled_phone_numbers_are_valid_for_phonenumbers():
    """The labelled set is only a fair test if phonenumbers itself agrees."""
    for country, numbers in PHONES.items():
        for number in numbers:
            parsed = phonenumbers.parse(number, country)
            assert phonenumbers.is_valid_number(parsed), (country, number)


def test_labelled_ibans_and_cards_are_valid():
    assert all(iban_is_valid(i) for i in IBANS)
    assert all(luhn_is_valid(c) for c in CARDS)


@pytest.mark.parametrize("template", TEMPLATES)
def test_recall_on_the_labelled_set(template: str):
    redactor = Redactor()
    missed = []
    for item, kind in LABELLED:
        out, counts = redactor.redact(template.format(item))
        expected = template.format(PLACEHOLDERS[kind])
        if out != expected or getattr(counts, kind) != 1 or counts.total != 1:
            missed.append((item, kind, out, counts))
    assert not missed, f"{len(missed)}/{len(LABELLED)} missed: {missed[:10]}"


def test_all_kinds_in_one_message():
    text = (
        "hi! my new number is +44 7911 123456 (or 06 12 34 56 78 in France), "
        "write to bob.smith+chat@mail.example.co.uk, pay to DE89 3704 0044 0532 0130 00 "
        "or use card 4111-1111-1111-1111; details at https://example.com/pay?id=42."
    )
    out, counts = Redactor(links=True).redact(text)
    assert out == (
        "hi! my new number is <PHONE> (or <PHONE> in France), "
        "write to <EMAIL>, pay to <IBAN> "
        "or use card <CARD>; details at <LINK>."
    )
    assert counts == RedactionCounts(phone=2, email=1, iban=1, card=1, link=1)


# --- decoys: nothing to redact --------------------------------------------------------

DECOYS = [
    # times
    "see you at 10:30",
    "18:45:00",
    "from 09:00-17:30",
    "10h30 devant la gare",
    "08:00-12:00 14:00-18:00",
    # dates
    "12/01/2023",
    "2023-01-12",
    "12.01.23",
    "12.01.2023",
    "01.12.2023 10:30",
    "12/01/2023 at 10:30",
    "2023-01-12 18:45:00",
    "2023-01-12T18:45:00",
    "31/12/2023 23:59",
    "from 12-01-2023 to 15-01-2023",
    "Sunday 12/01 at 10:30, 18:45",
    # prices
    "£1,299.99",
    "€ 45,50",
    "$1,000,000",
    "€ 1.693.620,69",
    "R$ 1.234.567,89",
    "1 693 620 €",
    "it was 2.500.000 EUR",
    "₹12,34,567",
    # years, short numbers, versions, scores, percentages
    "back in 2019, 2020 and 2021",
    "the 2022/23 season",
    "order 123456",
    "PIN 1234",
    "room 42",
    "v1.2.3",
    "version 10.15.7",
    "3-2",
    "score 2-1 3-1 1-0",
    "45%",
    "up 12.5% to 37.25%",
    "9 10 11 12 13",
    "1 2 3 4 5 6 7 8",
    "1920x1080",
    "51.5074, -0.1278",
    "2,5 kg",
    # invalid-checksum IBANs
    "GB82 WEST 1234 5698 7654 33",
    "GB83WEST12345698765432",
    "DE89370400440532013001",
    "DE88 3704 0044 0532 0130 00",
    "FR1420041010050500013M02607",
    "NL91ABNA0417164301",
    # Luhn-invalid card numbers
    "4111 1111 1111 1112",
    "5555-5555-5555-4445",
    "4111111111111121",
    "378282246310006",
    # things that look like e-mails or links but are not
    "@Alice see you",
    "meet @ 8",
    "email me at bob at example dot com",
]


@pytest.mark.parametrize("text", DECOYS)
def test_no_false_positives_on_decoys(text: str):
    out, counts = Redactor(links=True).redact(text)
    assert (out, counts) == (text, RedactionCounts())


_day = st.integers(1, 28)
_month = st.integers(1, 12)
_year = st.integers(1950, 2035)
_hour = st.integers(0, 23)
_minute = st.integers(0, 59)


@st.composite
def dates_and_times(draw) -> str:
    d, m, y = draw(_day), draw(_month), draw(_year)
    date = draw(
        st.sampled_from(
            [
                f"{d:02d}/{m:02d}/{y}",
                f"{m}/{d}/{y}",
                f"{y}-{m:02d}-{d:02d}",
                f"{d:02d}.{m:02d}.{y % 100:02d}",
                f"{d}.{m}.{y}",
                f"{d:02d}-{m:02d}-{y}",
                f"{y}/{m:02d}/{d:02d}",
            ]
        )
    )
    h, mi = draw(_hour), draw(_minute)
    clock = draw(st.sampled_from([f"{h:02d}:{mi:02d}", f"{h}:{mi:02d}:00", f"{h}h{mi:02d}"]))
    return draw(
        st.sampled_from(
            [f"on {date} at {clock}", f"{date} {clock}", f"{clock} {date}", f"{date}, {clock}"]
        )
    )


@st.composite
def prices(draw) -> str:
    amount = draw(st.integers(0, 10**8))
    cents = draw(st.integers(0, 99))
    english = f"{amount:,}"
    european = english.replace(",", ".")
    return draw(
        st.sampled_from(
            [
                f"£{english}.{cents:02d}",
                f"${english}",
                f"€ {european},{cents:02d}",
                f"{european},{cents:02d} €",
                f"R$ {european},{cents:02d}",
                f"{english.replace(',', ' ')} €",
                f"{amount} EUR",
            ]
        )
    )


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(dates_and_times(), prices()))
def test_no_false_positives_on_generated_dates_times_and_prices(text: str):
    assert Redactor().redact(text) == (text, RedactionCounts())


# --- properties ----------------------------------------------------------------------

_LINK_WORD = re.compile(r"https?:|www\.", re.IGNORECASE)

plain_texts = st.text(
    alphabet=st.characters(exclude_categories=("Nd", "Cs"), exclude_characters="@"),
    max_size=200,
).filter(lambda t: not _LINK_WORD.search(t))


@settings(max_examples=300)
@given(plain_texts, st.booleans())
def test_text_without_digits_at_signs_or_links_is_unchanged(text: str, links: bool):
    out, counts = Redactor(links=links).redact(text)
    assert out is text or out == text
    assert counts == RedactionCounts()
    assert counts.total == 0


_fragments = st.one_of(
    st.sampled_from([item for item, _ in LABELLED]),
    st.sampled_from(DECOYS),
    st.sampled_from(list(PLACEHOLDERS.values())),
    st.sampled_from(["https://example.com/a/1234567", "www.example.org", "(", ")", "+", ":"]),
    st.text(alphabet="0123456789 -+().,/@:aEx", max_size=24),
)
mixed_texts = st.lists(_fragments, max_size=8).flatmap(
    lambda parts: st.sampled_from(["", " ", "\n", ", ", "-"]).map(lambda sep: sep.join(parts))
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_texts, st.booleans())
def test_redaction_is_idempotent(text: str, links: bool):
    redactor = Redactor(links=links)
    once, _ = redactor.redact(text)
    assert redactor.redact(once) == (once, RedactionCounts())


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_texts, st.booleans())
def test_counts_equal_placeholders_inserted(text: str, links: bool):
    out, counts = Redactor(links=links).redact(text)
    for kind, placeholder in PLACEHOLDERS.items():
        assert getattr(counts, kind) == out.count(placeholder) - text.count(placeholder), kind


# --- options and edges ---------------------------------------------------------------


def test_links_are_kept_unless_asked_for():
    text = "look: https://example.com/some/page?x=1 and www.example.org/a_b (also http://x.example)"
    assert Redactor().redact(text) == (text, RedactionCounts())
    out, counts = Redactor(links=True).redact(text)
    assert out == "look: <LINK> and <LINK> (also <LINK>)"
    assert counts == RedactionCounts(link=3)


def test_digits_inside_links_are_not_phone_numbers():
    text = "https://example.com/watch?v=07911123456&t=20"
    assert Redactor(links=True).redact(text) == ("<LINK>", RedactionCounts(link=1))


def test_personal_data_inside_links_is_redacted_even_when_links_are_kept():
    redactor = Redactor()
    assert redactor.redact("https://wa.me/447911123456")[0] == "https://wa.me/<PHONE>"
    assert redactor.redact("https://example.com/?to=bob@example.com")[0] == (
        "https://example.com/?to=<EMAIL>"
    )
    tweet = "https://twitter.com/someone/status/1612345678901234567"
    assert redactor.redact(tweet) == (tweet, RedactionCounts())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BE68 5390 0754 7034 2024 was the year", "<IBAN> 2024 was the year"),
        ("IBAN:DE89370400440532013000,", "IBAN:<IBAN>,"),
        ("ref GB82WEST12345698765432X", "ref GB82WEST12345698765432X"),  # longer word
        ("ab12 DE89 3704 0044 0532 0130 00", "ab12 <IBAN>"),
        ("card 4111 1111 1111 1111 12/25 cvv 123", "card <CARD> 12/25 cvv 123"),
        ("4111111111111111.50", "4111111111111111.50"),  # a decimal number
        ("call +4111111111111111", "call +4111111111111111"),  # a "+" means a phone number
    ],
)
def test_boundaries_of_ibans_and_cards(text: str, expected: str):
    assert Redactor().redact(text)[0] == expected


def test_regions_decide_national_formats_only():
    us_only = Redactor(regions=("US",))
    assert us_only.redact("06 12 34 56 78")[1].phone == 0
    assert us_only.redact("+33 6 12 34 56 78") == ("<PHONE>", RedactionCounts(phone=1))
    international_only = Redactor(regions=())
    assert international_only.redact("07911 123456")[1].total == 0
    assert international_only.redact("+44 7911 123456")[1].phone == 1
    assert Redactor(regions=("gb",)).regions == ("GB",)


def test_unknown_region_is_refused():
    with pytest.raises(ValueError, match="XX"):
        Redactor(regions=("GB", "XX"))


def test_redactor_and_counts_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Redactor().links = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RedactionCounts().phone = 1  # type: ignore[misc]


def test_counts_add_up():
    a = RedactionCounts(phone=1, email=2)
    b = RedactionCounts(phone=3, iban=1, card=4, link=5)
    assert a + b == RedactionCounts(phone=4, email=2, iban=1, card=4, link=5)
    assert (a + b).total == 16
    assert sum([a, b]) == a + b
    assert sum([a, b], RedactionCounts()) == a + b
    assert RedactionCounts().total == 0
    assert a.summary() == "1 phone number, 2 e-mail addresses"
    assert RedactionCounts().summary() == "nothing redacted"


def test_luhn_and_iban_checks():
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")
    assert iban_is_valid("gb82 west 1234 5698 7654 32")
    assert not iban_is_valid("GB82WEST1234569876543")  # one character short
    assert not iban_is_valid("XX82WEST12345698765432")  # no such country


def test_phone_hint_accepts_everything_phonenumbers_joins_digits_with():
    """The cheap pre-check must never hide a number the matcher would find."""
    from phonenumbers import phonenumberutil

    theirs = re.compile(f"[{phonenumberutil._VALID_PUNCTUATION}{phonenumberutil._PLUS_CHARS}]")
    ours = re.compile(f"[{redact_module._PHONE_PUNCT}]")
    missing = [
        hex(cp) for cp in range(0x10000) if theirs.match(chr(cp)) and not ours.match(chr(cp))
    ]
    assert not missing


def test_plain_messages_are_fast():
    lines = [
        "ok see you tomorrow then",
        "haha that's brilliant 😂",
        "what time are we meeting?",
        "sorry running late, the train is delayed again",
        "love that",
        "did you see what she sent @Alice",
    ] * 5000
    redactor = Redactor(links=True)
    start = time.perf_counter()
    for line in lines:
        redactor.redact(line)
    per_line = (time.perf_counter() - start) / len(lines)
    assert per_line < 20e-6, f"{per_line * 1e6:.1f} µs per line"
