"""A worker's process that reads posts' texts: it reads them as the
worker's own scorer does, only while another batch is taken in, is not
used again once it stopped, and ends when its worker is killed."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import Author, InboundPost
from listener.intake import Intake
from listener.reading_process import ReadingProcess
from listener.scoring import Scorer

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["@acme my parcel arrived smashed, this is the second time", "great, thanks!", "😡😡😡",
         "mi pedido nunca llegó", "the app crashes again", "", "my son cut his hand on the broken toy"]


@pytest.fixture
def reader(settings):
    started = ReadingProcess(settings.scoring, None)
    yield started
    started.close()


def test_it_reads_texts_as_the_workers_own_scorer_does(settings, reader):
    assert reader.read_many(TEXTS) == Scorer(settings.scoring).read_many(TEXTS)


def test_intake_sends_texts_there_only_while_another_batch_is_taken_in(settings, reader, db, clock, monkeypatch):
    with reader.taking_in():
        assert not reader.beside_another()
        with reader.taking_in():
            assert reader.beside_another()
    sent = []
    monkeypatch.setattr(reader, "read_many", lambda texts: sent.append(texts))
    post = InboundPost(platform="x", external_id="1", kind="post", text=TEXTS[0],
                       author=Author(platform_user_id="u1", handle="ann"),
                       created_at=datetime(2026, 1, 5, 8, tzinfo=timezone.utc))
    intake = Intake(settings, reader=reader)
    with db.transaction() as session:
        assert intake.ingest(session, [post], clock.now()).stored == 1
    with reader.taking_in(), db.transaction() as session:
        assert intake.ingest(session, [replace(post, external_id="2")], clock.now()).stored == 1
    # Sent once, beside the batch taken in around it; its answer of None
    # had intake read the text itself.
    assert sent == [[TEXTS[0]]]


def test_a_process_that_stopped_is_not_used_again(reader, caplog):
    reader.start(wait=True)
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="listener.reading_process"):
        assert reader.read_many(TEXTS) is None
    assert "the worker reads them itself from now on" in caplog.text
    with reader.taking_in(), reader.taking_in():
        assert not reader.beside_another()


def gone(pid: int) -> bool:
    """No such process, or one that ended and waits to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_it_ends_when_its_worker_is_killed():
    worker = subprocess.Popen([sys.executable, "-c", (
        "import multiprocessing, time\n"
        "from config import load_settings\n"
        "from listener.reading_process import ReadingProcess\n"
        "if __name__ == '__main__':\n"
        "    reader = ReadingProcess(load_settings(env={}).scoring, None)\n"
        "    reader.start(wait=True)\n"
        "    print(multiprocessing.active_children()[0].pid, flush=True)\n"
        "    time.sleep(600)\n")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        child = int(worker.stdout.readline())
        assert not gone(child)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 30
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(child)
