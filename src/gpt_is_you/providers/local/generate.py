"""Writing replies with the base model plus a trained adapter, streamed as they come.

A trained job's model is loaded from its merged copy (``merged.py``: the adapter merged
into the weights once per job, so that a chat starts without peft); the adapter of a job
without one is merged at load (a merged model runs as fast as the base). Generation is a
plain loop over the model with its key/value cache, so that each token can be handed out
the moment it exists and the loop stops at the end of the persona's turn (the
template's end-of-turn token) or when the caller stops reading.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

from gpt_is_you.providers.base import Notice
from gpt_is_you.providers.local import base_model
from gpt_is_you.providers.local.device import pick_device
from gpt_is_you.providers.local.encode import prompt_ids, reply_ids
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store.conversations import bubbles as bubbles  # where the CLI and tests look


class PromptedChat:
    """What every local chat model shares: the prompt that fits its context, and the
    reply streamed as text from its ``_tokens`` (each runtime writes those its way)."""

    tokenizer: object
    context: int

    def prompt(self, messages: Sequence[dict[str, object]], room: int) -> list[int]:
        """The prompt's ids: the system message and as many of the latest turns as fit."""
        return fitting_prompt(messages, self.tokenizer, self.context - room)

    def stream(
        self, messages: Sequence[dict[str, object]], sampling: Sampling, *, stop: bool = True
    ) -> Iterator[str]:
        """The reply to ``messages`` (OpenAI chat format) as pieces of text.

        ``stop=False`` writes on past the end of the turn, up to ``max_tokens`` (benchmarks).
        """
        import torch

        room = min(sampling.max_tokens, self.context // 2)
        ids = self.prompt(messages, room)
        generator = None
        if sampling.seed is not None:
            generator = torch.Generator().manual_seed(sampling.seed)
        yield from text_pieces(self._tokens(ids, room, sampling, generator, stop), self.tokenizer)

    def _tokens(self, ids: list[int], room: int, sampling: Sampling, generator, stop: bool):
        raise NotImplementedError


class LocalChat(PromptedChat):
    """A loaded model that writes the persona's next turn."""

    def __init__(
        self,
        base: str = base_model.DEFAULT_BASE,
        adapter: Path | None = None,
        *,
        context: int = 1024,
        device: str = "auto",
        quantize: bool = True,
        model=None,
        tokenizer=None,
    ) -> None:
        import torch

        self.device = pick_device(device)
        if model is None:
            resolved = base_model.resolve(base)
            tokenizer = base_model.load_tokenizer(resolved)
            model = base_model.load_model(resolved, torch.float32)
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        self.model = model.to(self.device).eval()
        # Set while the loop feeds back the tokens it wrote: the one time a layer may read
        # its bfloat16 copy (see _for_decoding).
        self._writing = _Switch()
        if quantize:
            self.model = _for_decoding(self.model, self.device, self._writing)
        self.tokenizer = tokenizer
        self.context = min(context, getattr(model.config, "max_position_embeddings", context))
        self.stop_ids = end_ids(tokenizer, getattr(model.generation_config, "eos_token_id", None))
        # The last prompt's ids, the cache that read them, and its next token's logits.
        self._held = None

    @classmethod
    def of_job(
        cls, job_folder: Path, base: str, *, context: int = 1024, notice: Notice | None = None
    ) -> LocalChat:
        """The trained model of the job in ``job_folder`` (trained from ``base``): its
        merged copy, prepared first (``notice`` told) for a job trained before there was
        one."""
        from gpt_is_you.providers.local import merged

        source, adapter = merged.chat_source(job_folder, base, notice)
        return cls(source, adapter, context=context)

    def _tokens(self, ids: list[int], room: int, sampling: Sampling, generator, stop: bool):
        """The reply's token ids, written one by one after the prompt ``ids``."""
        import torch

        cache, reused, logits = self._reuse(ids)
        written = False
        try:
            with torch.inference_mode():
                step_input = torch.tensor([ids[reused:]], device=self.device)
                for _ in range(room):
                    if logits is None:
                        self._writing.on = written
                        out = self.model(input_ids=step_input, cache=cache, logits_to_keep=1)
                        logits = out.logits[0, -1].float()
                        if not written:
                            self._held = (ids, cache, logits)
                    token = sample_token(logits, sampling, generator)
                    logits = None
                    if stop and token in self.stop_ids:
                        break
                    written = True
                    yield token
                    step_input = torch.tensor([[token]], device=self.device)
        finally:
            self._writing.on = False  # whoever uses the model next reads a prompt

    def score(
        self, messages: Sequence[dict[str, object]], candidates: Sequence[str]
    ) -> list[float]:
        """How likely each candidate is as the persona's reply to ``messages``: the mean
        log-likelihood of its tokens (its end-of-turn token included) after the prompt a
        reply is written from.

        The mean per token, not the sum: a sum favours short texts, and the evaluation's
        candidates are matched in characters, not in tokens. The prompt is read once, or
        not at all when a reply to it was just written (its cache is held, as for a reply
        written again: the evaluation writes a reply, then scores, on each prompt); the
        candidates are then read in one batch on that cache repeated for each
        (right-padded: a causal model's padding at the end changes nothing before it),
        and the cache is left as it was. Read in float32 throughout, as prompts are: a
        score is the same on any processor.
        """
        import torch

        replies = [reply_ids(list(messages), text, self.tokenizer) for text in candidates]
        room = min(max(map(len, replies)), self.context // 2)
        replies = [reply[:room] for reply in replies]  # a very long one: its beginning
        ids = self.prompt(messages, room)
        cache, reused, logits = self._reuse(ids)
        with torch.inference_mode():
            if logits is None:
                unread = torch.tensor([ids[reused:]], device=self.device)
                read = self.model(input_ids=unread, cache=cache, logits_to_keep=1)
                logits = read.logits[0, -1].float()
                self._held = (ids, cache, logits)
            first = logits.log_softmax(-1)  # each reply's first token
            totals = [float(first[reply[0]]) for reply in replies]
            width = max(map(len, replies)) - 1
            if width:
                batch = [reply[:-1] + [reply[0]] * (width + 1 - len(reply)) for reply in replies]
                cache.batch_repeat_interleave(len(replies))
                try:
                    out = self.model(input_ids=torch.tensor(batch, device=self.device), cache=cache)
                finally:  # the prompt's cache again, held for a reply or a score
                    cache.batch_select_indices(torch.tensor([0], device=self.device))
                    cache.crop(len(ids) - cache.get_seq_length())
                following = out.logits.float().log_softmax(-1)  # [reply, position, token]
                for row, reply in enumerate(replies):
                    positions = torch.arange(len(reply) - 1, device=self.device)
                    tokens = torch.tensor(reply[1:], device=self.device)
                    totals[row] += float(following[row, positions, tokens].sum())
        return [total / len(reply) for total, reply in zip(totals, replies, strict=True)]

    def _reuse(self, ids: list[int]):
        """The cache of the last prompt cut to what it shares with ``ids``, its length, and
        the logits of the next token when ``ids`` is that very prompt (a reply written
        again), else None.

        In a conversation each prompt begins with the previous one, so the model reads only
        the previous reply and the newest message: the first token comes sooner. Only what
        was read as a prompt is kept: the reply's own tokens were read through the bfloat16
        copies (see _for_decoding), and a reply must not depend on whether its prompt was
        cached (a seed repeats a reply exactly).
        """
        from transformers import DynamicCache

        if self._held is not None:
            held, cache, logits = self._held
            shared = 0
            for a, b in zip(held, ids, strict=False):
                if a != b:
                    break
                shared += 1
            if shared == len(held) == len(ids):
                cache.crop(shared - cache.get_seq_length())  # the reply's tokens go
                return cache, shared, logits
            shared = min(shared, len(ids) - 1)  # one id at least left to read
            if shared:
                cache.crop(shared - cache.get_seq_length())
                return cache, shared, None
        return DynamicCache(config=self.model.config), 0, None


def fitting_prompt(messages: Sequence[dict[str, object]], tokenizer, room: int) -> list[int]:
    """The ids a model continues to write the next turn, within ``room`` tokens: the
    system message and as many of the latest turns as fit (cut at the start when even the
    latest alone does not)."""
    system, turns = list(messages[:1]), list(messages[1:])
    ids = prompt_ids(system + turns, tokenizer)
    while len(ids) > room and len(turns) > 1:
        turns = turns[1:]
        ids = prompt_ids(system + turns, tokenizer)
    return ids[-room:]


def end_ids(tokenizer, eos) -> set[int]:
    """The ids that end the persona's turn: the tokenizer's end, the chat template's end of
    turn, and the model's ``eos_token_id`` (one id or several)."""
    ends = {tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|im_end|>")}
    ends |= set(_as_list(eos))
    return {i for i in ends if isinstance(i, int) and i >= 0}


def text_pieces(tokens: Iterator[int], tokenizer) -> Iterator[str]:
    """The text of ``tokens`` as they come, each piece what the latest token added; a
    character split over several tokens shows up once it is whole. ``tokens`` is closed
    when the caller stops reading, so that its runtime is left ready for the next reply."""
    written: list[int] = []
    shown = ""
    with contextlib.closing(tokens):
        for token in tokens:
            written.append(token)
            text = tokenizer.decode(written, skip_special_tokens=True)
            if len(text) > len(shown) and not text.endswith("\ufffd"):
                yield text[len(shown) :]
                shown = text
    text = tokenizer.decode(written, skip_special_tokens=True)
    if len(text) > len(shown):
        yield text[len(shown) :]


def sample_token(logits, sampling: Sampling, generator) -> int:
    import torch

    if sampling.temperature <= 0:
        return int(logits.argmax())
    probs = torch.softmax(logits / sampling.temperature, dim=-1)
    if sampling.top_p < 1:
        sorted_probs, order = probs.sort(descending=True)
        cumulative = sorted_probs.cumsum(0)
        keep = cumulative - sorted_probs < sampling.top_p  # the smallest set reaching top_p
        sorted_probs = sorted_probs * keep
        choice = torch.multinomial(sorted_probs / sorted_probs.sum(), 1, generator=generator)
        return int(order[choice])
    return int(torch.multinomial(probs, 1, generator=generator))


def _for_decoding(model, device: str, writing: _Switch):
    """The model as it runs fastest on this device.

    On a CPU, writing one token at a time is bound by memory traffic: every token reads
    every weight. Each linear layer keeps a bfloat16 copy of its weight, half the bytes,
    for the tokens the model writes (while ``writing`` is on), and its float32 weight for
    the prompt, where bfloat16 is slower on CPUs without bfloat16 instructions. The
    prompt is read in float32 however short it is: how a CPU rounds bfloat16 differs from
    host to host, and a prompt read either way would give a seed two replies. (8-bit
    integer layers that also quantize the activations were faster still, but changed the
    likeliest token at most positions: this model's activations have outliers.)
    """
    if device != "cpu":
        return model
    import torch

    linear = _two_precision_linear()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                setattr(parent, name, linear(child, writing))
    return model


class _Switch:
    """A flag that every layer of one model reads."""

    on = False


@functools.cache
def _two_precision_linear():
    import torch

    class TwoPrecisionLinear(torch.nn.Module):
        def __init__(self, linear, writing: _Switch) -> None:
            super().__init__()
            self.weight = linear.weight
            self.bias = linear.bias
            self.half = linear.weight.detach().to(torch.bfloat16)
            self.writing = writing

        def forward(self, x):
            if not self.writing.on:
                return torch.nn.functional.linear(x, self.weight, self.bias)
            out = torch.nn.functional.linear(x.to(torch.bfloat16), self.half).to(x.dtype)
            return out if self.bias is None else out + self.bias

    return TwoPrecisionLinear


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
