"""Training jobs in worker processes: killed and resumed, cancelled, noticed when gone."""

from __future__ import annotations

import os
import signal
import stat
import time
from dataclasses import replace
from datetime import datetime

import pytest

from conftest import add_job, dead_pid, new_model, write_export
from gpt_is_you.cli import main
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import LocalProvider, adapter_folder
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.models import find_model, model_folder, open_model

TIMEOUT = 150  # seconds a worker may take, on a loaded 2-core machine


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "chat.txt", sessions=140)


def _settings(tiny_base) -> TrainSettings:
    # One short example per batch: 126 training examples, one epoch, 126 quick steps.
    return TrainSettings(
        base=str(tiny_base),
        epochs=1,
        lr=2e-3,
        max_seq_len=256,
        batch_tokens=64,
        eval_every=50,
        checkpoint_every=5,
        threads=1,
        device="cpu",
    )


def _job(model: str, job_id: int | None = None) -> jobs.Job:
    with open_model(model) as db:
        return jobs.read_job(db, job_id)


def _wait(model: str, job_id: int, done, what: str) -> jobs.Job:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        job = _job(model, job_id)
        if done(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"{model}: no {what} in {TIMEOUT} s; last seen {job}\n{_log(model, job)}")


def _wait_end(model: str, job_id: int) -> jobs.Job:
    return _wait(model, job_id, lambda job: not job.active, "end")


def _log(model: str, job: jobs.Job) -> str:
    log = jobs.job_folder(model_folder(model), job.id) / "worker.log"
    return log.read_text(errors="replace")[-3000:] if log.is_file() else ""


def _metrics(model: str, job_id: int) -> dict[str, list[tuple[int, float]]]:
    with open_model(model) as db:
        return jobs.read_metrics(db, job_id)


def _events(model: str, job_id: int) -> list[str]:
    with open_model(model) as db:
        return [e.message for _, e in jobs.read_events(db, job_id)]


def test_a_killed_then_cancelled_job_resumes_to_the_same_losses_as_one_that_ran_through(
    home, export, tiny_base, reap_workers
):
    new_model("whole", export)
    new_model("sam", export)
    provider = LocalProvider()
    settings = _settings(tiny_base)
    whole = provider.start(find_model("whole"), settings)
    job = provider.start(find_model("sam"), settings)
    reap_workers.update({whole.pid, job.pid})
    assert whole.state == jobs.QUEUED and whole.pid

    # A second job while one is active is refused, as is a resume.
    with pytest.raises(ProviderError, match="training already"):
        provider.start(find_model("whole"), settings)
    with pytest.raises(ProviderError, match="training already"):
        provider.resume(find_model("sam"))

    # Killed (no chance to say anything) once it has a checkpoint.
    seen = _wait(
        "sam", job.id, lambda j: (j.checkpoint_step or 0) > 0 or not j.active, "checkpoint"
    )
    assert seen.state == jobs.RUNNING, _log("sam", seen)
    os.kill(seen.pid, signal.SIGKILL)
    gone = _wait_end("sam", job.id)
    assert gone.state == jobs.INTERRUPTED
    assert 0 < gone.checkpoint_step < gone.total_steps
    assert gone.error == "the training process stopped unexpectedly"
    assert any("process is gone" in e for e in _events("sam", job.id))

    resumed = provider.resume(find_model("sam"))
    reap_workers.add(resumed.pid)
    assert resumed.id == job.id and resumed.active
    assert resumed.step == gone.checkpoint_step  # steps past the checkpoint are forgotten
    assert max(s for s, _ in _metrics("sam", job.id)[jobs.TRAIN_LOSS]) <= gone.checkpoint_step

    # Cancelled once it has gone past its first checkpoint.
    seen = _wait(
        "sam",
        job.id,
        lambda j: j.checkpoint_step > gone.checkpoint_step or not j.active,
        "new checkpoint",
    )
    assert seen.state == jobs.RUNNING, _log("sam", seen)
    provider.cancel(find_model("sam"))
    cancelled = _wait_end("sam", job.id)
    assert cancelled.state == jobs.CANCELLED, _log("sam", cancelled)
    assert gone.checkpoint_step < cancelled.step < cancelled.total_steps
    assert cancelled.checkpoint_step == cancelled.step  # it wrote one as it stopped
    assert cancelled.finished_at is not None
    assert any(e.startswith(f"cancelled at step {cancelled.step}") for e in _events("sam", job.id))
    assert not adapter_folder(model_folder("sam"), job.id).exists()
    with pytest.raises(ProviderError, match="no running job"):
        provider.cancel(find_model("sam"))

    again = provider.resume(find_model("sam"))
    reap_workers.add(again.pid)
    for model, job_id in (("whole", whole.id), ("sam", job.id)):
        end = _wait_end(model, job_id)
        assert end.state == jobs.SUCCEEDED, _log(model, end)
        assert end.error is None
        assert end.step == end.total_steps > 100
        assert adapter_folder(model_folder(model), job_id).is_dir()
    events = _events("sam", job.id)
    for step in (gone.checkpoint_step, cancelled.step):
        assert f"resuming at step {step} of {gone.total_steps}" in events
    with pytest.raises(ProviderError, match="no interrupted or cancelled job"):
        provider.resume(find_model("sam"))

    # Every number the interrupted job recorded is the uninterrupted job's.
    expected = _metrics("whole", whole.id)
    got = _metrics("sam", job.id)
    assert set(got) == set(expected) == set(jobs.__dict__[n] for n in _METRICS)
    for name, series in expected.items():
        assert [s for s, _ in got[name]] == [s for s, _ in series], name
        assert [v for _, v in got[name]] == pytest.approx([v for _, v in series], rel=1e-5), name
    total = gone.total_steps
    assert [s for s, _ in expected[jobs.TRAIN_LOSS]] == list(range(1, total + 1))
    assert [s for s, _ in expected[jobs.VALID_LOSS]] == [0, 50, 100, total]


