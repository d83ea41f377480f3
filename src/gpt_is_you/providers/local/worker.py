"""The process a local training job runs in: ``python -m gpt_is_you.providers.local.worker``.

It outlives the command or the app that started it (its own session), writes everything
it does to the model's store, beats a heartbeat so that its death is noticed, and stops at
the next step, after a checkpoint, when asked to cancel (a flag in the store, or SIGTERM).

On several GPUs (or when the settings ask for several processes) it is rank 0 of the
training processes and starts the others as ``worker MODEL_DIR JOB_ID --rank R``
(``ranks.py``): they read the job from the store, train their share of each step and write
nothing; this process alone writes, beats, and hears the cancel request.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import WORKER, ranks
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.models import DB_NAME, connect, read_examples

HEARTBEAT_SECONDS = 5


class StoreReporter:
    """Training progress, written to the job's rows."""

    def __init__(self, db, job_id: int, stop: threading.Event) -> None:
        self.db = db
        self.job_id = job_id
        self.stop = stop

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> None:
        jobs.set_progress(self.db, self.job_id, step, total, metrics)

    def phase(self, name: str, steps: int, done: int = 0, total: int | None = None) -> None:
        jobs.set_phase(self.db, self.job_id, name, steps, done, total)

    def event(self, message: str) -> None:
        jobs.add_event(self.db, self.job_id, message)

    def checkpoint(self, step: int) -> None:
        jobs.set_checkpoint(self.db, self.job_id, step)

    def should_stop(self) -> bool:
        if jobs.cancel_requested(self.db, self.job_id):
            self.stop.set()
        return self.stop.is_set()


class Silent:
    """The reporter of ranks other than 0: rank 0 tells the store, and decides to stop."""

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> None:
        pass

    def phase(self, name: str, steps: int, done: int = 0, total: int | None = None) -> None:
        pass

    def event(self, message: str) -> None:
        pass

    def checkpoint(self, step: int) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def run(model_folder: Path, job_id: int) -> int:
    from gpt_is_you.providers.local.device import pick_device
    from gpt_is_you.providers.local.train import train

    db = connect(model_folder / DB_NAME)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    jobs.set_worker(db, job_id, os.getpid())
    jobs.set_state(db, job_id, jobs.RUNNING)
    beating = threading.Event()
    beat = threading.Thread(target=_beat, args=(model_folder, job_id, beating), daemon=True)
    beat.start()
    job = jobs.read_job(db, job_id)
    try:
        settings = TrainSettings.from_json(job.settings)  # checked again: stored by anyone
        device = pick_device(settings.device)
        world = ranks.count(settings.processes, device)
        if world > 1:
            jobs.add_event(db, job_id, f"{world} processes share each step")
        with ranks.started(
            world,
            [sys.executable, "-m", WORKER, str(model_folder), str(job_id)],
            device=device,
            threads=settings.threads,
            on_stuck=lambda message: _give_up(model_folder, job_id, message),
        ) as group:
            result = train(
                settings,
                *_conversations(db),
                jobs.job_folder(model_folder, job_id),
                StoreReporter(db, job_id, stop),
                ranks=group,
            )
        if not result.stopped:  # while the heartbeat still beats
            _prepare_chat(db, job_id, model_folder, settings.base)
    except (ProviderError, SettingsError) as e:
        return _fail(db, job_id, str(e))
    except Exception as e:  # recorded for the user; the traceback goes to the worker's log
        traceback.print_exc()
        return _fail(db, job_id, f"{type(e).__name__}: {e}")
    finally:
        beating.set()
    if result.stopped:
        jobs.add_event(db, job_id, f"cancelled at step {result.steps}; it can be resumed")
        jobs.set_state(db, job_id, jobs.CANCELLED)
        return 0
    rate = result.tokens / result.seconds if result.seconds else 0.0
    jobs.add_event(
        db,
        job_id,
        f"done: {result.steps} steps, {rate:.0f} tokens/s "
        f"({result.learned_tokens / max(result.seconds, 1e-9):.0f} persona tokens/s)",
    )
    jobs.set_state(db, job_id, jobs.SUCCEEDED)
    return 0


def run_rank(model_folder: Path, job_id: int, rank: int) -> int:
    """Rank ``rank`` (not 0) of the job's training processes: trains, writes nothing."""
    from gpt_is_you.providers.local.device import pick_device
    from gpt_is_you.providers.local.train import train

    db = connect(model_folder / DB_NAME)
    settings = TrainSettings.from_json(jobs.read_job(db, job_id).settings)
    world = int(os.environ["WORLD_SIZE"])
    with ranks.joined(rank, world, pick_device(settings.device)) as group:
        train(
            settings,
            *_conversations(db),
            jobs.job_folder(model_folder, job_id),
            Silent(),
            ranks=group,
        )
    return 0


def _conversations(db) -> tuple[list, list]:
    """The training and validation examples, as chat messages."""
    examples = [e for _, e, _ in read_examples(db)]
    return (
        [e.chat_messages() for e in examples if e.split == "train"],
        [e.chat_messages() for e in examples if e.split == "valid"],
    )


def _prepare_chat(db, job_id: int, model_folder: Path, base: str) -> None:
    """The trained model merged and saved once (``merged.py``), so that a chat loads it
    in a fraction of a second, and converted for the fast runtime (``fast.py``) where chat
    runs on this CPU, each phase shown as the job's. A failure costs only the time of the
    first chat, which prepares it again: the job has succeeded."""
    from gpt_is_you.providers.local import fast, merged

    steps = jobs.read_job(db, job_id).total_steps or 0
    jobs.add_event(db, job_id, "preparing the model for chat")
    folder = jobs.job_folder(model_folder, job_id)
    try:
        merged.prepare(folder, base)
    except Exception as e:  # the traceback goes to the worker's log
        traceback.print_exc()
        jobs.add_event(
            db, job_id, f"not prepared for chat ({e}); the first chat prepares it", level="warning"
        )
        return
    if not fast.wanted():
        return
    try:
        fast.prepare(folder, base, lambda phase: jobs.set_phase(db, job_id, phase, steps))
    except Exception as e:
        traceback.print_exc()
        then = "chat runs through PyTorch"
        if not isinstance(e, fast.ConversionFailed):
            then = "the first chat tries again"
        jobs.add_event(
            db, job_id, f"not converted for the fast runtime ({e}); {then}", level="warning"
        )


def _give_up(model_folder: Path, job_id: int, message: str) -> None:
    """Another rank died and this one's exchanges hang (NCCL waits): the job fails here,
    from the watching thread, and the process ends (the other ranks die with it)."""
    _fail(connect(model_folder / DB_NAME), job_id, message)
    os._exit(1)


def _fail(db, job_id: int, message: str) -> int:
    jobs.add_event(db, job_id, message, level="error")
    jobs.set_state(db, job_id, jobs.FAILED, error=message)
    return 1


def _beat(model_folder: Path, job_id: int, done: threading.Event) -> None:
    db = connect(model_folder / DB_NAME)  # a connection of its own: this is another thread
    while not done.wait(HEARTBEAT_SECONDS):
        jobs.heartbeat(db, job_id)
    db.close()


if __name__ == "__main__":
    # What this process writes (checkpoints, the adapter peft and torch save) is the
    # user's data: private (0700/0600) whatever umask the app or shell that started it had.
    os.umask(0o077)
    folder, job = Path(sys.argv[1]), int(sys.argv[2])
    if sys.argv[3:4] == ["--rank"]:
        sys.exit(run_rank(folder, job, int(sys.argv[4])))
    sys.exit(run(folder, job))
