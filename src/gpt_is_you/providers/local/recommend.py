"""Which bases fit this machine, how long each would train on a model's examples, and
the one to recommend. ``recommend(model)`` is what ``gpt-is-you bases`` and the app show.

Each base is planned on the device training would use: a CUDA GPU (the largest; in
bfloat16 where it computes it, else float32, then in 4-bit QLoRA), Apple MPS (float32,
in up to 70% of the RAM it shares with the system) or the CPU (bfloat16 where it has the
instructions, else float32, in the RAM available now). Without gradient checkpointing
first, then with it. A GPU's 10% is left to CUDA's own context.

The recommended base, in this order:
1. the bases that fit (4-bit counts, on CUDA);
2. of those, the ones that speak the chat's language when it is not English: those that
   name it, else the multilingual ones, else all (with a warning);
3. the largest whose estimated training time is within the budget (an hour by default);
   where none is, the quickest. Nothing fits: the bundled base, with a warning.
A warning is also given when the chat is not in English and the base is English-only.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gpt_is_you.dataset.language import UNSURE
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local.base_model import default_gguf
from gpt_is_you.providers.local.catalogue import (
    BASES,
    BFLOAT16,
    FLOAT32,
    FOUR_BIT,
    Base,
    training_memory,
)
from gpt_is_you.providers.local.hardware import Hardware, gigabytes
from gpt_is_you.providers.local.throughput import Throughput, throughput

if TYPE_CHECKING:
    from gpt_is_you.store.models import Model

BUDGET_SECONDS = 3600
# Training tokens assumed when no model is named: a chat of a few thousand messages.
REFERENCE_TOKENS = 100_000
GPU_SHARE = 0.9
MPS_SHARE = 0.7
FITS, FITS_4BIT, NO = "fits", "4-bit", "no"
ENGLISH = "en"


@dataclass(frozen=True)
class Row:
    """One base on this machine."""

    base: Base
    fit: str  # FITS, FITS_4BIT (CUDA only) or NO
    precision: str  # the plan's: float32, bfloat16 or 4-bit
    checkpointing: bool  # the plan needs gradient checkpointing to fit
    memory: int  # bytes the plan needs
    throughput: Throughput
    seconds: float  # estimated training time for the tokens asked about
    downloaded: bool  # on this machine already (bundled, or in the Hugging Face cache)

    @property
    def fits(self) -> bool:
        return self.fit != NO

    @property
    def fit_text(self) -> str:
        """How it fits, as the CLI and the app say it: "no", "fits float32 +ckpt"."""
        if not self.fits:
            return "no"
        return f"{self.fit} {self.precision}" + (" +ckpt" if self.checkpointing else "")

    @property
    def time_text(self) -> str:
        return f"{duration(self.seconds)} ({self.throughput.kind})"

    def to_json(self) -> dict[str, object]:
        b = self.base
        return {
            "name": b.name,
            "label": b.label,
            "repo": b.repo,
            "params": b.params,
            "languages": list(b.languages),
            "licence": b.licence,
            "gated": b.gated,
            "size": b.size,
            "downloaded": self.downloaded,
            "fit": self.fit,
            "precision": self.precision,
            "checkpointing": self.checkpointing,
            "memory": self.memory,
            "tokens_per_second": round(self.throughput.tokens_per_second, 1),
            "throughput": self.throughput.kind,
            "seconds": round(self.seconds),
        }


@dataclass(frozen=True)
class Recommendation:
    hardware: Hardware
    language: str  # the chat's, ISO 639-1, "?" when unsure
    tokens: int  # training tokens (examples × epochs), or REFERENCE_TOKENS
    for_model: bool  # tokens are a model's; else the reference
    budget: float  # seconds
    rows: tuple[Row, ...]
    recommended: Row
    warning: str | None

    def row(self, name: str) -> Row | None:
        return next((r for r in self.rows if r.base.name == name), None)

    def to_json(self) -> dict[str, object]:
        return {
            "hardware": self.hardware.to_json(),
            "language": self.language,
            "tokens": self.tokens,
            "tokens_of": "model" if self.for_model else "reference",
            "budget_seconds": self.budget,
            "recommended": self.recommended.base.name,
            "warning": self.warning,
            "bases": [row.to_json() for row in self.rows],
        }


def recommend(
    model: Model | None = None,
    *,
    hardware: Hardware | None = None,
    budget: float = BUDGET_SECONDS,
    epochs: float = 1.0,
) -> Recommendation:
    """The catalogue on this machine for ``model``'s examples and language (or, without
    a model, for ``REFERENCE_TOKENS`` in an unknown language)."""
    from gpt_is_you.providers.local.hardware import probe

    hardware = hardware or probe()
    if model is None:
        return plan(hardware, UNSURE, REFERENCE_TOKENS, budget=budget)
    from gpt_is_you.dataset.examples import TRAIN
    from gpt_is_you.store.browse import split_tokens
    from gpt_is_you.store.models import read_language

    with model.db() as db:
        language = read_language(db)
        tokens = sum(split_tokens(db, TRAIN))
    return plan(hardware, language, round(tokens * epochs), budget=budget, for_model=True)


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def plan(
    hardware: Hardware,
    language: str,
    tokens: int,
    *,
    budget: float = BUDGET_SECONDS,
    for_model: bool = False,
) -> Recommendation:
    """The rows and the recommendation for a chat in ``language`` of ``tokens`` training
    tokens (see the module's docstring for the rule)."""
    rows = tuple(_row(base, hardware, tokens) for base in BASES)
    fitting = [r for r in rows if r.fits]
    warning = None
    if not fitting:
        chosen = rows[0]
        warning = (
            f"no base fits in this machine's memory ({hardware.describe()}); the bundled "
            f"{chosen.base.label} needs {gigabytes(chosen.memory)}"
        )
    else:
        speaking, language_warning = _speaking(fitting, language)
        within = [r for r in speaking if r.seconds <= budget]
        if within:
            chosen = max(within, key=lambda r: (r.base.params, not r.base.gated))
        else:
            chosen = min(speaking, key=lambda r: r.seconds)
        warning = language_warning or _english_only(chosen.base, language)
    return Recommendation(
        hardware=hardware,
        language=language,
        tokens=tokens,
        for_model=for_model,
        budget=budget,
        rows=rows,
        recommended=chosen,
        warning=warning,
    )


def _speaking(rows: list[Row], language: str) -> tuple[list[Row], str | None]:
    if language in (ENGLISH, UNSURE):
        return rows, None
    naming = [r for r in rows if r.base.speaks(language)]
    if naming:
        return naming, None
    multilingual = [r for r in rows if r.base.multilingual]
    if multilingual:
        return multilingual, (
            f"the chat is in '{language}', which no base that fits names among its "
            "languages; a multilingual one is recommended"
        )
    return rows, None  # the English-only warning follows


def _english_only(base: Base, language: str) -> str | None:
    if language in (ENGLISH, UNSURE) or base.speaks(language):
        return None
    return (
        f"the chat is in '{language}' but {base.label} knows English only: its replies will "
        "not make much sense; a multilingual base (Qwen2.5, Llama 3.2) needs more memory"
    )


def _row(base: Base, hardware: Hardware, tokens: int) -> Row:
    fit, precision, checkpointing, memory = _fit(base, hardware)
    speed = throughput(base, hardware, precision, checkpointing=checkpointing)
    return Row(
        base=base,
        fit=fit,
        precision=precision,
        checkpointing=checkpointing,
        memory=memory,
        throughput=speed,
        seconds=tokens / speed.tokens_per_second,
        downloaded=local_source(base) is not None,
    )


def _fit(base: Base, hardware: Hardware) -> tuple[str, str, bool, int]:
    """How ``base`` trains here: fit, precision, checkpointing and the memory needed."""
    if hardware.gpus:
        gpu = max(hardware.gpus, key=lambda g: g.memory)
        room = gpu.memory * GPU_SHARE
        plans = [(BFLOAT16 if gpu.bfloat16 else FLOAT32, FITS), (FOUR_BIT, FITS_4BIT)]
    elif hardware.mps:
        room = hardware.ram_total * MPS_SHARE
        plans = [(FLOAT32, FITS)]
    else:
        room = hardware.ram_available
        plans = [(BFLOAT16 if hardware.cpu_bfloat16 else FLOAT32, FITS)]
    for precision, fit in plans:
        for checkpointing in (False, True):
            memory = training_memory(base, precision, checkpointing=checkpointing)
            if memory <= room:
                return fit, precision, checkpointing, memory
    precision = plans[-1][0]
    return NO, precision, True, training_memory(base, precision, checkpointing=True)


def local_source(base: Base) -> str | None:
    """What ``base_model.resolve`` loads ``base`` from on this machine: ``default`` for
    the bundled base (when its package is installed), the folder of a complete download
    in the Hugging Face cache, or None."""
    if base.bundled:
        try:
            default_gguf()
        except ProviderError:
            return None
        return base.name
    if importlib.util.find_spec("huggingface_hub") is None:
        return None
    from gpt_is_you.providers.local.download import cached

    folder = cached(base.repo)
    return str(folder) if folder is not None else None
