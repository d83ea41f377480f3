"""How a LoRA run fits in the memory this machine has: the plan, chosen before the base loads.

The memory of a run is the base's weights, the LoRA weights with their gradients and
Adam's two moments, and the activations autograd keeps for the backward pass, which grow
with the positions computed at once. Training computes a batch a few rows at a time
(``chunk_tokens`` positions at most: the gradient is the same sum), so the activations
are those of a chunk, not of the batch. Where even the longest row's do not fit,
gradient checkpointing keeps each layer's input only and computes the rest again in the
backward pass (about a third more compute). Where the weights do not fit in bfloat16 on
a CUDA GPU, they are loaded in 4 bits (QLoRA, ``bitsandbytes``).

The figures below are estimates, calibrated on SmolLM2-135M on a CPU in float32 (peak
resident memory of a step, measured): enough to choose, not to promise a byte.
``plan()`` is a pure function of the base's shape, the memory and the settings, so that
the choice is tested on figures made up in the test (no GPU needed).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import TrainSettings

GB = 1024**3
MB = 1024**2
# Python, torch, transformers and their buffers, besides the model (CPU resident memory).
RUNTIME = 450 * MB
# Autograd's saved activations per position and layer, in values: about ten of the
# hidden width (norms, attention's inputs and outputs, the residuals) and five of the
# MLP's (gate, up, their product, the activation); measured 12,900 for SmolLM2-135M.
SAVED_HIDDEN, SAVED_MLP = 10, 5
# The peak of a step over what autograd saves: the gradients of the layer being
# differentiated, the logits of the learned positions, the allocator's slack (measured
# on the CPU: 2.5 MB resident per position of a 530-token row, against 1.5 MB saved).
SLACK = 1.7
# On a CPU a few rows at a time are as fast as a whole batch, or faster (the working set
# stays in cache: 11.8 CPU s a step at 256 positions against 15.4 s at 2,048, one
# thread); a GPU wants the batch whole.
CPU_CHUNK = 256
# Bytes a weight takes in each precision; 4-bit weights keep a scale per 64 (QLoRA's nf4).
BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "4bit": 0.5 + 4 / 64}


@dataclass(frozen=True)
class Shape:
    """The size of a base, read from its config: what the memory depends on."""

    parameters: int
    layers: int
    hidden: int
    intermediate: int
    vocab: int

    @classmethod
    def of(cls, config) -> Shape:
        """From a transformers config (Llama, Qwen2, Mistral, Gemma and their kind)."""
        hidden = config.hidden_size
        layers = config.num_hidden_layers
        intermediate = getattr(config, "intermediate_size", None) or 4 * hidden
        heads = config.num_attention_heads
        kv = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or hidden // heads
        attention = 2 * hidden * heads * head_dim + 2 * hidden * kv * head_dim
        per_layer = attention + 3 * hidden * intermediate
        tied = getattr(config, "tie_word_embeddings", True)
        embeddings = config.vocab_size * hidden * (1 if tied else 2)
        return cls(layers * per_layer + embeddings, layers, hidden, intermediate, config.vocab_size)


@dataclass(frozen=True)
class Budget:
    """The memory a run may take on its device, and whether bfloat16 is its fast precision."""

    device: str  # cpu, cuda, mps
    memory: int  # bytes
    bfloat16: bool  # the device computes bfloat16 faster than float32


@dataclass(frozen=True)
class MemoryPlan:
    """How a run fits its budget; ``reasons`` are one line each, for the job's events."""

    dtype: str  # the weights' precision: float32 or bfloat16 (4-bit weights compute in it)
    quantize: bool  # 4-bit QLoRA
    gradient_checkpointing: bool
    chunk_tokens: int  # the most positions (rows × longest row) computed at once
    reasons: tuple[str, ...]


