"""The fast runtime for chat on the CPU: a trained job's model converted once to ONNX
Runtime GenAI with int8 weights (``<job folder>/onnx-int8/``), which ``fast_chat.py``
runs; PyTorch (``generate.py``) stays the runtime on GPUs and wherever this one cannot be
had.

Why this runtime: on two CPU cores PyTorch's loop spends much of each token in the
overhead of its operations; ONNX Runtime runs the whole step as one graph with 8-bit
weight kernels, about three times as fast on SmolLM2-135M, and its model builder is pure
Python. The precision, measured against float32 PyTorch on SmolLM2-135M (the next token
given the same text, 256 positions of four chats): int8 weights with int8 activations (the
builder's CPU default, ``accuracy_level`` 4) picked the same token at 97.7% of positions
(the others near-ties, under 0.17 nats apart; PyTorch's own bfloat16 decoding: 98.8%) at
42–64 tokens/s; int4 at 78%; int8 weights with float activations (levels 1–3) fell back to
a kernel slower than PyTorch (under 2 tokens/s); float32 agreed everywhere at 22 tokens/s.

The conversion starts from the job's merged model (``merged.py``; a job that has only an
adapter, Together's, is merged first), runs in a process of its own (the builder prints
and logs at length, and holds the float32 model: neither belongs in the app or in
``chat -m``'s output), writes a hidden folder renamed into place (``made_once``: a kill
leaves no half folder), and is refused when the disk lacks room. The worker converts
after training when chat would run on this CPU; an older job is converted on its first
chat. A conversion that fails is recorded beside the folder (``onnx-int8.failed``, its
reason) so that chat says once why it runs on PyTorch instead of trying at every load;
``GPT_IS_YOU_RUNTIME=torch`` asks for PyTorch.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

from gpt_is_you.providers.base import Notice
from gpt_is_you.providers.local import base_model, merged

FOLDER = "onnx-int8"
FAILED = "onnx-int8.failed"
PRECISION = "int8"
RUNTIME = "GPT_IS_YOU_RUNTIME"  # "torch": chat through PyTorch whatever the device
PREPARING = "preparing the fast runtime (once)…"
CONVERTING = "converting the model for the fast runtime"
# What the chat reads besides the ONNX files: the context length and the end-of-turn ids.
CONFIGS = ("config.json", "generation_config.json")


class ConversionFailed(Exception):
    """The builder refused the model (an architecture it does not know, shapes it cannot
    quantize): the same model would fail again."""


def wanted(device: str = "auto") -> bool:
    """Whether chat on ``device`` runs through this runtime: on the CPU, with the runtime
    installed, unless ``GPT_IS_YOU_RUNTIME=torch``."""
    from gpt_is_you.providers.local.device import pick_device

    if os.environ.get(RUNTIME, "").strip().lower() == "torch":
        return False
    installed = importlib.util.find_spec("onnxruntime_genai") is not None
    return installed and pick_device(device) == "cpu"


def prepare(job_folder: Path, base: str, progress: Notice | None = None) -> Path:
    """The job's converted model folder, made now (its merged model first, when missing)
    unless it was made before; ``progress`` is told each phase. A refusal of the builder
    is recorded (``FAILED``) and raised as ``ConversionFailed``."""
    folder = job_folder / FOLDER
    if (folder / "config.json").is_file():
        return folder
    tell = progress or (lambda _: None)
    if not (job_folder / merged.MERGED / "config.json").is_file():
        tell(merged.PREPARING)
    source = merged.prepare(job_folder, base)
    try:
        return base_model.made_once(folder, partial(_convert, source, tell))
    except ConversionFailed as e:
        (job_folder / FAILED).write_text(f"{e}\n")
        raise


def chat_model(job_folder: Path, base: str, *, context: int, notice: Notice | None = None):
    """The job's model ready for chat: through this runtime where it is wanted and can be
    had, else PyTorch's ``LocalChat`` (``notice`` told why, once)."""
    from gpt_is_you.providers.local.generate import LocalChat

    tell = notice or (lambda _: None)
    torch_chat = partial(LocalChat.of_job, job_folder, base, context=context, notice=notice)
    if not wanted():
        return torch_chat()
    failed = job_folder / FAILED
    if failed.is_file():
        tell(_on_torch(failed.read_text().strip()))
        return torch_chat()
    try:
        if not (job_folder / FOLDER / "config.json").is_file():
            tell(PREPARING)
        folder = prepare(job_folder, base, tell)
        from gpt_is_you.providers.local.fast_chat import FastChat

        return FastChat(folder, context=context)
    except RuntimeError as e:  # the runtime refused the converted model: it always will
        failed.write_text(f"{_first_line(e)}\n")
        tell(_on_torch(_first_line(e)))
    except (ConversionFailed, OSError) as e:
        tell(_on_torch(_first_line(e)))
    return torch_chat()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _on_torch(reason: str) -> str:
    return f"chatting through PyTorch: the fast runtime cannot run this model ({reason})"


def _convert(source: Path, tell: Notice, out: Path) -> None:
    # The int8 folder is about half the merged float32 weights (their embedding stays
    # float32); asking for their whole size leaves the store room to spare.
    needed = sum(path.stat().st_size for path in source.glob("*.safetensors"))
    free = shutil.disk_usage(out.parent).free
    if needed > free:
        raise OSError(errno.ENOSPC, f"{needed:,} bytes needed, {free:,} free", str(out.parent))
    tell(CONVERTING)
    done = subprocess.run(
        [sys.executable, "-m", __name__, str(source), str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TQDM_DISABLE": "1"},
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise ConversionFailed(lines[-1] if lines else f"the builder exited with {done.returncode}")
    for name in CONFIGS:
        if (source / name).is_file():
            shutil.copyfile(source / name, out / name)
    merged.make_private(out)


def _build(source: Path, out: Path) -> None:
    """The ONNX Runtime GenAI model of the Hugging Face folder ``source``, written to
    ``out`` (run in the conversion's own process)."""
    import tempfile

    from onnxruntime_genai.models import builder

    with tempfile.TemporaryDirectory() as cache:  # the builder's downloads: none here
        options = builder.parse_extra_options(
            str(source), str(source), str(out), PRECISION, "cpu", cache, []
        )
        builder.create_model(str(source), str(source), str(out), PRECISION, "cpu", cache, **options)


if __name__ == "__main__":
    os.umask(0o077)  # the user's model, private as the rest of the store
    _build(Path(sys.argv[1]), Path(sys.argv[2]))
