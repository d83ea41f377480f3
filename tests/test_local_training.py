"""LoRA training in this process, on the tiny model: it learns, reports, saves, resumes."""

from __future__ import annotations

import math

import pytest

from conftest import SYSTEM, YO_SURE, Recorder, load_tiny, yo_sure_conversations
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import budget
from gpt_is_you.providers.local.generate import LocalChat
from gpt_is_you.providers.local.train import ADAPTER, CHECKPOINT, train
from gpt_is_you.providers.settings import Sampling, TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.jobs import TRAIN_ACCURACY, TRAIN_LOSS, VALID_ACCURACY, VALID_LOSS


def test_loss_falls_and_the_adapter_is_saved(yo_sure_run):
    folder, reporter, result = yo_sure_run
    assert not result.stopped
    assert result.steps == result.total_steps == 90  # 30 epochs of 3 batches
    assert (result.device, result.dtype) == ("cpu", "float32")
    assert result.learned_tokens == 90 * 6 * 6  # 6 rows a step, "yo\nsure" + end: 6 tokens

    losses = reporter.series(TRAIN_LOSS)
    assert [step for step, _ in losses] == list(range(1, 91))
    assert all(math.isfinite(loss) for _, loss in losses)
    first, last = losses[0][1], losses[-1][1]
    assert last < 0.1 * first, (first, last)
    assert reporter.series(TRAIN_ACCURACY)[-1][1] > 0.95

    # Step 0 is the base model's score on the validation split, before any update.
    step, total, metrics = reporter.steps[0]
    assert (step, total) == (0, 90)
    assert set(metrics) == {VALID_LOSS, VALID_ACCURACY}
    assert metrics[VALID_LOSS] == pytest.approx(result.base_valid_loss)
    assert any(e.startswith("base model: validation loss") for e in reporter.events)
    assert reporter.events[0].startswith(f"training 90 steps on cpu in {result.dtype}: 18 examples")
    valid = reporter.series(VALID_LOSS)
    assert [s for s, _ in valid] == [0, *range(10, 91, 10)]
    assert valid[-1][1] == pytest.approx(result.valid_loss)
    assert result.valid_loss < 0.1 * result.base_valid_loss

    assert reporter.checkpoints == [40, 80, 90]
    assert (folder / CHECKPOINT).is_file()
    assert (folder / ADAPTER / "adapter_config.json").is_file()
    assert (folder / ADAPTER / "adapter_model.safetensors").is_file()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def _tokenizer(folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def _settings(tiny_base, **changes) -> TrainSettings:
    values = dict(
        base=str(tiny_base),
        epochs=8,
        lr=5e-3,
        max_seq_len=256,
        batch_tokens=100,
        eval_every=4,
        checkpoint_every=5,
        threads=1,
        device="cpu",
    )
    return TrainSettings(**(values | changes))


def test_a_stopped_run_resumes_where_it_stopped_with_the_same_numbers(any_tiny_base, tmp_path):
    tiny_base, tiny_tokenizer = any_tiny_base, _tokenizer(any_tiny_base)
    conversations = yo_sure_conversations(repeat=1)
    valid = conversations[:2]
    settings = _settings(tiny_base)

    whole = Recorder()
    done = train(
        settings, conversations, valid, tmp_path / "whole", whole,
        model=load_tiny(tiny_base), tokenizer=tiny_tokenizer,
    )  # fmt: skip
    assert done.total_steps == 16  # 8 epochs of 2 batches of three rows

    first = Recorder(stop_at=7)
    stopped = train(
        settings, conversations, valid, tmp_path / "parts", first,
        model=load_tiny(tiny_base), tokenizer=tiny_tokenizer,
    )  # fmt: skip
    assert stopped.stopped and stopped.steps == 7 and stopped.total_steps == 16
    assert first.checkpoints == [5, 7]  # the stop writes a checkpoint of its own
    assert not (tmp_path / "parts" / ADAPTER).exists()

    second = Recorder()
    resumed = train(
        settings, conversations, valid, tmp_path / "parts", second,
        model=load_tiny(tiny_base), tokenizer=tiny_tokenizer,
    )  # fmt: skip
    assert not resumed.stopped and resumed.steps == 16
    assert second.events[0] == "resuming at step 7 of 16"
    assert resumed.base_valid_loss is None  # no step 0 again
    assert second.steps[0][0] == 8
    assert (tmp_path / "parts" / ADAPTER / "adapter_model.safetensors").is_file()

    for name in (TRAIN_LOSS, TRAIN_ACCURACY, VALID_LOSS):
        assert first.series(name) + second.series(name) == whole.series(name), name


def test_max_steps_caps_the_run(tiny_base, tiny_tokenizer, tmp_path):
    reporter = Recorder()
    result = train(
        _settings(tiny_base, max_steps=2),
        yo_sure_conversations(repeat=1),
        [],
        tmp_path,
        reporter,
        model=load_tiny(tiny_base),
        tokenizer=tiny_tokenizer,
    )
    assert (result.steps, result.total_steps) == (2, 2)
    assert result.base_valid_loss is None and result.valid_loss is None  # nothing to validate
    assert [s for s, _, _ in reporter.steps] == [1, 2]
    assert (tmp_path / ADAPTER).is_dir()


def test_truncated_examples_are_reported(tiny_base, tiny_tokenizer, tmp_path):
    long = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "hey"},
        {"role": "assistant", "content": "yo"},
        {"role": "user", "content": "tell me more " * 20},
        {"role": "assistant", "content": "sure"},
    ]
    reporter = Recorder()
    train(
        _settings(tiny_base, max_steps=1, max_seq_len=32),
        [long],
        [],
        tmp_path,
        reporter,
        model=load_tiny(tiny_base),
        tokenizer=tiny_tokenizer,
    )
    assert "1 examples were longer than 32 tokens" in reporter.events


