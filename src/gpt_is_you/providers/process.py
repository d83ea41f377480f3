"""Starting the process that runs or watches a training job, apart from whoever asked."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from gpt_is_you.store import jobs


def spawn(db, folder: Path, job_id: int, module: str) -> subprocess.Popen:
    """Run ``python -m module FOLDER JOB`` in a session of its own, so that it outlives its
    parent, logging to the job's ``worker.log``."""
    job_dir = jobs.job_folder(folder, job_id)
    job_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (job_dir / "worker.log").open("ab") as log:
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
