"""Finding the base model: the bundled SmolLM2, folders, GGUF files, hub ids, and errors."""

from __future__ import annotations

import importlib.util
import math
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import SAMPLE, Recorder
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import base_model
from gpt_is_you.providers.local.base_model import (
    DEFAULT_FILE,
    INSTALL_DEFAULT,
    BaseModel,
    resolve,
)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A cache of our own: any conversion happens there, not in the user's cache."""
    monkeypatch.setenv("GPT_IS_YOU_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("name", ["default", None, "", "  default "])
def test_a_missing_default_package_says_how_to_install_it(cache, monkeypatch, name):
    monkeypatch.setattr(base_model.importlib.util, "find_spec", lambda _name: None)
    for convert in (True, False):
        with pytest.raises(ProviderError, match=re.escape(INSTALL_DEFAULT)) as caught:
            resolve(name, convert=convert)
        assert "--base" in str(caught.value)
    assert not cache.exists()


def test_a_default_package_without_its_file_is_missing_too(cache, monkeypatch, tmp_path):
    spec = SimpleNamespace(submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(base_model.importlib.util, "find_spec", lambda _name: spec)
    with pytest.raises(ProviderError, match=re.escape(INSTALL_DEFAULT)):
        resolve("default", convert=False)
    (tmp_path / DEFAULT_FILE).write_bytes(b"GGUF")
    assert resolve("default", convert=False) == BaseModel(
        "default", str(tmp_path / DEFAULT_FILE), tmp_path / DEFAULT_FILE
    )


@pytest.mark.parametrize("suffix", [".gguf", ".GGUF"])
def test_a_missing_gguf_file(cache, tmp_path, suffix):
    with pytest.raises(ProviderError, match="no GGUF file at"):
        resolve(str(tmp_path / f"model{suffix}"))
    (tmp_path / f"folder{suffix}").mkdir()  # a folder is no file
    with pytest.raises(ProviderError, match="no GGUF file at"):
        resolve(str(tmp_path / f"folder{suffix}"))


def test_a_folder_without_config_json(cache, tmp_path):
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "model.safetensors").write_bytes(b"")
    with pytest.raises(ProviderError, match=r"no config\.json"):
        resolve(str(tmp_path / "weights"))


@pytest.mark.parametrize(
    "name",
    ["nonsense", "a/b/c", "./not-here", "/not/here/at-all", "~/not-here-either"],
)
def test_a_nonsense_name(cache, name):
    with pytest.raises(ProviderError, match=r"is not a model folder, a \.gguf file or a hub id"):
        resolve(name)


def test_a_file_that_is_no_model(cache, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ProviderError, match="is not a model folder"):
        resolve(str(tmp_path / "notes.txt"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "owner").mkdir()
    (tmp_path / "owner" / "model").write_text("a file that looks like a hub id")
    with pytest.raises(ProviderError, match="is not a model folder"):
        resolve("owner/model")


def test_a_model_folder_resolves_to_itself(cache, tiny_base, monkeypatch):
    assert resolve(str(tiny_base)) == BaseModel(str(tiny_base), str(tiny_base.resolve()), None)
    monkeypatch.chdir(tiny_base.parent)
    relative = resolve(tiny_base.name)
    assert relative.name == tiny_base.name
    assert relative.source == str(tiny_base.resolve())
    assert not cache.exists()


def test_a_hub_id_not_in_the_cache_must_be_downloaded_first(cache, tmp_path, monkeypatch):
    from fake_hub import point_hub_at

    point_hub_at(monkeypatch, "http://127.0.0.1:9", tmp_path / "hf")  # nothing is asked
    name = "HuggingFaceTB/SmolLM2-135M-Instruct"
    found = resolve(name, convert=False)
    assert found == BaseModel(name, name, None, hub_id=name)
    assert found.missing
    with pytest.raises(ProviderError, match="is not downloaded yet"):
        resolve(name)  # the worker's call: it never downloads


def test_a_gguf_file_is_converted_once_into_the_cache(cache, tmp_path, monkeypatch):
    converted = []

    def fake_convert(gguf: Path, out: Path) -> None:
        converted.append(gguf)
        out.mkdir()
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(base_model, "_convert", fake_convert)
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF v1")

    quick = resolve(str(gguf), convert=False)
    assert quick == BaseModel(str(gguf), str(gguf.resolve()), gguf.resolve())
    assert converted == []

    first = resolve(str(gguf))
    folder = Path(first.source)
    assert folder.parent == cache / "base"
    assert folder.name.startswith("tiny-")
    assert (folder / "config.json").is_file()
    assert first.gguf == gguf.resolve()
    assert resolve(str(gguf)) == first  # cached: no second conversion
    assert converted == [gguf.resolve()]

    gguf.write_bytes(b"GGUF v2, another file")  # changed: converted again, elsewhere
    os.utime(gguf, ns=(1, 1))
    second = resolve(str(gguf))
    assert second.source != first.source
    assert len(converted) == 2
    assert sorted(p.name for p in (cache / "base").iterdir()) == sorted(
        [folder.name, Path(second.source).name]
    )


def test_a_failed_conversion_leaves_nothing_behind(cache, tmp_path, monkeypatch):
    def broken_convert(gguf: Path, out: Path) -> None:
        out.mkdir()
        (out / "half.bin").write_bytes(b"")
        raise ValueError("not a GGUF file")

    monkeypatch.setattr(base_model, "_convert", broken_convert)
    gguf = tmp_path / "broken.gguf"
    gguf.write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a GGUF file"):
        resolve(str(gguf))
    assert list((cache / "base").iterdir()) == []


def test_a_folder_that_cannot_be_loaded_is_a_provider_error(cache, tmp_path):
    import torch

    for config in ('{"model_type": "llama"}', "{}"):
        folder = tmp_path / f"broken-{len(config)}"
        folder.mkdir()
        (folder / "config.json").write_text(config)
        base = resolve(str(folder))
        with pytest.raises(ProviderError, match="cannot load the tokenizer of"):
            base_model.load_tokenizer(base)
        with pytest.raises(ProviderError, match="cannot load"):
            base_model.load_model(base, torch.float32)


def test_the_bundled_model_trains_for_two_steps(tmp_path):
    """SmolLM2 itself, from the user's cache (converted there once, ~40 s, then shared)."""
    if importlib.util.find_spec(base_model.DEFAULT_PACKAGE) is None:
        pytest.skip(f"the default base model is not installed: {INSTALL_DEFAULT}")
    from conftest import PERSONA
    from gpt_is_you.dataset.prepare import prepare
    from gpt_is_you.dataset.settings import BuildSettings
    from gpt_is_you.providers.local.encode import IGNORE, encode
    from gpt_is_you.providers.local.train import ADAPTER, train
    from gpt_is_you.providers.settings import TrainSettings
    from gpt_is_you.store.jobs import TRAIN_LOSS, VALID_LOSS

    # The sample chat's first examples, each up to its first learned turn: short and quick.
    prepared = prepare(SAMPLE, BuildSettings.for_target("local", persona=PERSONA))
    conversations = []
    for example in prepared.dataset.split("train")[:3]:
        messages = example.chat_messages()
        k = next(
            i for i, m in enumerate(messages) if m["role"] == "assistant" and m.get("weight", 1)
        )
        conversations.append(messages[: k + 1])

    reporter = Recorder()
    settings = TrainSettings(max_steps=2, max_seq_len=128, batch_tokens=128, threads=1)
    result = train(settings, conversations, conversations[2:], tmp_path, reporter)
    assert (result.steps, result.total_steps) == (2, 2)
    losses = reporter.series(TRAIN_LOSS)
    assert [s for s, _ in losses] == [1, 2]
    assert all(math.isfinite(loss) and loss > 0 for _, loss in losses)
    assert [s for s, _ in reporter.series(VALID_LOSS)] == [0, 2]
    assert math.isfinite(result.base_valid_loss)
    assert (tmp_path / ADAPTER / "adapter_config.json").is_file()
    assert (tmp_path / ADAPTER / "adapter_model.safetensors").is_file()

    # Its own tokenizer labels exactly the persona's learned turn and its end.
    tokenizer = base_model.load_tokenizer(resolve("default"))
    for messages in conversations:
        encoded = encode(messages, tokenizer, 10_000)
        labelled = [label for label in encoded.labels if label != IGNORE]
        assert tokenizer.decode(labelled) == messages[-1]["content"] + "<|im_end|>"
