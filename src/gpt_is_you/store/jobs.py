"""Training jobs as the model's store records them: the one truth the CLI and the app read.

A job is a row in ``jobs`` with its metrics (``metrics``, one value per step and name)
and its log (``events``). Whoever runs the job (a local worker process, a poller of a
remote service) writes here; everyone else only reads. A job whose worker died without
saying so is noticed here and recorded as interrupted.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
INTERRUPTED = "interrupted"
ACTIVE = (QUEUED, RUNNING)
RESUMABLE = (INTERRUPTED, CANCELLED, FAILED)

# A local worker writes a heartbeat every few seconds; one this old means it is gone
# (its process id may even belong to another program by now).
STALE_AFTER = timedelta(seconds=60)

# The metric names both backends record (OpenAI's fine-tuning events use the same).
TRAIN_LOSS = "train_loss"
TRAIN_ACCURACY = "train_mean_token_accuracy"
VALID_LOSS = "valid_loss"
VALID_ACCURACY = "valid_mean_token_accuracy"

# What a local worker is doing, in the words the app, `status` and `train` show. A remote
# job has none (its service says what it does in its events).
LOADING = "loading the base model"
SCORING_BASE = "scoring the base model"
TRAINING = "training"
SCORING_TUNED = "scoring the tuned model"
SAVING = "saving"


@dataclass(frozen=True)
class Job:
    id: int
    backend: str
    base_model: str
    state: str
    settings: dict[str, object]
    step: int
    total_steps: int | None
    checkpoint_step: int | None
    created_at: str
    updated_at: str
    finished_at: str | None
    error: str | None
    pid: int | None
    remote_id: str | None
    # What the worker is doing and how far it is in it (batches scored of all); the
    # training phase's progress is the job's step.
    phase: str | None = None
    phase_done: int | None = None
    phase_total: int | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def progress(self) -> float:
        if not self.total_steps:
            return 1.0 if self.state == SUCCEEDED else 0.0
        return min(1.0, self.step / self.total_steps)


@dataclass(frozen=True)
class Event:
    time: str
    level: str
    message: str


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def create_job(
    db: sqlite3.Connection, *, backend: str, base_model: str, settings: dict[str, object]
) -> int:
    stamp = now()
    return db.execute(
        "INSERT INTO jobs (backend, base_model, state, settings, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (backend, base_model, QUEUED, json.dumps(settings), stamp, stamp),
    ).lastrowid


_COLUMNS = (
    "id, backend, base_model, state, settings, step, total_steps, checkpoint_step, "
    "created_at, updated_at, finished_at, error, pid, remote_id, phase, phase_done, phase_total"
)


def read_job(db: sqlite3.Connection, job_id: int | None = None) -> Job | None:
    """A job (the latest when ``job_id`` is None). Every local job whose worker died is
    seen as interrupted first, whatever its place in the list."""
    unrecorded = _notice_gone(db)
    if job_id is None:
        row = db.execute(f"SELECT {_COLUMNS} FROM jobs ORDER BY id DESC LIMIT 1").fetchone()
    else:
        row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        return None
    return _seen(_job(row), unrecorded)


def active_jobs(db: sqlite3.Connection) -> list[Job]:
    """Every job still queued or running, latest first (dead workers noticed first)."""
    unrecorded = _notice_gone(db)
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE state IN (?, ?) ORDER BY id DESC", ACTIVE
    ).fetchall()
    return [_job(row) for row in rows if row[0] not in unrecorded]


_GONE = "the training process stopped unexpectedly"
# In words for the app and the CLI alike: each says how to resume in its own terms.
_GONE_EVENT = "the training process is gone; it can be resumed"


def _notice_gone(db: sqlite3.Connection) -> set[int]:
    """Record every active local job whose worker died as interrupted. Returns the ones
    a read-only store could not record, which readers see as interrupted all the same.

    A remote job goes on without its watcher (the provider starts another); a local one
    ends with its worker.
    """
    rows = db.execute(
        "SELECT id, pid, heartbeat_at, updated_at FROM jobs "
        "WHERE backend = 'local' AND state IN (?, ?)",
        ACTIVE,
    ).fetchall()
    unrecorded = set()
    for job_id, pid, heartbeat_at, updated_at in rows:
        # A job with no worker yet (never a heartbeat) is judged by its last change: it
        # gets one as it starts, or it never will.
        if not _worker_gone(pid, heartbeat_at or updated_at):
            continue
        try:
            with transaction(db):
                stamp = now()
                # Whoever sees it first records it, once.
                changed = db.execute(
                    "UPDATE jobs SET state = ?, error = ?, updated_at = ?, finished_at = ? "
                    "WHERE id = ? AND state IN (?, ?)",
                    (INTERRUPTED, _GONE, stamp, stamp, job_id, *ACTIVE),
                ).rowcount
                if changed:
                    add_event(db, job_id, _GONE_EVENT)
        except sqlite3.OperationalError as e:
            if e.sqlite_errorcode & 0xFF != sqlite3.SQLITE_READONLY:
                raise
            unrecorded.add(job_id)
    return unrecorded


def _seen(job: Job, unrecorded: set[int]) -> Job:
    if job.id not in unrecorded:
        return job
    return replace(job, state=INTERRUPTED, error=_GONE, finished_at=job.updated_at)


def set_state(db: sqlite3.Connection, job_id: int, state: str, *, error: str | None = None) -> None:
    finished = now() if state not in ACTIVE else None
    db.execute(
        "UPDATE jobs SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?",
        (state, error, now(), finished, job_id),
    )


def watcher_gone(db: sqlite3.Connection, job_id: int) -> bool:
    """Whether the process that runs or watches the job has stopped."""
    pid, heartbeat_at = db.execute(
        "SELECT pid, heartbeat_at FROM jobs WHERE id = ?", (job_id,)
    ).fetchone()
    return pid is None or _worker_gone(pid, heartbeat_at)


def set_remote_id(db: sqlite3.Connection, job_id: int, remote_id: str) -> None:
    db.execute("UPDATE jobs SET remote_id = ? WHERE id = ?", (remote_id, job_id))


def set_worker(db: sqlite3.Connection, job_id: int, pid: int) -> None:
    db.execute(
        "UPDATE jobs SET pid = ?, heartbeat_at = ?, cancel_requested = 0 WHERE id = ?",
        (pid, now(), job_id),
    )


def heartbeat(db: sqlite3.Connection, job_id: int) -> None:
    db.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ?", (now(), job_id))


def set_progress(
    db: sqlite3.Connection,
    job_id: int,
    step: int,
    total_steps: int | None,
    metrics: dict[str, float],
) -> None:
    """Record a step's metrics and the job's position in one transaction."""
    stamp = now()
    with transaction(db):
        db.executemany(
            "INSERT OR REPLACE INTO metrics (job_id, step, name, value) VALUES (?, ?, ?, ?)",
            [(job_id, step, name, float(value)) for name, value in metrics.items()],
        )
        db.execute(
            "UPDATE jobs SET step = ?, total_steps = ?, updated_at = ?, heartbeat_at = ? "
            "WHERE id = ?",
            (step, total_steps, stamp, stamp, job_id),
        )


def set_phase(
    db: sqlite3.Connection,
    job_id: int,
    phase: str,
    total_steps: int,
    done: int = 0,
    total: int | None = None,
) -> None:
    """What the worker does now, how far it is in it, and the job's number of steps
    (known before the first). Stamped like a step: the pace's clock starts at the last
    stamp before the first step it sees (``pace.py``)."""
    stamp = now()
    db.execute(
        "UPDATE jobs SET phase = ?, phase_done = ?, phase_total = ?, total_steps = ?, "
        "updated_at = ?, heartbeat_at = ? WHERE id = ?",
        (phase, done, total, total_steps, stamp, stamp, job_id),
    )


def record_metrics(db: sqlite3.Connection, job_id: int, rows: dict[int, dict[str, float]]) -> None:
    """Record metrics of many steps at once (a remote job's results file)."""
    with transaction(db):
        db.executemany(
            "INSERT OR REPLACE INTO metrics (job_id, step, name, value) VALUES (?, ?, ?, ?)",
            [
                (job_id, step, name, float(value))
                for step, values in rows.items()
                for name, value in values.items()
            ],
        )


def set_checkpoint(db: sqlite3.Connection, job_id: int, step: int) -> None:
    db.execute("UPDATE jobs SET checkpoint_step = ? WHERE id = ?", (step, job_id))


def forget_after(db: sqlite3.Connection, job_id: int, step: int) -> None:
    """Drop metrics past ``step``: a resumed job computes them again from its checkpoint."""
    with transaction(db):
        db.execute("DELETE FROM metrics WHERE job_id = ? AND step > ?", (job_id, step))
        db.execute("UPDATE jobs SET step = ? WHERE id = ?", (step, job_id))


def request_cancel(db: sqlite3.Connection, job_id: int) -> None:
    db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))