_METRICS = ("TRAIN_LOSS", "TRAIN_ACCURACY", "VALID_LOSS", "VALID_ACCURACY")


def test_a_job_whose_worker_is_gone_reads_as_interrupted(home, export):
    new_model("sam", export)
    dead = dead_pid()
    assert not jobs.pid_alive(dead)
    job_id = add_job("sam", jobs.RUNNING, pid=dead)

    job = _job("sam", job_id)
    assert job.state == jobs.INTERRUPTED
    assert job.error == "the training process stopped unexpectedly"
    assert job.finished_at is not None
    assert any("process is gone" in e for e in _events("sam", job_id))
    # Noticed once: reading it again adds no second event.
    _job("sam")
    assert sum("process is gone" in e for e in _events("sam", job_id)) == 1


def test_a_live_worker_with_a_stale_heartbeat_reads_as_interrupted(home, export):
    new_model("sam", export)
    fresh = add_job("sam", jobs.RUNNING, pid=os.getpid())
    assert _job("sam", fresh).state == jobs.RUNNING  # alive and beating: running

    stale = add_job("sam", jobs.RUNNING, pid=os.getpid())
    old = datetime.now() - jobs.STALE_AFTER - jobs.STALE_AFTER / 6
    with open_model("sam") as db:
        db.execute(
            "UPDATE jobs SET heartbeat_at = ? WHERE id = ?",
            (old.isoformat(timespec="seconds"), stale),
        )
    job = _job("sam", stale)
    assert job.state == jobs.INTERRUPTED
    assert any("process is gone" in e for e in _events("sam", stale))


def test_a_remote_job_is_not_judged_by_a_local_pid(home, export):
    new_model("sam", export)
    job_id = add_job("sam", jobs.RUNNING, pid=dead_pid(), backend="openai")
    assert _job("sam", job_id).state == jobs.RUNNING


def test_start_refuses_while_a_job_is_running_and_a_missing_base_at_once(home, export, tiny_base):
    new_model("sam", export)
    provider = LocalProvider()
    add_job("sam", jobs.RUNNING, pid=os.getpid())
    with pytest.raises(ProviderError, match="training already"):
        provider.start(find_model("sam"), _settings(tiny_base))
    with pytest.raises(ProviderError, match="no GGUF file"):
        provider.start(find_model("sam"), TrainSettings(base=str(home / "missing.gguf")))


def test_everything_under_a_trained_models_folder_is_private(home, export, tiny_base, reap_workers):
    new_model("sam", export)
    # Started from a shell whose umask lets others read what it makes, as most do.
    umask = os.umask(0o022)
    try:
        settings = replace(_settings(tiny_base), max_steps=3, checkpoint_every=2)
        job = LocalProvider().start(find_model("sam"), settings)
        reap_workers.add(job.pid)
        assert main(["export", "sam", "--format", "sharegpt"]) == 0
    finally:
        os.umask(umask)
    done = _wait_end("sam", job.id)
    assert done.state == jobs.SUCCEEDED, _log("sam", done)
    folder = model_folder("sam")
    job_dir = jobs.job_folder(folder, job.id)
    assert (job_dir / "checkpoint.pt").is_file() and (job_dir / "worker.log").is_file()
    assert any(adapter_folder(folder, job.id).iterdir())
    assert (folder / "exports").is_dir()
    wrong = {
        str(path.relative_to(folder)): oct(mode)
        for path in [folder, *folder.rglob("*")]
        if (mode := stat.S_IMODE(path.stat().st_mode)) != (0o700 if path.is_dir() else 0o600)
    }
    assert wrong == {}
