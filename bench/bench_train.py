"""Time our LoRA trainer against TRL's SFTTrainer: training tokens per second on this CPU.

Both fine-tune the bundled SmolLM2-135M-Instruct with the same LoRA (rank 16, alpha 32,
dropout 0, every linear layer), on the same first conversations of the sample chat's
training split (persona "Sam Okafor", built as ``gpt-is-you new`` builds them), with the
same maximum length, learning rate and number of CPU threads, for one pass over the data.
Each trainer runs in a fresh child process, one after the other, so neither inherits the
other's memory or thread pools; only the training steps are timed (no loading, no
tokenizing). TRL gets about as many tokens per optimizer step as ours: its batch size is
the mean number of rows in our batches.

    python bench/bench_train.py [--conversations N] [--threads T] [--trl-bf16 auto|yes|no]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from bench_import import BUSY_SHARE, children_cpu_s, machine_cpu_s

SAMPLE = (
    Path(__file__).resolve().parent.parent / "src" / "gpt_is_you" / "sample" / "sample_chat.txt"
)
PERSONA = "Sam Okafor"
CONVERSATIONS = 36  # 8,271 tokens of the sample chat: a few minutes per trainer
MAX_LEN = 1024
LR = 4e-4  # ours' default (TrainSettings.lr), given to TRL too
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.0, "target_modules": "all-linear"}
TARGET_RATIO = 2.0
# The matrix product the peak is measured on: large enough to run at full speed.
PEAK_SHAPE = {"m": 2048, "k": 1024, "n": 2048}


def conversations(n: int) -> list[list[dict[str, object]]]:
    """The first ``n`` training conversations of the sample chat, as the app builds them."""
    from gpt_is_you.dataset.prepare import prepare
    from gpt_is_you.dataset.settings import BuildSettings

    prepared = prepare(SAMPLE, BuildSettings.for_target("local", persona=PERSONA))
    train = [e.chat_messages() for e in prepared.dataset.examples if e.split == "train"]
    return train[:n]


def model_shape(model) -> dict[str, int]:
    """The parameter counts ``flops`` needs, from the base model before LoRA."""
    import torch

    embed = model.get_input_embeddings().weight
    head = model.get_output_embeddings()
    params = {id(p): p for p in model.parameters()}  # a tied output layer counted once
    # "all-linear": every linear layer but the output layer gets A (r×in) and B (out×r).
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m is not head]
    return {
        "non_embedding": sum(p.numel() for p in params.values() if p is not embed),
        "lora": sum(LORA["r"] * (m.in_features + m.out_features) for m in linears),
        "hidden": embed.shape[1],
        "vocab": embed.shape[0],
    }


# --- the children: each trains once and prints what it measured as one JSON line ---


class _Quiet:
    """A Reporter that ignores everything: the benchmark prints its own report."""

    def progress(self, step, total, metrics) -> None:
        pass

    def phase(self, name, steps, done=0, total=None) -> None:
        pass

    def event(self, message) -> None:
        pass

    def checkpoint(self, step) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def run_ours(n: int, threads: int) -> dict:
    import torch

    from gpt_is_you.providers.local import base_model
    from gpt_is_you.providers.local.batches import make_batches
    from gpt_is_you.providers.local.encode import encode
    from gpt_is_you.providers.local.train import train
    from gpt_is_you.providers.settings import TrainSettings

    torch.set_num_threads(threads)
    data = conversations(n)
    # One epoch over the n conversations (what max_steps would cut short): both trainers
    # then see exactly the same data. No validation set, and no evaluation or checkpoint
    # before the end; the final checkpoint and adapter are written outside the timed steps.
    settings = TrainSettings(
        epochs=1.0,
        lr=LR,
        lora_rank=LORA["r"],
        lora_alpha=LORA["lora_alpha"],
        lora_dropout=LORA["lora_dropout"],
        max_seq_len=MAX_LEN,
        eval_every=10**9,
        checkpoint_every=10**9,
        threads=threads,
    )
    with tempfile.TemporaryDirectory() as folder:
        result = train(settings, data, [], Path(folder), _Quiet())
    # train() does not say how many positions its batches padded to: rebuild its batches
    # (as it does: encoded, kept where something is learned, grouped) to count them.
    base = base_model.resolve(None)
    tokenizer = base_model.load_tokenizer(base)
    encoded = [e for e in (encode(c, tokenizer, MAX_LEN) for c in data) if e.learned]
    batches = make_batches(encoded, settings.batch_tokens)
    padded = sum(len(b) * max(len(encoded[i].input_ids) for i in b) for b in batches)
    # The shape of the same model, loaded again only to count its parameters.
    shape = model_shape(base_model.load_model(base, torch.float32))
    return {
        "steps": result.steps,
        "tokens": result.tokens,
        "loss_tokens": result.learned_tokens,
        "head_positions": result.learned_tokens,  # ours runs the output layer there only
        "padded_positions": padded,
        "seconds": result.seconds,
        "precision": result.dtype,
        "threads": torch.get_num_threads(),
        **shape,
    }


class _Counting:
    """Wraps TRL's collator to count what each batch holds: real tokens (the attention
    mask), positions computed (the padded batch) and positions under the loss."""

    def __init__(self, collator) -> None:
        self.collator = collator
        self.tokens = self.padded = self.loss_tokens = self.batches = 0

    def __call__(self, examples):
        batch = self.collator(examples)
        self.batches += 1
        self.tokens += int(batch["attention_mask"].sum())
        self.padded += batch["input_ids"].numel()
        # The label of position i is the token at i + 1: the first label is never a target.
        self.loss_tokens += int((batch["labels"][:, 1:] != -100).sum())
        return batch


def _step_timer():
    """A TrainerCallback that adds up the time inside TRL's optimizer steps alone: the
    table times the whole ``trainer.train()``, this shows how much of it is set-up."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        seconds = 0.0
        started = 0.0

        def on_step_begin(self, args, state, control, **kwargs) -> None:
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs) -> None:
            self.seconds += time.perf_counter() - self.started

    return StepTimer()


