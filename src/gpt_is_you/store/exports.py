"""Exporting a model's examples to files, checked before they are written."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gpt_is_you.dataset.checks import check_chat_example, prepare_data_advice
from gpt_is_you.dataset.examples import TRAIN, VALID
from gpt_is_you.dataset.export import jsonl, prompt_completion_pairs, records
from gpt_is_you.paths import models_dir
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.models import open_model, read_examples, slugify


@dataclass(frozen=True)
class Exported:
    files: tuple[tuple[Path, int], ...]  # (path, lines) of the training and validation files
    advice: tuple[str, ...]  # the legacy prepare_data advice, for prompt/completion pairs


def export_model(name: str, fmt: str, output: str | None) -> Exported:
    """Write the train and validation files of ``fmt``."""
    with open_model(name) as db:
        examples = [example for _, example, _ in read_examples(db)]
    if fmt == "openai":
        problems = [
            f"example {i}: {p}"
            for i, e in enumerate(examples, 1)
            for p in check_chat_example({"messages": e.chat_messages()})
        ]
        if problems:
            raise ModelError("the examples fail OpenAI's format checks: " + "; ".join(problems[:5]))
    if output:
        train = Path(output)
        valid = train.with_name(train.name.removesuffix(".jsonl") + ".valid.jsonl")
    else:
        folder = models_dir() / slugify(name) / "exports"
        folder.mkdir(mode=0o700, exist_ok=True)
        train, valid = folder / f"{fmt}.train.jsonl", folder / f"{fmt}.valid.jsonl"
    written = []
    for path, split in ((train, TRAIN), (valid, VALID)):
        lines = list(jsonl(records((e for e in examples if e.split == split), fmt)))
        _write_atomically(path, lines)
        written.append((path, len(lines)))
    advice: list[str] = []
    if fmt == "prompt-completion":
        advice = prepare_data_advice(list(prompt_completion_pairs(examples)))
    return Exported(tuple(written), tuple(advice))


def _write_atomically(path: Path, lines: list[str]) -> None:
    """Write a private file whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
