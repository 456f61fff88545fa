"""bench/moderation.py times the rule that hides spam over its window and
the moderation outbox sending the hides (a small run: the figures are
read by people)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "moderation.py"


def test_the_moderation_bench_hides_every_listed_comment_once():
    done = subprocess.run([sys.executable, str(BENCH), "--comments", "20", "--abusive-every", "5"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "with a listed word: 4" in done.stdout
    assert "queued again by the second pass: 0; sent: 4; done: 4; hidden on the emulator: 4" in done.stdout
