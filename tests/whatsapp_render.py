"""Write messages back out as a WhatsApp export, in any layout a phone uses.

Test support for the round-trip property: what this writes, the reader must read
back to the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gpt_is_you.chats import DELETED, MEDIA, SYSTEM, TEXT, Message

LRM = "\u200e"

# Per language: Android's media placeholder, iOS's, deleted, edited marker, file attached.
WORDS = {
    "en": (
        "<Media omitted>",
        "image omitted",
        "This message was deleted",
        "<This message was edited>",
        "(file attached)",
    ),
    "de": (
        "<Medien ausgeschlossen>",
        "Bild weggelassen",
        "Diese Nachricht wurde gelöscht.",
        "<Diese Nachricht wurde bearbeitet>",
        "(Datei angehängt)",
    ),
    "fr": (
        "<Médias omis>",
        "image absente",
        "Ce message a été supprimé",
        "<Ce message a été modifié>",
        "(fichier joint)",
    ),
    "es": (
        "<Multimedia omitido>",
        "imagen omitida",
        "Se eliminó este mensaje.",
        "<Se editó este mensaje.>",
        "(archivo adjunto)",
    ),
    "pt": (
        "<Mídia oculta>",
        "imagem ocultada",
        "Mensagem apagada",
        "<Mensagem editada>",
        "(arquivo anexado)",
    ),
    "it": (
        "<Media omessi>",
        "immagine omessa",
        "Questo messaggio è stato eliminato",
        "<Questo messaggio è stato modificato>",
        "(file allegato)",
    ),
    "nl": (
        "<Media weggelaten>",
        "afbeelding weggelaten",
        "Dit bericht is verwijderd",
        "<Dit bericht is bewerkt>",
        "(bestand bijgevoegd)",
    ),
}


@dataclass(frozen=True)
class Layout:
    name: str
    ios: bool
    order: str  # dmy, mdy or ymd
    sep: str  # between date parts
    year_digits: int
    pad: bool  # zero-padded day and month
    comma: bool  # ", " between date and time, else " "
    seconds: bool
    marker: tuple[str, str] | None  # (AM, PM) words for a 12-hour clock
    marker_space: str  # before the marker
    lang: str = "en"
    lrm_at_line_start: bool = False  # iOS puts U+200E before the bracket of media lines
    zero_hour: bool = False  # a 0-11 clock (Android's "K:mm a"): 0:24 PM is 12:24
    words: bool = False  # the part of the day in words: "3:40 in the afternoon"
    digits: str = "0123456789"  # Arabic-Indic: "٠١٢٣٤٥٦٧٨٩"
    rlm: bool = False  # U+200F after each number of the date (Arabic)
    between: str | None = None  # between date and time, where not ", " or " "
    era: bool = False  # Japanese era year: R4 for 2022, H30 for 2018
    buddhist: bool = False  # Thai year: 2565 BE for 2022
    time_first: bool = False  # "[13:05:09, 1/29/22] "
    brackets: bool = True  # iOS before 2018 wrote "1/29/18, 1:05:09 PM: " instead
    month_names: str | None = None  # "dm": "29 Jan 2022"; "md": "Jan 29, 2022"

    def header(self, t: datetime) -> str:
        date = self._date(t)
        hour = t.hour
        if self.words:
            clock = f"{hour % 12 or 12}:{t.minute:02d}"
        elif self.marker:
            clock = f"{hour % 12 if self.zero_hour else hour % 12 or 12}:{t.minute:02d}"
        else:
            clock = f"{t.hour:02d}:{t.minute:02d}"
        if self.seconds:
            clock += f":{t.second:02d}"
        if self.words:
            clock += " " + _day_period(hour)
        elif self.marker:
            clock += self.marker_space + self.marker[t.hour >= 12]
        clock = clock.translate(str.maketrans("0123456789", self.digits))
        between = self.between or (", " if self.comma else " ")
        first, second = (clock, date) if self.time_first else (date, clock)
        if self.ios and self.brackets:
            return f"[{first}{between}{second}] "
        return f"{first}{between}{second}{': ' if self.ios else ' - '}"

    def _date(self, t: datetime) -> str:
        if self.month_names:
            month = MONTHS[t.month - 1]
            if self.month_names == "dm":
                return f"{t.day} {month} {t.year}"
            return f"{month} {t.day}, {t.year}"
        year = t.year + 543 if self.buddhist else t.year
        y = f"{year:04d}" if self.year_digits == 4 else f"{year % 100:02d}"
        if self.era:
            reiwa = t >= datetime(2019, 5, 1)
            y = f"R{t.year - 2018}" if reiwa else f"H{t.year - 1988}"
        d, m = (f"{t.day:02d}", f"{t.month:02d}") if self.pad else (str(t.day), str(t.month))
        parts = {"dmy": (d, m, y), "mdy": (m, d, y), "ymd": (y, m, d)}[self.order]
        mark = "\u200f" if self.rlm else ""
        date = (mark + self.sep).join(parts) + (" BE" if self.buddhist else "")
        return date.translate(str.maketrans("0123456789", self.digits))


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _day_period(hour: int) -> str:
    """How some English locales name the part of the day an hour is in."""
    if 6 <= hour < 12:
        return "in the morning"
    if 12 <= hour < 18:
        return "in the afternoon"
    if 18 <= hour < 21:
        return "in the evening"
    return "at night"


LAYOUTS = [
    Layout("android-uk", False, "dmy", "/", 4, True, True, False, None, ""),
    Layout("android-us", False, "mdy", "/", 2, False, True, False, ("AM", "PM"), " "),
    Layout("android-us-nnbsp", False, "mdy", "/", 2, False, True, False, ("AM", "PM"), "\u202f"),
    Layout("android-de", False, "dmy", ".", 2, True, True, False, None, "", "de"),
    Layout("android-fr", False, "dmy", "/", 4, True, False, False, None, "", "fr"),
    Layout(
        "android-es-12h",
        False,
        "dmy",
        "/",
        2,
        False,
        True,
        False,
        ("a. m.", "p. m."),
        "\u00a0",
        "es",
    ),
    Layout("android-pt", False, "dmy", "/", 4, True, False, False, None, "", "pt"),
    Layout("android-it", False, "dmy", "/", 2, True, True, False, None, "", "it"),
    Layout("android-nl", False, "dmy", "-", 4, True, False, False, None, "", "nl"),
    Layout("android-ymd", False, "ymd", "-", 4, True, True, False, None, ""),
    Layout("android-in-lower", False, "dmy", "/", 2, True, True, False, ("am", "pm"), " "),
    Layout("android-ca-dots", False, "ymd", "-", 4, True, True, False, ("a.m.", "p.m."), " "),
    Layout("ios-uk", True, "dmy", "/", 4, True, True, True, None, "", lrm_at_line_start=True),
    Layout(
        "ios-us",
        True,
        "mdy",
        "/",
        2,
        False,
        True,
        True,
        ("AM", "PM"),
        "\u202f",
        lrm_at_line_start=True,
    ),
    Layout("ios-de", True, "dmy", ".", 2, True, True, True, None, "", "de"),
    Layout("ios-fr", True, "dmy", "/", 4, True, False, True, None, "", "fr"),
    Layout("ios-es", True, "dmy", "/", 2, False, True, True, ("a. m.", "p. m."), " ", "es"),
    Layout("ios-nl", True, "dmy", "-", 4, True, True, True, None, "", "nl"),
    Layout("ios-ymd", True, "ymd", "-", 4, True, True, True, None, "", "it"),
    Layout(
        "android-us-k", False, "mdy", "/", 2, False, True, False, ("AM", "PM"), " ", zero_hour=True
    ),
    Layout("ios-us-k", True, "mdy", "/", 2, False, True, True, ("AM", "PM"), " ", zero_hour=True),
    Layout("android-words", False, "dmy", "/", 4, True, True, False, None, "", words=True),
    Layout(
        "android-ar",
        False,
        "dmy",
        "/",
        4,
        False,
        True,
        False,
        ("ص", "م"),
        " ",
        digits="٠١٢٣٤٥٦٧٨٩",
        rlm=True,
        between="، ",
    ),
    Layout("android-ja-era", False, "ymd", "/", 4, True, False, False, None, "", era=True),
    Layout("ios-th-buddhist", True, "mdy", "/", 4, False, True, True, None, "", buddhist=True),
    Layout("ios-time-first", True, "mdy", "/", 2, False, True, True, None, "", time_first=True),
    Layout("ios-old-us", True, "mdy", "/", 2, False, True, True, ("AM", "PM"), " ", brackets=False),
    Layout("ios-old-uk", True, "dmy", "/", 2, True, False, True, None, "", brackets=False),
    Layout("android-month-dm", False, "dmy", "", 4, False, True, False, None, "", month_names="dm"),
    Layout(
        "android-month-md",
        False,
        "mdy",
        "",
        4,
        False,
        True,
        False,
        ("AM", "PM"),
        " ",
        month_names="md",
    ),
    Layout(
        "android-month-time-first",
        False,
        "dmy",
        "",
        4,
        False,
        True,
        False,
        None,
        "",
        time_first=True,
        month_names="dm",
    ),
]


def render_body(m: Message, layout: Layout, raw_sender: str, chat_name: str) -> tuple[str, str]:
    """(what comes after the header, U+200E before the header or not)."""
    media_android, media_ios, deleted, edited, attached = WORDS[layout.lang]
    if m.kind == SYSTEM:
        return (f"{chat_name}: {LRM}{m.text}" if layout.ios else m.text), ""
    if m.kind == DELETED:
        return f"{raw_sender}: {LRM + deleted if layout.ios else deleted}", ""
    if m.kind == MEDIA:
        if layout.ios:
            caption = f"\n{m.text}" if m.text else ""
            return (
                f"{raw_sender}: {LRM}{media_ios}{caption}",
                LRM if layout.lrm_at_line_start else "",
            )
        if m.text:
            return f"{raw_sender}: IMG-20230103-WA0001.jpg {attached}\n{m.text}", ""
        return f"{raw_sender}: {media_android}", ""
    assert m.kind == TEXT
    text = m.text
    if m.edited:
        text += f" {LRM}{edited}" if layout.ios else f" {edited}"
    return f"{raw_sender}: {text}", ""


def render(
    messages: list[Message],
    layout: Layout,
    *,
    raw_senders: dict[str, str] | None = None,
    chat_name: str = "Weekend Trip",
    crlf: bool = False,
    bom: bool = False,
    final_newline: bool = True,
) -> str:
    """The export a phone with ``layout`` would write for ``messages``.

    ``raw_senders`` maps a clean name to how the export spells it (phone numbers come
    wrapped in direction marks, with no-break spaces).
    """
    raw_senders = raw_senders or {}
    lines = []
    for m in messages:
        body, lead = render_body(m, layout, raw_senders.get(m.sender, m.sender), chat_name)
        lines.append(lead + layout.header(m.time) + body)
    newline = "\r\n" if crlf else "\n"
    text = newline.join(line.replace("\n", newline) for line in lines)
    if final_newline:
        text += newline
    return ("\ufeff" if bom else "") + text