def test_nothing_to_learn_is_an_error(tiny_base, tiny_tokenizer, tmp_path):
    context_only = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "hey"},
        {"role": "assistant", "content": "yo", "weight": 0},
    ]
    with pytest.raises(ProviderError, match="no training example"):
        train(
            _settings(tiny_base),
            [context_only],
            [],
            tmp_path,
            Recorder(),
            model=load_tiny(tiny_base),
            tokenizer=tiny_tokenizer,
        )


def test_a_run_in_bfloat16_learns_too(tiny_base, tiny_tokenizer, tmp_path):
    """What a CPU with bfloat16 instructions picks by itself (auto), forced here on any
    CPU: the tiny model learns its line, if less closely than in float32 (its loss ends
    near 0.35 where float32's ends near 0.06: 32-wide layers round coarsely)."""
    reporter = Recorder()
    conversations = yo_sure_conversations()
    settings = TrainSettings(
        base=str(tiny_base), epochs=30, lr=1e-2, max_seq_len=256, batch_tokens=256,
        eval_every=10, checkpoint_every=40, threads=1, device="cpu", precision="bfloat16",
    )  # fmt: skip
    result = train(
        settings, conversations, conversations[:3], tmp_path, reporter,
        model=load_tiny(tiny_base), tokenizer=tiny_tokenizer,
    )  # fmt: skip
    assert result.dtype == "bfloat16"
    assert reporter.events[0].startswith("training 90 steps on cpu in bfloat16")
    losses = reporter.series(TRAIN_LOSS)
    assert losses[-1][1] < 0.1 * losses[0][1]
    assert result.valid_loss < 0.1 * result.base_valid_loss


def test_each_architecture_learns_its_line_and_says_it(any_tiny_base, tmp_path):
    """Nothing is specific to one architecture: a tiny Llama and a tiny Qwen2 both learn
    to answer "yo\\nsure", and the chat writes it with the adapter."""
    conversations = yo_sure_conversations()
    settings = TrainSettings(
        base=str(any_tiny_base), epochs=30, lr=1e-2, max_seq_len=256, batch_tokens=256,
        eval_every=10**9, checkpoint_every=10**9, threads=1, device="cpu", precision="float32",
    )  # fmt: skip
    reporter = Recorder()
    result = train(settings, conversations, conversations[:3], tmp_path, reporter)
    assert result.valid_loss < 0.1 * result.base_valid_loss
    chat = LocalChat(base=str(any_tiny_base), adapter=tmp_path / ADAPTER, context=256)
    ask = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hey"}]
    assert "".join(chat.stream(ask, Sampling(temperature=0, max_tokens=20))) == YO_SURE


