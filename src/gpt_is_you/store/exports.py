"""Exporting a model's examples to files, checked before they are written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gpt_is_you.dataset.checks import check_chat_example, prepare_data_advice
from gpt_is_you.dataset.examples import TRAIN, VALID
from gpt_is_you.dataset.export import jsonl, prompt_completion_pairs, records
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.faults import faults
from gpt_is_you.store.files import check_destination, write_private
from gpt_is_you.store.models import Model, read_examples


@dataclass(frozen=True)
class Exported:
    files: tuple[tuple[Path, int], ...]  # (path, lines) of the training and validation files
    advice: tuple[str, ...]  # the legacy prepare_data advice, for prompt/completion pairs


def export_model(model: Model, fmt: str, output: str | None) -> Exported:
    """Write the train and validation files of ``fmt``."""
    with model.db() as db:
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
        train = Path(output).expanduser()
        valid = train.with_name(train.name.removesuffix(".jsonl") + ".valid.jsonl")
    else:
        folder = model.folder / "exports"
        with faults(folder, files=True):
            folder.mkdir(mode=0o700, exist_ok=True)
        train, valid = folder / f"{fmt}.train.jsonl", folder / f"{fmt}.valid.jsonl"
    for path in (train, valid):  # both, before either is written
        check_destination(path)
    written = []
    for path, split in ((train, TRAIN), (valid, VALID)):
        lines = list(jsonl(records((e for e in examples if e.split == split), fmt)))
        write_private(path, "".join(lines))
        written.append((path, len(lines)))
    advice: list[str] = []
    if fmt == "prompt-completion":
        advice = prepare_data_advice(list(prompt_completion_pairs(examples)))
    return Exported(tuple(written), tuple(advice))
