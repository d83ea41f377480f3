"""Examples as token ids with labels: the persona's turns learned, everything else masked.

The conversation is written with the base model's own chat template. Where each learned
turn starts and ends in that text comes from rendering the conversation up to it: the
template's output for the first ``i`` messages is a prefix of the whole, so the turn's
content begins after the rendering of ``messages[:i]`` with the assistant header added,
and ends where ``messages[:i + 1]`` ends (its end-of-turn token included, which is what
teaches the model to stop). Tokens whose first character lies in such a span get their
own id as label; every other token gets IGNORE.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from gpt_is_you.providers.errors import ProviderError

IGNORE = -100  # the label PyTorch's cross-entropy skips


@dataclass(frozen=True)
class Encoded:
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]  # IGNORE, or the token itself where it is learned
    truncated: bool

    @property
    def learned(self) -> int:
        return sum(label != IGNORE for label in self.labels)


def encode(messages: list[dict[str, object]], tokenizer, max_len: int) -> Encoded:
    """One conversation (OpenAI chat format, ``weight`` 0 for context) as ids and labels."""
    plain = _plain(messages)
    text = _render(tokenizer, plain)
    spans = [
        _span(tokenizer, plain, i, text)
        for i, message in enumerate(messages)
        if message["role"] == "assistant" and message.get("weight", 1) != 0
    ]
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"]
    starts = [begin for begin, _ in enc["offset_mapping"]]
    labels = [IGNORE] * len(ids)
    for begin, end in spans:
        for j in range(bisect_left(starts, begin), bisect_left(starts, end)):
            labels[j] = ids[j]
    truncated = len(ids) > max_len
    return Encoded(tuple(ids[:max_len]), tuple(labels[:max_len]), truncated)


def prompt_ids(messages: list[dict[str, object]], tokenizer) -> list[int]:
    """The ids a model continues to write the next assistant turn."""
    text = _render(tokenizer, _plain(messages), add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def reply_ids(messages: list[dict[str, object]], reply: str, tokenizer) -> list[int]:
    """The ids of ``reply`` written as the assistant turn after ``messages`` (what
    follows ``prompt_ids``), its end-of-turn token included: the tokens a model writes
    when it writes that reply and stops."""
    plain = [*_plain(messages), {"role": "assistant", "content": reply}]
    text = _render(tokenizer, plain)
    start, end = _span(tokenizer, plain, len(plain) - 1, text)
    return tokenizer(text[start:end], add_special_tokens=False)["input_ids"]


def _plain(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def _span(tokenizer, plain: list[dict[str, object]], i: int, text: str) -> tuple[int, int]:
    """Where assistant turn ``i`` lies in ``text``, the whole conversation rendered: from
    the end of the assistant header to its end-of-turn token included."""
    start = len(_render(tokenizer, plain[:i], add_generation_prompt=True))
    upto = _render(tokenizer, plain[: i + 1]).rstrip()
    if not text.startswith(upto) or start > len(upto):
        raise ProviderError(
            "the base model's chat template does not write a conversation turn by turn; "
            "choose another base model"
        )
    return start, len(upto)


def _render(tokenizer, messages: list[dict[str, object]], add_generation_prompt=False) -> str:
    if not messages:
        return ""
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )
