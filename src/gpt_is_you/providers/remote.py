"""What every remote backend shares: a job that runs at a service, followed by a watcher
process of its own.

A ``RemoteProvider`` needs a key, starts the job's watcher (``WATCHER``, a module run as
``python -m``), starts another when one died (reattaching to the job at the service),
resumes an interrupted job by watching it again (or sends again a job the service never
had), cancels at the service, and deletes what the model left there. What differs
between services is a class attribute or a hook: the watcher's module, how a job is
cancelled there, how its objects are deleted, the request token in the suffix.
"""

from __future__ import annotations

import importlib
import uuid
from typing import ClassVar

from gpt_is_you.providers.base import (
    SEND_AGAIN,
    WATCH,
    Provider,
    UploadPlan,
    begin_job,
    request_cancel,
    restart_job,
)
from gpt_is_you.providers.connection import Connection, connection
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.process import spawn
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model, read_setting


class RemoteProvider(Provider):
    """A backend whose jobs run at a service (the examples leave this machine)."""

    WATCHER: ClassVar[str]  # the module of the job's watcher process

    def needs_key(self) -> bool:
        from gpt_is_you.providers import connection as connections

        return not connections.has_key(self.name)

    def delete_files_by_default(self) -> bool:
        from gpt_is_you.providers import connection as connections

        return connections.delete_files_by_default(self.name)

    def resume_kind(self, job: Job) -> str | None:
        # No checkpoint here to go on from: a job the service ended is over, one whose
        # watcher lost it is watched again, one the service never had is sent again.
        if job.state == jobs.INTERRUPTED:
            return WATCH
        if job.state in jobs.RESUMABLE and not job.remote_id:
            return SEND_AGAIN
        return None

    # Hooks ------------------------------------------------------------------------------

    def suffix(self, chosen: str, request: str) -> str:
        """The fine-tuned model's suffix from the one chosen (or the model's name) and the
        job's request token: the chosen one as it is, where the service keeps the token
        elsewhere (OpenAI's metadata)."""
        return chosen

    def check_access(self, conn: Connection) -> None:
        """A cheap call with the key (listing jobs), so that a bad key or no access to
        fine-tuning shows before the user confirms anything; a ProviderError if refused."""
        raise NotImplementedError

    def cost_of(self, stats, train_tokens: list[int], settings: RemoteSettings):
        """The training bill at the service's prices (a ``CostEstimate``), or None where
        its table lacks the base."""
        raise NotImplementedError

    def send_cancel(self, conn: Connection, remote_id: str) -> None:
        """Ask the service to stop the job ``remote_id``, with its SDK."""
        raise NotImplementedError

    def cancel_at_service(self, conn: Connection, remote_id: str) -> None:
        """Ask the service to stop the job ``remote_id``: one that ended meanwhile (the
        service answers 400) is no error, its watcher records how it ended."""
        from gpt_is_you.providers.service_errors import explain, is_service_error

        try:
            self.send_cancel(conn, remote_id)
        except Exception as e:
            if not is_service_error(e):
                raise
            if getattr(e, "status_code", None) != 400:
                raise explain(e, conn) from None

    def delete_objects(self, db, conn: Connection, *, files_only: bool) -> list[str]:
        """Delete the model's objects at the service (its files only when ``files_only``),
        recording each deletion, with the watcher module's ``delete_objects``; the ids
        deleted."""
        watcher = importlib.import_module(self.WATCHER)
        return watcher.delete_objects(db, conn, None, files_only=files_only)

    def fine_tuned(self, model: Model):
        """The job a chat with ``model`` talks to and its fine-tuned model at the service
        (a ``RemoteObject``, perhaps deleted since); a ProviderError when it has none."""
        from gpt_is_you.store import remote
        from gpt_is_you.store.conversations import chat_job

        with model.db() as db:
            job = chat_job(db)
            found = remote.find(db, job.id, remote.MODEL) if job else None
        if found is None or job.backend != self.name:
            raise ProviderError(
                f"{model.name} has no model fine-tuned on {self.name}: run "
                f"`gpt-is-you train {model.name} --backend {self.name}`",
                app=f"{model.name} has no model fine-tuned on {self.name}: train it there "
                "first (t on the models screen)",
            )
        return job, found

    # What leaves ------------------------------------------------------------------------

    def plan(self, model: Model, settings: RemoteSettings) -> UploadPlan:
        from gpt_is_you.dataset.examples import TRAIN
        from gpt_is_you.store.browse import read_stats, split_tokens

        with model.db() as db:
            stats = read_stats(db)
            train_tokens = split_tokens(db, TRAIN)
        if not stats.train.examples:
            raise ProviderError(f"{model.name} has no examples to train on")
        conn = connection(self.name)
        self.check_access(conn)
        return UploadPlan(
            service=conn.service,
            base=settings.base,
            train_examples=stats.train.examples,
            valid_examples=stats.valid.examples,
            tokens=stats.train.tokens + stats.valid.tokens,
            redacted=stats.redact,
            cost=self.cost_of(stats, train_tokens, settings),
        )

    # Jobs -----------------------------------------------------------------------------

    def start(self, model: Model, settings: RemoteSettings) -> Job:
        """Start a job; the caller has had the user confirm ``plan()`` first."""
        problems = settings.problems()
        if problems:
            field, message = problems[0]
            raise ProviderError(f"{field.replace('_', ' ')} {message}")
        connection(self.name)  # no key: fail here, not in the watcher
        with model.db() as db:
            request = uuid.uuid4().hex
            chosen = settings.suffix or clean_suffix(str(read_setting(db, "name") or model.name))
            job_settings = {
                **settings.to_json(),
                "suffix": self.suffix(chosen, request),
                "request": request,
            }
            return begin_job(
                db,
                model,
                self.WATCHER,
                backend=self.name,
                base_model=settings.base,
                settings=job_settings,
            )

    def resume(self, model: Model) -> Job:
        """Watch the model's job again: one interrupted (the watcher died, or lost the
        service), or one that failed before the service had it (it is tried again)."""

        def again(db, job: Job) -> str:
            if job.state != jobs.INTERRUPTED and job.remote_id:
                service = connection(self.name).service
                raise ProviderError(
                    f"{model.name}'s job ended at {service} ({job.state}); "
                    f"`gpt-is-you train {model.name} --backend {self.name}` starts a new one",
                    app=f"{model.name}'s job ended at {service} ({job.state}); n on the "
                    "training screen starts a new one",
                )
            return jobs.RUNNING if job.remote_id else jobs.QUEUED

        nothing = f"{model.name} has no interrupted {self.name} job to resume"
        return restart_job(model, self.WATCHER, self.name, nothing, again)

    def cancel(self, model: Model) -> Job:
        with model.db() as db:
            active = request_cancel(db, model.name)
        for job in active:
            if job.remote_id:
                self.cancel_at_service(connection(self.name), job.remote_id)
        return active[0]

    def watch(self, model: Model) -> bool:
        """An active job whose watcher is gone gets a new watcher."""
        with model.db() as db:
            job = jobs.read_job(db)
            return (
                job is not None
                and job.backend == self.name
                and watch_again(db, model, job, self.WATCHER)
            )

    def delete_remote(self, model: Model, *, files_only: bool = False) -> list[str]:
        """Delete the model's uploaded files (and its fine-tuned models unless
        ``files_only``) at the service; returns the ids deleted."""
        with model.db() as db:
            job = jobs.read_job(db)
            if job is not None and job.active and job.backend == self.name:
                raise ProviderError(
                    f"{model.name} is training at {self.name}; cancel it first (its files are "
                    "in use)"
                )
            deleted = self.delete_objects(db, connection(self.name), files_only=files_only)
            if deleted:
                jobs.add_event(
                    db, job.id if job else None, f"deleted at {self.name}: {', '.join(deleted)}"
                )
            return deleted


def watch_again(db, model: Model, job: Job, watcher: str) -> bool:
    """Start a watcher (the module ``watcher``) for an active remote job that has none
    (after a restart)."""
    if not job.active:
        return False
    # Checked again and started in one transaction: two readers at once start one watcher.
    with jobs.transaction(db):
        current = jobs.read_job(db, job.id)
        if not (current.active and jobs.watcher_gone(db, job.id)):
            return False
        spawn(db, model.folder, job.id, watcher)
        jobs.add_event(db, job.id, "watching the job again")
    return True


def clean_suffix(name: str, limit: int = 64) -> str:
    """A name as a model's suffix: lowercase letters, digits and dashes, at most
    ``limit`` (OpenAI's 64)."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in cleaned.split("-") if part)[:limit] or "gpt-is-you"
