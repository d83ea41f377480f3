"""Dates and times as phones write them in WhatsApp headers: clocks, calendars, month names."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gpt_is_you.chats.dates import MONTHS, to_datetime
from gpt_is_you.chats.whatsapp_layout import read_date, read_time


def hm(hours: int, minutes: int, seconds: int = 0) -> timedelta:
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@pytest.mark.parametrize(
    ("written", "time"),
    [
        ("13:05", hm(13, 5)),
        ("13.05.09", hm(13, 5, 9)),
        ("1:05 PM", hm(13, 5)),
        ("1:05\u202fp.m.", hm(13, 5)),
        ("1:05 p. m.", hm(13, 5)),
        ("12:10 AM", hm(0, 10)),
        ("12:10 PM", hm(12, 10)),
        # A 0-11 clock (Android's "K:mm a"): hour 0 is the first hour of each half.
        ("0:24 AM", hm(0, 24)),
        ("0:24 PM", hm(12, 24)),
        ("0:24:03 am", hm(0, 24, 3)),
        # The part of the day in words.
        ("9:15 in the morning", hm(9, 15)),
        ("12:05 in the afternoon", hm(12, 5)),
        ("3:40 in the afternoon", hm(15, 40)),
        ("8:02 in the evening", hm(20, 2)),
        ("11:30 at night", hm(23, 30)),
        ("12:30 at night", hm(0, 30)),
        ("1:12 at night", hm(1, 12)),
        ("12:00 noon", hm(12, 0)),
        ("12:00 midnight", hm(0, 0)),
        # Arabic: Arabic-Indic digits, ص (morning) and م (evening).
        ("١:٢٤ م", hm(13, 24)),
        ("٩:٠٥ ص", hm(9, 5)),
        ("۲۱:۳۰", hm(21, 30)),
        # What a header part holds around the time.
        ("[13:05:09, ", hm(13, 5, 9)),
        ("1:05:09 PM: ", hm(13, 5, 9)),
    ],
)
def test_times_of_day(written, time):
    assert read_time(written) == time


@pytest.mark.parametrize("written", ["24:00", "9:60", "13:05 PM", "13:05 in the morning"])
def test_times_no_clock_shows(written):
    assert read_time(written) is None


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        ("29/01/2022, ", (29, 1, 2022)),
        ("[1/29/22, ", (1, 29, 22)),
        ("2022-01-29 ", (2022, 1, 29)),
        # Japanese eras: Reiwa 1 is 2019, Heisei 1 was 1989.
        ("R4/01/29 ", (2022, 1, 29)),
        ("H31/04/30 ", (2019, 4, 30)),
        ("R1/05/01 ", (2019, 5, 1)),
        ("1/29/2565 BE, ", (1, 29, 2565)),
        ("٢٩\u200f/١\u200f/٢٠٢٢، ", (29, 1, 2022)),
        ("۱۴۰۱/۱۰/۰۹، ", (1401, 10, 9)),
        # Month names come as (day, month, year), the year None where it is left out.
        ("29 Jan 2022 - ", (29, 1, 2022)),
        ("Jan 29, 2022, ", (29, 1, 2022)),
        ("Jan 29, ", (29, 1, None)),
        ("29 Jan ", (29, 1, None)),
        ("29. März 2022, ", (29, 3, 2022)),
        ("3 févr. 2022 - ", (3, 2, 2022)),
        ("14 ene. 2022 - ", (14, 1, 2022)),
        ("5 out 2022 - ", (5, 10, 2022)),
        ("5 mag 2022 - ", (5, 5, 2022)),
        ("5 mrt 2022 - ", (5, 3, 2022)),
    ],
)
def test_dates(written, parts):
    assert read_date(written) == parts


@pytest.mark.parametrize(
    ("parts", "order", "midnight"),
    [
        ((29, 1, 22), "dmy", datetime(2022, 1, 29)),
        ((1, 29, 2565), "mdy", datetime(2022, 1, 29)),  # Buddhist era: 543 years ahead
        # Solar Hijri: 1 Farvardin 1402 was 21 March 2023; 1403 was a leap year.
        ((1401, 10, 9), "ymd", datetime(2022, 12, 30)),
        ((1402, 1, 1), "ymd", datetime(2023, 3, 21)),
        ((1403, 12, 30), "ymd", datetime(2025, 3, 20)),
        ((1402, 12, 30), "ymd", None),
        ((1402, 7, 31), "ymd", None),
        ((1402, 6, 31), "ymd", datetime(2023, 9, 22)),
        ((31, 2, 2023), "dmy", None),
    ],
)
def test_calendars(parts, order, midnight):
    assert to_datetime(parts, order) == midnight


def test_month_names_are_unambiguous_in_every_language():
    assert MONTHS["mar"] == MONTHS["märz"] == MONTHS["mars"] == MONTHS["mrt"] == 3
    assert MONTHS["mai"] == MONTHS["mag"] == MONTHS["mei"] == MONTHS["may"] == 5
    assert MONTHS["out"] == MONTHS["okt"] == MONTHS["ott"] == 10
    assert sorted(set(MONTHS.values())) == list(range(1, 13))