def cancel_requested(db: sqlite3.Connection, job_id: int) -> bool:
    row = db.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return bool(row and row[0])


def add_event(db: sqlite3.Connection, job_id: int | None, message: str, level: str = "info"):
    db.execute(
        "INSERT INTO events (job_id, time, level, message) VALUES (?, ?, ?, ?)",
        (job_id, now(), level, message),
    )


def add_remote_event(
    db: sqlite3.Connection, job_id: int, remote_id: str, time: str, message: str, level: str
) -> bool:
    """Record a remote service's event once; False when it was recorded before."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO events (job_id, time, level, message, remote_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (job_id, time, level, message, remote_id),
    )
    return cursor.rowcount == 1


def read_events(db: sqlite3.Connection, job_id: int, after: int = 0) -> list[tuple[int, Event]]:
    rows = db.execute(
        "SELECT id, time, level, message FROM events WHERE job_id = ? AND id > ? ORDER BY id",
        (job_id, after),
    )
    return [(row[0], Event(*row[1:])) for row in rows]


def read_metrics(db: sqlite3.Connection, job_id: int) -> dict[str, list[tuple[int, float]]]:
    """Every metric of a job as name → [(step, value)] in step order."""
    out: dict[str, list[tuple[int, float]]] = {}
    for name, step, value in db.execute(
        "SELECT name, step, value FROM metrics WHERE job_id = ? ORDER BY name, step", (job_id,)
    ):
        out.setdefault(name, []).append((step, value))
    return out


def job_folder(model_folder: Path, job_id: int) -> Path:
    """Where a local job keeps its checkpoint, its adapter and its worker's log."""
    return model_folder / "jobs" / str(job_id)


def _job(row: tuple) -> Job:
    return Job(
        id=row[0],
        backend=row[1],
        base_model=row[2],
        state=row[3],
        settings=json.loads(row[4]),
        step=row[5],
        total_steps=row[6],
        checkpoint_step=row[7],
        created_at=row[8],
        updated_at=row[9],
        finished_at=row[10],
        error=row[11],
        pid=row[12],
        remote_id=row[13],
        phase=row[14],
        phase_done=row[15],
        phase_total=row[16],
    )


def _worker_gone(pid: int | None, heartbeat_at: str | None) -> bool:
    if heartbeat_at and datetime.now() - datetime.fromisoformat(heartbeat_at) > STALE_AFTER:
        return True
    return pid is not None and not pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Whether a process runs under ``pid`` (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we can know
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that what the block
    reads stays true until it commits; inside another one, part of that one."""
    if db.in_transaction:
        yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:  # SQLite ends some failed transactions itself
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
