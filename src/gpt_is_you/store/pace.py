"""How long a training job has run and how long it has left, for the CLI and the app.

Elapsed time comes from the job's row; the time left from the pace of the steps seen
while watching it, because a resumed job's row says nothing about how fast its current
run goes.
"""

from __future__ import annotations

from datetime import datetime

from gpt_is_you.store.jobs import Job


def elapsed(job: Job, now: datetime) -> float:
    """Seconds from the job's creation to its end, or to ``now`` while it runs."""
    end = datetime.fromisoformat(job.finished_at) if job.finished_at else now
    return max(0.0, (end - datetime.fromisoformat(job.created_at)).total_seconds())


class Pace:
    """Steps per second between the first and the latest step seen, for an ETA.

    A step's moment is the job's ``updated_at`` when it was seen with that step (the
    worker stamps each step), not when the reader happened to look.
    """

    def __init__(self) -> None:
        self._first: tuple[float, int] | None = None
        self._last: tuple[float, int] | None = None

    def see(self, job: Job) -> None:
        step = job.step
        at = datetime.fromisoformat(job.updated_at).timestamp()
        if self._first is None or step < self._first[1]:  # first sight, or a resumed job
            self._first = self._last = (at, step)
        elif step != self._last[1]:
            self._last = (at, step)

    def remaining(self, job: Job) -> float | None:
        """Seconds until the job's last step at the pace seen so far; None if unknown."""
        if not job.total_steps or self._first is None or not job.active:
            return None
        steps = self._last[1] - self._first[1]
        if steps <= 0:
            return None
        per_step = (self._last[0] - self._first[0]) / steps
        return per_step * max(0, job.total_steps - job.step)


def clock(seconds: float | None) -> str:
    """``MM:SS``, or ``H:MM:SS`` from an hour on; ``?`` when unknown."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"
