"""Exact, offline token counts for OpenAI targets.

Counts come from ``bpe-openai``, which ships the ``o200k_base`` and ``cl100k_base``
vocabularies inside its wheel and gives the same tokens as tiktoken (``tests/test_tokens.py``
pins known tiktoken outputs). tiktoken itself is not used: it downloads its vocabularies.

Nothing is loaded at import time. The first count for an encoding imports ``bpe_openai``
(about a second: that package reads its vocabularies when imported) and builds that
encoding's tokenizer once; later counts reuse it.

Local targets count with their base model's own tokenizer, which lives with the local
backend; this module is for OpenAI models only.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType

from gpt_is_you.dataset.examples import ASSISTANT, USER, Example

O200K = "o200k_base"
CL100K = "cl100k_base"
ENCODINGS = (O200K, CL100K)

# Matched against the model id, lower-cased, without any "ft:" wrapper; the rest is o200k.
_CL100K_MODELS = re.compile(
    r"gpt-3\.5(-turbo)?(-.*)?$|gpt-35-turbo(-.*)?$"  # gpt-3.5-turbo-0125; Azure spells it gpt-35
    r"|gpt-4(-.*)?$"  # gpt-4, gpt-4-0613, gpt-4-turbo, gpt-4-32k (not gpt-4o, gpt-4.1)
    r"|babbage-002$|davinci-002$"
    r"|text-embedding-(ada-002|3-small|3-large)$"
)


def encoding_for(model: str) -> str:
    """The tokenizer encoding OpenAI uses for ``model``.

    ``o200k_base`` for gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5* and the o-series (o1, o3, o4-mini…);
    ``cl100k_base`` for gpt-3.5-turbo*, gpt-4 and its non-"o" snapshots (gpt-4-0613,
    gpt-4-turbo…), babbage-002 and davinci-002. A fine-tuned id such as
    ``ft:gpt-4o-mini-2024-07-18:org::abc123`` counts like its base model, and an encoding
    name is returned as is.

    An unknown model gets ``o200k_base``, the encoding of every current OpenAI chat model,
    rather than an error: a count is still useful, and new models have all used it so far.
    """
    name = model.strip().lower()
    if name in ENCODINGS:
        return name
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    if _CL100K_MODELS.match(name):
        return CL100K
    return O200K  # gpt-4o*, chatgpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1/o3/o4-mini…, unknown


@cache
def _counter(encoding: str) -> Callable[[str], int]:
    """The counting function for ``encoding``, built on first use and kept."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; use {' or '.join(ENCODINGS)}")
    # The Rust tokenizer that bpe_openai.Encoding wraps (typed in _bindings.pyi). Its
    # count() gives len(encode_ordinary()) without building the token list, is ~1.5×
    # faster on short lines, and has none of the wrapper's size guards (a 1,000,000
    # character cap and a 200,000 token "chunk limit"), which a whole export exceeds.
    bindings = _rust_bindings()
    if bindings is not None:
        return bindings.tokenizer_for_encoding(encoding).count
    with warnings.catch_warnings():  # pragma: no cover - a bpe-openai laid out otherwise
        # bpe_openai reads its vocabularies with a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai
    encode = bpe_openai.get_encoding(encoding).encode_ordinary
    return lambda text: len(encode(text))


def _rust_bindings() -> ModuleType | None:
    """bpe_openai's compiled tokenizer module, loaded on its own.

    Importing the bpe_openai package decodes all three of its vocabularies in Python
    to list their special tokens (1.4 s here); the compiled tokenizer carries its own
    data and loads in a tenth of that. So the extension is loaded from its file without
    the package around it.
    """
    package = importlib.util.find_spec("bpe_openai")
    folders = package.submodule_search_locations if package else None
    for folder in folders or ():
        for path in Path(folder).glob("_bindings*.so"):
            spec = importlib.util.spec_from_file_location("bpe_openai._bindings", path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    return None


def _valid_utf8(text: str) -> str:
    """Replace lone surrogates with U+FFFD, as tiktoken does before encoding."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def count_text(text: str, encoding: str) -> int:
    """The number of tokens in ``text`` (``encoding``: ``o200k_base`` or ``cl100k_base``).

    Special-token strings such as ``<|endoftext|>`` are counted as the ordinary text they
    are in a chat (tiktoken's ``encode_ordinary``).
    """
    count = _counter(encoding)
    if not text:
        return 0
    return count(_valid_utf8(text))


# OpenAI cookbook, "Data preparation and analysis for chat model fine-tuning"
# (examples/Chat_finetuning_data_prep.ipynb, num_tokens_from_messages) and "How to count
# tokens with tiktoken" (examples/How_to_count_tokens_with_tiktoken.ipynb): every message
# costs 3 tokens plus the tokens of each of its values, a "name" key 1 more, and every
# reply is primed with <|start|>assistant<|message|>, 3 more tokens per conversation. The
# cookbook's own example conversation counts 129 in cl100k_base and 124 in o200k_base.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3

# Keys that are training metadata, not text the model reads.
_NOT_TEXT = frozenset({"weight"})


def count_chat(
    messages: Sequence[Mapping[str, object]],
    encoding: str,
    count: Callable[[str], int] | None = None,
) -> int:
    """Tokens of one chat example (its ``messages`` list), counted as the OpenAI cookbook does.

    Only string values are counted: ``weight`` and non-text values such as a
    ``function_call`` object add nothing. The count is additive: a conversation counts the
    sum of its messages' costs plus the 3-token reply priming, so dropping a message lowers
    the count by exactly that message's cost. ``count`` replaces ``count_text`` for the
    texts, for a caller that remembers counts (see ``memo_counter``).
    """
    count = count or (lambda text: count_text(text, encoding))
    total = TOKENS_REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key in _NOT_TEXT or not isinstance(value, str):
                continue
            total += count(value)
            if key == "name":
                total += TOKENS_PER_NAME
    return total


def memo_counter(encoding: str) -> Callable[[str], int]:
    """``count_text`` for ``encoding`` that counts each distinct text once: building a
    dataset sizes every turn for the limit, then every example made of those turns."""
    counts: dict[str, int] = {}

    def count(text: str) -> int:
        n = counts.get(text)
        if n is None:
            n = counts[text] = count_text(text, encoding)
        return n

    return count


def count_example(example: Example, count: Callable[[str], int]) -> int:
    """``count_chat(example.chat_messages(), …)`` without building the messages: what
    sizing thousands of examples of a large chat needs."""
    total = TOKENS_REPLY_PRIMING + TOKENS_PER_MESSAGE + count("system") + count(example.system)
    per_role = {role: TOKENS_PER_MESSAGE + count(role) for role in (USER, ASSISTANT)}
    for turn in example.turns:
        total += per_role[turn.role]
        if turn.role == USER and example.group:
            total += count(f"{turn.speaker}: {turn.text}")
        else:
            total += count(turn.text)
    return total
