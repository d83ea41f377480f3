"""The local backend: LoRA training in a worker process, and generation on this machine."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from gpt_is_you.providers.base import (
    Notice,
    Progress,
    Provider,
    begin_job,
    request_cancel,
    restart_job,
)
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import base_model
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.conversations import chat_job
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model

if TYPE_CHECKING:
    from gpt_is_you.providers.local.estimate import Estimate

WORKER = "gpt_is_you.providers.local.worker"


class LocalProvider(Provider):
    name = "local"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self._chats: dict[tuple[str, int], object] = {}
        # The app loads a chat's model as the chat opens, and its first reply asks for it
        # too: the second waits for the first's load instead of loading it again.
        self._loading = threading.Lock()

    def fetch(self, settings: TrainSettings, progress: Progress | None = None) -> None:
        base_model.resolve(settings.base, convert=False, download=True, progress=progress)

    def estimate(self, model: Model, settings: TrainSettings) -> Estimate:
        from gpt_is_you.providers.local.estimate import estimate

        return estimate(model, settings)

    def start(self, model: Model, settings: TrainSettings) -> Job:
        # A missing base fails here, at once; the worker never downloads (``fetch`` does).
        if base_model.resolve(settings.base, convert=False).missing:
            raise ProviderError(base_model.not_downloaded(settings.base))
        with model.db() as db:
            return begin_job(
                db,
                model,
                WORKER,
                backend=self.name,
                base_model=settings.base,
                settings=settings.to_json(),
            )

    def resume(self, model: Model) -> Job:
        nothing = f"{model.name} has no interrupted or cancelled job to resume"
        return restart_job(model, WORKER, self.name, nothing, _from_checkpoint)

    def cancel(self, model: Model) -> Job:
        with model.db() as db:
            active = request_cancel(db, model.name)
        for job in active:
            if job.pid and jobs.pid_alive(job.pid):
                os.kill(job.pid, signal.SIGTERM)
        return active[0]

    def chat_model(
        self, model: Model, remote_model: str | None = None, notice: Notice | None = None
    ):
        """The loaded model of ``model``'s latest finished job (loaded once, then kept):
        through the fast runtime on the CPU, else PyTorch (``fast.chat_model``)."""
        from gpt_is_you.providers.local import fast

        if remote_model is not None:
            raise ProviderError(f"{self.name} talks to the models it trained, not {remote_model}")
        with model.db() as db:
            job = trained_job(db, model.name)
        key = (str(model.folder), job.id)
        with self._loading:
            if key not in self._chats:
                self._chats[key] = fast.chat_model(
                    jobs.job_folder(model.folder, job.id),
                    job.base_model,
                    context=_context(job),
                    notice=notice,
                )
            return self._chats[key]

    def warm_up(self) -> None:
        # About 2.5 of the 4 seconds a chat's model takes to load on a laptop CPU are
        # these imports (torch, transformers' auto classes and what they pull in).
        from gpt_is_you.providers.local import generate  # noqa: F401
        from gpt_is_you.providers.local.base_model import quiet_transformers

        quiet_transformers()
        from transformers import (  # noqa: F401  # noqa: F401
            AutoModelForCausalLM,
            AutoTokenizer,
            modeling_utils,
            tokenization_utils_base,
        )

        from gpt_is_you.providers.local import fast

        if fast.wanted():
            import onnxruntime_genai  # noqa: F401

    def eval_chats(self, model: Model, job: Job):
        # Both through PyTorch: the evaluation compares the tuned model with its base, and
        # scores candidates in batches (``LocalChat.score``), which the fast runtime does not.
        from gpt_is_you.providers.local.generate import LocalChat

        base = LocalChat(job.base_model, None, context=_context(job))
        tuned = LocalChat.of_job(
            jobs.job_folder(model.folder, job.id), job.base_model, context=_context(job)
        )
        return base, tuned


def _from_checkpoint(db, job: Job) -> str:
    """A job goes on from its last checkpoint: what it recorded after it is forgotten.
    Its base must be here still (a hub base may have left the cache): the worker never
    downloads."""
    if base_model.resolve(job.base_model, convert=False).missing:
        raise ProviderError(base_model.not_downloaded(job.base_model))
    jobs.forget_after(db, job.id, job.checkpoint_step or 0)
    return jobs.QUEUED


def _context(job: Job) -> int:
    return int(job.settings.get("max_seq_len", 1024))


def trained_job(db, model: str) -> Job:
    """The latest job that finished training, or a clear error."""
    job = chat_job(db)
    if job is None:
        raise ProviderError(
            f"{model} is not trained yet: run `gpt-is-you train {model}`",
            app=f"{model} is not trained yet: train it first (t on the models screen)",
        )
    return job


def adapter_folder(folder: Path, job_id: int) -> Path:
    from gpt_is_you.providers.local.train import ADAPTER

    return jobs.job_folder(folder, job_id) / ADAPTER
