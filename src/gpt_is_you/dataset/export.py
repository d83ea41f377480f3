"""Writing examples in the formats other tools read.

- ``openai``: OpenAI's chat fine-tuning JSONL, ``{"messages": [...]}`` a line, with
  ``weight: 0`` on assistant turns given as context only;
- ``prompt-completion``: the original recipe's legacy format for babbage-002 and
  davinci-002, one pair per persona turn learned: the conversation before it as the
  prompt, ending with the separator, the turn as the completion, starting with a
  space and ending with the stop sequence;
- ``sharegpt``: ``{"system": ..., "conversations": [{"from", "value"}]}`` for
  LLaMA-Factory, Axolotl and Unsloth (which have no per-turn weights: context turns
  are kept as ordinary turns).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from gpt_is_you.dataset.checks import SEPARATOR, STOP
from gpt_is_you.dataset.examples import ASSISTANT, USER, Example

FORMATS = ("openai", "prompt-completion", "sharegpt")


def openai_records(examples: Iterable[Example]) -> Iterator[dict[str, object]]:
    for example in examples:
        yield {"messages": example.chat_messages()}


def prompt_completion_pairs(examples: Iterable[Example]) -> Iterator[tuple[str, str]]:
    for example in examples:
        before: list[str] = []
        for turn in example.turns:
            if turn.role == ASSISTANT and turn.weight and before:
                yield "\n".join(before) + SEPARATOR, f" {turn.text}{STOP}"
            before.append(f"{turn.speaker}: {turn.text}")


def sharegpt_records(examples: Iterable[Example]) -> Iterator[dict[str, object]]:
    for example in examples:
        conversation = [
            {
                "from": "human" if turn.role == USER else "gpt",
                "value": f"{turn.speaker}: {turn.text}"
                if turn.role == USER and example.group
                else turn.text,
            }
            for turn in example.turns
        ]
        yield {"system": example.system, "conversations": conversation}


def records(examples: Iterable[Example], fmt: str) -> Iterator[dict[str, object]]:
    """The JSON objects of ``fmt``, one per line of its JSONL file."""
    if fmt == "openai":
        return openai_records(examples)
    if fmt == "prompt-completion":
        return ({"prompt": p, "completion": c} for p, c in prompt_completion_pairs(examples))
    if fmt == "sharegpt":
        return sharegpt_records(examples)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def jsonl(objects: Iterable[dict[str, object]]) -> Iterator[str]:
    for obj in objects:
        yield json.dumps(obj, ensure_ascii=False) + "\n"
