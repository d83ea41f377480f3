"""What every backend offers: fine-tuning jobs for a model, and streamed chat replies.

Job state, metrics and events live in the model's store (``store/jobs.py``), written by
whoever runs the job; a provider starts, resumes and cancels jobs and writes replies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import Sampling, TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.jobs import Job


class Provider(Protocol):
    name: str

    def start(self, model: str, settings: TrainSettings) -> Job:
        """Start a fine-tuning job for ``model`` and return it (it runs on its own)."""
        ...

    def resume(self, model: str) -> Job:
        """Continue the model's interrupted or cancelled job from its last checkpoint."""
        ...

    def cancel(self, model: str) -> Job:
        """Ask the model's running job to stop."""
        ...

    def status(self, model: str) -> Job | None:
        """The model's latest job as the store has it (None if it never trained)."""
        ...

    def chat(
        self, model: str, messages: Sequence[dict[str, object]], sampling: Sampling
    ) -> Iterator[str]:
        """The persona's reply to ``messages`` (OpenAI chat format), as pieces of text."""
        ...


def refuse_if_running(db, model: str) -> None:
    """One job at a time per model, whatever its backend."""
    job = jobs.read_job(db)
    if job is not None and job.active:
        raise ProviderError(
            f"{model} is training already (job {job.id}, {job.backend}); `gpt-is-you status "
            f"{model}` shows it, `gpt-is-you train {model} --cancel` stops it"
        )


def request_cancel(db, model: str) -> Job:
    """Ask the model's running job to stop (whoever runs it reads the flag); the job."""
    job = jobs.read_job(db)
    if job is None or not job.active:
        raise ProviderError(f"{model} has no running job")
    jobs.request_cancel(db, job.id)
    return job
