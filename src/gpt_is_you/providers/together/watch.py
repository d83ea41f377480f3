"""The process that runs a Together AI fine-tuning job:
``python -m gpt_is_you.providers.together.watch MODEL_DIR JOB_ID``.

It writes the examples as JSONL (the chat format, the records the OpenAI export writes)
to private files in the job's folder, uploads them, creates the LoRA job once, then
follows it until it ends, writing what Together reports (state, events, metrics under the
shared names, checkpoints, the fine-tuned model) to the model's store. When the job
succeeds it downloads the adapter into ``<model>/jobs/<id>/adapter/`` (peft's format),
which chat on this machine loads onto the base. When this process dies, the provider
starts another that picks up where the store says it was.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from gpt_is_you.dataset.examples import TRAIN, VALID
from gpt_is_you.dataset.export import jsonl, records
from gpt_is_you.providers.connection import Connection
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.remote_watch import (
    JobWatcher,
    local_time,
    main,
    poll_seconds,
    retry_after,
)
from gpt_is_you.providers.service_errors import explain, scrub
from gpt_is_you.providers.together import adapter
from gpt_is_you.providers.together.bases import DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, N_EVALS
from gpt_is_you.store import jobs, remote
from gpt_is_you.store.models import read_examples

CREATE_ATTEMPTS = 3
# Together's job states, as ours. A job asked to stop is still active until it has.
STATES = {
    "pending": jobs.QUEUED,
    "queued": jobs.QUEUED,
    "running": jobs.RUNNING,
    "compressing": jobs.RUNNING,
    "uploading": jobs.RUNNING,
    "cancel_requested": jobs.RUNNING,
    "completed": jobs.SUCCEEDED,
    "error": jobs.FAILED,
    "cancelled": jobs.CANCELLED,
}
# Its metrics' names (list_metrics: one flat dict per step), as ours.
METRIC_NAMES = {
    "train_loss": jobs.TRAIN_LOSS,
    "loss": jobs.TRAIN_LOSS,
    "eval_loss": jobs.VALID_LOSS,
    "valid_loss": jobs.VALID_LOSS,
}
STEP_KEYS = ("global_step", "train/global_step", "step")
LEVELS = {"warning": "warning", "legacy_iwarning": "warning", "error": "error"}
N_CHECKPOINTS = 1  # the final adapter is what comes home
REQUEST_TAG = 12  # the request token's characters written into the suffix


def request_tag(request: str) -> str:
    return request[:REQUEST_TAG]


class Watcher(JobWatcher):
    STATES = STATES

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.client = self.conn.together()

    # Before the job exists --------------------------------------------------------------

    def launch(self) -> str | None:
        ids = {kind: self.upload(kind, path) for kind, path in self.write_files().items()}
        if jobs.cancel_requested(self.db, self.job.id):
            self.delete_files()
            self.set_state(jobs.CANCELLED)
            self.event("cancelled before the job was created; the uploaded files are deleted")
            return None
        self.tell_estimate(ids)
        created = self.create(ids)
        jobs.set_remote_id(self.db, self.job.id, created.id)
        # Deleting the job is how its model goes away at Together: it is kept to delete.
        self.remember(remote.FINE_TUNE_JOB, created.id)
        self.event(f"created job {created.id} at {self.conn.service}")
        return created.id

    def write_files(self) -> dict[str, Path]:
        """The training (and validation) JSONL, written private in the job's folder: the
        SDK uploads a file by its path, and checks it first."""
        examples = [example for _, example, _ in read_examples(self.db)]
        written = {}
        job_folder = jobs.job_folder(self.folder, self.job.id)
        for kind, split in ((remote.TRAINING_FILE, TRAIN), (remote.VALIDATION_FILE, VALID)):
            text = "".join(jsonl(records((e for e in examples if e.split == split), "openai")))
            if text:
                label = "training" if kind == remote.TRAINING_FILE else "validation"
                path = job_folder / f"gpt-is-you-{self.job.id}-{label}.jsonl"
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with open(descriptor, "w", encoding="utf-8") as out:
                    out.write(text)
                written[kind] = path
        return written

    def upload(self, kind: str, path: Path) -> str:
        from together.lib import FileTypeError

        done = remote.find(self.db, self.job.id, kind)
        if done is not None and done.deleted_at is None:
            return done.remote_id  # uploaded before this process started
        label = "training" if kind == remote.TRAINING_FILE else "validation"
        try:
            uploaded = self.client.files.upload(path, purpose="fine-tune", check=True)
        except FileTypeError as e:
            raise ProviderError(
                f"the {label} file did not pass the together SDK's check: {str(e).splitlines()[0]}"
            ) from None
        self.remember(kind, uploaded.id)
        self.event(f"uploaded the {label} file ({path.stat().st_size:,} bytes): {uploaded.id}")
        return uploaded.id

    def tell_estimate(self, ids: dict[str, str]) -> None:
        """Together's own price for this job, told as an event once it has the files: the
        figure no stored pricing page gave (the plan could only count tokens). Only told:
        the create refuses a job the account cannot pay for."""
        import together

        validation = ids.get(remote.VALIDATION_FILE)
        try:
            answer = self.client.fine_tuning.estimate_price(
                training_file=ids[remote.TRAINING_FILE],
                validation_file=validation or together.omit,
                model=self.settings.base,
                n_epochs=self.settings.epochs or DEFAULT_EPOCHS,
                n_evals=N_EVALS if validation else 0,
                training_method={"method": "sft", "train_on_inputs": "auto"},
            )
        except together.APIError:
            return  # no figure today; the create says whatever matters
        if not answer.estimation_available or answer.estimated_total_price is None:
            return
        tokens = (answer.estimated_train_token_count or 0) + (
            answer.estimated_eval_token_count or 0
        )
        self.event(
            f"{self.conn.service} estimates this job at ${answer.estimated_total_price:,.2f} "
            f"({tokens:,.0f} tokens)"
        )
        if answer.allowed_to_proceed is False:
            self.event(f"that is over this account's limit at {self.conn.service}", "warning")

    def create(self, ids: dict[str, str]):
        """Create the job once. A connection lost while creating it may have created it
        all the same: the request's token in its suffix and the training file find it
        before trying again (Together keeps no metadata)."""
        import together

        found = self.find(ids[remote.TRAINING_FILE])
        if found is not None:
            return found
        options = self.options(ids)
        # No retry by the SDK: a create whose answer was lost would make a second job.
        client = self.client.with_options(max_retries=0)
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return client.fine_tuning.create(**options)
            except ValueError as e:  # the SDK's own checks against the base's limits
                raise ProviderError(
                    f"{self.conn.service} cannot take these settings: {e}"
                ) from None
            except together.APIConnectionError:
                found = self.find(ids[remote.TRAINING_FILE])
                if found is not None:
                    self.event("the connection dropped while creating the job; it was created")
                    return found
                if attempt == CREATE_ATTEMPTS:
                    raise
                self.event("the connection dropped while creating the job; trying again")
                time.sleep(min(30.0, poll_seconds() * attempt))
            except (together.RateLimitError, together.InternalServerError) as e:
                # Refused before anything was made: asking again is safe.
                if attempt == CREATE_ATTEMPTS:
                    raise
                time.sleep(retry_after(e) or min(30.0, poll_seconds() * attempt))
        raise AssertionError("unreachable")

    def options(self, ids: dict[str, str]) -> dict[str, object]:
        """The job as Together's create takes it: LoRA on the chosen base; what the user
        left blank is Together's default (1 epoch, batch "max", learning rate 1e-5, which
        the LR multiplier scales)."""
        s = self.settings
        options: dict[str, object] = {
            "model": s.base,
            "training_file": ids[remote.TRAINING_FILE],
            "lora": True,
            "suffix": str(self.job.settings["suffix"]),
            "n_checkpoints": N_CHECKPOINTS,
        }
        if remote.VALIDATION_FILE in ids:
            options["validation_file"] = ids[remote.VALIDATION_FILE]
            options["n_evals"] = N_EVALS
        if s.epochs is not None:
            options["n_epochs"] = s.epochs
        if s.batch_size is not None:
            options["batch_size"] = s.batch_size
        if s.lr_multiplier is not None:
            options["learning_rate"] = DEFAULT_LEARNING_RATE * s.lr_multiplier
        if s.seed is not None:
            options["random_seed"] = s.seed
        return options

    def find(self, training_file: str):
        """This job's request at the service: its training file and its token in the
        suffix (or the output name, which carries the suffix)."""
        tag = request_tag(str(self.job.settings["request"]))
        for job in self.client.fine_tuning.list().data:
            named = f"{job.suffix or ''} {job.x_model_output_name or ''}"
            if job.training_file == training_file and tag in named:
                return job
        return None

    # While it runs --------------------------------------------------------------------

    def poll(self, remote_id: str):
        """The job, with its new events and checkpoints recorded."""
        job = self.client.fine_tuning.retrieve(remote_id)
        self.record_events(remote_id)
        self.record_metrics(remote_id, job)
        if job.status != "pending":
            self.record_checkpoints(remote_id)
        return job, job.status

    def send_cancel(self, remote_id: str) -> None:
        self.client.fine_tuning.cancel(remote_id)

    def record_events(self, remote_id: str) -> None:
        """New events, each once: they have no ids, so one is known by its time, type
        and message."""
        for event in self.client.fine_tuning.list_events(remote_id).data:
            jobs.add_remote_event(
                self.db,
                self.job.id,
                f"{event.created_at}|{event.type}|{event.message}",
                local_time(event.created_at),
                scrub(event.message, self.conn),
                LEVELS.get(event.level or "info", "info"),
            )

    def record_metrics(self, remote_id: str, job) -> None:
        """The metrics of the steps after the last one recorded, and the step reached."""
        done = self.job.step or 0
        rows = self.client.fine_tuning.list_metrics(remote_id, global_step_from=done).metrics
        by_step: dict[int, dict[str, float]] = {}
        for row in rows or []:
            step = next((int(row[k]) for k in STEP_KEYS if row.get(k) is not None), None)
            if step is None:
                continue
            values = {
                ours: float(row[theirs])
                for theirs, ours in METRIC_NAMES.items()
                if row.get(theirs) is not None
            }
            by_step.setdefault(step, {}).update(values)
        total = getattr(job, "total_steps", None)  # the API returns it; the type lacks it
        for step in sorted(by_step):
            jobs.set_progress(self.db, self.job.id, step, total, by_step[step])
        if by_step:
            self.job = jobs.read_job(self.db, self.job.id)

    def record_checkpoints(self, remote_id: str) -> None:
        steps = []
        for checkpoint in self.client.fine_tuning.list_checkpoints(remote_id).data:
            steps.append(checkpoint.step)
            jobs.add_remote_event(
                self.db,
                self.job.id,
                f"checkpoint|{checkpoint.step}|{checkpoint.checkpoint_type}",
                local_time(checkpoint.created_at),
                f"checkpoint at step {checkpoint.step} ({checkpoint.checkpoint_type})",
                "info",
            )
        if steps:
            jobs.set_checkpoint(self.db, self.job.id, max(steps))

    # When it ends ---------------------------------------------------------------------

    def finish(self, job, state: str) -> None:
        """Record what the ended job left, then its state: whoever sees it succeeded
        finds the fine-tuned model already stored. The adapter is fetched after: the
        model is at the service whether or not it comes."""
        error = None
        if state == jobs.SUCCEEDED:
            if job.x_model_output_name:
                self.remember(remote.MODEL, job.x_model_output_name)
            self.event(f"trained: {job.x_model_output_name}")
        elif state == jobs.FAILED:
            messages = [e.message for e in job.events or [] if e.level == "error"]
            reason = messages[-1] if messages else "no reason given"
            error = f"{self.conn.service}: {scrub(reason, self.conn)}"
        if self.settings.delete_files:
            self.delete_files()
        self.set_state(state, error=error)
        if state == jobs.SUCCEEDED:
            adapter.bring_home(self.db, self.conn, self.job, self.folder, self.client)

    def delete_files(self) -> None:
        deleted = delete_objects(self.db, self.conn, self.job.id, files_only=True)
        if deleted:
            self.event(f"deleted the uploaded files at {self.conn.service}: {', '.join(deleted)}")


def delete_objects(db, conn: Connection, job_id: int | None, *, files_only: bool) -> list[str]:
    """Delete the job's (or the model's) uploaded files at Together, and unless
    ``files_only`` its fine-tune jobs (which takes their models with them); record each
    deletion. Something already gone counts as deleted."""
    import together

    client = conn.together()
    deleted = []
    present = [
        o for o in remote.objects(db, job_id=job_id, present=True) if o.backend == conn.backend
    ]
    for thing in present:
        if thing.kind == remote.MODEL or (files_only and not thing.is_file):
            continue  # a model goes with its job, below
        try:
            if thing.is_file:
                client.files.delete(thing.remote_id)
            else:
                client.fine_tuning.delete(thing.remote_id)
        except together.NotFoundError:
            pass
        except together.APIError as e:
            raise explain(e, conn) from None
        remote.mark_deleted(db, thing.id)
        deleted.append(thing.remote_id)
        if thing.kind == remote.FINE_TUNE_JOB:
            for model in present:
                if model.kind == remote.MODEL and model.job_id == thing.job_id:
                    remote.mark_deleted(db, model.id)
                    deleted.append(model.remote_id)
    return deleted


if __name__ == "__main__":
    main(Watcher)
