"""``prepare()``'s progress stages and building again from an export read once
(what the app's import wizard relies on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE
from gpt_is_you.chats import read_export
from gpt_is_you.store.new import prepare, read_source, unused_name

ROOT = Path(__file__).parents[1]
WHATSAPP = ROOT / "tests" / "fixtures" / "whatsapp"


def test_progress_hears_every_stage_in_order() -> None:
    heard: list[tuple[str, float]] = []
    prepare(SAMPLE, persona="Sam Okafor", progress=lambda stage, done: heard.append((stage, done)))
    stages = [stage for stage, _ in heard]
    assert stages == ["reading", "summarizing", "building", "counting tokens", "done"]
    fractions = [done for _, done in heard]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0


def test_an_export_read_once_builds_as_prepare_does() -> None:
    heard: list[str] = []
    source = read_source(SAMPLE, progress=lambda stage, _: heard.append(stage))
    assert heard == ["reading", "summarizing", "done"]
    options = {"validation_share": 0.2, "min_chars": 3}
    again = prepare(source, persona="Robin Hale", **options)
    whole = prepare(SAMPLE, persona="Robin Hale", **options)
    assert again.dataset == whole.dataset
    assert (again.tokens, again.sha256) == (whole.tokens, whole.sha256)


def test_an_export_read_once_cannot_be_read_another_way() -> None:
    source = read_source(SAMPLE)
    with pytest.raises(ValueError, match="this export is read"):
        prepare(source, persona="Sam Okafor", date_order="mdy")


def test_a_guessed_date_order_is_named_and_an_explicit_one_is_not() -> None:
    export = WHATSAPP / "android_mdy_ambiguous_override.txt"
    assert read_export(export).guessed_date_order == "mdy"
    assert read_export(export, date_order="dmy").guessed_date_order is None
    assert read_export(WHATSAPP / "android_en_gb_24h.txt").guessed_date_order is None


def test_an_unused_name_counts_past_the_models_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path))
    assert unused_name("Sam") == "Sam"
    (tmp_path / "models" / "sam").mkdir(parents=True)
    (tmp_path / "models" / "sam-2").mkdir()
    assert unused_name("Sam") == "Sam 3"
    assert unused_name("🌸") == "model"
