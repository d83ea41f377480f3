"""Style measures of chat replies, and how far apart two sets of replies are.

``profile`` measures a list of replies (each one turn: its bubbles joined by newlines)
into a ``StyleProfile``: length in words and bubbles, emoji, capitals, punctuation,
openers, vocabulary and language. ``distances`` puts each measure of two profiles on one
scale, 0 (the same) to 1 (as different as the measure can say), and ``compare`` asks
whether a tuned model's replies are closer to the persona's than a base model's are.

Everything here is plain Python on strings: no model, no store, no I/O.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gpt_is_you.dataset.language import UNSURE, detect_language, language_of, words
from gpt_is_you.store.conversations import bubbles

__all__ = [
    "LABELS",
    "MEASURES",
    "SHARES",
    "Closeness",
    "StyleProfile",
    "compare",
    "count_emoji",
    "detect_language",
    "distances",
    "profile",
    "words",
]

MEASURES: tuple[str, ...] = (
    "words",
    "bubbles",
    "emoji",
    "capitals",
    "end_punctuation",
    "questions",
    "exclamations",
    "openers",
    "vocabulary",
    "language",
)

LABELS: dict[str, str] = {
    "words": "length in words",
    "bubbles": "bubbles per reply",
    "emoji": "emoji per reply",
    "capitals": "capitalised bubbles",
    "end_punctuation": "ending punctuation",
    "questions": "questions",
    "exclamations": "exclamations",
    "openers": "typical openers",
    "vocabulary": "vocabulary",
    "language": "language",
}

OPENERS = 10  # openers kept in a profile
VOCABULARY = 500  # words kept in a profile
# A change in a measure's distance smaller than this is noise, neither closer nor farther.
TIE = 0.005

_COUNTS = ("words", "bubbles", "emoji")
# Measures that are a share of bubbles (0 to 1).
SHARES = ("capitals", "end_punctuation", "questions", "exclamations")


# --- emoji ------------------------------------------------------------------------------

_VS15, _VS16, _ZWJ, _KEYCAP = "\ufe0e", "\ufe0f", "\u200d", "\u20e3"
# Punctuation-like characters that are also emoji on phones (‼ ⁉ ™ ℹ 〰 〽 ㊗ ㊙).
_EMOJI_EXTRA = frozenset({0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299})


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _is_modifier(ch: str) -> bool:  # skin tones 🏻 … 🏿
    return 0x1F3FB <= ord(ch) <= 0x1F3FF


def _is_tag(ch: str) -> bool:  # the tags spelling a subdivision flag (🏴 + gbeng + cancel)
    return 0xE0020 <= ord(ch) <= 0xE007F


def _is_pictograph(ch: str) -> bool:
    """A character that is an emoji or a symbol on its own (not a joiner or modifier)."""
    cp = ord(ch)
    if 0x1F000 <= cp <= 0x1FAFF:  # the emoji planes: pictographs, faces, transport, ...
        return not _is_regional(ch)
    if 0x2190 <= cp <= 0x2BFF:  # arrows, technical, shapes, misc symbols, dingbats, stars
        # Box drawing, block elements and braille are symbols too, but drawings, not emoji.
        if 0x2500 <= cp <= 0x259F or 0x2800 <= cp <= 0x28FF:
            return False
        return unicodedata.category(ch) == "So"
    return cp in _EMOJI_EXTRA


def _is_emoji_part(ch: str) -> bool:
    return (
        _is_pictograph(ch) or _is_regional(ch) or _is_tag(ch) or ch in (_VS15, _VS16, _ZWJ, _KEYCAP)
    )


def count_emoji(text: str) -> int:
    """How many emoji ``text`` holds, each sequence once: a flag (two regional letters),
    a skin-toned or variation-selected emoji, a keycap and a family joined by
    zero-width joiners are each one emoji."""
    count, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        after = text[i + 1] if i + 1 < n else ""
        if _is_regional(ch):
            count += 1
            i += 2 if _is_regional(after) else 1
            continue
        # A plain character asking for emoji presentation (©️, 1️⃣, #⃣) is an emoji too.
        if not (_is_pictograph(ch) or after in (_VS16, _KEYCAP)):
            i += 1
            continue
        count += 1
        i += 1
        # Everything that belongs to this emoji: selectors, skin tones, keycap, tags,
        # and any pictograph joined on by a zero-width joiner.
        while i < n:
            part = text[i]
            if part in (_VS15, _VS16, _KEYCAP) or _is_modifier(part) or _is_tag(part):
                i += 1
            elif part == _ZWJ and i + 1 < n and _is_pictograph(text[i + 1]):
                i += 2
            else:
                break
    return count


# --- the profile ------------------------------------------------------------------------

_END = frozenset(".!?…。！？")


def _opener(reply: str) -> str:
    """The first word of a reply, lower-cased, punctuation stripped from its ends ("" if
    the first token is punctuation only). An emoji opening a reply is its opener."""
    for token in reply.split():
        start, end = 0, len(token)
        while start < end and unicodedata.category(token[start]).startswith("P"):
            start += 1
        while end > start and unicodedata.category(token[end - 1]).startswith("P"):
            end -= 1
        return token[start:end].lower()
    return ""


def _first_letter_upper(bubble: str) -> bool | None:
    """Whether a bubble's first cased letter is upper case; None if it has none."""
    for ch in bubble:
        if ch.lower() != ch.upper():
            return ch.isupper() or ch.istitle()
    return None


