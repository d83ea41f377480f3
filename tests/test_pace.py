"""Elapsed time and ETA of a training job, as the CLI and the app show them."""

from __future__ import annotations

from datetime import datetime, timedelta

from gpt_is_you.store.jobs import RUNNING, SUCCEEDED, Job
from gpt_is_you.store.pace import Pace, clock, elapsed


def job(
    step: int,
    total: int | None = 100,
    state: str = RUNNING,
    finished: str | None = None,
    at: float = 0,
) -> Job:
    """A job as read ``at`` seconds after 09:00:00, when it reached ``step``."""
    updated = datetime(2025, 3, 14, 9, 0) + timedelta(seconds=at)
    return Job(
        id=1,
        backend="local",
        base_model="default",
        state=state,
        settings={},
        step=step,
        total_steps=total,
        checkpoint_step=None,
        created_at="2025-03-14T09:00:00",
        updated_at=updated.isoformat(timespec="seconds"),
        finished_at=finished,
        error=None,
        pid=None,
        remote_id=None,
    )


def test_elapsed_runs_until_the_job_ends() -> None:
    now = datetime(2025, 3, 14, 9, 2, 5)
    assert elapsed(job(3), now) == 125
    finished = job(100, state=SUCCEEDED, finished="2025-03-14T09:01:00")
    assert elapsed(finished, now) == 60


def test_the_eta_comes_from_the_steps_seen() -> None:
    pace = Pace()
    assert pace.remaining(job(10)) is None
    pace.see(job(10, at=0))
    assert pace.remaining(job(10)) is None  # one sighting says nothing about speed
    pace.see(job(10, at=0))
    pace.see(job(20, at=50))
    assert pace.remaining(job(20)) == 400.0  # 5 s a step, 80 to go
    assert pace.remaining(job(20, total=None)) is None
    assert pace.remaining(job(20, state=SUCCEEDED)) is None


def test_a_resumed_job_starts_the_pace_again() -> None:
    pace = Pace()
    pace.see(job(40, at=0))
    pace.see(job(50, at=10))
    pace.see(job(20, at=100))  # resumed from the checkpoint at step 20
    assert pace.remaining(job(20)) is None
    pace.see(job(22, at=104))
    assert pace.remaining(job(22)) == 156.0


def test_clock() -> None:
    assert clock(None) == "?"
    assert clock(0) == "00:00"
    assert clock(400) == "06:40"
    assert clock(3600 * 26 + 61) == "26:01:01"
