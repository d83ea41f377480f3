"""LoRA fine-tuning on the persona's turns, with checkpoints a resumed run continues exactly.

What makes it quick, compared with a general-purpose trainer on the same model:
- batches of similar lengths (``batches.py``), padded on the right only, and no attention
  mask: with causal attention a real token never sees the padding after it, so the model
  runs its fused causal attention path;
- the output layer and the loss only at the positions that are learned (the persona's
  tokens, about a quarter of a chat), not over the whole vocabulary at every position;
- the base weights frozen in the fastest precision the hardware has (``device.py``), the
  LoRA weights and the loss in float32.

Memory is planned before the base loads (``budget.py``): a batch is computed a few rows
at a time (on a CPU this is also faster: the working set stays in cache), and where the
plan says so the layers are computed again in the backward pass (gradient checkpointing)
or the base is loaded in 4 bits (QLoRA).

Resuming: the batch order is a function of the seed and the epoch, and a checkpoint holds
the LoRA weights, the optimizer and scheduler states, the random state and the step, so a
run that is killed and resumed computes the same numbers as one that never stopped.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import base_model, budget
from gpt_is_you.providers.local.batches import epoch_order, make_batches, padding_share
from gpt_is_you.providers.local.device import pick_device, pick_dtype
from gpt_is_you.providers.local.encode import IGNORE, Encoded, encode
from gpt_is_you.providers.local.ranks import ONE, Ranks, check_fits
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store.jobs import (
    LOADING,
    SAVING,
    SCORING_BASE,
    SCORING_TUNED,
    TRAIN_ACCURACY,
    TRAIN_LOSS,
    TRAINING,
    VALID_ACCURACY,
    VALID_LOSS,
)

CHECKPOINT = "checkpoint.pt"
ADAPTER = "adapter"


class Reporter(Protocol):
    """What a training run tells the world, and how it learns it should stop."""

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> None: ...
    def phase(self, name: str, steps: int, done: int = 0, total: int | None = None) -> None:
        """What the run does now (``store.jobs``' phases), how far it is in it (``done``
        of ``total``), and the run's number of steps, known before the first one."""

    def event(self, message: str) -> None: ...
    def checkpoint(self, step: int) -> None: ...
    def should_stop(self) -> bool: ...


@dataclass(frozen=True)
class TrainResult:
    steps: int  # the step reached
    total_steps: int
    stopped: bool  # True when should_stop() ended it early (a checkpoint was written)
    tokens: int  # positions computed, by all the processes (padding excluded)
    learned_tokens: int
    seconds: float  # training steps only: no loading, no evaluation
    base_valid_loss: float | None
    valid_loss: float | None
    dtype: str
    device: str