def _ends_with_punctuation(bubble: str) -> bool:
    end = len(bubble)
    while end and (bubble[end - 1].isspace() or _is_emoji_part(bubble[end - 1])):
        end -= 1
    return end > 0 and bubble[end - 1] in _END


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _ranked(counts: Mapping[str, int], limit: int) -> list[tuple[str, int]]:
    """Most common first; ties alphabetically, so the order does not depend on the input's."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


@dataclass(frozen=True)
class StyleProfile:
    replies: int  # how many replies were measured
    words: float  # mean words per reply
    bubbles: float  # mean bubbles per reply
    emoji: float  # emoji per reply
    capitals: float  # share of bubbles (with a cased letter) whose first letter is upper case
    end_punctuation: float  # share of bubbles ending in . ! ? … (trailing emoji ignored)
    questions: float  # share of bubbles containing "?"
    exclamations: float  # share of bubbles containing "!"
    openers: tuple[tuple[str, float], ...]  # the commonest first words, share of replies
    vocabulary: tuple[tuple[str, int], ...]  # word counts, most common first, at most 500
    language: str  # ISO 639-1, or "?" when unsure

    def to_json(self) -> dict[str, object]:
        return {
            "replies": self.replies,
            "words": self.words,
            "bubbles": self.bubbles,
            "emoji": self.emoji,
            "capitals": self.capitals,
            "end_punctuation": self.end_punctuation,
            "questions": self.questions,
            "exclamations": self.exclamations,
            "openers": [[word, share] for word, share in self.openers],
            "vocabulary": [[word, n] for word, n in self.vocabulary],
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StyleProfile:
        return cls(
            replies=int(data["replies"]),
            words=float(data["words"]),
            bubbles=float(data["bubbles"]),
            emoji=float(data["emoji"]),
            capitals=float(data["capitals"]),
            end_punctuation=float(data["end_punctuation"]),
            questions=float(data["questions"]),
            exclamations=float(data["exclamations"]),
            openers=tuple((str(word), float(share)) for word, share in data["openers"]),
            vocabulary=tuple((str(word), int(n)) for word, n in data["vocabulary"]),
            language=str(data["language"]),
        )


def profile(replies: Sequence[str]) -> StyleProfile:
    """The style of ``replies``, each a turn whose bubbles are joined by newlines."""
    n = len(replies)
    vocabulary: Counter[str] = Counter()
    openers: Counter[str] = Counter()
    word_total = bubble_total = emoji_total = 0
    cased = upper = ended = asking = exclaiming = 0
    for reply in replies:
        reply_words = words(reply)
        word_total += len(reply_words)
        vocabulary.update(reply_words)
        emoji_total += count_emoji(reply)
        if opener := _opener(reply):
            openers[opener] += 1
        for bubble in bubbles(reply):
            bubble_total += 1
            first_upper = _first_letter_upper(bubble)
            if first_upper is not None:
                cased += 1
                upper += first_upper
            ended += _ends_with_punctuation(bubble)
            asking += "?" in bubble or "？" in bubble
            exclaiming += "!" in bubble or "！" in bubble
    return StyleProfile(
        replies=n,
        words=_share(word_total, n),
        bubbles=_share(bubble_total, n),
        emoji=_share(emoji_total, n),
        capitals=_share(upper, cased),
        end_punctuation=_share(ended, bubble_total),
        questions=_share(asking, bubble_total),
        exclamations=_share(exclaiming, bubble_total),
        openers=tuple((word, count / n) for word, count in _ranked(openers, OPENERS)),
        vocabulary=tuple(_ranked(vocabulary, VOCABULARY)),
        language=language_of(vocabulary),
    )


# --- distances --------------------------------------------------------------------------


def _relative(a: float, b: float) -> float:
    high = max(a, b)
    return abs(a - b) / high if high > 0 else 0.0


def _openers_distance(a: Iterable[tuple[str, float]], b: Iterable[tuple[str, float]]) -> float:
    """1 - the shares two profiles' openers have in common, measured against the larger
    of their total shares: only the top openers are kept, so their shares need not add
    up to 1, and a profile must still be at distance 0 from itself."""
    shares_a, shares_b = dict(a), dict(b)
    whole = max(sum(shares_a.values()), sum(shares_b.values()))
    if whole <= 0:
        return 0.0
    # Summed in a fixed order, so the distance is exactly symmetric.
    common = sum(min(shares_a[w], shares_b[w]) for w in sorted(shares_a.keys() & shares_b))
    return min(1.0, max(0.0, 1 - common / whole))


def _vocabulary_distance(a: Iterable[tuple[str, int]], b: Iterable[tuple[str, int]]) -> float:
    """1 - the cosine similarity of two word-count vectors. Counts are integers, so the
    dot product and the norms are exact and the distance exactly symmetric."""
    counts_a, counts_b = dict(a), dict(b)
    if counts_a == counts_b:
        return 0.0
    if not counts_a or not counts_b:
        return 1.0
    dot = sum(counts_a[w] * counts_b[w] for w in counts_a.keys() & counts_b)
    norms = math.sqrt(sum(n * n for n in counts_a.values()) * sum(n * n for n in counts_b.values()))
    return min(1.0, max(0.0, 1 - dot / norms))


def _language_distance(a: str, b: str) -> float:
    if UNSURE in (a, b):
        return 0.0 if a == b else 0.5
    return 0.0 if a == b else 1.0


def distances(a: StyleProfile, b: StyleProfile) -> dict[str, float]:
    """One distance per measure (MEASURES order), each in [0, 1] and 0 when the same:
    counts by relative difference, shares by absolute difference, openers by the share
    they do not have in common, vocabulary by 1 - cosine similarity, language 0 or 1
    (0.5 when one side is unsure)."""
    out: dict[str, float] = {}
    for measure in MEASURES:
        if measure in _COUNTS:
            out[measure] = _relative(getattr(a, measure), getattr(b, measure))
        elif measure in SHARES:
            out[measure] = min(1.0, abs(getattr(a, measure) - getattr(b, measure)))
        elif measure == "openers":
            out[measure] = _openers_distance(a.openers, b.openers)
        elif measure == "vocabulary":
            out[measure] = _vocabulary_distance(a.vocabulary, b.vocabulary)
        else:
            out[measure] = _language_distance(a.language, b.language)
    return out


@dataclass(frozen=True)
class Closeness:
    # (measure, base's distance to the persona, tuned's distance to the persona), MEASURES order
    measures: tuple[tuple[str, float, float], ...]
    score: float  # mean of (base distance - tuned distance), in [-1, 1]; > 0: tuned is closer
    closer: tuple[str, ...]  # measures where tuned is closer by more than TIE
    farther: tuple[str, ...]  # measures where tuned is farther by more than TIE

    def to_json(self) -> dict[str, object]:
        return {
            "score": self.score,
            "measures": [
                {"measure": m, "label": LABELS.get(m, m), "base": base, "tuned": tuned}
                for m, base, tuned in self.measures
            ],
            "closer": list(self.closer),
            "farther": list(self.farther),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Closeness:
        # The stored label is not read back: LABELS names each measure.
        return cls(
            measures=tuple(
                (str(row["measure"]), float(row["base"]), float(row["tuned"]))
                for row in data["measures"]
            ),
            score=float(data["score"]),
            closer=tuple(str(m) for m in data["closer"]),
            farther=tuple(str(m) for m in data["farther"]),
        )


def compare(persona: StyleProfile, base: StyleProfile, tuned: StyleProfile) -> Closeness:
    """How much closer the tuned model's replies are to the persona's than the base
    model's are, measure by measure and on average."""
    from_base, from_tuned = distances(persona, base), distances(persona, tuned)
    rows = tuple((m, from_base[m], from_tuned[m]) for m in MEASURES)
    gains = [base_d - tuned_d for _, base_d, tuned_d in rows]
    return Closeness(
        measures=rows,
        score=sum(gains) / len(gains),
        closer=tuple(m for (m, _, _), gain in zip(rows, gains, strict=True) if gain > TIE),
        farther=tuple(m for (m, _, _), gain in zip(rows, gains, strict=True) if gain < -TIE),
    )
