"""Persona-fidelity reports as the model's store keeps them: one row per run, with the
settings that produced it and the report as JSON (``evaluation/report.py`` reads it back)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from gpt_is_you.store.jobs import now


@dataclass(frozen=True)
class StoredEvaluation:
    id: int
    job_id: int | None
    created_at: str
    settings: dict[str, object]
    report: dict[str, object]


def save(
    db: sqlite3.Connection, job_id: int, settings: dict[str, object], report: dict[str, object]
) -> int:
    return db.execute(
        "INSERT INTO evaluations (job_id, created_at, settings, report) VALUES (?, ?, ?, ?)",
        (job_id, now(), json.dumps(settings), json.dumps(report, ensure_ascii=False)),
    ).lastrowid


def read_all(db: sqlite3.Connection) -> list[StoredEvaluation]:
    """Every evaluation of the model, the latest first."""
    rows = db.execute(
        "SELECT id, job_id, created_at, settings, report FROM evaluations ORDER BY id DESC"
    )
    return [
        StoredEvaluation(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]))
        for row in rows
    ]
