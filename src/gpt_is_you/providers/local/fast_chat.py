"""Writing replies on the CPU through ONNX Runtime GenAI: the job's model converted once
with int8 weights (``fast.py``), streamed as ``LocalChat`` streams them.

The prompt is written and cut by the same functions as ``LocalChat``'s (the base's chat
template, the latest turns that fit), replies end at the same end-of-turn ids and are
sampled by the same function, so that only the arithmetic differs. The generator and
the ids it has read are kept between replies: in a conversation each prompt begins with
the previous prompt and reply, so the runtime goes back to where the two part
(``rewind_to``) and reads only what is new (``append_tokens``), and the first token of a
follow-up comes in a fraction of a second.
"""

from __future__ import annotations

import json
from pathlib import Path

from gpt_is_you.providers.local.generate import PromptedChat, end_ids, sample_token
from gpt_is_you.providers.settings import Sampling


class FastChat(PromptedChat):
    """A converted model (``folder``: ``<job>/onnx-int8/``) that writes the persona's next
    turn; ``stream`` as ``LocalChat.stream``. The evaluation's ``score`` is PyTorch's
    (``LocalProvider.eval_chats``): it reads many candidates in one batch, which this
    runtime's generator does not."""

    runtime = "onnxruntime-genai"

    def __init__(self, folder: Path, *, context: int = 1024) -> None:
        import onnxruntime_genai as og
        from transformers import AutoTokenizer

        from gpt_is_you.providers.local.base_model import quiet_transformers

        quiet_transformers()
        runtime = og.Config(str(folder))
        runtime.clear_providers()  # the CPU: what this runtime is here for
        self.model = og.Model(runtime)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        config = json.loads((folder / "config.json").read_text())
        generation = folder / "generation_config.json"
        if generation.is_file():  # where transformers reads the ends from, as LocalChat does
            config = {**config, **json.loads(generation.read_text())}
        self.context = min(context, config.get("max_position_embeddings", context))
        self.stop_ids = end_ids(self.tokenizer, config.get("eos_token_id"))
        self._generator = None
        self._read: list[int] = []  # the ids whose keys and values the generator holds
        self.fed = 0  # ids read for the latest prompt (its new part): tests and the bench
        # One id read now, so that a model the runtime converts but cannot run (attention
        # heads of other than a multiple of 16 values) fails here, where chat falls back
        # to PyTorch, not at the first reply.
        self.logits_after([next(iter(self.stop_ids), 0)])

    def _tokens(self, ids: list[int], room: int, sampling: Sampling, generator, stop: bool):
        import torch

        logits = self.logits_after(ids)
        for left in range(room, 0, -1):
            token = sample_token(torch.from_numpy(logits), sampling, generator)
            if stop and token in self.stop_ids:
                return
            yield token
            if left > 1:
                logits = self._append([token])

    def logits_after(self, ids: list[int]):
        """The next token's logits after ``ids`` (a numpy vector), read from where the held
        generator's ids part from them (one id at least is read again: its logits are the
        ones wanted), or by a new generator when nothing is shared."""
        shared = 0
        for a, b in zip(self._read, ids, strict=False):
            if a != b:
                break
            shared += 1
        shared = min(shared, len(ids) - 1)
        if self._generator is None or shared == 0:
            self._generator, self._read, shared = self._new_generator(), [], 0
        elif shared < len(self._read):
            self._generator.rewind_to(shared)
            del self._read[shared:]
        self.fed = len(ids) - shared
        return self._append(ids[shared:])

    def _append(self, ids: list[int]):
        try:
            self._generator.append_tokens(ids)
        except BaseException:  # half read (stopped, or over its length): start afresh
            self._generator, self._read = None, []
            raise
        self._read += ids
        return self._generator.get_logits().reshape(-1).copy()

    def _new_generator(self):
        import onnxruntime_genai as og

        params = og.GeneratorParams(self.model)
        # The cache is made this long once; a prompt and its reply never pass it (``room``).
        params.set_search_options(max_length=self.context)
        return og.Generator(self.model, params)