def run_trl(n: int, threads: int, batch_size: int, bf16: bool) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer
    from trl.trainer import utils as trl_utils

    from gpt_is_you.providers.local import base_model

    # TRL 1.x projects through the output layer only where a label is not ignored (its
    # fused head); before it, the model computed logits at every position, padding included.
    fused = hasattr(trl_utils, "add_fused_lm_head")
    torch.set_num_threads(threads)
    # TRL has no per-message weight: the context turns' "weight": 0 is dropped.
    data = [
        {"messages": [{"role": m["role"], "content": m["content"]} for m in c]}
        for c in conversations(n)
    ]
    base = base_model.resolve(None)
    tokenizer = base_model.load_tokenizer(base)
    model = base_model.load_model(base, torch.float32)
    # A base converted from GGUF keeps GGUF's quantization config although its weights are
    # plain float32 (see base_model._convert), and transformers' Trainer refuses to train
    # a GGUF-quantized model: drop the stale config, as transformers does on dequantizing.
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    shape = model_shape(model)
    lora = LoraConfig(**LORA, task_type="CAUSAL_LM")
    with tempfile.TemporaryDirectory() as out:
        trainer = note = None
        # Assistant-only loss is the closest to ours; TRL needs generation markers in the
        # chat template for it, or a patched template of its own, and refuses otherwise.
        for assistant_only in (True, False):
            config = SFTConfig(
                output_dir=out,
                per_device_train_batch_size=batch_size,
                num_train_epochs=1,
                learning_rate=LR,
                max_length=MAX_LEN,
                assistant_only_loss=assistant_only,
                bf16=bf16,
                # TRL defaults to gradient checkpointing, which saves memory by running
                # the forward pass twice; ours does not, and 135M parameters need no
                # saving: off, so that TRL is not charged for a trade we don't make.
                gradient_checkpointing=False,
                use_cpu=True,
                eval_strategy="no",
                save_strategy="no",
                logging_strategy="no",
                report_to="none",
                disable_tqdm=True,
                seed=0,
            )
            try:
                trainer = SFTTrainer(
                    model=model,
                    args=config,
                    train_dataset=Dataset.from_list(data),
                    processing_class=tokenizer,
                    peft_config=lora,
                )
                break
            except Exception as e:  # whatever TRL raises, it means "not with this template"
                if not assistant_only:
                    raise
                note = f"assistant_only_loss=True refused ({str(e).splitlines()[0]})"
        counting = _Counting(trainer.data_collator)
        trainer.data_collator = counting
        steps = _step_timer()
        trainer.add_callback(steps)
        start = time.perf_counter()
        output = trainer.train()
        seconds = time.perf_counter() - start
    return {
        "steps": output.global_step,
        "tokens": counting.tokens,
        "loss_tokens": counting.loss_tokens,
        "head_positions": counting.loss_tokens if fused else counting.padded,
        "padded_positions": counting.padded,
        "seconds": seconds,
        "steps_seconds": steps.seconds,
        "precision": "bfloat16 (autocast)" if trainer.args.bf16 else "float32",
        "bf16": bool(trainer.args.bf16),
        "note": note,
        "batch_size": batch_size,
        "threads": torch.get_num_threads(),
        **shape,
    }


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=["ours", "trl"])
    parser.add_argument("--conversations", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never wait on the hub
    if args.which == "ours":
        result = run_ours(args.conversations, args.threads)
    else:
        result = run_trl(args.conversations, args.threads, args.batch_size, args.bf16)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result))


