"""What every backend offers: fine-tuning jobs for a model, and streamed chat replies.

Job state, metrics and events live in the model's store (``store/jobs.py``), written by
whoever runs the job; a backend starts, resumes and cancels jobs and writes replies.
``Provider`` is the whole protocol, with what a backend that has nothing of a kind to do
does by default (a local backend uploads nothing, keeps nothing at a service, needs no
key, has no job to watch), so that callers never ask which backend they talk to. Its
methods take the model as its command or screen found it (``store.models.Model``), and
open its database by folder, never resolving its name again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.process import spawn
from gpt_is_you.providers.settings import RemoteSettings, Sampling, TrainSettings
from gpt_is_you.store import jobs, remote
from gpt_is_you.store.browse import has_examples
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model
from gpt_is_you.words import count

if TYPE_CHECKING:
    from gpt_is_you.dataset.cost import CostEstimate
    from gpt_is_you.providers.local.estimate import Estimate

# Told while a reply waits (a remote model still loading): one line for the user.
Notice = Callable[[str], None]
# Told while something a job needs is downloaded: bytes so far, bytes in all.
Progress = Callable[[int, int], None]

# What ``resume`` does with a job: go on from its last checkpoint, watch a remote job
# again (its watcher died), or send a job the service never had once more.
CHECKPOINT = "checkpoint"
WATCH = "watch"
SEND_AGAIN = "send again"


class ChatModel(Protocol):
    """A model that writes the persona's replies. One that can also read how likely a
    text is (a local model) has ``score`` too (``ScoringChatModel``); the evaluation's
    sense measure asks for it, and says "not available" for a model without it (a
    remote service's, which does not score prompts)."""

    def stream(self, messages: Sequence[dict[str, object]], sampling: Sampling) -> Iterator[str]:
        """The persona's reply to ``messages`` (OpenAI chat format), as pieces of text."""
        ...


class ScoringChatModel(ChatModel, Protocol):
    def score(
        self, messages: Sequence[dict[str, object]], candidates: Sequence[str]
    ) -> list[float]:
        """How likely each candidate is as the persona's reply to ``messages``: its mean
        log-likelihood per token (higher is likelier), in the candidates' order."""
        ...


@dataclass(frozen=True)
class UploadPlan:
    """What a job would send to a service: the user confirms this first."""

    service: str
    base: str
    train_examples: int
    valid_examples: int
    tokens: int  # of the examples, train and validation
    redacted: bool
    cost: CostEstimate | None  # None when the service's price table lacks the base

    def describe(self) -> str:
        cost = (
            f"{self.cost.amount} for {count(self.cost.epochs, 'epoch')} "
            f"({self.cost.billed_tokens:,} billed tokens)"
            if self.cost
            else f"price unknown for this model at {self.service}"
        )
        redaction = (
            "redacted" if self.redacted else "NOT redacted: names, numbers, emails as written"
        )
        return (
            f"Upload {self.train_examples:,} training and {self.valid_examples:,} validation "
            f"examples ({self.tokens:,} tokens, {redaction}) to {self.service} and fine-tune "
            f"{self.base}: {cost}."
        )


class Provider:
    """A backend, named as the registry names it (``providers.get``)."""

    name: str = ""

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name

    @property
    def remote(self) -> bool:
        """The examples leave this machine: an upload the user confirms, a job that goes
        on at the service without us."""
        from gpt_is_you import providers

        return providers.backend(self.name).remote

    @property
    def settings_type(self) -> type[TrainSettings] | type[RemoteSettings]:
        """The settings a new run of this backend takes."""
        return RemoteSettings if self.remote else TrainSettings

    def bases(self) -> tuple[str, ...]:
        """The bases this backend fine-tunes, its default first, as the training form and
        ``train --base`` offer them; (): any name the user types (a local folder, a hub
        id), the backend's settings saying the default."""
        return ()

    # Jobs -----------------------------------------------------------------------------

    def start(self, model: Model, settings) -> Job:
        """Start a fine-tuning job for ``model`` and return it (it runs on its own); a
        remote backend's caller has had the user confirm ``plan()`` first."""
        raise ProviderError(f"{self.name} does not train models")

    def resume(self, model: Model) -> Job:
        """Continue the model's job as ``resume_kind`` says."""
        raise ProviderError(f"{self.name} does not train models")

    def cancel(self, model: Model) -> Job:
        """Ask the model's running jobs to stop; the latest of them."""
        raise ProviderError(f"{self.name} does not train models")

    def watch(self, model: Model) -> bool:
        """Keep the model's active job watched: a remote job whose watcher died (the
        machine restarted) gets a new one. True when one was started."""
        return False

    def resume_kind(self, job: Job) -> str | None:
        """What ``resume`` would do with ``job`` (``CHECKPOINT``, ``WATCH``,
        ``SEND_AGAIN``), or None when it cannot be resumed."""
        return CHECKPOINT if job.state in jobs.RESUMABLE else None

    # Before and after a remote job ----------------------------------------------------

    def needs_key(self) -> bool:
        """Whether the user must give an API key before a job can start."""
        return False

    def fetch(self, settings, progress: Progress | None = None) -> None:
        """Download what a job with ``settings`` needs and this machine lacks (a base
        model), before ``start``: in the caller's view, with ``progress``."""

    def plan(self, model: Model, settings) -> UploadPlan | None:
        """What a job would send away, for the user to confirm; None: nothing leaves."""
        return None

    def estimate(self, model: Model, settings) -> Estimate | None:
        """How long a job with ``settings`` would take here, and whether it is long enough
        to learn a voice, before it starts; None: nothing to say. Slow (it may import
        torch to know the machine): the app asks in a thread."""
        return None

    def delete_files_by_default(self) -> bool:
        """Whether a job's uploaded files go once it ends, unless asked otherwise."""
        return False

    def leftovers(self, model: Model) -> remote.Leftovers:
        """What the model still has at this backend's service (from the store)."""
        with model.db() as db:
            return remote.leftovers(db).get(self.name, remote.Leftovers((), ()))

    def delete_remote(self, model: Model, *, files_only: bool = False) -> list[str]:
        """Delete the model's uploaded files (and its fine-tuned models unless
        ``files_only``) at the service; the ids deleted."""
        return []

    # Chat -----------------------------------------------------------------------------

    def chat_model(
        self, model: Model, remote_model: str | None = None, notice: Notice | None = None
    ) -> ChatModel:
        """The model's trained model, ready to ``stream`` (loaded once, then kept), or
        ``remote_model``, any model the service has."""
        raise ProviderError(f"{self.name} has no models to talk to")

    def warm_up(self) -> None:
        """Import what chatting with a trained model needs, ahead of the first chat (the
        app calls it from a thread once its first screen shows); nothing by default."""

    def chat(
        self,
        model: Model,
        messages: Sequence[dict[str, object]],
        sampling: Sampling,
        *,
        notice: Notice | None = None,
        remote_model: str | None = None,
    ) -> Iterator[str]:
        """The persona's reply to ``messages`` (OpenAI chat format), as pieces of text;
        ``notice`` is told, from the caller's thread, while the model loads."""
        return self.chat_model(model, remote_model, notice).stream(messages, sampling)

    def eval_chats(self, model: Model, job: Job) -> tuple[ChatModel, ChatModel]:
        """The pair an evaluation compares: ``job``'s base model, and the tuned one."""
        raise ProviderError(f"{self.name} cannot evaluate its models")


def refuse_if_running(db, model: str) -> None:
    """One job at a time per model, whatever its backend."""
    active = jobs.active_jobs(db)
    if active:
        job = active[0]
        raise ProviderError(
            f"{model} is training already (job {job.id}, {job.backend}); `gpt-is-you status "
            f"{model}` shows it, `gpt-is-you train {model} --cancel` stops it",
            app=f"{model} is training already (job {job.id}, {job.backend}); t on the models "
            "screen shows it, and its cancel key stops it",
        )


def begin_job(
    db, model: Model, module: str, *, backend: str, base_model: str, settings: dict
) -> Job:
    """A new job for ``model`` (``db`` is its database), its process started (``python -m
    module``), unless a job is active or there is nothing to train on. The check, the
    job's row and its process are one transaction: of two starts at once, the second
    waits, then sees the first's job."""
    with jobs.transaction(db):
        refuse_if_running(db, model.name)
        if not has_examples(db):
            raise ProviderError(f"{model.name} has no examples to train on")
        job_id = jobs.create_job(db, backend=backend, base_model=base_model, settings=settings)
        spawn(db, model.folder, job_id, module)
    return jobs.read_job(db, job_id)


def restart_job(
    model: Model,
    module: str,
    backend: str,
    nothing: str,
    again: Callable[[sqlite3.Connection, Job], str],
) -> Job:
    """The model's latest job started again (``python -m module``), in the state ``again``
    sets it up for; ``nothing`` is the error when that job is not one of ``backend`` that
    can be resumed. One transaction, as a start is: two resumes at once make one process."""
    with model.db() as db:
        with jobs.transaction(db):
            refuse_if_running(db, model.name)
            job = jobs.read_job(db)
            if job is None or job.backend != backend or job.state not in jobs.RESUMABLE:
                raise ProviderError(nothing)
            jobs.set_state(db, job.id, again(db, job))
            spawn(db, model.folder, job.id, module)
        return jobs.read_job(db, job.id)


def request_cancel(db, model: str) -> list[Job]:
    """Ask every active job of the model to stop (whoever runs one reads the flag); those
    jobs, latest first."""
    active = jobs.active_jobs(db)
    if not active:
        raise ProviderError(f"{model} has no running job")
    for job in active:
        jobs.request_cancel(db, job.id)
    return active
