"""The one check of every number a user sets (gpt_is_you/limits.py) and the settings that
keep their ranges beside their fields."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_is_you.dataset.build import BuildSettings
from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.evaluation.settings import EvalSettings
from gpt_is_you.limits import Limit
from gpt_is_you.providers.settings import SEED, RemoteSettings, Sampling, TrainSettings

SETTINGS = (TrainSettings, RemoteSettings, Sampling, EvalSettings)


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        (Limit(0, 2), 9, "must be between 0 and 2 (got 9)"),
        (Limit(0, 2), math.nan, "must be between 0 and 2 (got nan)"),
        (Limit(0, 1, above=True), -1.0, "must be above 0 and at most 1 (got -1)"),
        (Limit(0, 1, above=True, below=True), 0.0, "must be above 0 and below 1 (got 0)"),
        (Limit(0, 1, below=True), 1, "must be at least 0 and below 1 (got 1)"),
        (Limit(0, 100, above=True), math.inf, "must be above 0 and at most 100 (got inf)"),
        (
            Limit(1, 256, whole=True),
            1_000_000,
            "must be a whole number between 1 and 256 (got 1,000,000)",
        ),
        (Limit(1, 50, whole=True), 2.5, "must be a whole number between 1 and 50 (got 2.5)"),
        (Limit(0, 1440, unit="minutes"), 1e30, "must be between 0 and 1,440 minutes (got 1e+30)"),
        (Limit(0, 100, below=True, unit="%"), 100, "must be at least 0 and below 100% (got 100)"),
        (Limit(0, 2), None, "must be between 0 and 2 (got None)"),
        (Limit(0, 2), True, "must be between 0 and 2 (got True)"),
        (Limit(0, 2), "1", "must be between 0 and 2 (got '1')"),
    ],
)
def test_a_value_out_of_its_range_is_told_with_the_range(limit, value, message):
    assert limit.problem(value) == message


def test_in_range_optional_and_huge_whole_numbers():
    assert Limit(1, 50, whole=True).problem(3.0) is None  # a float that is whole
    assert Limit(1, 50, whole=True, optional=True).problem(None) is None
    assert Limit(1, 50, whole=True).problem(10**400) is not None  # no float for it: no crash
    assert SEED.problem(2**31 - 1) is None and SEED.problem(2**31) is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "must be a whole number between 1 and 256 (got 'abc')"),
        ("2.5", "must be a whole number between 1 and 256 (got '2.5')"),
        ("", "must be a whole number between 1 and 256 (got '')"),
        ("0", "must be a whole number between 1 and 256 (got 0)"),
    ],
)
def test_reading_typed_text(text, message):
    with pytest.raises(ValueError) as caught:
        Limit(1, 256, whole=True).read(text)
    assert str(caught.value) == message
    assert Limit(1, 256, whole=True).read(" 16 ") == 16
    assert Limit(0, 2).read("0.5") == 0.5


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_passes_exactly_when_it_is_finite_and_in_range(value):
    limit = Limit(-3, 7.5, below=True)
    inside = math.isfinite(value) and -3 <= value < 7.5
    assert (limit.problem(value) is None) == inside
    text = repr(value)
    if inside:
        assert limit.read(text) == value
    else:
        with pytest.raises(ValueError, match=r"must be at least -3 and below 7\.5 \(got "):
            limit.read(text)


def test_a_share_typed_as_a_percentage():
    percent = BuildSettings.LIMITS["validation_share"].scaled(100, "%")
    assert percent.problem(99.5) is None
    assert percent.problem(100) == "must be at least 0 and below 100% (got 100)"


@pytest.mark.parametrize(
    ("cls", "field"),
    [(cls, name) for cls in SETTINGS for name in cls.LIMITS],
)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**12, -1])
def test_every_number_of_every_settings_is_checked_when_made(cls, field, bad):
    with pytest.raises(SettingsError) as caught:
        cls(**{field: bad})
    message = str(caught.value)
    assert message.startswith(f"{field.replace('_', ' ')} must be ")
    assert "(got " in message


def test_stored_settings_are_checked_when_read_back():
    # An older version let `--epochs nan` into a job's settings; its worker reads them back.
    stored = TrainSettings().to_json() | {"epochs": math.nan}
    with pytest.raises(SettingsError, match=r"^epochs must be above 0 and at most 100 \(got nan"):
        TrainSettings.from_json(stored)
    with pytest.raises(SettingsError, match=r"^batch size must be a whole number between 1"):
        RemoteSettings.from_json(RemoteSettings().to_json() | {"batch_size": 0})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"merge_window": timedelta(minutes=-1)}, "merge window must be between 0 and 1,440"),
        ({"session_gap": timedelta(0)}, "session gap must be above 0 and at most 8,760 hours"),
        ({"min_chars": -5}, "min chars must be a whole number between 0 and 10,000"),
        ({"max_tokens": 10**9}, "max tokens must be a whole number between 16 and 131,072"),
        ({"validation_share": math.nan}, "validation share must be at least 0 and below 1"),
        ({"merge_window": math.nan}, "merge window must be between 0 and 1,440 minutes"),
    ],
)
def test_build_settings_are_checked_in_the_units_a_user_types(change, message):
    with pytest.raises(SettingsError, match=f"^{message}"):
        BuildSettings(persona="Sam Okafor", **change)


def test_every_default_is_within_its_range():
    for cls in SETTINGS:
        cls()
    BuildSettings(persona="Sam Okafor")


def test_evaluation_seeds_stay_seeds():
    settings = EvalSettings(seed=SEED.high)
    assert settings.sampling(0).seed == SEED.high
    assert settings.sampling(1).seed == 0  # wraps around rather than leaving the range
