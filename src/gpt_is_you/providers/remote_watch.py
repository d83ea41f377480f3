"""What every remote job's watcher process shares: its rows written to the store (state,
events, the objects made at the service), a heartbeat while it waits, and the ending
recorded whatever stopped it.

Each service's watcher (``providers/openai/watch.py``, ``providers/together/watch.py``)
subclasses ``JobWatcher`` with its ``run()`` (upload, create, follow) and is started as
``python -m MODULE MODEL_DIR JOB_ID``, whose ``__main__`` calls ``main(JobWatcher subclass)``.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.providers.connection import Connection, connection
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.service_errors import explain, is_service_error, is_transient, scrub
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.store import jobs, remote
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import DB_NAME, connect, read_setting

POLL_ENV = "GPT_IS_YOU_POLL_SECONDS"  # tests poll quickly
HEARTBEAT_SECONDS = 5


def poll_seconds() -> float:
    return float(os.environ.get(POLL_ENV, "10"))


class JobWatcher:
    """The one writer of a remote job's rows while it runs."""

    def __init__(self, db, job: Job, conn: Connection, name: str, folder: Path) -> None:
        self.db = db
        self.job = job
        self.conn = conn
        self.name = name  # the model's, as its store has it
        self.folder = folder  # the model's
        self.settings = RemoteSettings.from_json(job.settings)

    STATES: dict[str, str]  # the service's job states, as ours

    def run(self) -> None:
        remote_id = self.job.remote_id or self.launch()
        if remote_id is not None:
            self.follow(remote_id)

    # What each service's watcher does with its SDK ------------------------------------

    def launch(self) -> str | None:
        """Upload the examples and create the job once; its id (None: cancelled first)."""
        raise NotImplementedError

    def poll(self, remote_id: str) -> tuple[object, str]:
        """Read the job and record what is new (events, metrics, checkpoints); the job
        and its state as the service names it."""
        raise NotImplementedError

    def send_cancel(self, remote_id: str) -> None:
        raise NotImplementedError

    def finish(self, job, state: str) -> None:
        """Record what the ended job left, then its state."""
        raise NotImplementedError

    # While it runs --------------------------------------------------------------------

    def follow(self, remote_id: str) -> None:
        """Poll the job until it ends. Lost contact, a rate limit or a server error is
        waited out (the job goes on at the service), asking more and more slowly."""
        failures = 0
        cancel_sent = False
        while True:
            try:
                job, status = self.poll(remote_id)
                failures = 0
            except Exception as e:
                if not is_transient(e):
                    raise
                failures += 1
                if failures == 1:
                    self.event(f"{explain(e, self.conn)}; asking again", "warning")
                self.sleep(min(50.0, poll_seconds() * 2**failures))
                continue
            state = self.STATES.get(status, jobs.RUNNING)
            if state not in jobs.ACTIVE:
                self.finish(job, state)
                return
            if state != self.job.state:
                self.set_state(state)
            if jobs.cancel_requested(self.db, self.job.id) and not cancel_sent:
                # The provider asked the service already, unless it could not reach it;
                # a job that ended meanwhile (400) is told by the next poll.
                try:
                    self.send_cancel(remote_id)
                except Exception as e:
                    if not (is_service_error(e) and getattr(e, "status_code", None) == 400):
                        raise
                cancel_sent = True
            self.sleep(poll_seconds())

    # The store ------------------------------------------------------------------------

    def set_state(self, state: str, error: str | None = None) -> None:
        jobs.set_state(self.db, self.job.id, state, error=error)
        self.job = jobs.read_job(self.db, self.job.id)

    def remember(self, kind: str, remote_id: str) -> None:
        remote.record(self.db, self.job.id, self.job.backend, kind, remote_id)

    def event(self, message: str, level: str = "info") -> None:
        jobs.add_event(self.db, self.job.id, message, level)

    def sleep(self, seconds: float) -> None:
        """Sleep, beating the heartbeat that tells others this watcher is alive."""
        end = time.monotonic() + seconds
        while True:
            jobs.heartbeat(self.db, self.job.id)
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(HEARTBEAT_SECONDS, left))


def local_time(created_at: int | float | str | datetime) -> str:
    """A service's time (seconds since the epoch, or ISO 8601) as the store's local one."""
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    if isinstance(created_at, datetime):
        if created_at.tzinfo is not None:
            created_at = created_at.astimezone().replace(tzinfo=None)
        return created_at.isoformat(timespec="seconds")
    return datetime.fromtimestamp(created_at).isoformat(timespec="seconds")


def retry_after(error) -> float | None:
    """The seconds a refusal (429, 503) asks to wait, when it says."""
    try:
        return float(error.response.headers.get("retry-after", ""))
    except (AttributeError, ValueError):
        return None


def run(folder: Path, job_id: int, watcher: type[JobWatcher]) -> int:
    """Watch the job ``job_id`` of the model in ``folder`` until it ends; whatever stops
    the watcher is recorded as the job's ending."""
    db = connect(folder / DB_NAME)
    jobs.set_worker(db, job_id, os.getpid())
    job = jobs.read_job(db, job_id)
    conn = None
    try:
        conn = connection(job.backend)
        name = str(read_setting(db, "name") or folder.name)
        watcher(db, job, conn, name, folder).run()
    except Exception as e:  # the job records why it stopped, whatever it was
        if isinstance(e, ProviderError | SettingsError):  # SettingsError: stored settings
            message = str(e)
        elif conn is not None and is_service_error(e):
            message = str(explain(e, conn))
        else:  # a bug of ours: its traceback goes to the log, the job says what happened
            traceback.print_exc()
            message = f"the watcher stopped: {type(e).__name__}: {scrub(str(e), conn)}"
        job = jobs.read_job(db, job_id)
        # Without a job at the service, nothing goes on; with one, it does, and
        # `train --resume` watches it again once the problem is fixed.
        state = jobs.INTERRUPTED if job.remote_id else jobs.FAILED
        jobs.set_state(db, job_id, state, error=message)
        jobs.add_event(db, job_id, message, "error")
        return 1
    return 0


def main(watcher: type[JobWatcher]) -> None:
    """``python -m MODULE MODEL_DIR JOB_ID``."""
    sys.exit(run(Path(sys.argv[1]), int(sys.argv[2]), watcher))
