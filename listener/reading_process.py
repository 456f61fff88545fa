"""A process of its own that reads posts' texts for a worker's intake
(`Scorer.read_many`), with a scorer made from the same settings.

A worker polls several sources at once, and their batches take turns to
be placed (store.intake_turns). While one batch is placed, mostly waiting
on the database, the next batch's texts can be read; but reading is
Python, which runs one thread of a process at a time, so in a thread of
the same process it took as long as reading in turn. Here it runs beside
it, on another core (docs/performance.md, "Texts read in a process of
their own"). Intake sends texts here only while another batch of this
process is taken in: alone, it reads them itself, without the cost of
sending them and their readings across."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from config.settings import ScoringSettings
from listener.scoring import Reading, Scorer

log = logging.getLogger(__name__)

# How often the reading process looks whether the worker that started it
# is still there: killed, it leaves the process nothing else would end.
PARENT_CHECK_SECONDS = 1.0

_scorer: Scorer | None = None


def _start(scoring: dict, model_path: Path | None, parent: int) -> None:
    global _scorer
    _scorer = Scorer(ScoringSettings.model_validate(scoring), model_path=model_path)
    threading.Thread(target=_end_with, args=(parent,), name="end-with-parent", daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _read_many(texts: Sequence[str]) -> list[Reading]:
    return _scorer.read_many(texts)


class ReadingProcess:
    """Started when asked to `start` or first asked to read. A process that
    failed is not used again: intake then reads in its own process."""

    def __init__(self, scoring: ScoringSettings, model_path: Path | None):
        self._start_with = (scoring.model_dump(mode="json"), model_path, os.getpid())
        self._pool: ProcessPoolExecutor | None = None
        self._batches = 0
        self._lock = threading.Lock()
        self._failed = False

    def _submit(self, texts: Sequence[str]) -> Future:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start, initargs=self._start_with)
            return self._pool.submit(_read_many, texts)

    def start(self, wait: bool = False) -> None:
        """Start the process and load its scorer now, beside the worker's
        own, rather than when a batch first needs it; `wait` until it is
        loaded."""
        started = self._submit(())
        if wait:
            started.result()

    @contextmanager
    def taking_in(self) -> Iterator[None]:
        """While a batch of this process is taken in: read, placed or
        waiting for its turn."""
        with self._lock:
            self._batches += 1
        try:
            yield
        finally:
            with self._lock:
                self._batches -= 1

    def beside_another(self) -> bool:
        """Whether the caller's batch is taken in beside another of this
        process's, and this process can read."""
        return self._batches > 1 and not self._failed

    def read_many(self, texts: Sequence[str]) -> list[Reading] | None:
        """The texts' readings, read in this process; None when it cannot
        read them (the caller reads them itself)."""
        try:
            return self._submit(texts).result()
        except BrokenProcessPool as error:
            self._failed = True
            log.warning("the process that reads posts' texts stopped (%s); the worker reads them itself from now "
                        "on, one batch at a time: restart it to read beside the batches again", error)
        except Exception:  # a text that cannot be read: read again where its post is placed, and quarantined
            pass
        return None

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
