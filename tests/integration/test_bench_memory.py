"""bench/memory.py runs the service and the emulator with the demo's posts
and an agent answering, and prints their memory over time (a short run:
the figures are read by people)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "memory.py"
pytestmark = pytest.mark.long


@pytest.mark.timeout(300)
def test_the_memory_bench_samples_the_running_service():
    done = subprocess.run([sys.executable, str(BENCH), "--minutes", "0.1", "--sample-seconds", "3",
                           "--posts-every", "1", "--reply-every", "2"],
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    header, *rows = [line for line in done.stdout.splitlines() if line.split()[:1] != ["service"]]
    assert header.split() == ["minutes", "RSS", "MB", "change", "of", "which", "emulator", "tickets", "replies"]
    assert len(rows) >= 2
    assert all(float(row.split()[1]) > 10 for row in rows)
    # The process that reads posts' texts is started with the jobs, and counted.
    assert all(float(row.split()[3]) > 10 for row in rows)
