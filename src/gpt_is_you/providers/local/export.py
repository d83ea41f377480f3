"""A trained model written out for other programs (``gpt-is-you export-model``).

The model is the latest trained job's merged model (``merged.py``; prepared now when
missing, as chat does, also for a Together AI job whose adapter and base are here):

- ``hf``: a Hugging Face folder (safetensors, config, tokenizer with its chat template,
  generation config with the chat's sampling, a short README);
- ``gguf``: one GGUF file in Q8_0 (``gguf_file.py``), loaded back with transformers and its
  greedy tokens compared with the merged model's on a few prompts (the README says how
  many agreed);
- ``ollama``: the GGUF and a ``Modelfile`` (``modelfile.py``).

Everything is written into a hidden folder beside the destination and renamed into place
once whole; a destination that holds files is refused unless ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gpt_is_you import providers
from gpt_is_you.providers.base import Notice, Progress
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import base_model, gguf_file, merged, modelfile
from gpt_is_you.providers.local.train import ADAPTER
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import jobs
from gpt_is_you.store.errors import FULL, MISSING, ModelError, StorageError
from gpt_is_you.store.faults import faults, os_fault
from gpt_is_you.store.files import write_private
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model

FORMATS = ("hf", "gguf", "ollama")
CHECK_TOKENS = 32  # greedy tokens compared per prompt
CHECK_PROMPTS = (
    "hey, random question: what's your favourite food?",
    "what are you up to this weekend?",
    "I can't decide whether to take the new job. what would you do?",
)


@dataclass(frozen=True)
class Exported:
    folder: Path
    files: tuple[str, ...]  # in the folder
    base: str
    check: str | None  # what loading the GGUF back found, as a line; None: no GGUF


def default_folder(model: Model, fmt: str) -> Path:
    """Where an export goes unless told: beside the model's other exports."""
    return model.folder / "exports" / f"model-{fmt}"


