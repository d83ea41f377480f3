"""The time of day as phones write it in chat exports.

A 24-hour clock (``13:05``), a 12-hour clock with a marker (``1:05 PM``, ``1:05 p. m.``,
Arabic ``١:٠٥ م``), or a 12-hour clock with the part of the day in words, as some English
locales write it (``1:05 in the afternoon``).
"""

from __future__ import annotations

import re
from datetime import timedelta

# What a marker says about the hour, beyond 1–12:
#   AM       the morning half: 12 AM is 00:xx;
#   PM       the afternoon half: 12 PM is 12:xx;
#   NIGHT    "at night", which spans both halves (9 PM to 5 AM): 6–11 are evening hours
#            (PM) and 12, 1–5 the small hours (AM).
# Hour 0 with a marker is what a phone set to a 0–11 clock writes (Android's "K:mm a",
# used by some locales): 0:24 AM is 00:24 and 0:24 PM is 12:24, so 0 is read as 12.
AM, PM, NIGHT = "am", "pm", "night"
WORDS = {
    "in the morning": AM,
    "in the afternoon": PM,
    "in the evening": PM,
    "at night": NIGHT,
    "noon": PM,
    "midnight": AM,
}
# ص (sabahan, morning) and م (masa'an, evening) in Arabic exports.
ARABIC = {"\u0635": AM, "\u0645": PM}

_MARKER_LETTERS = re.compile(r"([AaPp])\.?\s*[Mm]\.?\Z")


def time_of_day(hour: int, minute: int, second: int, marker: str | None) -> timedelta | None:
    """The time since midnight; None where no clock shows it (25:00, 13:00 PM, 9:61).

    ``marker`` is what follows the time: "PM", "p. m.", "in the evening", "م"; None on a
    24-hour clock.
    """
    if marker is not None:
        half = half_of_day(marker)
        if half is None or hour > 12:
            return None
        if half == NIGHT:
            half = PM if 6 <= hour <= 11 else AM
        hour = hour % 12 + (12 if half == PM else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return timedelta(hours=hour, minutes=minute, seconds=second)


def half_of_day(marker: str) -> str | None:
    """AM, PM or NIGHT for a marker as written; None for anything else."""
    marker = marker.strip(" \u00a0\u202f")
    m = _MARKER_LETTERS.match(marker)
    if m:
        return AM if m[1] in "Aa" else PM
    return WORDS.get(marker.lower()) or ARABIC.get(marker)
