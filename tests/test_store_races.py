"""Two commands at once on one model: one job, one model, every dead worker noticed, every
active job cancelled, and what killed runs left behind removed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import gpt_is_you.providers.base
import gpt_is_you.providers.local
from conftest import add_job, dead_pid, new_model, write_export
from gpt_is_you.cli import main
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import LocalProvider
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.models import find_model, list_models, open_model

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "chat.txt", sessions=20)


def _state(model: str, job_id: int) -> str:
    with open_model(model) as db:
        (state,) = db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return state


def test_two_trains_started_together_make_one_job(home, export, tiny_base, monkeypatch):
    new_model("sam", export)
    spawned: list[int] = []

    def pretend_spawn(db, folder, job_id, module):  # this process plays the worker
        jobs.set_worker(db, job_id, os.getpid())
        spawned.append(job_id)

    for starter in (gpt_is_you.providers.base, gpt_is_you.providers.local):
        monkeypatch.setattr(starter, "spawn", pretend_spawn, raising=False)
    both_checked = threading.Barrier(2)
    create_job = jobs.create_job

    def create_once_both_checked(*args, **kwargs):
        # Were the check and the new row apart, both starts would have checked by now and
        # both would make a job. As one transaction, the second start waits for the
        # first's to end, and the first stops waiting for it here after a while.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=2)
        return create_job(*args, **kwargs)

    monkeypatch.setattr(jobs, "create_job", create_once_both_checked)
    outcomes: list[object] = []

    def start() -> None:
        try:
            outcomes.append(
                LocalProvider().start(find_model("sam"), TrainSettings(base=str(tiny_base)))
            )
        except ProviderError as e:
            outcomes.append(e)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    (job,) = [o for o in outcomes if isinstance(o, jobs.Job)]
    (refused,) = [o for o in outcomes if isinstance(o, ProviderError)]
    assert "training already" in str(refused)
    assert spawned == [job.id]
    with open_model("sam") as db:
        assert db.execute("SELECT count(*) FROM jobs").fetchone() == (1,)


def test_a_dead_worker_is_noticed_wherever_its_job_is_in_the_list(home, export, capsys):
    new_model("sam", export)
    older = add_job("sam", jobs.RUNNING, pid=dead_pid())
    latest = add_job("sam", jobs.RUNNING, pid=os.getpid())  # alive: this process plays its worker

    assert main(["status", "sam"]) == 0
    assert "running (job" in capsys.readouterr().out
    assert _state("sam", older) == jobs.INTERRUPTED
    assert _state("sam", latest) == jobs.RUNNING


def test_cancel_reaches_every_active_job(home, export, reap_workers):
    new_model("sam", export)
    workers = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(2)
    ]
    reap_workers.update(w.pid for w in workers)
    ids = [add_job("sam", jobs.RUNNING, pid=w.pid) for w in workers]

    LocalProvider().cancel(find_model("sam"))
    for worker in workers:
        assert worker.wait(timeout=30) == -signal.SIGTERM
    with open_model("sam") as db:
        assert [jobs.cancel_requested(db, job_id) for job_id in ids] == [True, True]


# Run as two processes that meet once each has checked that the name is free and is
# building its model: both then move their folder into place, and one of them is first.
_MEET_AND_RUN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gpt_is_you.cli import main
    from gpt_is_you.store import models

    me, other = Path(sys.argv[1]), Path(sys.argv[2])
    migrate = models.migrate

    def meet(db):
        migrate(db)
        if not me.exists():
            me.touch()
            deadline = time.monotonic() + 60
            while not other.exists() and time.monotonic() < deadline:
                time.sleep(0.01)

    models.migrate = meet
    sys.exit(main(sys.argv[3:]))
    """
)


def test_two_new_of_one_name_at_once_one_wins_the_other_says_it_exists(home, tmp_path):
    command = ["new", "Bruno", "--from", str(FIXTURE), "--persona", "Bruno Keller", "--yes"]
    env = {**os.environ, "GPT_IS_YOU_HOME": str(home)}
    a, b = tmp_path / "a", tmp_path / "b"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _MEET_AND_RUN, str(me), str(other), *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in ((a, b), (b, a))
    ]
    results = sorted((run.wait(timeout=120), run.stderr.read()) for run in runs)
    assert a.exists() and b.exists(), "the two runs never built at the same time"
    (won, _), (lost, err) = results
    assert (won, lost) == (0, 2), err
    assert (
        err == "gpt-is-you: a model named 'Bruno' exists already; choose another name or `rm` it\n"
    )
    assert [m.name for m in list_models()] == ["Bruno"]
    assert not [p.name for p in (home / "models").iterdir() if p.name.startswith(".")]


def test_new_removes_what_killed_runs_of_any_name_left(home, export):
    new_model("sam", export)
    models = home / "models"
    dead, alive = dead_pid(), os.getpid()
    left = [
        models / f".new-robin-{dead}",  # a new killed by an older gpt-is-you
        models / f".new-robin-x1y2z3-{dead}",
        models / f".new-sam-removed-{dead}",  # an rm killed half-way
    ]
    working = models / f".new-kim-a1b2c3-{alive}"  # another new, at work right now
    for folder in (*left, working):
        folder.mkdir()
        (folder / "model.db").write_bytes(b"half")

    new_model("anna", export)
    assert not any(folder.exists() for folder in left)
    assert working.exists()
    assert [m.name for m in list_models()] == ["anna", "sam"]
