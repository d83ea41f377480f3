"""What each part of a persona-fidelity report says, decided once for both faces: the
rows of the scores and the style tables with their labels, which model is closer to the
persona on each measure, which numbers are shares (the app writes them as percentages),
the summary's figures, the copies checked, the sense measure's rows and what they
are against (chance). The command line writes these as plain text
(``cli/evaluate.py``, ``describe``) and the app as tables (``tui/screens/evaluation.py``); neither
looks into the report itself for them."""

from __future__ import annotations

from dataclasses import dataclass

from gpt_is_you.evaluation.memorisation import MIN_WORDS, Memorisation
from gpt_is_you.evaluation.report import Report, Scores
from gpt_is_you.evaluation.sense import SenseOf
from gpt_is_you.evaluation.style import LABELS, SHARES, Closeness, StyleProfile

NO_VALUE = "—"
TUNED, BASE = "tuned", "base"

_SCORES = (
    ("validation loss", "loss"),
    ("perplexity", "perplexity"),
    ("token accuracy", "accuracy"),
)


@dataclass(frozen=True)
class ScoreRow:
    label: str
    base: float | None  # None: not scored (a remote service does not score the base)
    tuned: float | None
    share: bool  # a share (token accuracy), not a loss


@dataclass(frozen=True)
class StyleRow:
    measure: str
    label: str
    # The measure in each set of replies: a number, or words ("ok, lol", "—" for none)
    persona: float | str
    base: float | str
    tuned: float | str
    share: bool  # the number is a share of bubbles
    base_distance: float  # to the persona's, 0 the same, 1 as far as the measure goes
    tuned_distance: float
    closer: str | None  # TUNED or BASE, the closer to the persona; None when a tie


@dataclass(frozen=True)
class Summary:
    score: float  # > 0: the tuned model is closer to the persona than the base
    closer: int  # measures on which the tuned model is closer
    measures: int
    farther: tuple[str, ...]  # labels of the measures on which it is farther
    to_other: tuple[float, float] | None  # mean distance of (base, tuned) to the other
    # people's turns; None when the report did not measure it


@dataclass(frozen=True)
class SenseRow:
    label: str
    base: float | None  # a share of the prompts; None: not available (cannot score texts)
    tuned: float | None
    better: str | None  # TUNED or BASE; None when a tie or not measured for both


# Each figure of the sense measure, and whether more of it is better.
_SENSE = (
    ("picks the real next turn", "choice", True),
    ("echoes the other person", "echo", False),
    ("empty replies", "empty", False),
)


def score_rows(report: Report) -> tuple[ScoreRow, ...]:
    return tuple(
        ScoreRow(
            label,
            _score(report.base_scores, key),
            _score(report.tuned_scores, key),
            key == "accuracy",
        )
        for label, key in _SCORES
    )


def _score(scores: Scores | None, key: str) -> float | None:
    return None if scores is None else getattr(scores, key)


def number(value: float | None) -> str:
    """A loss or a perplexity (which can be huge), or NO_VALUE where there is none."""
    if value is None:
        return NO_VALUE
    return f"{value:.3f}" if value < 1000 else f"{value:,.0f}"


def share(value: float | None) -> str:
    """A figure of the sense measure, or "n/a" where the model cannot give one."""
    return "n/a" if value is None else f"{value:.0%}"


def style_rows(report: Report) -> tuple[StyleRow, ...]:
    closeness = report.closeness
    return tuple(
        StyleRow(
            measure,
            _label(measure),
            persona=_measured(report.persona, measure),
            base=_measured(report.base, measure),
            tuned=_measured(report.tuned, measure),
            share=measure in SHARES,
            base_distance=base_distance,
            tuned_distance=tuned_distance,
            closer=_closer(closeness, measure),
        )
        for measure, base_distance, tuned_distance in closeness.measures
    )


def _closer(closeness: Closeness, measure: str) -> str | None:
    if measure in closeness.closer:
        return TUNED
    return BASE if measure in closeness.farther else None


def _label(measure: str) -> str:
    return LABELS.get(measure, measure)


def _measured(style: StyleProfile, measure: str) -> float | str:
    value = getattr(style, measure)
    if measure in ("openers", "vocabulary"):  # the two commonest words
        return ", ".join(word for word, _ in value[:2]) or NO_VALUE
    return value


def summary(report: Report) -> Summary:
    closeness = report.closeness
    to_other = report.to_other
    return Summary(
        score=closeness.score,
        closer=len(closeness.closer),
        measures=len(closeness.measures),
        farther=tuple(_label(measure) for measure in closeness.farther),
        to_other=(_mean(to_other.get(BASE, {})), _mean(to_other.get(TUNED, {})))
        if to_other
        else None,
    )


def _mean(values: dict[str, float]) -> float:
    return sum(values.values()) / len(values) if values else 0.0


def copies(report: Report) -> tuple[tuple[str, Memorisation | None], ...]:
    """The word-for-word check of each model's replies (None: not checked), tuned first."""
    return ((TUNED, report.memorised), (BASE, report.base_memorised))


def copied(memorised: Memorisation) -> str:
    """How many of a model's replies and bubbles copy a training turn. Only bubbles of
    MIN_WORDS words or more are checked, which the count says: "0 of 0 bubbles" read as
    if the replies had none."""
    replies = f"{memorised.copied_replies} of {memorised.replies} replies"
    if not memorised.bubbles:
        return f"{replies}; no bubble of {MIN_WORDS} words or more to check"
    return (
        f"{replies}, {memorised.copied_bubbles} of {memorised.bubbles} bubbles "
        f"of {MIN_WORDS} words or more"
    )


def sense_rows(report: Report) -> tuple[SenseRow, ...]:
    """The sense measure's figures, base and tuned; none for a report made before it."""
    sense = report.sense
    if sense is None:
        return ()
    return tuple(
        SenseRow(label, *_better(getattr(sense.base, key), getattr(sense.tuned, key), more))
        for label, key, more in _SENSE
    )


def _better(
    base: float | None, tuned: float | None, more: bool
) -> tuple[float | None, float | None, str | None]:
    if base is None or tuned is None or base == tuned:
        return base, tuned, None
    return base, tuned, TUNED if (tuned > base) == more else BASE


def sense_note(report: Report) -> str:
    """What the pick is measured against, and why a figure is missing."""
    sense = report.sense
    if sense is None:
        return "Not measured: this report was made before the sense measure existed."
    if not sense.choices:
        return "No held-out prompt had turns of other sessions to choose among."
    note = (
        f"The real next turn among the persona's turns of other sessions, of similar length, "
        f"picked by the model's likelihood on {sense.choices} prompts; chance {sense.chance:.0%}."
    )
    if not _can_score(sense.base) or not _can_score(sense.tuned):
        note += " A remote model cannot score a text: its pick is not available."
    return note


def _can_score(figures: SenseOf) -> bool:
    return figures.choice is not None
