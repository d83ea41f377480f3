"""The process that runs a remote fine-tuning job: ``python -m gpt_is_you.providers.openai.watch``.

It uploads the examples, creates the job, then polls it until it ends, writing what the
service reports (state, events, metrics under the shared names, checkpoints, the
fine-tuned model, the results file) to the model's store, which the CLI and the app read.
The job itself runs at the service: when this process dies (the machine restarts), the
provider starts another that picks up where the store says it was.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import time

from gpt_is_you.dataset.examples import TRAIN, VALID
from gpt_is_you.dataset.export import jsonl, records
from gpt_is_you.providers.connection import Connection
from gpt_is_you.providers.openai.profiles import profile_for
from gpt_is_you.providers.remote_watch import (
    JobWatcher,
    local_time,
    main,
    poll_seconds,
    retry_after,
)
from gpt_is_you.providers.service_errors import explain, refused_job, scrub
from gpt_is_you.store import jobs, remote
from gpt_is_you.store.models import read_examples

CREATE_ATTEMPTS = 3
# The service's job states, as ours.
STATES = {
    "validating_files": jobs.QUEUED,
    "queued": jobs.QUEUED,
    "running": jobs.RUNNING,
    "succeeded": jobs.SUCCEEDED,
    "failed": jobs.FAILED,
    "cancelled": jobs.CANCELLED,
}
# The results file's columns, by our metric names.
RESULT_COLUMNS = {
    "train_loss": jobs.TRAIN_LOSS,
    "train_accuracy": jobs.TRAIN_ACCURACY,
    "train_mean_token_accuracy": jobs.TRAIN_ACCURACY,
    "valid_loss": jobs.VALID_LOSS,
    "valid_mean_token_accuracy": jobs.VALID_ACCURACY,
}
METRICS = (jobs.TRAIN_LOSS, jobs.TRAIN_ACCURACY, jobs.VALID_LOSS, jobs.VALID_ACCURACY)
METADATA_KEY = "gpt_is_you_request"


def upload_files(db, fmt: str) -> tuple[bytes, bytes | None]:
    """The JSONL that goes up, in ``fmt`` (dataset/export.py): the service's chat format,
    or prompt/completion pairs for legacy models."""
    examples = [example for _, example, _ in read_examples(db)]
    train, valid = (
        "".join(jsonl(records((e for e in examples if e.split == split), fmt))).encode()
        for split in (TRAIN, VALID)
    )
    return train, valid or None


def parse_results(raw: bytes) -> dict[int, dict[str, float]]:
    """The results CSV, by step and our metric names. OpenAI has served it base64-encoded."""
    text = raw.decode("utf-8", "replace").strip()
    if not text.startswith("step"):
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8", "replace").strip()
        except (binascii.Error, ValueError):
            return {}
    out: dict[int, dict[str, float]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        try:
            step = int(float(row.get("step") or ""))
        except ValueError:
            continue
        values = {}
        for column, name in RESULT_COLUMNS.items():
            try:
                value = float(row.get(column) or "nan")
            except ValueError:
                continue
            if value == value and value not in (-1.0,):  # NaN and -1 stand for "not measured"
                values[name] = value
        if values:
            out[step] = values
    return out


class Watcher(JobWatcher):
    STATES = STATES

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.client = self.conn.client()
        self.profile = profile_for(self.job.backend)
        self.seen_events: set[str] = set()

    # Before the job exists --------------------------------------------------------------

    def launch(self) -> str | None:
        fmt = "prompt-completion" if self.settings.legacy else self.profile.data_format
        train, valid = upload_files(self.db, fmt)
        files = {remote.TRAINING_FILE: train, remote.VALIDATION_FILE: valid}
        ids = {kind: self.upload(kind, data) for kind, data in files.items() if data}
        if jobs.cancel_requested(self.db, self.job.id):
            self.delete_files()
            self.set_state(jobs.CANCELLED)
            self.event("cancelled before the job was created; the uploaded files are deleted")
            return None
        created = self.create(ids)
        jobs.set_remote_id(self.db, self.job.id, created.id)
        self.event(f"created job {created.id} at {self.conn.service}")
        return created.id

    def upload(self, kind: str, data: bytes) -> str:
        done = remote.find(self.db, self.job.id, kind)
        if done is not None and done.deleted_at is None:
            return done.remote_id  # uploaded before this process started
        label = "training" if kind == remote.TRAINING_FILE else "validation"
        filename = f"gpt-is-you-{self.name}-{self.job.id}-{label}.jsonl"
        uploaded = self.client.files.create(
            file=(filename, data, "application/jsonl"), purpose="fine-tune"
        )
        self.remember(kind, uploaded.id)
        self.event(f"uploaded the {label} file ({len(data):,} bytes): {uploaded.id}")
        return uploaded.id

    def create(self, ids: dict[str, str]):
        """Create the job once. A connection lost while creating it may have created it
        all the same: the request's token in its metadata (or, at a service without job
        metadata, its training file, uploaded for this job alone) finds it before trying
        again."""
        import openai

        token = str(self.job.settings["request"])
        found = self.find(token, ids[remote.TRAINING_FILE])
        if found is not None:
            return found
        s = self.settings
        options = {
            "model": s.base,
            "training_file": ids[remote.TRAINING_FILE],
            "suffix": s.suffix,
        }
        if self.profile.metadata:
            options["metadata"] = {METADATA_KEY: token, "gpt_is_you_model": self.name[:512]}
        if remote.VALIDATION_FILE in ids:
            options["validation_file"] = ids[remote.VALIDATION_FILE]
        if s.seed is not None:
            options["seed"] = s.seed
        if s.legacy:
            options["hyperparameters"] = s.hyperparameters()  # no methods for the old models
        else:
            options["method"] = {
                "type": "supervised",
                "supervised": {"hyperparameters": s.hyperparameters()},
            }
        client = self.client.with_options(max_retries=0)
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return client.fine_tuning.jobs.create(**options)
            except openai.PermissionDeniedError as e:
                raise refused_job(e, self.conn) from None
            except openai.APIConnectionError:
                found = self.find(token, ids[remote.TRAINING_FILE])
                if found is not None:
                    self.event("the connection dropped while creating the job; it was created")
                    return found
                if attempt == CREATE_ATTEMPTS:
                    raise
                self.event("the connection dropped while creating the job; trying again")
                time.sleep(min(30.0, poll_seconds() * attempt))
            except (openai.RateLimitError, openai.InternalServerError) as e:
                # Refused before anything was made: asking again is safe.
                if attempt == CREATE_ATTEMPTS:
                    raise
                time.sleep(retry_after(e) or min(30.0, poll_seconds() * attempt))
        raise AssertionError("unreachable")

    def find(self, token: str, training_file: str):
        """The job this watcher's create made, when one came through: by the token in its
        metadata, or by its training file and suffix (among the latest jobs)."""
        if self.profile.metadata:
            listed = self.client.fine_tuning.jobs.list(metadata={METADATA_KEY: token}, limit=20)
            return next((j for j in listed if (j.metadata or {}).get(METADATA_KEY) == token), None)
        for job in self.client.fine_tuning.jobs.list(limit=20).data:  # the latest only
            # OpenAI names the suffix user_provided_suffix; Nebius's reference says suffix.
            suffix = getattr(job, "user_provided_suffix", None) or getattr(job, "suffix", None)
            if job.training_file == training_file and suffix in (None, self.settings.suffix):
                return job
        return None

    # While it runs --------------------------------------------------------------------

    def poll(self, remote_id: str):
        """The job, with its new events and checkpoints recorded."""
        job = self.client.fine_tuning.jobs.retrieve(remote_id)
        self.record_events(remote_id)
        if job.status == "running" or STATES.get(job.status) == jobs.SUCCEEDED:
            self.record_checkpoints(remote_id)
        return job, job.status

    def send_cancel(self, remote_id: str) -> None:
        self.client.fine_tuning.jobs.cancel(remote_id)

    def record_events(self, remote_id: str) -> None:
        """New events, oldest first (the service lists them newest first)."""
        new = []
        page = self.client.fine_tuning.jobs.list_events(remote_id, limit=100)
        while True:
            fresh = [e for e in page.data if e.id not in self.seen_events]
            new += fresh
            if len(fresh) < len(page.data) or not page.has_next_page():
                break
            page = page.get_next_page()
        for event in reversed(new):
            self.seen_events.add(event.id)
            data = event.data if isinstance(event.data, dict) else {}
            if event.type == "metrics" and "step" in data:
                metrics = {k: float(data[k]) for k in METRICS if data.get(k) is not None}
                jobs.set_progress(
                    self.db, self.job.id, int(data["step"]), data.get("total_steps"), metrics
                )
                continue
            jobs.add_remote_event(
                self.db,
                self.job.id,
                event.id,
                local_time(event.created_at),
                scrub(event.message, self.conn),
                {"warn": "warning"}.get(event.level, event.level),
            )

    def record_checkpoints(self, remote_id: str) -> None:
        steps = []
        for checkpoint in self.client.fine_tuning.jobs.checkpoints.list(remote_id):
            steps.append(checkpoint.step_number)
            jobs.add_remote_event(
                self.db,
                self.job.id,
                checkpoint.id,
                local_time(checkpoint.created_at),
                f"checkpoint at step {checkpoint.step_number}: "
                f"{checkpoint.fine_tuned_model_checkpoint}",
                "info",
            )
        if steps:
            jobs.set_checkpoint(self.db, self.job.id, max(steps))

    # When it ends ---------------------------------------------------------------------

    def finish(self, job, state: str) -> None:
        """Record what the ended job left, then its state: whoever sees it succeeded
        finds the fine-tuned model already stored."""
        error = None
        if state == jobs.SUCCEEDED:
            if job.fine_tuned_model:
                self.remember(remote.MODEL, job.fine_tuned_model)
            for file_id in job.result_files or []:
                self.remember(remote.RESULTS_FILE, file_id)
                self.record_results(file_id)
            self.event(f"trained: {job.fine_tuned_model}")
        elif state == jobs.FAILED:
            message = job.error.message if job.error else "no reason given"
            error = f"{self.conn.service}: {scrub(message, self.conn)}"
        if self.settings.delete_files:
            self.delete_files()
        self.set_state(state, error=error)

    def record_results(self, file_id: str) -> None:
        raw = self.client.files.content(file_id).read()
        rows = parse_results(raw)
        jobs.record_metrics(self.db, self.job.id, rows)
        if rows:
            last = max(rows)
            self.event(f"read the results file: {len(rows)} steps, the last {last}")

    def delete_files(self) -> None:
        deleted = delete_objects(self.db, self.conn, self.job.id, files_only=True)
        if deleted:
            self.event(f"deleted the uploaded files at {self.conn.service}: {', '.join(deleted)}")


def delete_objects(db, conn: Connection, job_id: int | None, *, files_only: bool) -> list[str]:
    """Delete the job's (or the model's) remote files, and the fine-tuned model unless
    ``files_only``; record each deletion. Something already gone counts as deleted."""
    import openai

    client = conn.client()
    deleted = []
    for thing in remote.objects(db, job_id=job_id, present=True):
        if thing.backend != conn.backend or (files_only and not thing.is_file):
            continue
        try:
            if thing.is_file:
                client.files.delete(thing.remote_id)
            else:
                client.models.delete(thing.remote_id)
        except openai.NotFoundError:
            pass
        except openai.APIError as e:
            raise explain(e, conn) from None
        remote.mark_deleted(db, thing.id)
        deleted.append(thing.remote_id)
    return deleted


if __name__ == "__main__":
    main(Watcher)
