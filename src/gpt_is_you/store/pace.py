"""What a training job is doing, how long it has run and how long it has left, for the
CLI and the app.

Elapsed time comes from the job's row; the time left from the pace of the training steps
seen while watching it, because a resumed job's row says nothing about how fast its
current run goes. Loading and scoring the base model come before the first step and can
take longer than several steps (4½ minutes against 1½ a step on a laptop CPU): the clock
starts at the last moment the job was seen before its first step, never at its start.
"""

from __future__ import annotations

from datetime import datetime

from gpt_is_you.store.jobs import TRAINING, Job


def elapsed(job: Job, now: datetime) -> float:
    """Seconds from the job's creation to its end, or to ``now`` while it runs."""
    end = datetime.fromisoformat(job.finished_at) if job.finished_at else now
    return max(0.0, (end - datetime.fromisoformat(job.created_at)).total_seconds())


def doing(job: Job) -> str:
    """What a job is doing, as the app's header, `status` and `train` say it: "loading the
    base model", "scoring the base model 3/8", "training step 4 of 12" (the step under
    way, counted from 1), "saving"; a job without a phase (remote, or from an older
    version) says its step."""
    total = job.total_steps
    if job.phase == TRAINING and total:
        return f"training step {min(job.step + 1, total):,} of {total:,}"
    if job.phase and job.phase_total:
        return f"{job.phase} {job.phase_done or 0:,}/{job.phase_total:,}"
    if job.phase:
        return job.phase
    return f"step {job.step:,} of {total:,}" if total else f"step {job.step:,}"


class Pace:
    """Training steps per second between the first and the latest step seen, for an ETA.

    A step's moment is the job's ``updated_at`` when it was seen with that step (the
    worker stamps each step and each phase), not when the reader happened to look. Until
    the step moves, the start moves with the stamps seen: the clock starts when the
    first step seen begins, not while the base model loads or is scored.
    """

    def __init__(self) -> None:
        self._first: tuple[float, int] | None = None
        self._last: tuple[float, int] | None = None

    def see(self, job: Job) -> None:
        step = job.step
        at = datetime.fromisoformat(job.updated_at).timestamp()
        if self._first is None or step < self._first[1]:  # first sight, or a resumed job
            self._first = self._last = (at, step)
        elif step == self._first[1] == self._last[1]:
            # No step since the first sight (loading, scoring the base model): the clock
            # starts at the latest stamp, the moment the next step began.
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
