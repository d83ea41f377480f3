"""Building a model's examples from an export: read, check the persona, build, count.

The one path both faces use (``gpt-is-you new``, ``duplicate`` and the app's import
wizard) before ``store.new.store`` writes the result.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from gpt_is_you.chats import Chat, ChatImportError, read_export
from gpt_is_you.chats.summary import ChatSummary, summarize
from gpt_is_you.dataset.build import Dataset, build
from gpt_is_you.dataset.cost import DEFAULT_REMOTE_MODEL, CostEstimate, estimate
from gpt_is_you.dataset.examples import TRAIN, VALID
from gpt_is_you.dataset.language import chat_language
from gpt_is_you.dataset.persona import pick_participant
from gpt_is_you.dataset.settings import TARGETS, BuildSettings, target_named

# The stages ``progress`` hears, each with the share of the work done when it starts.
READING, SUMMARIZING, BUILDING, COUNTING, DONE = (
    "reading",
    "summarizing",
    "building",
    "counting tokens",
    "done",
)
Progress = Callable[[str, float], None]
# Shares measured on a 200,000-message export: reading a third, building most of the
# rest; token counts are memoized, so counting is quick.
_READ_SHARE = 0.3
_READ_AND_BUILD_SHARES = (0.3, 0.9)  # building starts at, counting starts at
_BUILD_SHARES = (0.0, 0.85)  # the same, when the export is read already


@dataclass(frozen=True)
class Source:
    """An export read and summarized, with the hash that identifies it."""

    chat: Chat
    summary: ChatSummary
    sha256: str


@dataclass(frozen=True)
class Prepared:
    """An export read and built, before anything is stored: what ``new`` shows."""

    chat: Chat
    summary: ChatSummary
    dataset: Dataset
    tokens: tuple[int, ...]  # per example, as the target counts them
    sha256: str
    target: str

    @property
    def language(self) -> str:
        """The language the persona writes in (ISO 639-1, "?" when unsure)."""
        return chat_language(self.chat.messages, self.dataset.settings.persona)

    @property
    def remote(self) -> bool:
        """Built to be trained at a service: the persona's messages would leave."""
        return TARGETS[self.target].remote

    def tokens_of(self, split: str) -> list[int]:
        """The token count of each example of ``split`` (TRAIN or VALID)."""
        pairs = zip(self.dataset.examples, self.tokens, strict=True)
        return [n for e, n in pairs if e.split == split]

    def split_tokens(self, split: str) -> int:
        return sum(self.tokens_of(split))

    @property
    def over_limit(self) -> int:
        return sum(n > self.dataset.settings.max_tokens for n in self.tokens)

    def cost(self, model: str = DEFAULT_REMOTE_MODEL) -> CostEstimate | None:
        """What training on the remote target would cost; None for local training."""
        if self.target == "local":
            return None
        train = self.tokens_of(TRAIN)
        if not train:
            return None
        return estimate(train, model, limit=self.dataset.settings.max_tokens)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the user should know about the export and the examples built from it."""
        found = list(self.chat.warnings)
        data = self.dataset
        if not data.examples:
            found.append(f"no examples: {data.settings.persona} never answers anyone in this chat")
        elif data.settings.validation_share > 0 and not self.tokens_of(VALID):
            found.append(
                f"nothing held out for validation: the chat has {data.sessions} session(s), "
                "too few to spare one"
            )
        if self.over_limit:
            found.append(
                f"{self.over_limit} example(s) hold a single turn longer than the "
                f"{data.settings.max_tokens}-token limit"
            )
        return tuple(found)

    def persona_messages(self) -> int:
        persona = self.dataset.settings.persona
        return next((p.messages for p in self.summary.participants if p.name == persona), 0)


def read_source(
    export: str | Path,
    *,
    date_order: str | None = None,
    chat: str | None = None,
    progress: Progress | None = None,
) -> Source:
    """Read ``export`` once: what every build of a model from it starts from."""
    report = progress or _quiet
    report(READING, 0.0)
    parsed = read_export(export, date_order=date_order, chat=chat)
    report(SUMMARIZING, 0.85)
    source = Source(parsed, summarize(parsed), _source_hash(Path(export)))
    report(DONE, 1.0)
    return source


def prepare(
    export: str | Path | Source,
    settings: BuildSettings,
    *,
    target: str = "local",
    date_order: str | None = None,
    chat: str | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Read ``export`` and build its examples with ``settings`` for ``target``.

    ``settings`` are the model's (``BuildSettings.for_target`` gives the target's
    defaults); their persona and "me" may name someone as the user typed them: they are
    matched against the chat's people. An export already read (a ``Source``) is built
    again without reading it: the app rebuilds as the user changes options.
    ``progress`` hears each stage as it starts, with the share of the work done so far.
    """
    from gpt_is_you.dataset.tokens import count_example, memo_counter

    encoding = target_named(target).encoding
    report = progress or _quiet
    if isinstance(export, Source):
        if date_order is not None or chat is not None:
            raise ValueError("date_order and chat choose how to read; this export is read")
        source, shares = export, _BUILD_SHARES
    else:
        reading = _scaled(report, 0.0, _READ_SHARE)
        source = read_source(export, date_order=date_order, chat=chat, progress=reading)
        shares = _READ_AND_BUILD_SHARES
    persona = pick_participant(source.summary, settings.persona)
    me = settings.me
    if me is not None:
        me = pick_participant(source.summary, me, role='"me"')
    settings = replace(settings, persona=persona, me=me)
    count = memo_counter(encoding)
    report(BUILDING, shares[0])
    dataset = build(source.chat.messages, settings, count_tokens=count)
    report(COUNTING, shares[1])
    tokens = tuple(count_example(e, count) for e in dataset.examples)
    report(DONE, 1.0)
    return Prepared(source.chat, source.summary, dataset, tokens, source.sha256, target)


def _quiet(stage: str, fraction: float) -> None:
    pass


def _scaled(report: Progress, start: float, end: float) -> Progress:
    """``report`` for a part of the work that spans ``start`` to ``end`` of the whole."""

    def scaled(stage: str, fraction: float) -> None:
        if stage != DONE:
            report(stage, start + fraction * (end - start))

    return scaled


def _source_hash(path: Path) -> str:
    """SHA-256 of the export: the file, or a folder's files in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            # fsencode: a name that is not UTF-8 is hashed as its bytes, not refused.
            digest.update(os.fsencode(file.relative_to(path)) + b"\0")
        # A megabyte at a time: a zip with its media can be gigabytes.
        try:
            with file.open("rb") as f:
                for chunk in iter(partial(f.read, 1 << 20), b""):
                    digest.update(chunk)
        except OSError as e:  # a media file of the folder, say, that may not be read
            raise ChatImportError(file, f"cannot be read ({e.strerror or e})") from None
    return digest.hexdigest()
