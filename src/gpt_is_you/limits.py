"""The allowed range of every number a user sets, and the one check of it.

Each settings dataclass keeps its ranges as data beside its fields (``LIMITS``) and checks
them when it is made, so that a value read back from a job's stored settings is checked
too. The command line reads its options with the same ranges (before anything loads) and
the app's fields with the same ones, so every face says the same thing: "must be between
0 and 2 (got 9)". Light to import: the standard library and the settings error only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from gpt_is_you.dataset.errors import SettingsError


@dataclass(frozen=True)
class Limit:
    """A closed range from ``low`` to ``high``, unless ``above`` (``low`` excluded) or
    ``below`` (``high`` excluded); ``whole`` for whole numbers; ``optional`` where None
    is a choice (auto, no limit). Never NaN or infinite."""

    low: float
    high: float
    whole: bool = False
    above: bool = False
    below: bool = False
    unit: str = ""  # said after the range: "minutes", "%"
    optional: bool = False

    def problem(self, value: object) -> str | None:
        """What is wrong with ``value`` ("must be … (got …)"), or None when it is fine."""
        if value is None and self.optional:
            return None
        if not _is_number(value) or not self._within(value):
            return f"{self.wanted()} (got {_shown(value)})"
        return None

    def read(self, text: str) -> int | float:
        """The number typed in ``text``; ValueError (its text the problem) otherwise."""
        text = text.strip()
        try:
            value: int | float = int(text) if self.whole else float(text)
        except ValueError:
            raise ValueError(f"{self.wanted()} (got {text!r})") from None
        problem = self.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def wanted(self) -> str:
        """ "must be between 0 and 2", "must be a whole number between 1 and 256", …"""
        low, high = _shown(self.low), _shown(self.high) + self._unit()
        if self.above and self.below:
            span = f"above {low} and below {high}"
        elif self.above:
            span = f"above {low} and at most {high}"
        elif self.below:
            span = f"at least {low} and below {high}"
        else:
            span = f"between {low} and {high}"
        return f"must be {'a whole number ' if self.whole else ''}{span}"

    def scaled(self, factor: float, unit: str) -> Limit:
        """The same range in other units: a share (0 to 1) typed as a percentage."""
        return Limit(
            self.low * factor,
            self.high * factor,
            self.whole,
            self.above,
            self.below,
            unit,
            self.optional,
        )

    def _within(self, value: float) -> bool:
        # An int is compared as it is: a huge one has no float (OverflowError).
        if isinstance(value, float) and (
            not math.isfinite(value) or (self.whole and not value.is_integer())
        ):
            return False
        above_low = value > self.low if self.above else value >= self.low
        below_high = value < self.high if self.below else value <= self.high
        return above_low and below_high

    def _unit(self) -> str:
        if not self.unit:
            return ""
        return self.unit if self.unit == "%" else f" {self.unit}"


def check(values: Mapping[str, object], limits: Mapping[str, Limit]) -> None:
    """Raise SettingsError naming the first value out of its limit ("lr must be …")."""
    for name, limit in limits.items():
        problem = limit.problem(values[name])
        if problem is not None:
            raise SettingsError(f"{name.replace('_', ' ')} {problem}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: object) -> str:
    """A number as a person writes it: 0.0004, 2, 32,768; anything else as Python does."""
    if not _is_number(value):
        return repr(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1000 else str(value)
    return f"{value:g}"
