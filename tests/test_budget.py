"""The memory plan of a local run, chosen by budget on figures made up here (no GPU needed:
the choice is tested, not the kernels)."""

from __future__ import annotations

import pytest

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local.budget import CPU_CHUNK, GB, Budget, Shape, plan
from gpt_is_you.providers.settings import TrainSettings

# SmolLM2-135M-Instruct and Qwen2.5-7B-Instruct, as their configs give them.
SMOL = {
    "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
    "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152,
    "tie_word_embeddings": True,
}  # fmt: skip
QWEN_7B = {
    "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
    "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
    "tie_word_embeddings": False,
}  # fmt: skip


def _shape(figures: dict) -> Shape:
    from transformers import LlamaConfig

    return Shape.of(LlamaConfig(**figures))


def test_the_shape_counts_the_parameters_from_the_config():
    assert _shape(SMOL).parameters == pytest.approx(134.5e6, rel=0.01)
    assert _shape(QWEN_7B).parameters == pytest.approx(7.6e9, rel=0.02)  # 7.61B, biases aside


def test_a_small_base_on_a_roomy_cpu_computes_a_few_rows_at_once_without_checkpointing():
    chosen = plan(_shape(SMOL), Budget("cpu", 16 * GB, False), TrainSettings(), longest=530)
    assert (chosen.dtype, chosen.quantize, chosen.gradient_checkpointing) == (
        "float32",
        False,
        False,
    )
    # At least the longest row, which is never cut; else the CPU's efficient size.
    assert chosen.chunk_tokens == 530
    short = plan(_shape(SMOL), Budget("cpu", 16 * GB, False), TrainSettings(), longest=100)
    assert short.chunk_tokens == CPU_CHUNK
    assert chosen.reasons == (
        "memory: 16.0 GB on cpu, about 2.4 GB planned, at most 530 positions computed at once",
    )


def test_the_default_cpu_run_plans_under_two_and_a_half_gb():
    chosen = plan(_shape(SMOL), Budget("cpu", 16 * GB, False), TrainSettings(), longest=200)
    planned = float(chosen.reasons[-1].split("about ")[1].split(" GB")[0])
    assert planned < 2.5


def test_a_cpu_short_of_memory_checkpoints_and_one_shorter_still_is_refused():
    tight = plan(_shape(SMOL), Budget("cpu", int(1.5 * GB), False), TrainSettings(), 1024)
    assert tight.gradient_checkpointing
    assert "gradient checkpointing on (to fit): layers computed again backwards" in tight.reasons
    with pytest.raises(
        ProviderError, match=r"^training this base needs about 0\.\d GB and cpu has 0\.6 GB free: "
    ):
        plan(_shape(SMOL), Budget("cpu", int(0.6 * GB), False), TrainSettings(), 1024)
    # Asked off where it is needed: refused rather than killed for memory half-way.
    with pytest.raises(ProviderError, match="choose a smaller base"):
        plan(
            _shape(SMOL),
            Budget("cpu", int(1.5 * GB), False),
            TrainSettings(gradient_checkpointing="off"),
            1024,
        )


def test_checkpointing_asked_for_is_on_whatever_the_room():
    chosen = plan(
        _shape(SMOL),
        Budget("cpu", 64 * GB, False),
        TrainSettings(gradient_checkpointing="on"),
        longest=200,
    )
    assert chosen.gradient_checkpointing
    assert (
        chosen.reasons[0]
        == "gradient checkpointing on (asked for): layers computed again backwards"
    )


def test_a_gpu_trains_in_bfloat16_with_whole_batches_when_the_base_fits():
    chosen = plan(_shape(QWEN_7B), Budget("cuda", 80 * GB, True), TrainSettings(), 1024)
    assert (chosen.dtype, chosen.quantize, chosen.gradient_checkpointing) == (
        "bfloat16",
        False,
        False,
    )
    assert chosen.chunk_tokens == TrainSettings().batch_tokens


def test_a_7b_base_on_a_16_gb_gpu_is_trained_in_4_bits_with_checkpointing():
    chosen = plan(_shape(QWEN_7B), Budget("cuda", 16 * GB, True), TrainSettings(), 1024)
    assert chosen.quantize and chosen.dtype == "bfloat16"
    assert chosen.reasons[0].startswith("4-bit weights (QLoRA): in bfloat16 they would take 14.")
    # 4 GB left for 1,024 positions through 28 layers: only with checkpointing.
    small = plan(_shape(QWEN_7B), Budget("cuda", 8 * GB, True), TrainSettings(), 1024)
    assert small.quantize and small.gradient_checkpointing


def test_4_bits_can_be_asked_for_or_refused():
    asked = plan(_shape(SMOL), Budget("cuda", 80 * GB, True), TrainSettings(quantize="4bit"), 200)
    assert asked.quantize and "4-bit weights (QLoRA), as asked" in asked.reasons
    refused = plan(
        _shape(QWEN_7B), Budget("cuda", 80 * GB, True), TrainSettings(quantize="none"), 200
    )
    assert not refused.quantize
    with pytest.raises(ProviderError, match="4-bit training \\(QLoRA\\) needs a CUDA GPU"):
        plan(_shape(SMOL), Budget("cpu", 16 * GB, False), TrainSettings(quantize="4bit"), 200)
    # Where no 4-bit is possible, a base too big for the memory is one line.
    with pytest.raises(ProviderError, match=r"needs about 1\d\.\d GB and mps has 12\.0 GB"):
        plan(_shape(QWEN_7B), Budget("mps", 12 * GB, False), TrainSettings(), 200)


def test_precision_follows_the_device_unless_chosen():
    fast = plan(_shape(SMOL), Budget("cpu", 16 * GB, True), TrainSettings(), 200)
    assert fast.dtype == "bfloat16"
    chosen = plan(
        _shape(SMOL), Budget("cpu", 16 * GB, True), TrainSettings(precision="float32"), 200
    )
    assert chosen.dtype == "float32"
    # float32 weights would take over half the memory: bfloat16, though slower here.
    cramped = plan(_shape(QWEN_7B), Budget("cpu", 48 * GB, False), TrainSettings(), 200)
    assert cramped.dtype == "bfloat16"
    assert "bfloat16 weights: float32 would take over half the memory" in cramped.reasons


@pytest.mark.parametrize(
    ("field", "value"), [("quantize", "8bit"), ("gradient_checkpointing", "yes")]
)
def test_memory_settings_are_checked(field, value):
    with pytest.raises(SettingsError, match=f"{field} must be one of"):
        TrainSettings(**{field: value})
