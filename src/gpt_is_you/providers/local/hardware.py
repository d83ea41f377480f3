"""What this machine has to train with: memory, cores, bfloat16 on the CPU, CUDA GPUs and
their memory, Apple's MPS.

``probe()`` reads Linux's ``/proc`` files where they exist (no psutil) and asks torch
about GPUs only where torch is installed (imported inside the function: a second or
two). Its inputs are parameters so that tests can describe any machine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

MEMINFO = Path("/proc/meminfo")
CPUINFO = Path("/proc/cpuinfo")
# CPU flags of the instructions that compute in bfloat16 (AVX-512 BF16, Intel AMX).
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@dataclass(frozen=True)
class Gpu:
    name: str
    memory: int  # bytes
    bfloat16: bool


@dataclass(frozen=True)
class Hardware:
    ram_total: int  # bytes
    ram_available: int  # bytes free for a new process now (the page cache counts as free)
    cores: int  # the CPUs this process may run on
    cpu: str  # the CPU's model name, "" when unknown
    cpu_bfloat16: bool  # instructions for bfloat16
    gpus: tuple[Gpu, ...] = ()  # CUDA
    mps: bool = False  # Apple's Metal backend

    @property
    def device(self) -> str:
        """Where training runs by default (``device.pick_device``'s order)."""
        return "cuda" if self.gpus else "mps" if self.mps else "cpu"

    @property
    def fingerprint(self) -> str:
        """A short key for this machine's compute, under which measured throughputs are
        kept: the same CPU, cores, GPUs and backend give the same key."""
        gpus = ",".join(f"{g.name}:{g.memory}" for g in self.gpus)
        text = f"{platform.machine()}|{self.cpu}|{self.cores}|{gpus}|{self.mps}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        """One line: ``2 cores (AMD EPYC), 7.8 GB RAM (5.1 GB free), no GPU``."""
        cpu = f" ({self.cpu})" if self.cpu else ""
        line = (
            f"{self.cores} cores{cpu}{', bfloat16' if self.cpu_bfloat16 else ''}, "
            f"{gigabytes(self.ram_total)} RAM ({gigabytes(self.ram_available)} free)"
        )
        if self.gpus:
            return line + ", " + ", ".join(f"{g.name} {gigabytes(g.memory)}" for g in self.gpus)
        return line + (", Apple MPS" if self.mps else ", no GPU")

    def to_json(self) -> dict[str, object]:
        return {
            "ram_total": self.ram_total,
            "ram_available": self.ram_available,
            "cores": self.cores,
            "cpu": self.cpu,
            "cpu_bfloat16": self.cpu_bfloat16,
            "gpus": [asdict(g) for g in self.gpus],
            "mps": self.mps,
            "device": self.device,
        }


def gigabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB"


def probe(
    *,
    meminfo: Path = MEMINFO,
    cpuinfo: Path = CPUINFO,
    accelerators: Callable[[], tuple[tuple[Gpu, ...], bool]] | None = None,
) -> Hardware:
    """This machine. ``accelerators`` returns the CUDA GPUs and whether MPS is there
    (by default asked of torch, when it is installed)."""
    total, available = _memory(meminfo)
    cpu, flags = _cpu(cpuinfo)
    gpus, mps = (accelerators or torch_accelerators)()
    return Hardware(
        ram_total=total,
        ram_available=available,
        cores=_cores(),
        cpu=cpu,
        cpu_bfloat16=bool(flags & BF16_FLAGS) if flags is not None else _torch_cpu_bf16(),
        gpus=gpus,
        mps=mps,
    )


def _memory(meminfo: Path) -> tuple[int, int]:
    """Total and available RAM in bytes: ``/proc/meminfo`` on Linux, else the pages
    ``sysconf`` counts (available then counted as total: macOS has no such figure)."""
    try:
        lines = meminfo.read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        total = _kib(fields["MemTotal"])
        available = _kib(fields.get("MemAvailable") or fields["MemFree"])
        return total, available
    except (OSError, KeyError, ValueError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = page * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return _windows_memory()
    try:
        available = page * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        available = total
    return total, available


def _kib(value: str) -> int:
    number, *unit = value.split()
    return int(number) * (1024 if unit == ["kB"] else 1)


def _windows_memory() -> tuple[int, int]:
    """Total and available RAM from Windows' ``GlobalMemoryStatusEx``; 0 elsewhere."""
    if sys.platform != "win32":
        return 0, 0
    import ctypes

    class Status(ctypes.Structure):
        _fields_ = [
            ("length", ctypes.c_ulong),
            ("load", ctypes.c_ulong),
            ("total", ctypes.c_ulonglong),
            ("available", ctypes.c_ulonglong),
            ("page_total", ctypes.c_ulonglong),
            ("page_available", ctypes.c_ulonglong),
            ("virtual_total", ctypes.c_ulonglong),
            ("virtual_available", ctypes.c_ulonglong),
            ("extended", ctypes.c_ulonglong),
        ]

    status = Status(length=ctypes.sizeof(Status))
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return 0, 0
    return status.total, status.available


def _cpu(cpuinfo: Path) -> tuple[str, frozenset[str] | None]:
    """The CPU's model name and its flags (None where there is no ``/proc/cpuinfo``)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return platform.processor(), None
    name, flags = "", frozenset[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Hardware") and not name:
            name = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = frozenset(value.split())
    return name, flags


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # a container or taskset may allow fewer
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def _torch_cpu_bf16() -> bool:
    """Without CPU flags to read (macOS, Windows): torch's own check, where installed."""
    if not _torch_installed():
        return False
    import torch

    try:  # oneDNN's check: the instructions are there (an ARM CPU's too)
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def torch_accelerators() -> tuple[tuple[Gpu, ...], bool]:
    """The CUDA GPUs and whether MPS is available, asked of torch; none without it."""
    if not _torch_installed():
        return (), False
    import torch

    gpus: list[Gpu] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            properties = torch.cuda.get_device_properties(index)
            bf16 = properties.major >= 8  # Ampere and later compute in bfloat16
            gpus.append(Gpu(properties.name, properties.total_memory, bf16))
    return tuple(gpus), bool(torch.backends.mps.is_available())