def train(
    settings: TrainSettings,
    train_conversations: Sequence[list[dict[str, object]]],
    valid_conversations: Sequence[list[dict[str, object]]],
    folder: Path,
    reporter: Reporter,
    *,
    model=None,
    tokenizer=None,
    ranks: Ranks = ONE,
) -> TrainResult:
    """Train (or resume from ``folder/checkpoint.pt``); the adapter goes to ``folder/adapter``.

    ``model`` and ``tokenizer`` replace the base named in the settings (the tests pass a
    tiny random model). ``ranks``: this process's share of a run on several processes
    (``ranks.py``); only rank 0 writes files, and only its ``reporter`` is heard.
    """
    import torch

    if settings.threads:
        torch.set_num_threads(settings.threads)
    device = pick_device(settings.device)
    if device == "cpu":
        _return_freed_memory()
    checkpoint = _read_checkpoint(folder / CHECKPOINT)
    if model is None:
        base = base_model.resolve(settings.base)
        tokenizer = base_model.load_tokenizer(base)

    train_set = _encode_all(train_conversations, tokenizer, settings.max_seq_len)
    valid_set = _encode_all(valid_conversations, tokenizer, settings.max_seq_len)
    if not train_set:
        raise ProviderError("no training example has a persona turn to learn from")
    truncated = sum(e.truncated for e in train_set + valid_set)
    if truncated:
        reporter.event(f"{truncated} examples were longer than {settings.max_seq_len} tokens")
    longest = max(len(e.input_ids) for e in train_set + valid_set)
    batches = make_batches(train_set, settings.batch_tokens)
    valid_batches = make_batches(valid_set, settings.batch_tokens)
    per_epoch = math.ceil(len(batches) / settings.grad_accum)
    total = max(1, math.ceil(settings.epochs * per_epoch))
    if settings.max_steps:
        total = min(total, settings.max_steps)
    reporter.phase(LOADING, total)
    shape = budget.Shape.of(model.config if model is not None else base_model.load_config(base))
    memory = _memory_plan(device, settings, shape, longest, checkpoint)
    dtype = getattr(torch, memory.dtype)
    if model is None:
        model = base_model.load_model(base, dtype, quantize=memory.quantize)
    else:
        model = model.to(dtype)
    if not memory.quantize:  # 4-bit weights are put on the GPU as they load
        model.to(device)
    if ranks.world > 1:
        check_fits(model, device)

    torch.manual_seed(settings.seed)
    peft_model = _with_lora(model, settings, memory)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings.lr, weight_decay=0.0)
    warmup = max(1, round(settings.warmup_share * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(warmup, total))
    pad = _pad_id(tokenizer)
    step = _restore(checkpoint, peft_model, optimizer, scheduler) if checkpoint else 0
    run = _Run(peft_model, pad, device, memory.chunk_tokens, ranks)

    base_loss = None
    if step == 0:
        reporter.event(
            f"training {total} steps on {device} in {str(dtype).removeprefix('torch.')}: "
            f"{len(train_set)} examples, {len(batches)} batches, "
            f"{padding_share(train_set, batches):.1%} padding"
        )
        for reason in memory.reasons:
            reporter.event(reason)
        if valid_set:
            # The LoRA update starts at zero: this is the base model's score.
            base_loss, accuracy = run.evaluate(
                valid_set, valid_batches, _scoring(reporter, SCORING_BASE, total, valid_batches)
            )
            reporter.progress(0, total, {VALID_LOSS: base_loss, VALID_ACCURACY: accuracy})
            reporter.event(f"base model: validation loss {base_loss:.4f}")
    else:
        reporter.event(f"resuming at step {step} of {total}")

    tokens = learned = 0
    seconds = 0.0
    valid_loss = None
    stopped = False
    reporter.phase(TRAINING, total)  # its stamp is where the ETA's clock starts (``store/pace.py``)
    while step < total:
        started = time.perf_counter()
        peft_model.train()
        loss_sum = correct = count = computed = 0.0
        group = [_batch_at(batches, settings, step, k) for k in range(settings.grad_accum)]
        group_learned = sum(train_set[i].learned for b in group for i in b)
        for batch in group:
            # This rank's share of the batch, a few rows at a time: the activations of a
            # chunk, not of the batch, are kept for the backward pass; the gradient adds
            # up to the same.
            for rows in run.chunks(ranks.share([train_set[i] for i in batch])):
                s, c, n = run.forward(rows)
                (s / group_learned).backward()
                loss_sum += s.item()
                correct += c
                count += n
                computed += sum(len(r.input_ids) for r in rows)
        # Several processes: each now holds the whole step's sums and gradients.
        loss_sum, correct, count, computed = ranks.sum([loss_sum, correct, count, computed], device)
        ranks.sum_gradients(trainable)
        tokens += int(computed)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        learned += int(count)
        seconds += time.perf_counter() - started
        metrics = {TRAIN_LOSS: loss_sum / count, TRAIN_ACCURACY: correct / count}
        if valid_set and (step % settings.eval_every == 0 or step == total):
            valid_loss, accuracy = run.evaluate(
                valid_set, valid_batches, _scoring(reporter, SCORING_TUNED, total, valid_batches)
            )
            metrics |= {VALID_LOSS: valid_loss, VALID_ACCURACY: accuracy}
        reporter.progress(step, total, metrics)
        reporter.phase(TRAINING if step < total else SAVING, total)
        stopped = step < total and ranks.agree(reporter.should_stop(), device)
        if stopped or step % settings.checkpoint_every == 0 or step == total:
            if ranks.main:  # the ranks' weights are equal: one writes them
                _save_checkpoint(
                    folder / CHECKPOINT, peft_model, optimizer, scheduler, step, memory
                )
            reporter.checkpoint(step)
        if stopped:
            break
    if not stopped and ranks.main:
        _save_adapter(peft_model, folder / ADAPTER)
    return TrainResult(
        steps=step,
        total_steps=total,
        stopped=stopped,
        tokens=tokens,
        learned_tokens=learned,
        seconds=seconds,
        base_valid_loss=base_loss,
        valid_loss=valid_loss,
        dtype=str(dtype).removeprefix("torch."),
        device=device,
    )


class _Run:
    """The forward pass, shared by training and evaluation."""

    def __init__(
        self, peft_model, pad: int, device: str, chunk_tokens: int, ranks: Ranks = ONE
    ) -> None:
        inner = peft_model.get_base_model()
        self.model = peft_model
        self.decoder = inner.get_decoder()
        self.head = inner.get_output_embeddings()
        self.pad = pad
        self.device = device
        self.ranks = ranks
        self.chunk_tokens = chunk_tokens

    def chunks(self, rows: Sequence[Encoded]) -> list[list[Encoded]]:
        """``rows`` in consecutive runs of at most ``chunk_tokens`` positions (rows ×
        longest row); a longer row is a run of its own, never cut."""
        runs: list[list[Encoded]] = [[]]
        width = 0
        for row in rows:
            width = max(width, len(row.input_ids))
            if runs[-1] and (len(runs[-1]) + 1) * width > self.chunk_tokens:
                runs.append([])
                width = len(row.input_ids)
            runs[-1].append(row)
        return [run for run in runs if run]  # none when a rank's share is empty

    def forward(self, rows: Sequence[Encoded]):
        """(sum of token losses, correct predictions, learned tokens) of one batch."""
        import torch
        import torch.nn.functional as F

        width = max(len(r.input_ids) for r in rows)
        ids = torch.tensor(
            [list(r.input_ids) + [self.pad] * (width - len(r.input_ids)) for r in rows],
            device=self.device,
        )
        labels = torch.tensor(
            [list(r.labels) + [IGNORE] * (width - len(r.labels)) for r in rows],
            device=self.device,
        )
        # Right padding and causal attention: no mask needed (see the module's comment).
        hidden = self.decoder(input_ids=ids, use_cache=False).last_hidden_state
        targets = labels[:, 1:]
        keep = targets != IGNORE
        logits = self.head(hidden[:, :-1][keep]).float()
        wanted = targets[keep]
        loss = F.cross_entropy(logits, wanted, reduction="sum")
        correct = (logits.argmax(-1) == wanted).sum().item()
        return loss, correct, int(keep.sum().item())

    def evaluate(
        self, rows: Sequence[Encoded], batches, progress: Callable[[int], None] | None = None
    ) -> tuple[float, float]:
        """Loss and token accuracy over the learned tokens of ``rows``; ``progress`` is
        told the batches done after each one."""
        import torch

        self.model.eval()
        loss = correct = count = 0.0
        with torch.no_grad():
            for done, batch in enumerate(batches, 1):
                for chunk in self.chunks(self.ranks.share([rows[i] for i in batch])):
                    s, c, n = self.forward(chunk)
                    loss += s.item()
                    correct += c
                    count += n
                if progress is not None:
                    progress(done)
        loss, correct, count = self.ranks.sum([loss, correct, count], self.device)
        return loss / count, correct / count


def _scoring(reporter: Reporter, phase: str, steps: int, batches) -> Callable[[int], None]:
    """Scoring the validation split as a phase of its own, told batch by batch: it can
    take longer than several steps, and comes before the first one."""
    reporter.phase(phase, steps, 0, len(batches))
    return lambda done: reporter.phase(phase, steps, done, len(batches))


def _encode_all(conversations, tokenizer, max_len: int) -> list[Encoded]:
    encoded = (encode(c, tokenizer, max_len) for c in conversations)
    return [e for e in encoded if e.learned]


def _batch_at(batches, settings: TrainSettings, step: int, k: int) -> tuple[int, ...]:
    """The k-th micro-batch of optimizer step ``step``, over epochs reshuffled by seed."""
    index = step * settings.grad_accum + k
    epoch, position = divmod(index, len(batches))
    return epoch_order(batches, settings.seed, epoch)[position]


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _return_freed_memory() -> None:
    """glibc only: blocks of 1 MB or more (activations and their gradients) are mapped
    and unmapped one by one, so what a step frees goes back to the system. By default
    glibc raises that threshold as large blocks are freed, and its heap then keeps the
    freed holes: at the sample's longest row, 2.7 GB resident against 1.7 GB, for the same
    CPU time (measured)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):
        pass  # not glibc (macOS, musl): its allocator does as it does


def _memory_plan(device: str, settings: TrainSettings, shape, longest: int, checkpoint):
    """The memory plan of this run; a resumed run keeps the precision, the 4-bit weights
    and the chunks it started with (they change the numbers), whatever is free now."""
    import torch

    if checkpoint:
        settings = replace(
            settings,
            precision=checkpoint["dtype"],
            quantize="4bit" if checkpoint.get("quantize") else "none",
        )
    fast = settings.precision == "auto" and pick_dtype(device) == torch.bfloat16
    plan = budget.plan(shape, budget.measure(device, fast), settings, longest)
    if checkpoint:
        # A checkpoint from before chunks were planned computed each batch whole.
        plan = replace(plan, chunk_tokens=checkpoint.get("chunk_tokens", settings.batch_tokens))
    return plan


def _with_lora(model, settings: TrainSettings, memory: budget.MemoryPlan | None = None):
    """The model with LoRA adapters; ``memory`` (None: neither) says whether its weights
    are 4-bit and its layers checkpointed."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if memory is not None and memory.quantize:
        # Norms in float32 and the input embeddings' output needing a gradient, as peft
        # wants for 4-bit bases; its own checkpointing is left to the plan's choice.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    if memory is not None and memory.gradient_checkpointing:
        model.activation_checkpointing_enable({"use_reentrant": False})

    config = LoraConfig(
        r=settings.lora_rank,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def _schedule(warmup: int, total: int):
    """Linear warm-up, then cosine decay to a tenth of the peak rate."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor


def _pad_id(tokenizer) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return int(candidate)
    return 0


def _trainable_state(peft_model) -> dict:
    return {n: p.detach().clone() for n, p in peft_model.named_parameters() if p.requires_grad}


def _save_checkpoint(
    path: Path, peft_model, optimizer, scheduler, step: int, memory: budget.MemoryPlan
) -> None:
    import torch

    state = {
        "step": step,
        "dtype": memory.dtype,
        "quantize": memory.quantize,
        "chunk_tokens": memory.chunk_tokens,
        "weights": _trainable_state(peft_model),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    torch.save(state, temp)
    with temp.open("rb+") as f:
        os.fsync(f.fileno())
    os.replace(temp, path)  # a kill mid-write leaves the previous checkpoint whole


def _read_checkpoint(path: Path) -> dict | None:
    import torch

    return torch.load(path, weights_only=False) if path.is_file() else None


def _restore(state: dict, peft_model, optimizer, scheduler) -> int:
    """Put a checkpoint's weights, optimizer, scheduler and random state back; its step."""
    import torch

    params = dict(peft_model.named_parameters())
    with torch.no_grad():
        for name, value in state["weights"].items():
            params[name].copy_(value)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])
    if state["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return int(state["step"])


def _save_adapter(peft_model, folder: Path) -> None:
    import shutil

    temp = folder.with_name(f".{folder.name}.{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    peft_model.save_pretrained(temp)
    shutil.rmtree(folder, ignore_errors=True)
    temp.rename(folder)
