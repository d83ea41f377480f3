"""The settings a fine-tuning job and a chat reply take, shared by every backend."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import ClassVar, Self

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.limits import Limit, check

PRECISIONS = ("auto", "float32", "bfloat16")
# Memory choices; auto: what the memory budget needs (providers/local/budget.py).
QUANTIZE = ("auto", "none", "4bit")
CHECKPOINTING = ("auto", "on", "off")
# A seed any backend takes: a signed 32-bit integer (OpenAI's API, torch, Python's random).
SEED = Limit(0, 2**31 - 1, whole=True)
# Every so many steps; a number no run reaches (the benchmarks' 10**9) means never.
_EVERY = Limit(1, 10**9, whole=True)


class _Stored:
    """Settings a job keeps as JSON, read back with the fields this version knows (a
    field an older version wrote and this one dropped is left out)."""

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class TrainSettings(_Stored):
    """How to fine-tune. The defaults are the quick budget: one pass over the sample chat
    on a 2-core laptop CPU in a few minutes, enough to learn a strong voice."""

    base: str = "default"  # see providers.local.base_model.resolve
    epochs: float = 1.0
    max_steps: int | None = None  # stops earlier than the epochs would
    lr: float = 4e-4
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    max_seq_len: int = 1024
    batch_tokens: int = 2048  # rows × longest row of one micro-batch
    grad_accum: int = 1  # micro-batches per optimizer step
    warmup_share: float = 0.05
    eval_every: int = 20  # steps; the validation split is also scored before and after
    checkpoint_every: int = 20
    seed: int = 0
    device: str = "auto"  # auto, cpu, cuda, mps
    # The weights' precision (PRECISIONS); auto: bfloat16 where the device computes it
    # faster (a GPU that has it, a CPU with bfloat16 instructions), else float32.
    precision: str = "auto"
    threads: int | None = None  # CPU threads; None: torch's choice (the physical cores)
    # Training processes sharing each step (providers/local/ranks.py); None: one per CUDA
    # GPU, one on MPS or the CPU. Several on the CPU is what the tests do (gloo).
    processes: int | None = None
    # QUANTIZE: 4-bit weights (QLoRA, CUDA only); auto: when the base does not fit in
    # bfloat16. CHECKPOINTING: layers computed again in the backward pass to save their
    # activations; auto: when the longest example would not fit without.
    quantize: str = "auto"
    gradient_checkpointing: str = "auto"

    LIMITS: ClassVar[dict[str, Limit]] = {
        "epochs": Limit(0, 100, above=True),
        "max_steps": Limit(1, 1_000_000, whole=True, optional=True),
        "lr": Limit(0, 1, above=True, below=True),
        "lora_rank": Limit(1, 256, whole=True),
        "lora_alpha": Limit(1, 512, whole=True),  # twice the rank, as chosen() makes it
        "lora_dropout": Limit(0, 1, below=True),
        # What a small base on a CPU or one GPU can hold; longer examples are cut to it.
        "max_seq_len": Limit(16, 32768, whole=True, unit="tokens"),
        "batch_tokens": Limit(16, 2**24, whole=True),
        "grad_accum": Limit(1, 1024, whole=True),
        "warmup_share": Limit(0, 1, below=True),
        "eval_every": _EVERY,
        "checkpoint_every": _EVERY,
        "seed": SEED,
        "threads": Limit(1, 1024, whole=True, optional=True),
        "processes": Limit(1, 64, whole=True, optional=True),
    }

    def __post_init__(self) -> None:
        # Also when a job's stored settings are read back by its worker.
        check(asdict(self), self.LIMITS)
        for name, choices in (
            ("precision", PRECISIONS),
            ("quantize", QUANTIZE),
            ("gradient_checkpointing", CHECKPOINTING),
        ):
            if getattr(self, name) not in choices:
                raise SettingsError(f"{name} must be one of {', '.join(choices)}")

    @classmethod
    def chosen(cls, *, lora_rank: int, **choices: object) -> TrainSettings:
        """Settings from what a user chose (CLI flags, the app's form): LoRA's alpha
        follows the rank at twice it, as the defaults have it."""
        return cls(lora_rank=lora_rank, lora_alpha=2 * lora_rank, **choices)


@dataclass(frozen=True)
class Sampling(_Stored):
    """How to write a reply; a model keeps the chat's (F2) in its store."""

    temperature: float = 0.8  # 0: always the likeliest token
    top_p: float = 0.95
    max_tokens: int = 200
    seed: int | None = None

    LIMITS: ClassVar[dict[str, Limit]] = {
        "temperature": Limit(0, 2),  # OpenAI's range
        "top_p": Limit(0, 1, above=True),
        "max_tokens": Limit(1, 4096, whole=True, unit="tokens"),
        "seed": replace(SEED, optional=True),
    }

    def __post_init__(self) -> None:
        check(asdict(self), self.LIMITS)

    def describe(self) -> str:
        """The settings in a line, as both chats show them."""
        return (
            f"temperature {self.temperature:g} · top-p {self.top_p:g} · "
            f"up to {self.max_tokens} tokens"
        )


# What OpenAI fine-tunes with supervised jobs, newest first (its model-optimization guide);
# the user may name any other model, and the service says whether it accepts it.
REMOTE_BASES = (
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-2024-08-06",
    "gpt-3.5-turbo-0125",
    "babbage-002",
    "davinci-002",
)
# The completion models of the original recipe: they learn prompt/completion pairs.
LEGACY_BASES = ("babbage-002", "davinci-002")
SUFFIX_LIMIT = 64  # characters OpenAI allows in a fine-tuned model's suffix


@dataclass(frozen=True)
class RemoteSettings(_Stored):
    """How to fine-tune on OpenAI or Azure OpenAI. None leaves a choice to the service
    ("auto"), as its API does."""

    base: str = REMOTE_BASES[0]
    epochs: int | None = None
    batch_size: int | None = None
    lr_multiplier: float | None = None
    seed: int | None = 0
    suffix: str | None = None  # the model's name when None
    delete_files: bool = False  # delete the uploaded files once the job has ended

    # OpenAI's ranges for these hyperparameters; None is "auto".
    LIMITS: ClassVar[dict[str, Limit]] = {
        "epochs": Limit(1, 50, whole=True, optional=True),
        "batch_size": Limit(1, 256, whole=True, optional=True),
        "lr_multiplier": Limit(0, 10, above=True, optional=True),
        "seed": replace(SEED, optional=True),
    }

    def __post_init__(self) -> None:
        check(asdict(self), self.LIMITS)

    @property
    def legacy(self) -> bool:
        return self.base.removeprefix("ft:").split(":")[0] in LEGACY_BASES

    def problems(self) -> list[tuple[str, str]]:
        """What is wrong with the names a user chose, as (field, message) pairs (the
        numbers were checked when the settings were made); the CLI prefixes the message
        with the field's flag, the app shows it by the field."""
        checks = [
            ("base", not self.base.strip(), "must name a model"),
            (
                "suffix",
                self.suffix is not None and len(self.suffix) > SUFFIX_LIMIT,
                f"must be at most {SUFFIX_LIMIT} characters",
            ),
        ]
        return [(name, message) for name, failed, message in checks if failed]

    def hyperparameters(self) -> dict[str, object]:
        chosen = {
            "n_epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.lr_multiplier,
        }
        return {k: v for k, v in chosen.items() if v is not None}