# --- the parent: runs the children one after another and reports ---


def run_child(arguments: list[str]) -> dict:
    """One trainer in a fresh process; its measurements, peak RSS and the CPU others used."""
    command = [sys.executable, __file__, "--child", *arguments]
    machine_before, children_before = machine_cpu_s(), children_cpu_s()
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        lines = stderr.strip().splitlines() or [f"exit status {child.returncode}"]
        raise SystemExit(f"{arguments[0]} failed: {lines[-1]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    ours_cpu = children_cpu_s() - children_before
    # What the machine computed meanwhile that was not our child: someone else's work.
    result["others_cpu_s"] = max(0.0, machine_cpu_s() - machine_before - ours_cpu)
    result["wall_s"] = wall
    return result


def flops(r: dict) -> float:
    """Useful floating-point operations of a run, counted the same way for both trainers.

    A product of an m×k input by a k×n weight costs 2·m·k·n. Per real token (padding is
    waste, not work): the frozen layers' forward (2 × non-embedding parameters) and the
    backward through them to their input (2 × the same; frozen, so no weight gradient):
    4 × non-embedding parameters; LoRA's own products add 6 × its parameters (forward,
    input and weight gradients). The output layer costs 4 × hidden × vocab (forward and
    input gradient) at each position where it runs: ours runs it at the persona's tokens
    only, TRL's fused head at every position under its loss. Attention's score and value
    products (a few percent at these lengths) are left out, for both alike.
    """
    per_token = 4 * r["non_embedding"] + 6 * r["lora"]
    head = 4 * r["hidden"] * r["vocab"]
    return r["tokens"] * per_token + r["head_positions"] * head


def machine_header(threads: int) -> None:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"CPU: {cpu} ({os.cpu_count()} logical cores), {platform.platform()}")
    print(f"threads: {threads} (torch.set_num_threads, in every process)")
    libraries = ("torch", "transformers", "trl", "peft")
    print(f"python {sys.version.split()[0]}, " + ", ".join(f"{n} {version(n)}" for n in libraries))


def peaks(threads: int) -> dict[str, float]:
    """GFLOP/s of one large matrix product in each precision: the most this CPU can give."""
    import torch

    from gpt_is_you.providers.local.device import matmul_speed

    torch.set_num_threads(threads)
    return {
        "float32": matmul_speed(torch.float32, **PEAK_SHAPE),
        "bfloat16": matmul_speed(torch.bfloat16, **PEAK_SHAPE),
    }


def report(results: dict[str, dict], peak: dict[str, float], threads: int) -> None:
    print()
    header = (
        f"{'trainer':<10} {'precision':<20} {'steps':>5} {'tokens':>7} {'padded':>7}"
        f" {'loss tok':>8} {'seconds':>8} {'tok/s':>7} {'loss tok/s':>10} {'GFLOP/s':>8}"
        f" {'util':>6} {'peak MB':>8}"
    )
    print(header)
    for name, r in results.items():
        padded = f"{r['padded_positions']:,}"
        rate = r["tokens"] / r["seconds"]
        achieved = flops(r) / r["seconds"] / 1e9
        util = achieved / peak["bfloat16" if "bfloat16" in r["precision"] else "float32"]
        print(
            f"{name:<10} {r['precision']:<20} {r['steps']:>5} {r['tokens']:>7,} {padded:>7}"
            f" {r['loss_tokens']:>8,} {r['seconds']:>8.1f} {rate:>7.1f}"
            f" {r['loss_tokens'] / r['seconds']:>10.1f} {achieved:>8.1f} {util:>6.1%}"
            f" {r['peak_mb']:>8.0f}"
        )
    print(
        "tokens: real tokens trained on (padding excluded); padded: positions computed;"
        " loss tok: tokens under the loss;\nutil: achieved GFLOP/s (FLOPs counted as in"
        " bench_train.flops) / the matmul peak of the precision it ran in"
    )
    print(
        "ours: loss on the persona's turns only (weight-0 context turns and the rest"
        " masked); its output layer runs there only"
    )
    for name, r in results.items():
        if name == "ours":
            continue
        print(
            f"{name}: batch size {r['batch_size']} (ours' mean rows per batch, so about the"
            " same tokens per step); gradient checkpointing off (TRL's default is on: it"
            " recomputes the forward pass to save memory, a trade ours does not make);"
            f" its optimizer steps alone took {r['steps_seconds']:.1f} of the"
            f" {r['seconds']:.1f} s of trainer.train()"
        )
        if r["note"]:
            print(
                f"{name}: loss on the whole conversation: {r['note']}; the compute per token"
                " is the same, but its output layer runs at every position of it"
            )
    for name, r in results.items():
        if r["threads"] != threads:
            print(f"WARNING: {name} ran on {r['threads']} threads, not {threads}")
        if r["others_cpu_s"] > BUSY_SHARE * r["wall_s"]:
            print(
                f"WARNING: other processes used {r['others_cpu_s']:.0f} CPU s during {name}'s"
                f" {r['wall_s']:.0f} s: its time is likely inflated; rerun on an idle machine"
            )


