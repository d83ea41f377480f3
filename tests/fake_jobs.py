"""A training backend for tests: real job rows in the model's store, moved by the test.

``FakeTrainer`` implements the ``Provider`` protocol's job half without torch or a worker
process: ``start`` writes the job as the local backend would (with this process as its
live worker, so that readers do not take it for a dead one), and the test then moves it
with ``advance``, ``finish`` and ``fail``. ``FakeClock`` stands in for the store's clock so
that times on screen are the same at every run.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from gpt_is_you.providers.base import Provider, request_cancel
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model, open_model


class FakeClock:
    """The store's ``now()``: a fixed moment that moves only when the test says so."""

    def __init__(self, start: datetime = datetime(2025, 3, 14, 9, 30)) -> None:
        self.moment = start

    def __call__(self) -> str:
        return self.moment.isoformat(timespec="seconds")

    def tick(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def use_clock(monkeypatch, clock: FakeClock) -> None:
    """Make ``clock`` the store's clock. Heartbeats then carry the fake moment, so readers
    are told not to judge a worker by its heartbeat's age (its live pid still counts)."""
    monkeypatch.setattr(jobs, "now", clock)
    monkeypatch.setattr(jobs, "STALE_AFTER", timedelta.max)


class FakeTrainer(Provider):
    """Start, resume, cancel and status over the store, as a backend does; no training."""

    name = "local"

    def __init__(self, total_steps: int = 100, clock: FakeClock | None = None) -> None:
        self.total_steps = total_steps
        self.clock = clock
        # The names of the models started, cancelled, resumed.
        self.started: list[tuple[str, TrainSettings]] = []
        self.cancelled: list[str] = []
        self.resumed: list[str] = []
        self.start_error: ProviderError | None = None  # raised by the next start

    # The Provider protocol ------------------------------------------------------------

    def start(self, model: Model, settings: TrainSettings) -> Job:
        if self.start_error is not None:
            error, self.start_error = self.start_error, None
            raise error
        with model.db() as db:
            self._refuse_if_running(db, model.name)
            job_id = jobs.create_job(
                db, backend=self.name, base_model=settings.base, settings=settings.to_json()
            )
            self._run(db, job_id)
            self.started.append((model.name, settings))
            return jobs.read_job(db, job_id)

    def resume(self, model: Model) -> Job:
        with model.db() as db:
            self._refuse_if_running(db, model.name)
            job = jobs.read_job(db)
            if job is None or job.state not in jobs.RESUMABLE:
                raise ProviderError(f"{model.name} has no interrupted or cancelled job to resume")
            jobs.forget_after(db, job.id, job.checkpoint_step or 0)
            self._run(db, job.id)
            self.resumed.append(model.name)
            return jobs.read_job(db, job.id)

    def cancel(self, model: Model) -> Job:
        with model.db() as db:
            job = request_cancel(db, model.name)[0]  # the latest of the active jobs
            # The worker would stop after its step; this one stops at once.
            jobs.add_event(db, job.id, f"cancelled at step {job.step}; `train --resume` continues")
            jobs.set_state(db, job.id, jobs.CANCELLED)
            self.cancelled.append(model.name)
            return jobs.read_job(db, job.id)

    # What the test does to the job ----------------------------------------------------

    def advance(
        self,
        model: str,
        step: int,
        *,
        loss: float,
        accuracy: float,
        valid_loss: float | None = None,
        valid_accuracy: float | None = None,
        seconds: float = 0,
    ) -> None:
        """The job reached ``step`` with these metrics, ``seconds`` after the last one."""
        if self.clock is not None:
            self.clock.tick(seconds)
        metrics = {jobs.TRAIN_LOSS: loss, jobs.TRAIN_ACCURACY: accuracy}
        if valid_loss is not None:
            metrics[jobs.VALID_LOSS] = valid_loss
        if valid_accuracy is not None:
            metrics[jobs.VALID_ACCURACY] = valid_accuracy
        with open_model(model) as db:
            job_id = self._job_id(db)
            jobs.set_progress(db, job_id, step, self.total_steps, metrics)
            if step % 20 == 0:
                jobs.set_checkpoint(db, job_id, step)
                jobs.add_event(db, job_id, f"checkpoint at step {step}")

    def phase(
        self, model: str, name: str, done: int = 0, total: int | None = None, seconds: float = 0
    ) -> None:
        """The worker is now doing ``name`` (``jobs.LOADING``…), ``seconds`` after the last
        change, ``done`` of ``total`` into it."""
        if self.clock is not None:
            self.clock.tick(seconds)
        with open_model(model) as db:
            jobs.set_phase(db, self._job_id(db), name, self.total_steps, done, total)

    def finish(self, model: str) -> None:
        with open_model(model) as db:
            job_id = self._job_id(db)
            jobs.add_event(db, job_id, "training finished; the adapter is saved")
            jobs.set_state(db, job_id, jobs.SUCCEEDED)

    def fail(self, model: str, error: str) -> None:
        with open_model(model) as db:
            job_id = self._job_id(db)
            jobs.add_event(db, job_id, error, level="error")
            jobs.set_state(db, job_id, jobs.FAILED, error=error)

    # --------------------------------------------------------------------------------

    def _run(self, db, job_id: int) -> None:
        jobs.set_worker(db, job_id, os.getpid())  # alive: readers see a running worker
        jobs.add_event(db, job_id, "started (a fake worker: the test moves it)")
        jobs.set_state(db, job_id, jobs.RUNNING)

    @staticmethod
    def _job_id(db) -> int:
        job = jobs.read_job(db)
        assert job is not None, "start a job first"
        return job.id

    @staticmethod
    def _refuse_if_running(db, model: str) -> None:
        job = jobs.read_job(db)
        if job is not None and job.active:
            raise ProviderError(f"{model} is training already (job {job.id})")
