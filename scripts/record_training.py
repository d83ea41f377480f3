"""Record a real local training run's row writes for tests/fixtures/training/.

Trains the sample chat's model on this machine (the default base, a few steps) in a data
folder of its own, reads the job's row as often as it can, and writes each change with its
stamp (seconds from the job's creation) in the format tests/test_pace.py replays.

    python scripts/record_training.py OUT.json [--max-steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-steps", type=int, default=8)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="record-"))
    env = {**os.environ, "GPT_IS_YOU_HOME": str(home)}
    cli = [sys.executable, "-m", "gpt_is_you"]
    from gpt_is_you import paths

    sample = paths.sample_chat()
    subprocess.run(
        [*cli, "new", "sample", "--from", str(sample), "--persona", "Sam Okafor", "--yes"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [*cli, "train", "sample", "--max-steps", str(args.max_steps), "--detach"],
        env=env,
        check=True,
    )
    os.environ["GPT_IS_YOU_HOME"] = str(home)
    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import find_model

    model = find_model("sample")
    rows: list[dict] = []
    seen: tuple | None = None
    while True:
        with model.db() as db:
            job = jobs.read_job(db)
        start = datetime.fromisoformat(job.created_at)
        at = round((datetime.fromisoformat(job.updated_at) - start).total_seconds())
        state = (job.state, job.step, job.phase, job.phase_done, job.phase_total)
        if seen is None or state[0] != seen[0]:
            rows.append({"at": at, "state": job.state, "step": job.step})
        if seen is not None and job.step != seen[1]:
            rows.append({"at": at, "step": job.step, "metrics": True})
        if job.phase and (seen is None or state[2:] != seen[2:]):
            row = {"at": at, "phase": job.phase, "steps": job.total_steps}
            if job.phase_total:
                row |= {"done": job.phase_done or 0, "of": job.phase_total}
            rows.append(row)
        seen = state
        if not job.active:
            break
        time.sleep(0.1)
    about = (
        f"A real local training run recorded by scripts/record_training.py on "
        f"{datetime.now():%Y-%m-%d}: the sample chat, the default base, {args.max_steps} steps, "
        f"on a shared {os.cpu_count()}-core machine; the job's row as read every 0.1 s, each "
        f"change with its stamp in seconds from the job's creation."
    )
    args.out.write_text(json.dumps({"about": about, "rows": rows}, indent=1) + "\n")
    print(f"{len(rows)} rows, ended {job.state} at {rows[-1]['at']} s -> {args.out}")


if __name__ == "__main__":
    main()
