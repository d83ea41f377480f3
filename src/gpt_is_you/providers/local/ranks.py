"""Training on several processes at once: one per GPU (or, for the tests, two on the CPU).

The job's worker is rank 0; it starts the other ranks as copies of itself (``worker
MODEL_DIR JOB_ID --rank R``), with the variables ``torchrun`` would set, and Hugging Face
``accelerate`` (``PartialState``) joins them into one process group: NCCL between GPUs,
gloo on the CPU.

Each optimizer step is the same work as in one process, so that a run's numbers do not
depend on how many processes computed them: the rows of every micro-batch are dealt to the
ranks in turn (a batch is sorted by length, so each rank gets rows of about the same
lengths), each rank divides its summed loss by the step's learned tokens counted over ALL
rows (the same on every rank), and the gradients are summed across ranks (one all-reduce of
the LoRA gradients, which are small). Every rank then holds the one-process gradient and
takes the same optimizer step from the same state, so their weights stay equal.

Only rank 0 writes (progress, events, checkpoints, the adapter) and reads the cancel flag;
its decision to stop is sent to the others, which stop at the same step. A checkpoint is
the one-process one; its random state is rank 0's, which is exact because training draws
no random numbers (LoRA dropout is 0: neither the CLI nor the app offers it; with dropout
each rank would draw its own masks, and a resumed run would not repeat them).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from gpt_is_you.providers.errors import ProviderError

T = TypeVar("T")

# How long a rank waits for the others in one exchange: the others may be writing a
# checkpoint or loading a large base meanwhile. A rank that died is noticed sooner (below).
EXCHANGE_TIMEOUT = timedelta(minutes=30)
# How long rank 0 lets its main thread notice a rank that died (gloo raises at once; NCCL
# can wait for the exchange's timeout) before it gives up on the job from another thread.
NOTICE_SECONDS = 60.0
# Memory left on a GPU for activations, the LoRA weights and their optimizer state, beyond
# the base's weights: a base that leaves less than this share free needs sharding (FSDP).
HEADROOM = 0.35
RANK0 = "GPT_IS_YOU_RANK0_PID"  # tells the other ranks whose death ends them


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes (``ONE``: the only one)."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        """Whether this process writes: progress, events, checkpoints, the adapter."""
        return self.rank == 0

    def share(self, rows: Sequence[T]) -> list[T]:
        """This rank's rows of a micro-batch (possibly none)."""
        return list(rows[self.rank :: self.world])

    def sum_gradients(self, parameters) -> None:
        """Sum the gradients of ``parameters`` over the ranks, in place."""
        if self.world == 1:
            return
        import torch

        for p in parameters:
            if p.grad is None:  # this rank had no rows this step: it adds nothing
                p.grad = torch.zeros_like(p)
        flat = torch.cat([p.grad.reshape(-1) for p in parameters])
        _all_reduce(flat)
        offset = 0
        for p in parameters:
            p.grad.copy_(flat[offset : offset + p.numel()].view_as(p))
            offset += p.numel()

    def sum(self, values: Sequence[float], device: str) -> list[float]:
        """``values`` summed over the ranks (losses, counts), in float64."""
        if self.world == 1:
            return list(values)
        import torch

        summed = torch.tensor(values, dtype=torch.float64, device=device)
        _all_reduce(summed)
        return summed.tolist()

    def agree(self, decision: bool, device: str) -> bool:
        """Rank 0's ``decision`` (whether to stop), on every rank."""
        if self.world == 1:
            return decision
        import torch
        import torch.distributed as dist

        flag = torch.tensor([int(decision)], device=device)
        dist.broadcast(flag, src=0)
        return bool(flag.item())


ONE = Ranks()


def _all_reduce(tensor) -> None:
    import torch.distributed as dist

    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)


def count(processes: int | None, device: str) -> int:
    """How many processes train: ``processes`` when asked for, else one per CUDA GPU (one
    on MPS or the CPU, where one process already uses every core)."""
    if device == "mps" and processes not in (None, 1):
        raise ProviderError(
            "an Apple GPU trains in one process: leave --processes out",
            app="an Apple GPU trains in one process",
        )
    if device != "cuda":
        return processes or 1
    import torch

    gpus = torch.cuda.device_count()
    if processes and processes > gpus:
        raise ProviderError(
            f"--processes {processes} needs as many GPUs; this machine has {gpus}: "
            f"pass --processes {gpus} or leave it out",
            app=f"{processes} training processes need as many GPUs; this machine has {gpus}",
        )
    return processes or max(gpus, 1)


def strategy(base_bytes: int, gpu_bytes: int) -> str:
    """``ddp`` when one GPU holds the whole base with room to train it (each GPU a copy),
    ``fsdp`` when the base must be sharded across the GPUs."""
    return "ddp" if base_bytes <= (1 - HEADROOM) * gpu_bytes else "fsdp"


