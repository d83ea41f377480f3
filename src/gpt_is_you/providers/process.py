"""Starting the process that runs or watches a training job, apart from whoever asked."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from gpt_is_you.store import jobs
from gpt_is_you.store.faults import faults


def spawn(db, folder: Path, job_id: int, module: str) -> subprocess.Popen:
    """Run ``python -m module FOLDER JOB`` in a session of its own, so that it outlives its
    parent, logging to the job's ``worker.log``."""
    job_dir = jobs.job_folder(folder, job_id)
    with faults(folder, files=True):
        # Each level made private here: ``mkdir(parents=True)`` would give the parents
        # the umask's mode, and a log may quote the user's chats.
        for level in (job_dir.parent, job_dir):
            level.mkdir(mode=0o700, exist_ok=True)
        log_fd = os.open(job_dir / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with open(log_fd, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, str(folder), str(job_id)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # Collected when it ends, so that a long-lived parent (the app) keeps no zombie; the
    # process itself is in its own session and outlives this one.
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
    jobs.set_worker(db, job_id, process.pid)
    jobs.add_event(db, job_id, f"started in process {process.pid}")
    return process