def plan(shape: Shape, budget: Budget, settings: TrainSettings, longest: int) -> MemoryPlan:
    """The plan for training ``shape`` within ``budget``; ``longest``: the longest row.

    A row is never cut, so ``chunk_tokens`` is at least ``longest``'s positions where
    memory allows, and gradient checkpointing makes room where it does not.
    """
    reasons: list[str] = []
    dtype = _dtype(shape, budget, settings, reasons)
    quantize = _quantize(shape, budget, settings, dtype, reasons)
    fixed = _weights(shape, "4bit" if quantize else dtype) + _lora(shape, settings) + RUNTIME
    room = budget.memory - fixed
    compute = 2 if dtype == "bfloat16" else 4
    whole, checkpointed = _per_position(shape, compute)
    checkpointing = settings.gradient_checkpointing == "on" or (
        settings.gradient_checkpointing == "auto" and room < whole * longest
    )
    per_position = checkpointed if checkpointing else whole
    if room < per_position * longest:
        need = fixed + per_position * longest
        raise ProviderError(
            f"training this base needs about {need / GB:.1f} GB and {budget.device} has "
            f"{max(budget.memory, 0) / GB:.1f} GB free: choose a smaller base, or a shorter "
            "--max-seq-len",
            app=f"training this base needs about {need / GB:.1f} GB and {budget.device} has "
            f"{max(budget.memory, 0) / GB:.1f} GB free: choose a smaller base (F3), or a "
            "shorter max sequence length",
        )
    if checkpointing:
        why = "asked for" if settings.gradient_checkpointing == "on" else "to fit"
        reasons.append(f"gradient checkpointing on ({why}): layers computed again backwards")
    cap = CPU_CHUNK if budget.device == "cpu" else settings.batch_tokens
    chunk = max(longest, min(cap, settings.batch_tokens, int(room // per_position)))
    reasons.append(
        f"memory: {budget.memory / GB:.1f} GB on {budget.device}, about "
        f"{(fixed + per_position * chunk) / GB:.1f} GB planned, "
        f"at most {chunk} positions computed at once"
    )
    return MemoryPlan(dtype, quantize, checkpointing, chunk, tuple(reasons))


def _dtype(shape: Shape, budget: Budget, settings: TrainSettings, reasons: list[str]) -> str:
    if settings.precision != "auto":
        return settings.precision
    if budget.bfloat16:
        return "bfloat16"
    if _weights(shape, "float32") + RUNTIME > budget.memory / 2:
        # bfloat16 is slower here, but float32 weights would leave little for the rest.
        reasons.append("bfloat16 weights: float32 would take over half the memory")
        return "bfloat16"
    return "float32"


def _quantize(
    shape: Shape, budget: Budget, settings: TrainSettings, dtype: str, reasons: list[str]
) -> bool:
    if settings.quantize == "none":
        return False
    if budget.device != "cuda":
        if settings.quantize == "4bit":
            raise ProviderError(
                "4-bit training (QLoRA) needs a CUDA GPU: use --quantize none",
                app="4-bit training (QLoRA) needs a CUDA GPU: choose a smaller base (F3)",
            )
        return False
    if settings.quantize == "4bit":
        reasons.append("4-bit weights (QLoRA), as asked")
        return True
    # Auto: 4 bits when the weights would take over two thirds of the GPU.
    if _weights(shape, dtype) > budget.memory * 2 / 3:
        reasons.append(
            f"4-bit weights (QLoRA): in {dtype} they would take "
            f"{_weights(shape, dtype) / GB:.1f} of {budget.memory / GB:.1f} GB"
        )
        return True
    return False


def _weights(shape: Shape, precision: str) -> int:
    return int(shape.parameters * BYTES[precision])


def _lora(shape: Shape, settings: TrainSettings) -> int:
    """LoRA's weights, gradients and Adam's moments (float32), on every linear layer."""
    per_layer = settings.lora_rank * (9 * shape.hidden + 3 * shape.intermediate)
    return shape.layers * per_layer * 4 * 4


def _per_position(shape: Shape, compute: int) -> tuple[float, float]:
    """Bytes per position computed at once: without, and with gradient checkpointing."""
    layer = (SAVED_HIDDEN * shape.hidden + SAVED_MLP * shape.intermediate) * compute * SLACK
    whole = shape.layers * layer
    # Checkpointed: each layer's input kept, one layer's activations at a time.
    checkpointed = shape.layers * shape.hidden * compute + layer
    return whole, checkpointed


# A CPU run leaves a fifth of what is available to the rest of the machine.
CPU_SHARE = 0.8


def measure(device: str, bfloat16: bool) -> Budget:
    """The memory ``device`` has free now: available RAM (CPU), free VRAM (CUDA), the
    share of unified memory Metal recommends (MPS)."""
    import torch

    if device == "cuda":
        memory = torch.cuda.mem_get_info()[0]
    elif device == "mps":
        memory = torch.mps.recommended_max_memory()
    else:
        memory = int(_available_ram() * CPU_SHARE)
    return Budget(device, memory, bfloat16)


def _available_ram() -> int:
    """MemAvailable on Linux (free plus what the kernel can drop); elsewhere, free pages."""
    import os

    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
