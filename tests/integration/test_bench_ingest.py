"""bench/ingest.py and bench/startup.py run end to end at a small size, as
their full runs do (the ingest bench on both databases, two pages a poll,
two sources at once, with generated texts and with customers' own from the
shared data; it checks itself that every post was stored). No timings are
checked here."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
pytestmark = pytest.mark.long


@pytest.mark.postgres
def test_the_ingest_bench_stores_every_post_on_both_databases(postgres_url):
    done = subprocess.run([sys.executable, str(BENCH / "ingest.py"), "--mentions", "300", "--customers", "50",
                           "--pages-per-poll", "2", "--sources", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    kinds = done.stdout.split("customers' own posts: ")
    assert kinds[0].startswith("300 mentions from 50 customers in pages of 100, 2 a poll, 2 source(s) at once")
    assert "generated posts: " in kinds[0]
    assert len(kinds) == 2 and kinds[1].startswith("300 distinct texts"), done.stdout
    for posts in kinds:
        for database in ("SQLite", "PostgreSQL"):
            row = re.search(rf"pipeline, {database}\s+[\d,]+\s+[\d.]+%\s+(\d+)\s+([\d.]+)\s+0\.0\s", posts)
            assert row, done.stdout
            tickets, statements = int(row.group(1)), float(row.group(2))
            # A batch retaken post by post (two polls that stored the same
            # new author at once) would take hundreds of statements.
            assert 0 < tickets < 300 and 0 < statements < 100


def test_the_startup_bench_compares_each_command_with_bare_python():
    done = subprocess.run([sys.executable, str(BENCH / "startup.py"), "--runs", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for command in ("python -c pass", "closeloop --help", "closeloop score"):
        assert re.search(rf"^{re.escape(command)}.*\s[\d.]+\s+[\d.]+$", done.stdout, re.MULTILINE), done.stdout