def main(argv: list[str] | None = None) -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS, metavar="N")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), metavar="T")
    parser.add_argument(
        "--trl-bf16",
        choices=["auto", "yes", "no"],
        default="auto",
        help="also run TRL with bf16=True (auto: where bfloat16 products are faster here)",
    )
    args = parser.parse_args(argv)

    machine_header(args.threads)
    peak = peaks(args.threads)
    print(
        f"matmul peak ({PEAK_SHAPE['m']}×{PEAK_SHAPE['k']}·{PEAK_SHAPE['k']}×{PEAK_SHAPE['n']}):"
        f" float32 {peak['float32']:.1f} GFLOP/s, bfloat16 {peak['bfloat16']:.1f} GFLOP/s"
    )
    print(
        f"data: the first {args.conversations} training conversations of {SAMPLE.name}"
        f" (persona {PERSONA}), one epoch; LoRA r={LORA['r']} alpha={LORA['lora_alpha']}"
        f" dropout={LORA['lora_dropout']} {LORA['target_modules']}; max length {MAX_LEN};"
        f" lr {LR}"
    )
    common = ["--conversations", str(args.conversations), "--threads", str(args.threads)]
    results = {}
    print("\nours ...", flush=True)
    results["ours"] = run_child(["ours", *common])
    # As many rows per TRL batch as ours holds on average: about the same tokens per step.
    batch_size = max(1, round(args.conversations / results["ours"]["steps"]))
    variants = [("TRL fp32", False)]
    native_bf16 = peak["bfloat16"] > peak["float32"]
    if args.trl_bf16 == "yes" or (args.trl_bf16 == "auto" and native_bf16):
        variants.append(("TRL bf16", True))
    for name, bf16 in variants:
        print(f"{name} (batch size {batch_size}) ...", flush=True)
        arguments = ["trl", *common, "--batch-size", str(batch_size)]
        results[name] = run_child(arguments + (["--bf16"] if bf16 else []))
    report(results, peak, args.threads)
    if len(variants) == 1 and args.trl_bf16 == "auto":
        print(
            f"TRL bf16: not run: bfloat16 products run at {peak['bfloat16']:.1f} GFLOP/s here,"
            f" slower than float32's {peak['float32']:.1f} (no native bfloat16 on this CPU),"
            " so TRL's bf16=True (its default) would be the slower variant;"
            " --trl-bf16 yes runs it anyway"
        )

    verdict(results)


def verdict(results: dict[str, dict]) -> None:
    """Ours against the faster TRL variant."""
    ours = results.pop("ours")
    name = max(results, key=lambda n: results[n]["tokens"] / results[n]["seconds"])
    trl = results[name]
    ratio = (ours["tokens"] / ours["seconds"]) / (trl["tokens"] / trl["seconds"])
    learned = (ours["loss_tokens"] / ours["seconds"]) / (trl["loss_tokens"] / trl["seconds"])
    print()
    busy = any(r["others_cpu_s"] > BUSY_SHARE * r["wall_s"] for r in (ours, *results.values()))
    print(
        f"ours/{name} (the faster TRL): {ratio:.2f}x tokens/s (target >= {TARGET_RATIO:.0f}x):"
        f" {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
        + (" (on a busy machine: see the warnings)" if busy else "")
    )
    print(f"ours/{name}: {learned:.2f}x tokens under the loss per second (persona's for ours)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
