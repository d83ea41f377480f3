"""Where and in which precision to run: CUDA, Apple MPS or the CPU; bfloat16 where faster.

On a CPU, bfloat16 is a gain only where the hardware has instructions for it (AVX-512
BF16, AMX): there a matrix product runs about three times as fast as in float32;
elsewhere it is emulated and many times slower. Rather than guess from CPU flags, time
one matrix product of the size training uses, in both precisions.
"""

from __future__ import annotations

import time


def pick_device(preference: str = "auto") -> str:
    import torch

    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str, precision: str = "auto"):
    """The precision to train in: ``precision`` when it is chosen, else the faster one."""
    import torch

    if precision != "auto":
        return getattr(torch, precision)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if device == "cpu" and matmul_speed(torch.bfloat16) > 1.3 * matmul_speed(torch.float32):
        return torch.bfloat16
    return torch.float32  # MPS: bfloat16 support varies by macOS version


def matmul_speed(dtype, m: int = 512, k: int = 576, n: int = 1536, repeats: int = 3) -> float:
    """GFLOP/s of one (m×k)·(k×n) product on the CPU, best of ``repeats``."""
    import torch

    a = torch.randn(m, k).to(dtype)
    b = torch.randn(n, k).to(dtype)
    torch.nn.functional.linear(a, b)  # the first call may pick or build a kernel
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.nn.functional.linear(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * m * k * n / best / 1e9
