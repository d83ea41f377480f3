"""Time ``gpt-is-you new`` on the 500,000-message export: parse, build, count, store.

Each run is a fresh ``gpt-is-you new`` process with its own empty data directory;
wall time and peak memory (the child's peak RSS) are printed against the targets.

    python bench/bench_new.py [EXPORT.txt] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generate_whatsapp

TARGET_S = 10.0
TARGET_MB = 500.0
PERSONA = "Léa Dubois"  # one of the two people generate_whatsapp.py writes


def run_once(export: Path) -> tuple[float, float]:
    """(wall seconds, peak MB) of one ``new`` in a fresh process."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GPT_IS_YOU_HOME": home}
        command = [sys.executable, "-m", "gpt_is_you", "new", "bench", "--from", str(export)]
        command += ["--persona", PERSONA, "--yes", "--json"]
        start = time.perf_counter()
        # A fresh child per run: wait4 reports that child's own peak RSS.
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"gpt-is-you new failed: {child.stderr.read().decode().strip()}")
        return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=generate_whatsapp.default_path())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    generate_whatsapp.ensure(args.export)
    print(f"gpt-is-you new on {args.export} ({args.export.stat().st_size / 1e6:.1f} MB)")
    runs = []
    for i in range(args.repeat):
        seconds, mb = run_once(args.export)
        runs.append((seconds, mb))
        print(f"  run {i + 1}/{args.repeat}: {seconds:.2f} s, peak {mb:.0f} MB")
    best = min(s for s, _ in runs)
    median = statistics.median(s for s, _ in runs)
    peak = max(mb for _, mb in runs)
    print(f"best {best:.2f} s, median {median:.2f} s, peak {peak:.0f} MB")
    print(f"time: {'PASS' if best < TARGET_S else 'FAIL'} (target < {TARGET_S:.0f} s)")
    print(f"memory: {'PASS' if peak < TARGET_MB else 'FAIL'} (target < {TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()
