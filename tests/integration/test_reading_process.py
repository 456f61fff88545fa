"""A worker's process that reads posts' texts: it reads them as the
worker's own scorer does, all of a batch's while another batch is taken
in and most of a batch alone's, is not used again once it stopped, and
ends when its worker is killed."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import Author, InboundPost
from listener.batch_reading import SHARE_SENT, BatchReadings
from listener.intake import Intake
from listener.intake_page import Page
from listener.reading_process import ReadingProcess
from listener.scoring import Scorer
from store.intake_turns import take_turn
from store.models import Mention
from tests.integration.test_concurrent_intake import count, intake_turns_awaited

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


def posts_of(texts: list[str]) -> list[InboundPost]:
    return [InboundPost(platform="x", external_id=str(n), kind="post", text=text,
                        author=Author(platform_user_id=f"u{n}", handle=f"ann{n}"),
                        created_at=datetime(2026, 1, 5, 8, tzinfo=timezone.utc)) for n, text in enumerate(texts)]


@pytest.fixture
def sent_there(reader, monkeypatch) -> list[list[str]]:
    """The texts sent to the reading process to be read while intake works on."""
    sent, reading = [], reader.reading

    @contextmanager
    def recorded(texts):
        sent.append(list(texts))
        with reading(texts) as coming:
            yield coming

    monkeypatch.setattr(reader, "reading", recorded)
    return sent


@pytest.fixture
def readings_taken(monkeypatch) -> list:
    """The readings intake places its posts with."""
    taken, of = [], BatchReadings.of

    def recorded(self, posts):
        readings = of(self, posts)
        taken.extend(readings)
        return readings

    monkeypatch.setattr(BatchReadings, "of", recorded)
    return taken


def test_beside_another_batch_all_its_texts_are_read_there(settings, reader, db, clock, sent_there,
                                                          readings_taken):
    with reader.taking_in():
        assert not reader.beside_another()
        with reader.taking_in():
            assert reader.beside_another()
    texts = [f"{text} #{n}" for n, text in enumerate(TEXTS)]
    with reader.taking_in(), db.transaction() as session:
        assert Intake(settings, reader=reader).ingest(session, posts_of(texts), clock.now()).stored == len(texts)
    assert sent_there == [texts]
    assert readings_taken == Scorer(settings.scoring).read_many(texts)


def test_a_batch_alone_has_most_of_its_texts_read_there(settings, reader, db, clock, sent_there, readings_taken,
                                                        monkeypatch):
    intake = Intake(settings, reader=reader)
    read_here, read_many = [], intake.scorer.read_many
    monkeypatch.setattr(intake.scorer, "read_many", lambda texts: read_here.append(texts) or read_many(texts))
    texts = [f"{text} #{n}" for n, text in enumerate(TEXTS * 2)]
    with db.transaction() as session:
        assert intake.ingest(session, posts_of(texts), clock.now()).stored == len(texts)
    shared = round(len(texts) * SHARE_SENT)
    assert (sent_there, read_here) == ([texts[:shared]], [texts[shared:]])
    assert readings_taken == Scorer(settings.scoring).read_many(texts)


def beside(work, seconds: float = 30):
    """What `work` returns, run in another thread; None when it did not
    end within `seconds`, as when it waits for the caller."""
    result = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else None


def test_a_batch_alone_frees_the_process_for_other_batches_once_it_has_its_readings(settings, reader, db, clock,
                                                                                    monkeypatch):
    read_beside, write = [], Page.write

    def write_beside_another_batch(page, events):
        read_beside.append(beside(lambda: reader.read_many(TEXTS)))
        return write(page, events)

    monkeypatch.setattr(Page, "write", write_beside_another_batch)
    texts = [f"{text} #{n}" for n, text in enumerate(TEXTS * 2)]
    with db.transaction() as session:
        assert Intake(settings, reader=reader).ingest(session, posts_of(texts), clock.now()).stored == len(texts)
    assert read_beside == [Scorer(settings.scoring).read_many(TEXTS)]


def test_a_batch_alone_takes_its_readings_before_it_waits_for_its_turn(settings, reader, postgres_db, clock):
    texts = [f"{text} #{n}" for n, text in enumerate(TEXTS * 2)]
    intake = Intake(settings, reader=reader)

    def take_in() -> None:
        with postgres_db.transaction() as session:
            intake.ingest(session, posts_of(texts), clock.now())

    with postgres_db.transaction() as session:
        take_turn(session, "x")  # another intake of the platform is under way
        waiting = threading.Thread(target=take_in)
        waiting.start()
        deadline = time.monotonic() + 30
        while intake_turns_awaited(postgres_db) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert intake_turns_awaited(postgres_db) == 1
        assert beside(lambda: reader.read_many(TEXTS)) == Scorer(settings.scoring).read_many(TEXTS)
    waiting.join()
    assert count(postgres_db, Mention) == len(texts)


def test_a_batch_alone_is_read_in_the_worker_when_the_process_stopped_meanwhile(settings, reader, db, clock,
                                                                               readings_taken, caplog):
    reader.start(wait=True)
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    texts = [f"{text} #{n}" for n, text in enumerate(TEXTS * 2)]
    with caplog.at_level(logging.WARNING, logger="listener.reading_process"), db.transaction() as session:
        assert Intake(settings, reader=reader).ingest(session, posts_of(texts), clock.now()).stored == len(texts)
    assert readings_taken == Scorer(settings.scoring).read_many(texts)
    assert "the worker reads them itself from now on" in caplog.text
    assert not reader.can_read()


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