def _losses(tiny_base, folder, model=None, **changes) -> list[tuple[int, float]]:
    """The training losses of a short run on the tiny Llama (several rows a batch)."""
    reporter = Recorder()
    train(
        _settings(tiny_base, max_steps=4, batch_tokens=256, **changes),
        yo_sure_conversations(repeat=2), [], folder, reporter,
        model=model or load_tiny(tiny_base), tokenizer=_tokenizer(tiny_base),
    )  # fmt: skip
    assert len(reporter.steps) == 4
    return reporter.series(TRAIN_LOSS) + reporter.series(TRAIN_ACCURACY)


def test_gradient_checkpointing_gives_the_same_losses(tiny_base, tmp_path):
    off = _losses(tiny_base, tmp_path / "off", gradient_checkpointing="off")
    model = load_tiny(tiny_base)
    on = _losses(tiny_base, tmp_path / "on", model, gradient_checkpointing="on")
    assert all(layer.gradient_checkpointing for layer in model.model.layers)
    assert [s for s, _ in on] == [s for s, _ in off]
    assert [v for _, v in on] == pytest.approx([v for _, v in off], abs=1e-5)


def test_a_batch_computed_a_row_at_a_time_gives_the_same_losses(tiny_base, tmp_path, monkeypatch):
    whole = _losses(tiny_base, tmp_path / "whole")
    monkeypatch.setattr(budget, "CPU_CHUNK", 16)  # every row a chunk of its own
    rows = _losses(tiny_base, tmp_path / "rows")
    assert [v for _, v in rows] == pytest.approx([v for _, v in whole], abs=1e-5)


def test_the_memory_plan_is_an_event_and_a_base_too_big_is_one_line(
    tiny_base, tmp_path, monkeypatch
):
    reporter = Recorder()
    train(
        _settings(tiny_base, max_steps=1, gradient_checkpointing="on"),
        yo_sure_conversations(repeat=1), [], tmp_path / "on", reporter,
        model=load_tiny(tiny_base), tokenizer=_tokenizer(tiny_base),
    )  # fmt: skip
    assert "gradient checkpointing on (asked for): layers computed again backwards" in (
        reporter.events
    )
    assert any(e.startswith("memory: ") for e in reporter.events)

    monkeypatch.setattr(budget, "_available_ram", lambda: 100 * 2**20)
    with pytest.raises(ProviderError, match=r"needs about .* GB and cpu has 0\.1 GB free"):
        train(
            _settings(tiny_base), yo_sure_conversations(repeat=1), [], tmp_path / "small",
            Recorder(), model=load_tiny(tiny_base), tokenizer=_tokenizer(tiny_base),
        )  # fmt: skip


def test_the_run_says_what_it_does_before_its_first_step(yo_sure_run) -> None:
    """Loading, the base model scored batch by batch, training, the tuned model scored,
    saving: the app and `status` show each (issue 16: 4½ minutes of "loading" while the
    base model was being scored)."""
    _, reporter, _ = yo_sure_run
    names = [name for name, _, _ in reporter.phases]
    assert names[:2] == [jobs.LOADING, jobs.SCORING_BASE]
    scored = [(done, of) for name, done, of in reporter.phases if name == jobs.SCORING_BASE]
    assert scored == [(0, 1), (1, 1)]  # the 3 validation rows make one batch
    assert names[len(scored) + 1] == jobs.TRAINING
    assert jobs.SCORING_TUNED in names  # every 10 steps, and after the last
    assert names[-1] == jobs.SAVING and names.count(jobs.SAVING) == 1
