"""A trained job's model prepared once for chat: the base with the job's adapter merged
into its weights, saved beside the adapter (``<job folder>/merged/``) as a plain model
folder that loads as a base does.

Merging at every load made each chat (and every ``chat -m``) import peft (about 2.5 s)
and merge (about 1 s) before its first token. Candidates, loading the sample chat's
model (SmolLM2-135M) on two cores (load 0.6), best of three, files in the page cache:

    base + adapter, merged at load          1.13 s  (and peft's import)
    merged, bfloat16 safetensors            0.24 s  (widened to float32 at load)
    merged, float32 safetensors             0.09 s

Float32 safetensors: the fastest to load, and the precision chat reads prompts in, so
its replies are exactly those of the base merged at load (bfloat16 weights would change
them). It costs the base's size on disk once per job (542 MB for SmolLM2-135M); ``rm``
removes it with the model's folder.

The worker prepares it after training; a job trained before this existed gets it on its
first chat. Where it cannot be written (a read-only or full disk) chat merges at load
as before.
"""

from __future__ import annotations

import errno
import shutil
from functools import partial
from pathlib import Path

from gpt_is_you.providers.base import Notice
from gpt_is_you.providers.local import base_model
from gpt_is_you.providers.local.train import ADAPTER

MERGED = "merged"
PREPARING = "preparing the model for chat (once)…"


def prepare(job_folder: Path, base: str) -> Path:
    """The job's merged model folder, made now unless it was made before."""
    return base_model.made_once(job_folder / MERGED, partial(_merge, base, job_folder / ADAPTER))


def chat_source(
    job_folder: Path, base: str, notice: Notice | None = None
) -> tuple[str, Path | None]:
    """What chat loads for the job: its merged folder and no adapter (prepared now when
    missing, ``notice`` told first), or, where it cannot be written, the base and the
    adapter to merge at load."""
    folder = job_folder / MERGED
    if not (folder / "config.json").is_file():
        if notice is not None:
            notice(PREPARING)
        try:
            prepare(job_folder, base)
        except OSError:  # read-only, full: this chat merges at load, as before
            return base, job_folder / ADAPTER
    return str(folder), None


def _merge(base: str, adapter: Path, out: Path) -> None:
    import torch
    from peft import PeftModel

    resolved = base_model.resolve(base)
    tokenizer = base_model.load_tokenizer(resolved)
    model = base_model.load_model(resolved, torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    size = sum(p.numel() * p.element_size() for p in merged.parameters())
    free = shutil.disk_usage(out.parent).free
    if size > free:  # a disk filled to the last byte would trouble the store too
        raise OSError(errno.ENOSPC, f"{size:,} bytes needed, {free:,} free", str(out.parent))
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    make_private(out)


def make_private(folder: Path) -> None:
    """The user's data, private as the rest of the store, whoever prepares it (the worker
    runs with umask 077; the app and the command line may not)."""
    folder.chmod(0o700)
    for path in folder.iterdir():
        path.chmod(0o600)
