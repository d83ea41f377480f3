"""What a model has on a remote service: the files uploaded for its jobs, the fine-tuned
model, the fine-tune job where the service keeps the model with it (Together), and when
each was deleted there. The store keeps ids only, never a key."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from gpt_is_you.store.jobs import now
from gpt_is_you.words import count

TRAINING_FILE = "training_file"
VALIDATION_FILE = "validation_file"
RESULTS_FILE = "results_file"
MODEL = "model"
# A fine-tune job kept at the service (Together): deleting it deletes its model.
FINE_TUNE_JOB = "fine_tune_job"
FILES = (TRAINING_FILE, VALIDATION_FILE, RESULTS_FILE)


@dataclass(frozen=True)
class RemoteObject:
    id: int
    job_id: int | None
    backend: str
    kind: str
    remote_id: str
    created_at: str
    deleted_at: str | None

    @property
    def is_file(self) -> bool:
        return self.kind in FILES


def record(db: sqlite3.Connection, job_id: int, backend: str, kind: str, remote_id: str) -> None:
    """Remember an object made on the service (once: recording it again changes nothing)."""
    if not db.execute(
        "SELECT 1 FROM remote_objects WHERE job_id = ? AND kind = ? AND remote_id = ?",
        (job_id, kind, remote_id),
    ).fetchone():
        db.execute(
            "INSERT INTO remote_objects (job_id, backend, kind, remote_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (job_id, backend, kind, remote_id, now()),
        )


def mark_deleted(db: sqlite3.Connection, object_id: int) -> None:
    db.execute("UPDATE remote_objects SET deleted_at = ? WHERE id = ?", (now(), object_id))


def objects(
    db: sqlite3.Connection, *, job_id: int | None = None, present: bool = False
) -> list[RemoteObject]:
    """The model's remote objects (of one job), oldest first; ``present``: not deleted."""
    query = (
        "SELECT id, job_id, backend, kind, remote_id, created_at, deleted_at FROM remote_objects"
    )
    where, values = [], []
    if job_id is not None:
        where.append("job_id = ?")
        values.append(job_id)
    if present:
        where.append("deleted_at IS NULL")
    if where:
        query += " WHERE " + " AND ".join(where)
    return [RemoteObject(*row) for row in db.execute(query + " ORDER BY id", values)]


def find(db: sqlite3.Connection, job_id: int, kind: str) -> RemoteObject | None:
    """The job's object of ``kind`` (the latest), deleted or not."""
    found = [o for o in objects(db, job_id=job_id) if o.kind == kind]
    return found[-1] if found else None


@dataclass(frozen=True)
class Leftovers:
    """What a model still has at a service."""

    files: tuple[str, ...]
    models: tuple[str, ...]
    jobs: tuple[str, ...] = ()  # fine-tune jobs kept at the service (Together's)

    def __bool__(self) -> bool:
        return bool(self.files or self.models or self.jobs)

    def __str__(self) -> str:
        parts = []
        if self.files:
            parts.append(f"{count(len(self.files), 'uploaded file')} ({', '.join(self.files)})")
        if self.models:
            parts.append(
                f"{count(len(self.models), 'fine-tuned model')} ({', '.join(self.models)})"
            )
        if self.jobs:
            parts.append(f"{count(len(self.jobs), 'fine-tune job')} ({', '.join(self.jobs)})")
        return " and ".join(parts)


def leftovers(db: sqlite3.Connection) -> dict[str, Leftovers]:
    """What the model still has at each service, by backend (from the store: no key, no
    network)."""
    present = objects(db, present=True)
    out = {}
    for backend in dict.fromkeys(o.backend for o in present):
        mine = [o for o in present if o.backend == backend]
        out[backend] = Leftovers(
            tuple(o.remote_id for o in mine if o.is_file),
            tuple(o.remote_id for o in mine if o.kind == MODEL),
            tuple(o.remote_id for o in mine if o.kind == FINE_TUNE_JOB),
        )
    return out