def export_model(
    model: Model,
    fmt: str,
    dest: Path | None = None,
    *,
    force: bool = False,
    notice: Notice = lambda _: None,
    progress: Progress | None = None,
    kind: str = gguf_file.Q8_0,
) -> Exported:
    """Write ``model``'s trained model to ``dest`` (a folder) in ``fmt``; ``notice`` is
    told each long step, ``progress(done, total)`` the GGUF's tensors."""
    from gpt_is_you.chat_session import kept_sampling
    from gpt_is_you.store.conversations import read_persona

    if fmt not in FORMATS:
        raise ProviderError(f"no export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if dest is None:
        dest = default_folder(model, fmt)
        with faults(dest.parent, files=True):
            dest.parent.mkdir(mode=0o700, exist_ok=True)
    _check_destination(dest, force)
    with model.db() as db:
        job = _trained(db, model)
        persona = read_persona(db)
        sampling = kept_sampling(db)
    source, base = _merged(model, job, notice)
    _check_space(source, dest, fmt)
    gguf_name = f"{model.folder.name}.gguf"

    def write(temp: Path) -> str | None:
        checked = None
        if fmt == "hf":
            notice("copying the merged model…")
            _write_hf(source, temp, sampling)
        else:
            notice(f"writing {gguf_name} ({kind.upper()})…")
            gguf_file.write(
                source,
                temp / gguf_name,
                title=_title(base),
                splitting=_splitting(base),
                kind=kind,
                progress=progress,
            )
            (temp / gguf_name).chmod(0o600)  # private, as every file the export writes
            notice("checking the GGUF: loading it back and comparing greedy tokens…")
            checked = check_gguf(source, temp / gguf_name, persona.system)
        if fmt == "ollama":
            _write_modelfile(source, temp, gguf_name, persona.system, sampling)
        write_private(temp / "README.md", _card(fmt, base, gguf_name, checked))
        return checked

    checked = _write_whole(dest, force, write)
    return Exported(dest, tuple(sorted(p.name for p in dest.iterdir())), base, checked)


def check_gguf(source: Path, gguf_path: Path, system: str) -> str:
    """Load the GGUF back (transformers dequantizes it) and compare its greedy choice with
    the merged model's at each of ``CHECK_TOKENS`` positions of the merged model's own
    greedy reply to each of ``CHECK_PROMPTS``; the result as a line. Skipped, and said so,
    where both would not fit in memory."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gpt_is_you.providers.local.hardware import probe

    size = sum(p.stat().st_size for p in source.glob("*.safetensors"))
    available = probe(accelerators=lambda: ((), False)).ram_available
    if 2 * size > available:
        return (
            f"not checked: loading it back beside the merged model takes about "
            f"{2 * size / 1e9:.1f} GB of memory, {available / 1e9:.1f} GB is free"
        )
    base_model.quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(source)
    original = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    loaded = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
    )
    read_back = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    same, total, whole, splits = 0, 0, 0, 0
    for text in CHECK_PROMPTS:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": text}]
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
        splits += read_back(prompt, add_special_tokens=False).input_ids == ids[0].tolist()
        with torch.no_grad():
            written = original.generate(
                ids,
                max_new_tokens=CHECK_TOKENS,
                do_sample=False,
                pad_token_id=tokenizer.eos_token_id,
            )
            reply = written[0, ids.shape[1] :]
            chosen = loaded(written).logits[0, ids.shape[1] - 1 : -1].argmax(-1)
        agree = int((chosen == reply).sum())
        same, total, whole = same + agree, total + len(reply), whole + (agree == len(reply))
    prompts = len(CHECK_PROMPTS)
    return (
        f"checked: loaded back with transformers, its greedy tokens agree with the merged "
        f"model's at {same} of {total} positions ({same / total:.1%}; {whole} of {prompts} "
        f"replies identical); its tokenizer splits {splits} of {prompts} prompts the same"
    )


def _trained(db, model: Model) -> Job:
    from gpt_is_you.providers.local import trained_job

    return trained_job(db, model.name)


def _merged(model: Model, job: Job, notice: Notice) -> tuple[Path, str]:
    """The job's merged model folder (prepared now when missing) and its base's name."""
    folder = jobs.job_folder(model.folder, job.id)
    base = job.base_model
    if job.backend == "together":
        from gpt_is_you.providers.together.bases import hub_repo

        base = hub_repo(job.base_model)
    if (folder / merged.MERGED / "config.json").is_file():
        return folder / merged.MERGED, base
    if not (folder / ADAPTER / "adapter_config.json").is_file():
        raise ProviderError(_no_weights(model, job))
    if base_model.resolve(base, convert=False).missing:
        raise ProviderError(
            f"{model.name} was fine-tuned from {base}, which is not on this machine: download "
            f"it (`hf download {base}`) and export again"
        )
    notice(merged.PREPARING)
    with faults(folder, files=True):
        return merged.prepare(folder, base), base


def _no_weights(model: Model, job: Job) -> str:
    if job.backend == "together":
        return (
            f"the adapter of {model.name}'s job is not here yet: `gpt-is-you train "
            f"{model.name} --resume` brings it from Together AI"
        )
    if providers.is_remote(job.backend):
        return (
            f"{model.name} was fine-tuned at {providers.service(job.backend)}, which keeps "
            f"the weights: there is nothing here to export (`gpt-is-you chat {model.name}` "
            "talks to it there)"
        )
    return (
        f"the trained weights of {model.name}'s job {job.id} are missing "
        f"({jobs.job_folder(model.folder, job.id) / ADAPTER}): train it again"
    )


def _check_destination(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise StorageError(f"{dest} is a file: give a folder to export into", MISSING)
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ModelError(  # as a model's name taken already: the user's to choose again
            f"{dest} exists and holds files: give another folder with -o, or --force to replace it",
            app=f"{dest} exists and holds files: choose another folder",
        )
    if not dest.parent.is_dir():
        raise StorageError(f"{dest.parent}: no such folder; create it first", MISSING)


def _check_space(source: Path, dest: Path, fmt: str) -> None:
    """Refuse before writing when the export would not fit (Q8_0 is about 34/128 of the
    float32 weights)."""
    weights = sum(p.stat().st_size for p in source.iterdir() if p.is_file())
    needed = weights if fmt == "hf" else weights * 34 // 128
    free = shutil.disk_usage(dest.parent).free
    if needed > free:
        raise StorageError(
            f"not enough space in {dest.parent}: the export needs about {needed / 1e6:,.1f} MB, "
            f"{free / 1e6:,.1f} MB is free",
            FULL,
        )


def _write_whole(dest: Path, force: bool, write: Callable[[Path], str | None]) -> str | None:
    """``write(temp)`` into a hidden folder beside ``dest``, renamed into place once whole
    (the folder it replaces, with ``force``, removed after): whole or not at all. The
    disk's refusals name ``dest``, not the hidden folder the user never sees."""
    temp = dest.with_name(f".{dest.name}-{os.getpid()}")
    base_model.remove_abandoned(dest)
    shutil.rmtree(temp, ignore_errors=True)
    try:
        temp.mkdir(mode=0o700)
        checked = write(temp)
        if dest.exists():
            old = dest.with_name(f".{dest.name}-old-{os.getpid()}")
            dest.rename(old)
            temp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            temp.rename(dest)
    except BaseException as e:
        shutil.rmtree(temp, ignore_errors=True)
        fault = (
            os_fault(OSError(e.errno, e.strerror, str(dest)), dest)
            if isinstance(e, OSError)
            else None
        )
        if fault is not None:
            raise fault from e
        raise
    return checked


def _write_hf(source: Path, out: Path, sampling: Sampling) -> None:
    """The merged folder's files, its generation config carrying the chat's sampling."""
    for path in source.iterdir():
        if path.is_file():
            shutil.copyfile(path, out / path.name)
            (out / path.name).chmod(0o600)
    generation = out / "generation_config.json"
    config = json.loads(generation.read_text(encoding="utf-8")) if generation.is_file() else {}
    config.update(
        do_sample=sampling.temperature > 0,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_new_tokens=sampling.max_tokens,
    )
    write_private(generation, json.dumps(config, indent=2) + "\n")


def _write_modelfile(source: Path, out: Path, gguf_name: str, system: str, sampling) -> None:
    from transformers import AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(source)

    def render(messages, reply: bool) -> str:
        return tokenizer.apply_chat_template(messages, add_generation_prompt=reply, tokenize=False)

    special = [t.content for t in tokenizer.added_tokens_decoder.values() if t.special]
    bos = tokenizer.bos_token if getattr(tokenizer, "add_bos_token", False) else None
    turns = modelfile.turns(render, bos)
    modelfile.check(render, turns, bos)
    ends = GenerationConfig.from_pretrained(source).eos_token_id
    ends = ends if isinstance(ends, list) else [ends] if ends is not None else []
    end_texts = [tokenizer.convert_ids_to_tokens(i) for i in ends] + [tokenizer.eos_token]
    text = modelfile.modelfile(
        gguf_name,
        modelfile.go_template(turns),
        modelfile.stops(turns, [t for t in end_texts if t], special),
        system,
        sampling,
    )
    write_private(out / "Modelfile", text)


def _splitting(base: str) -> str | None:
    """A GGUF base's own pre-tokenizer name (the default base's is ``smollm``)."""
    try:
        found = base_model.resolve(base, convert=False)
    except ProviderError:
        return None
    return gguf_file.read_splitting(found.gguf) if found.gguf else None


def _title(base: str) -> str:
    return f"a fine-tune of {_base_name(base)} made with gpt-is-you"


def _base_name(base: str) -> str:
    if base in ("", base_model.DEFAULT_BASE):
        return "SmolLM2-135M-Instruct"
    return Path(base).name if Path(base).expanduser().exists() else base


def _card(fmt: str, base: str, gguf_name: str, checked: str | None) -> str:
    """The README: what the folder holds, neutral (no persona's name)."""
    holds = {
        "hf": "a Hugging Face model folder: safetensors weights (float32), config, tokenizer "
        "with its chat template, and a generation config with the sampling last set for "
        "its chats",
        "gguf": f"`{gguf_name}`: the model in GGUF (Q8_0), with its tokenizer and chat "
        f"template, for llama.cpp (`llama-cli -m {gguf_name} -cnv`) and other GGUF runtimes",
        "ollama": f"`{gguf_name}` (GGUF, Q8_0) and a `Modelfile` with the chat template, the "
        "stop tokens, the system prompt it was trained with and the sampling last set for "
        "its chats: `ollama create NAME -f Modelfile` in this folder",
    }[fmt]
    lines = [
        "# A gpt-is-you model",
        "",
        f"A{_title(base)[1:]}: a LoRA fine-tune on one person's chat messages, "
        "merged into the base's weights. It writes in the voice it learned, not as the "
        "person: share it only with their consent.",
        "",
        f"This folder holds {holds}.",
    ]
    if checked:
        lines += ["", f"GGUF {checked}."]
    return "\n".join(lines) + "\n"
