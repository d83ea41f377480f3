"""``prepare()``'s progress stages and building again from an export read once
(what the app's import wizard relies on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE
from gpt_is_you.chats import read_export
from gpt_is_you.dataset.prepare import prepare, read_source
from gpt_is_you.dataset.settings import BuildSettings
from gpt_is_you.store.new import unused_name

ROOT = Path(__file__).parents[1]
WHATSAPP = ROOT / "tests" / "fixtures" / "whatsapp"


def test_progress_hears_every_stage_in_order() -> None:
    heard: list[tuple[str, float]] = []
    settings = BuildSettings.for_target("local", persona="Sam Okafor")
    prepare(SAMPLE, settings, progress=lambda stage, done: heard.append((stage, done)))
    stages = [stage for stage, _ in heard]
    assert stages == ["reading", "summarizing", "building", "counting tokens", "done"]
    fractions = [done for _, done in heard]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0


def test_an_export_read_once_builds_as_prepare_does() -> None:
    heard: list[str] = []
    source = read_source(SAMPLE, progress=lambda stage, _: heard.append(stage))
    assert heard == ["reading", "summarizing", "done"]
    settings = BuildSettings.for_target(
        "local", persona="Robin Hale", validation_share=0.2, min_chars=3
    )
    again = prepare(source, settings)
    whole = prepare(SAMPLE, settings)
    assert again.dataset == whole.dataset
    assert (again.tokens, again.sha256) == (whole.tokens, whole.sha256)


def test_an_export_read_once_cannot_be_read_another_way() -> None:
    source = read_source(SAMPLE)
    with pytest.raises(ValueError, match="this export is read"):
        prepare(source, BuildSettings(persona="Sam Okafor"), date_order="mdy")


def test_settings_for_a_target_take_its_defaults_unless_chosen() -> None:
    local = BuildSettings.for_target("local", persona="Sam Okafor")
    assert (local.max_tokens, local.redact) == (1024, False)
    assert local == BuildSettings(persona="Sam Okafor", max_tokens=1024)
    remote = BuildSettings.for_target("openai", persona="Sam Okafor", min_chars=2)
    assert (remote.max_tokens, remote.redact, remote.min_chars) == (65536, True, 2)
    chosen = BuildSettings.for_target("openai", persona="Sam Okafor", redact=False, max_tokens=64)
    assert (chosen.max_tokens, chosen.redact) == (64, False)
    with pytest.raises(ValueError, match="unknown target 'cloud'; use local or openai"):
        BuildSettings.for_target("cloud", persona="Sam Okafor")
    with pytest.raises(ValueError, match="unknown target 'cloud'"):
        prepare(SAMPLE, local, target="cloud")


def test_the_persona_and_me_are_matched_against_the_chat() -> None:
    settings = BuildSettings.for_target("local", persona=" sam  OKAFOR", me="robin hale")
    built = prepare(SAMPLE, settings).dataset.settings
    assert (built.persona, built.me) == ("Sam Okafor", "Robin Hale")
    assert built == BuildSettings.for_target("local", persona="Sam Okafor", me="Robin Hale")


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
