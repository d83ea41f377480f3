"""The persona-fidelity report: on conversations the model never saw (the validation
split), how close the tuned model's replies come to the real person's, and how far they
moved from the base model's.

Its parts:
- validation loss, perplexity and token accuracy on the persona's real turns, for the base
  and the tuned model; a local job scored both with the same code while training (the
  base is step 0, where the LoRA update is zero), a remote job reports its own;
- replies of both models to held-out prompts, beside the real reply;
- style measures of those replies against the persona's real turns and the other
  person's, and one score for how much closer the tuned model came than the base;
- how often a reply repeats a training turn word for word;
- sense (``sense.py``): how often each model's likelihood picks the real next turn among
  the persona's turns of other sessions, and its replies that echo the other person or
  are empty.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from gpt_is_you import providers
from gpt_is_you.evaluation.memorisation import Memorisation, verbatim
from gpt_is_you.evaluation.prompts import HeldOut, Prompt, held_out
from gpt_is_you.evaluation.sense import Sense, chance, credit, sense_of
from gpt_is_you.evaluation.settings import EvalSettings
from gpt_is_you.evaluation.style import Closeness, StyleProfile, compare, distances, profile
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.store import evaluations, jobs
from gpt_is_you.store.conversations import chat_job
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model, iter_examples

Progress = Callable[[int, int], None]  # answers done (a reply, and a pick), answers to give
Credits = Sequence[float | None]  # per prompt, a model's pick (sense.credit); None: no pick
SHOWN_CONTEXT = 4  # lines of conversation shown before each sample
T = TypeVar("T")


@dataclass(frozen=True)
class Scores:
    loss: float
    perplexity: float
    accuracy: float | None

    @classmethod
    def of(cls, loss: float, accuracy: float | None) -> Scores:
        return cls(loss, math.exp(min(loss, 50.0)), accuracy)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scores:
        accuracy = data["accuracy"]
        return cls(
            float(data["loss"]),
            float(data["perplexity"]),
            None if accuracy is None else float(accuracy),
        )


@dataclass(frozen=True)
class Sample:
    context: tuple[str, ...]  # the last lines before, "Name: text"
    real: str
    base: str
    tuned: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sample:
        return cls(
            tuple(str(line) for line in data["context"]),
            str(data["real"]),
            str(data["base"]),
            str(data["tuned"]),
        )


@dataclass(frozen=True)
class Report:
    model: str
    job_id: int
    backend: str
    base_model: str
    settings: EvalSettings
    base_scores: Scores | None  # None: the service did not score the base model
    tuned_scores: Scores | None
    samples: tuple[Sample, ...]
    persona: StyleProfile  # the persona's real turns in the held-out sessions
    other: StyleProfile  # the other people's turns there
    base: StyleProfile
    tuned: StyleProfile
    closeness: Closeness  # of base and tuned to the persona
    to_other: dict[str, dict[str, float]] = field(default_factory=dict)  # base/tuned → distances
    memorised: Memorisation | None = None  # the tuned model's replies
    base_memorised: Memorisation | None = None  # the base model's, for comparison
    seconds: float = 0.0
    sense: Sense | None = None  # None: a report made before sense was measured

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "job_id": self.job_id,
            "backend": self.backend,
            "base_model": self.base_model,
            "settings": asdict(self.settings),
            "scores": {
                "base": asdict(self.base_scores) if self.base_scores else None,
                "tuned": asdict(self.tuned_scores) if self.tuned_scores else None,
            },
            "samples": [asdict(s) | {"context": list(s.context)} for s in self.samples],
            "style": {
                "persona": self.persona.to_json(),
                "other": self.other.to_json(),
                "base": self.base.to_json(),
                "tuned": self.tuned.to_json(),
            },
            "closeness": self.closeness.to_json(),
            "to_other": self.to_other,
            "memorisation": {
                "tuned": self.memorised.to_json() if self.memorised else None,
                "base": self.base_memorised.to_json() if self.base_memorised else None,
            },
            "seconds": round(self.seconds, 1),
        } | ({"sense": self.sense.to_json()} if self.sense else {})  # an older one as stored

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """The report ``to_json`` wrote, as the store keeps it; a part with a default
        above may be missing. Errors: KeyError, TypeError, ValueError on a damaged one."""
        scores, style = data["scores"], data["style"]
        memorisation = data.get("memorisation", {})
        return cls(
            model=str(data["model"]),
            job_id=int(data["job_id"]),
            backend=str(data["backend"]),
            base_model=str(data["base_model"]),
            settings=EvalSettings.recorded(data["settings"]),
            base_scores=_unless_none(Scores.from_json, scores["base"]),
            tuned_scores=_unless_none(Scores.from_json, scores["tuned"]),
            samples=tuple(Sample.from_json(sample) for sample in data["samples"]),
            persona=StyleProfile.from_json(style["persona"]),
            other=StyleProfile.from_json(style["other"]),
            base=StyleProfile.from_json(style["base"]),
            tuned=StyleProfile.from_json(style["tuned"]),
            closeness=Closeness.from_json(data["closeness"]),
            to_other={
                str(who): {str(measure): float(d) for measure, d in found.items()}
                for who, found in data.get("to_other", {}).items()
            },
            memorised=_unless_none(Memorisation.from_json, memorisation.get("tuned")),
            base_memorised=_unless_none(Memorisation.from_json, memorisation.get("base")),
            seconds=float(data.get("seconds", 0.0)),
            sense=_unless_none(Sense.from_json, data.get("sense")),
        )


def _unless_none(
    read: Callable[[Mapping[str, Any]], T], data: Mapping[str, Any] | None
) -> T | None:
    """``read(data)``, or None where the report has no such part (not scored, not checked)."""
    return None if data is None else read(data)


def evaluate(
    model: Model, settings: EvalSettings | None = None, progress: Progress | None = None
) -> Report:
    """Evaluate the model's latest trained job, store the report, and return it."""
    settings = settings or EvalSettings()  # its numbers were checked when it was made
    started = time.monotonic()
    name = model.name
    with model.db() as db:
        job = chat_job(db)
        if job is None:
            raise ProviderError(
                f"{name} is not trained yet: run `gpt-is-you train {name}`",
                app=f"{name} is not trained yet: train it first (t on the models screen)",
            )
        examples = [example for _, example, _ in iter_examples(db)]
        metrics = jobs.read_metrics(db, job.id)
    material = held_out(examples, settings.prompts, settings.seed)
    if not material.prompts:
        raise ProviderError(
            f"{name} has no held-out conversations to evaluate on: build it again with a "
            "validation share above 0 (`duplicate`, or `new --validation-share`)",
            app=f"{name} has no held-out conversations to evaluate on: duplicate it (d on "
            "the models screen) with a validation share above 0",
        )
    base_chat, tuned_chat = providers.get(job.backend).eval_chats(model, job)
    (base_replies, base_credits), (tuned_replies, tuned_credits) = _answers(
        material, base_chat, tuned_chat, settings, progress
    )
    report = build(
        name,
        job,
        settings,
        material,
        base_replies,
        tuned_replies,
        scores=_scores(job, metrics),
        credits=(base_credits, tuned_credits),
        seconds=time.monotonic() - started,
    )
    with model.db() as db:
        evaluations.save(db, job.id, asdict(settings), report.to_json())
    return report


