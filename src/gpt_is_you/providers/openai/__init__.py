"""The remote backends: fine-tuning on OpenAI, Azure OpenAI or an OpenAI-compatible
fine-tuning service (a named connection), and chat with any model on them or on an
OpenAI-compatible server, all through the openai SDK. What differs between the services
(bases, data format, prices, job metadata) is their profile's (``profiles.py``).

A job runs at the service; a watcher process (``watch.py``) uploads, creates and polls
it, writing to the store. The provider starts watchers, starts another when one died
(reattaching to the job), cancels, chats, and deletes what the model left remotely.
"""

from __future__ import annotations

import uuid

from gpt_is_you.dataset.cost import estimate
from gpt_is_you.providers import connection as connections
from gpt_is_you.providers.base import (
    SEND_AGAIN,
    WATCH,
    Notice,
    Provider,
    UploadPlan,
    begin_job,
    request_cancel,
    restart_job,
)
from gpt_is_you.providers.connection import connection as _connection
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.openai.profiles import profile_for
from gpt_is_you.providers.process import spawn
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.store import jobs, remote
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model, read_setting

WATCHER = "gpt_is_you.providers.openai.watch"


class OpenAIProvider(Provider):
    name = "openai"

    def needs_key(self) -> bool:
        return not connections.has_key(self.name)

    def bases(self) -> tuple[str, ...]:
        return profile_for(self.name).bases

    def delete_files_by_default(self) -> bool:
        return connections.delete_files_by_default(self.name)

    def resume_kind(self, job: Job) -> str | None:
        # No checkpoint here to go on from: a job the service ended is over, one whose
        # watcher lost it is watched again, one the service never had is sent again.
        if job.state == jobs.INTERRUPTED:
            return WATCH
        if job.state in jobs.RESUMABLE and not job.remote_id:
            return SEND_AGAIN
        return None

    def plan(self, model: Model, settings: RemoteSettings) -> UploadPlan:
        from gpt_is_you.dataset.examples import TRAIN
        from gpt_is_you.store.browse import read_stats, split_tokens

        with model.db() as db:
            numbers = read_stats(db)
            train_tokens = split_tokens(db, TRAIN)
        if not numbers.train.examples:
            raise ProviderError(f"{model.name} has no examples to train on")
        conn = _connection(self.name)
        prices = profile_for(self.name).prices  # the prices of the service it goes to
        try:
            cost = estimate(
                train_tokens,
                settings.base,
                limit=numbers.limit,
                epochs=settings.epochs,
                prices=prices,
            )
        except ValueError:  # a base the service's table lacks
            cost = None
        _check_access(conn)
        return UploadPlan(
            service=conn.service,
            base=settings.base,
            train_examples=numbers.train.examples,
            valid_examples=numbers.valid.examples,
            tokens=numbers.train.tokens + numbers.valid.tokens,
            redacted=numbers.redact,
            cost=cost,
        )

    def start(self, model: Model, settings: RemoteSettings) -> Job:
        """Start a job; the caller has had the user confirm ``plan()`` first."""
        problems = settings.problems()
        if problems:
            field, message = problems[0]
            raise ProviderError(f"{field.replace('_', ' ')} {message}")
        _connection(self.name)  # no key: fail here, not in the watcher
        with model.db() as db:
            suffix = settings.suffix or _suffix(str(read_setting(db, "name") or model.name))
            chosen = {**settings.to_json(), "suffix": suffix, "request": uuid.uuid4().hex}
            return begin_job(
                db,
                model,
                WATCHER,
                backend=self.name,
                base_model=settings.base,
                settings=chosen,
            )

    def resume(self, model: Model) -> Job:
        """Watch the model's job again: one interrupted (the watcher died, or lost the
        service), or one that failed before the service had it (it is tried again)."""

        def again(db, job: Job) -> str:
            if job.state != jobs.INTERRUPTED and job.remote_id:
                raise ProviderError(
                    f"{model.name}'s job ended at {_connection(self.name).service} "
                    f"({job.state}); `gpt-is-you train {model.name} --backend {self.name}` "
                    "starts a new one",
                    app=f"{model.name}'s job ended at {_connection(self.name).service} "
                    f"({job.state}); n on the training screen starts a new one",
                )
            return jobs.RUNNING if job.remote_id else jobs.QUEUED

        nothing = f"{model.name} has no interrupted {self.name} job to resume"
        return restart_job(model, WATCHER, self.name, nothing, again)

    def cancel(self, model: Model) -> Job:
        import openai

        with model.db() as db:
            active = request_cancel(db, model.name)
        for job in active:
            if job.remote_id:
                conn = _connection(self.name)
                try:
                    conn.client().fine_tuning.jobs.cancel(job.remote_id)
                except openai.BadRequestError:
                    pass  # it ended meanwhile; the watcher records how
                except openai.APIError as e:
                    from gpt_is_you.providers.openai.errors import explain

                    raise explain(e, conn) from None
        return active[0]

    def watch(self, model: Model) -> bool:
        """An active job whose watcher is gone gets a new watcher."""
        with model.db() as db:
            job = jobs.read_job(db)
            return job is not None and job.backend == self.name and watch_again(db, model, job)

    def chat_model(
        self, model: Model, remote_model: str | None = None, notice: Notice | None = None
    ):
        """The model's fine-tuned model (or ``remote_model``, any model the service has),
        with the persona's names for the legacy prompt format."""
        from gpt_is_you.providers.openai.chat import LOAD_WAIT_SECONDS, RemoteChat
        from gpt_is_you.store.conversations import chat_job, read_persona

        with model.db() as db:
            persona = read_persona(db)
            wait = 0.0
            if remote_model is None:
                job = chat_job(db)
                found = remote.find(db, job.id, remote.MODEL) if job else None
                if found is None or job.backend != self.name:
                    raise ProviderError(
                        f"{model.name} has no model fine-tuned on {self.name}: run "
                        f"`gpt-is-you train {model.name} --backend {self.name}`",
                        app=f"{model.name} has no model fine-tuned on {self.name}: train it "
                        "there first (t on the models screen)",
                    )
                if found.deleted_at:
                    raise ProviderError(
                        f"{model.name}'s fine-tuned model was deleted at {found.deleted_at[:16]}"
                    )
                remote_model = found.remote_id
                wait = LOAD_WAIT_SECONDS  # it may be minutes old
        legacy = RemoteSettings(base=remote_model).legacy
        return RemoteChat(
            _connection(self.name),
            remote_model,
            legacy=legacy,
            speakers=(persona.me or "Me", persona.name),
            wait_for_load=wait,
            notice=notice,
        )

    def eval_chats(self, model: Model, job: Job):
        return self.chat_model(model, job.base_model), self.chat_model(model)

    def delete_remote(self, model: Model, *, files_only: bool = False) -> list[str]:
        """Delete the model's uploaded files (and its fine-tuned models unless
        ``files_only``) at the service; returns the ids deleted."""
        from gpt_is_you.providers.openai.watch import delete_objects

        with model.db() as db:
            job = jobs.read_job(db)
            if job is not None and job.active and job.backend == self.name:
                raise ProviderError(
                    f"{model.name} is training at {self.name}; cancel it first (its files are "
                    "in use)"
                )
            deleted = delete_objects(db, _connection(self.name), None, files_only=files_only)
            if deleted:
                jobs.add_event(
                    db, job.id if job else None, f"deleted at {self.name}: {', '.join(deleted)}"
                )
            return deleted


def watch_again(db, model: Model, job: Job) -> bool:
    """Start a watcher for an active remote job that has none (after a restart)."""
    if not job.active:
        return False
    # Checked again and started in one transaction: two readers at once start one watcher.
    with jobs.transaction(db):
        current = jobs.read_job(db, job.id)
        if not (current.active and jobs.watcher_gone(db, job.id)):
            return False
        spawn(db, model.folder, job.id, WATCHER)
        jobs.add_event(db, job.id, "watching the job again")
    return True


def _check_access(conn) -> None:
    """Ask the service for one job: a bad key or no access to fine-tuning shows now,
    before the user confirms anything."""
    import openai

    from gpt_is_you.providers.openai.errors import explain, refused_job

    try:
        conn.client().fine_tuning.jobs.list(limit=1)
    except openai.PermissionDeniedError as e:  # no fine-tuning for this key
        raise refused_job(e, conn) from None
    except openai.APIError as e:
        raise explain(e, conn) from None


def _suffix(name: str) -> str:
    """A model name as OpenAI takes a suffix: letters, digits and dashes, at most 64."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in cleaned.split("-") if part)[:64] or "gpt-is-you"