def check_fits(model, device: str) -> None:
    """Refuse, in one line, a base that one GPU cannot hold: sharding it (FSDP) is not
    done yet, so each GPU must hold a copy of the base."""
    if device != "cuda":
        return
    import torch

    base = sum(p.numel() * p.element_size() for p in model.parameters())
    gpu = min(
        torch.cuda.get_device_properties(i).total_memory for i in range(torch.cuda.device_count())
    )
    if strategy(base, gpu) == "fsdp":
        raise ProviderError(
            f"the base takes {base / 2**30:.1f} GB and each GPU has {gpu / 2**30:.1f} GB: "
            "sharding a base across GPUs (FSDP) is not supported yet; pick a smaller base"
        )


@contextmanager
def started(
    world: int,
    command: Sequence[str],
    *,
    device: str,
    threads: int | None,
    on_stuck: Callable[[str], None],
) -> Iterator[Ranks]:
    """Rank 0 of ``world`` processes: starts the others (``command`` plus ``--rank R``)
    and joins them; gives ``ONE`` when ``world`` is 1.

    A rank that dies makes the exchanges fail here; should they hang instead (NCCL),
    ``on_stuck(message)`` is called from another thread after ``NOTICE_SECONDS``.
    """
    if world == 1:
        yield ONE
        return
    env = _environment(world, threads)
    others = [
        subprocess.Popen(
            [*command, "--rank", str(rank)],
            env=env | {"RANK": str(rank), "LOCAL_RANK": str(rank)},
            stdin=subprocess.DEVNULL,
        )
        for rank in range(1, world)
    ]
    os.environ.update(env | {"RANK": "0", "LOCAL_RANK": "0"})
    done = threading.Event()
    watch = threading.Thread(target=_watch, args=(others, done, on_stuck), daemon=True)
    watch.start()
    try:
        try:
            yield _join(0, world, device)
        except Exception as e:
            if isinstance(e, ProviderError):  # every rank refused the same way
                raise
            # An exchange that failed because a rank died: say which, not how gloo saw
            # it (its sockets close as it exits: give the exit a moment to be seen).
            failed = _failure(others, wait=5.0)
            if failed is None:
                raise
            raise ProviderError(failed) from e
    finally:
        done.set()
        _leave()
        _end(others)


@contextmanager
def joined(rank: int, world: int, device: str) -> Iterator[Ranks]:
    """Rank ``rank`` (not 0) of a group rank 0 started; it dies with rank 0."""
    _die_with_parent()
    try:
        yield _join(rank, world, device)
    finally:
        _leave()


def _environment(world: int, threads: int | None) -> dict[str, str]:
    """What ``torchrun`` sets, on this machine; ranks on the CPU share its cores."""
    per_rank = threads or max(1, (os.cpu_count() or 1) // world)
    return os.environ | {
        "WORLD_SIZE": str(world),
        "LOCAL_WORLD_SIZE": str(world),
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "OMP_NUM_THREADS": str(per_rank),
        RANK0: str(os.getpid()),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _join(rank: int, world: int, device: str) -> Ranks:
    from accelerate import PartialState

    # On GPUs accelerate picks NCCL and makes GPU LOCAL_RANK this process's "cuda"; on
    # the CPU (cpu=True) gloo.
    state = PartialState(cpu=device != "cuda", timeout=EXCHANGE_TIMEOUT)
    if device == "cpu":  # torch counted its threads before OMP_NUM_THREADS was set here
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    if (state.process_index, state.num_processes) != (rank, world):
        raise ProviderError(f"process {rank} of {world} joined as {state.process_index}")
    return Ranks(rank, world)


def _leave() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _watch(others, done: threading.Event, on_stuck: Callable[[str], None]) -> None:
    while not done.wait(0.5):
        failed = _failure(others)
        if failed:
            if not done.wait(NOTICE_SECONDS):
                on_stuck(failed)
            return


def _failure(others, wait: float = 0.0) -> str | None:
    """Which of the other ranks ended with an error, if one did (within ``wait`` s)."""
    import time

    world = len(others) + 1
    deadline = time.monotonic() + wait
    while True:
        for rank, process in enumerate(others, 1):
            code = process.poll()
            if code not in (None, 0):
                return (
                    f"training process {rank + 1} of {world} stopped (exit status {code}); "
                    "its error is in the job's worker.log"
                )
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _end(others, wait: float = 30.0) -> None:
    """The other ranks, once rank 0 is done: they end by themselves, or are stopped."""
    for process in others:
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _die_with_parent() -> None:
    """Linux: this process is killed when rank 0 dies, even by SIGKILL (an exchange with
    a dead rank 0 could otherwise wait for ``EXCHANGE_TIMEOUT``)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if str(os.getppid()) != os.environ.get(RANK0):  # rank 0 died before the line above
        os._exit(1)
