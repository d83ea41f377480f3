"""How fast a base trains on this machine, in tokens per second: measured by a short
probe (``measure``) and kept per machine and base in the cache directory, or estimated
from the base's size until it is measured.

The estimate is the training FLOPs per token (``Base.flops_per_token``) against a rate
per device: on a CPU, 33 GFLOP/s per core in float32 (the project's machine: 66.9 GFLOP/s
on 2 AMD EPYC cores, `docs/benchmarks.md`; it trained the bundled base at 139 tokens/s
where this says 124), twice that where the CPU has bfloat16 instructions (a matrix product
runs about three times as fast there, the rest of a step does not); on a CUDA GPU 25
TFLOP/s in bfloat16 (a mid-range card at a third of its peak), 8 in float32 and 15 in
4-bit (the weights are dequantized at every use); on Apple MPS 3 TFLOP/s. Gradient
checkpointing computes the forward pass twice: 1.5 times the work.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gpt_is_you.paths import cache_dir
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local.catalogue import BFLOAT16, FLOAT32, FOUR_BIT, Base
from gpt_is_you.providers.local.hardware import Hardware

CPU_FLOPS_PER_CORE = 33e9
CPU_BFLOAT16_GAIN = 2.0
GPU_FLOPS = {FLOAT32: 8e12, BFLOAT16: 25e12, FOUR_BIT: 15e12}
MPS_FLOPS = 3e12
CHECKPOINTING_COST = 1.5
KEPT_FILE = "throughput.json"
# The probe: a micro-batch of PROBE_ROWS × PROBE_WIDTH random tokens, one step to warm up,
# then PROBE_STEPS timed steps (about 25 s for the bundled base on 2 cores).
PROBE_ROWS, PROBE_WIDTH, PROBE_STEPS = 4, 256, 2


@dataclass(frozen=True)
class Throughput:
    tokens_per_second: float
    measured: bool  # by the probe on this machine; else estimated

    @property
    def kind(self) -> str:
        return "measured" if self.measured else "estimated"


def estimate(base: Base, hardware: Hardware, precision: str, *, checkpointing: bool) -> float:
    """Tokens per second, estimated from the base's size and the device (see above)."""
    if hardware.gpus:
        rate = GPU_FLOPS[precision]
    elif hardware.mps:
        rate = MPS_FLOPS
    else:
        gain = CPU_BFLOAT16_GAIN if precision == BFLOAT16 else 1.0
        rate = CPU_FLOPS_PER_CORE * hardware.cores * gain
    work = base.flops_per_token * (CHECKPOINTING_COST if checkpointing else 1.0)
    return rate / work


def throughput(
    base: Base, hardware: Hardware, precision: str, *, checkpointing: bool
) -> Throughput:
    """The measured throughput kept for this machine, base and precision, else the
    estimate."""
    measured = kept(hardware, base.name, precision)
    if measured is None:
        return Throughput(estimate(base, hardware, precision, checkpointing=checkpointing), False)
    # The probe runs without checkpointing: a plan with it does the forward twice.
    return Throughput(measured / (CHECKPOINTING_COST if checkpointing else 1.0), True)


def _kept_path() -> Path:
    return cache_dir() / KEPT_FILE


def _read_kept() -> dict:
    try:
        data = json.loads(_kept_path().read_text())
    except (OSError, ValueError):  # none yet, or damaged: measured again when asked
        return {}
    return data if isinstance(data, dict) else {}


def _key(name: str, precision: str) -> str:
    return f"{name}|{precision}"


def kept(hardware: Hardware, name: str, precision: str) -> float | None:
    """The tokens per second measured for base ``name`` on this machine, if any."""
    entry = _read_kept().get(hardware.fingerprint, {}).get(_key(name, precision))
    if not isinstance(entry, dict):
        return None
    value = entry.get("tokens_per_second")
    return float(value) if isinstance(value, int | float) and value > 0 else None


def keep(hardware: Hardware, name: str, precision: str, tokens_per_second: float) -> None:
    """Record a measure (replacing the file atomically: two probes may end together)."""
    data = _read_kept()
    machine = data.setdefault(hardware.fingerprint, {})
    machine[_key(name, precision)] = {
        "tokens_per_second": round(tokens_per_second, 2),
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "machine": hardware.describe(),
    }
    path = _kept_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}-{os.getpid()}")
    temp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    temp.replace(path)


def measure(base: Base, source: str, hardware: Hardware) -> Throughput:
    """Time a few LoRA training steps of ``base`` (loaded from ``source``, a folder or
    ``default``) on random tokens in the precision training would pick, keep the result
    for this machine and return it."""
    import torch

    from gpt_is_you.providers.local import base_model
    from gpt_is_you.providers.local.device import pick_device, pick_dtype
    from gpt_is_you.providers.local.train import _with_lora
    from gpt_is_you.providers.settings import TrainSettings

    device = pick_device()
    dtype = pick_dtype(device)
    precision = str(dtype).removeprefix("torch.")
    model = base_model.load_model(base_model.resolve(source), dtype).to(device)
    model = _with_lora(model, TrainSettings())
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(
        model.config.vocab_size, (PROBE_ROWS, PROBE_WIDTH), generator=generator
    ).to(device)

    def step() -> None:
        loss = model(input_ids=tokens, labels=tokens).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    try:
        step()  # the first step picks kernels and allocates
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(PROBE_STEPS):
            step()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    except torch.OutOfMemoryError as e:
        raise ProviderError(f"{base.label} does not fit in this machine's memory") from e
    rate = PROBE_ROWS * PROBE_WIDTH * PROBE_STEPS / seconds
    keep(hardware, base.name, precision, rate)
    return Throughput(rate, True)