def build(
    name: str,
    job: Job,
    settings: EvalSettings,
    material: HeldOut,
    base_replies: list[str],
    tuned_replies: list[str],
    *,
    scores: tuple[Scores | None, Scores | None],
    credits: tuple[Credits, Credits] | None = None,
    seconds: float = 0.0,
) -> Report:
    """The report from the replies written and the (base, tuned) ``credits`` of their
    picks (the measuring, apart from the generating); without credits, no model picked."""
    persona, other = profile(material.persona_turns), profile(material.other_turns)
    said = [prompt.said for prompt in material.prompts]
    base_credits, tuned_credits = credits or ([None] * len(said),) * 2
    with_choice = [1 + len(p.distractors) for p in material.prompts if p.distractors]
    base, tuned = profile(base_replies), profile(tuned_replies)
    return Report(
        model=name,
        job_id=job.id,
        backend=job.backend,
        base_model=job.base_model,
        settings=settings,
        base_scores=scores[0],
        tuned_scores=scores[1],
        samples=tuple(
            Sample(p.lines[-SHOWN_CONTEXT:], p.real, b, t)
            for p, b, t in zip(material.prompts, base_replies, tuned_replies, strict=True)
        ),
        persona=persona,
        other=other,
        base=base,
        tuned=tuned,
        closeness=compare(persona, base, tuned),
        to_other={"base": distances(base, other), "tuned": distances(tuned, other)},
        memorised=verbatim(tuned_replies, material.training_turns),
        base_memorised=verbatim(base_replies, material.training_turns),
        seconds=seconds,
        sense=Sense(
            chance=chance(with_choice),
            choices=len(with_choice),
            base=sense_of(base_replies, said, base_credits),
            tuned=sense_of(tuned_replies, said, tuned_credits),
        ),
    )


def _answers(
    material: HeldOut, base_chat, tuned_chat, settings: EvalSettings, progress: Progress | None
) -> tuple[tuple[list[str], list[float | None]], tuple[list[str], list[float | None]]]:
    """Each model's (replies, credits): its reply to each prompt, and its pick."""
    base: tuple[list[str], list[float | None]] = ([], [])
    tuned: tuple[list[str], list[float | None]] = ([], [])
    total = 2 * len(material.prompts)
    for number, prompt in enumerate(material.prompts):
        sampling = settings.sampling(number)
        for chat, (replies, credits) in ((tuned_chat, tuned), (base_chat, base)):
            replies.append("".join(chat.stream(list(prompt.messages), sampling)).strip())
            credits.append(_pick(chat, prompt))
            if progress is not None:
                progress(len(base[0]) + len(tuned[0]), total)
    return base, tuned


def _pick(chat, prompt: Prompt) -> float | None:
    """The credit of the chat model's pick among the real turn and the distractors, by
    its likelihood; None where it cannot score a text (a remote model: the sense measure
    is then not available) or there was nothing to choose among."""
    score = getattr(chat, "score", None)
    if score is None or not prompt.distractors:
        return None
    return credit(score(list(prompt.messages), [prompt.real, *prompt.distractors]))


def _scores(job: Job, metrics: dict[str, list[tuple[int, float]]]):
    """(base, tuned) validation scores as the job recorded them."""
    losses = metrics.get(jobs.VALID_LOSS, [])
    accuracy = dict(metrics.get(jobs.VALID_ACCURACY, []))
    if not losses:
        return None, None
    first, last = losses[0], losses[-1]
    tuned = Scores.of(last[1], accuracy.get(last[0]))
    # A local job scores the untouched base at step 0; a remote one starts past it.
    base = Scores.of(first[1], accuracy.get(first[0])) if first[0] == 0 else None
    return base, tuned
