"""What every backend offers: fine-tuning jobs for a model, and streamed chat replies.

Job state, metrics and events live in the model's store (``store/jobs.py``), written by
whoever runs the job; a provider starts, resumes and cancels jobs and writes replies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.process import spawn
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
        """Ask the model's running jobs to stop; the latest of them."""
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
    active = jobs.active_jobs(db)
    if active:
        job = active[0]
        raise ProviderError(
            f"{model} is training already (job {job.id}, {job.backend}); `gpt-is-you status "
            f"{model}` shows it, `gpt-is-you train {model} --cancel` stops it"
        )


def begin_job(
    db, model: str, folder: Path, module: str, *, backend: str, base_model: str, settings: dict
) -> Job:
    """A new job for ``model``, its process started (``python -m module``), unless a job is
    active or there is nothing to train on. The check, the job's row and its process are
    one transaction: of two starts at once, the second waits, then sees the first's job."""
    with jobs.transaction(db):
        refuse_if_running(db, model)
        if not db.execute("SELECT 1 FROM examples WHERE NOT excluded LIMIT 1").fetchone():
            raise ProviderError(f"{model} has no examples to train on")
        job_id = jobs.create_job(db, backend=backend, base_model=base_model, settings=settings)
        spawn(db, folder, job_id, module)
    return jobs.read_job(db, job_id)


def request_cancel(db, model: str) -> list[Job]:
    """Ask every active job of the model to stop (whoever runs one reads the flag); those
    jobs, latest first."""
    active = jobs.active_jobs(db)
    if not active:
        raise ProviderError(f"{model} has no running job")
    for job in active:
        jobs.request_cancel(db, job.id)
    return active
