"""A process of its own that reads posts' texts for a worker's intake
(`Scorer.read_many`), with a scorer made from the same settings.

A worker polls several sources at once, and their batches take turns to
be placed (store.intake_turns). While one batch is placed, mostly waiting
on the database, the next batch's texts can be read; but reading is
Python, which runs one thread of a process at a time, so in a thread of
the same process it took as long as reading in turn. Here it runs beside
it, on another core (docs/performance.md, "Texts read in a process of
their own"). Which texts come here is decided in listener.batch_reading:
while another batch of this process is taken in, all of a batch's; a
batch alone's, most of them, read here while the worker reads the rest."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

from config.settings import ScoringSettings
from listener.scoring import Reading, Scorer

log = logging.getLogger(__name__)

# How long closing waits for the process to end before it is stopped.
CLOSE_SECONDS = 5.0


def _serve(connection: Connection, scoring: dict, model_path: Path | None) -> None:
    """Read the texts that come, until the worker closes its end of the
    pipe or is gone (killed, its end is closed all the same)."""
    scorer = Scorer(ScoringSettings.model_validate(scoring), model_path=model_path)
    while True:
        try:
            texts = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, scorer.read_many(texts))
        except Exception:  # a text that cannot be read: read again where its post is placed, and quarantined
            answer = (False, None)
        try:
            connection.send(answer)
        except OSError:
            return


class ReadingProcess:
    """Started when asked to `start` or first asked to read. A process that
    stopped is not used again: intake then reads in its own process."""

    def __init__(self, scoring: ScoringSettings, model_path: Path | None):
        self._start_with = (scoring.model_dump(mode="json"), model_path)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None
        # One batch's texts there at a time; and the count of batches.
        self._asking = threading.Lock()
        self._counting = threading.Lock()
        self._batches = 0
        self._failed = False

    def _started(self) -> Connection:
        if self._connection is None:
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            self._process = context.Process(target=_serve, args=(theirs, *self._start_with),
                                            name="closeloop-reader", daemon=True)
            self._process.start()
            theirs.close()
            self._connection = ours
        return self._connection

    def start(self, wait: bool = False) -> None:
        """Start the process and load its scorer now, beside the worker's
        own, rather than when a batch first needs it; `wait` until it is
        loaded."""
        if wait:
            self.read_many(())
            return
        with self._asking:
            self._started()

    @contextmanager
    def taking_in(self) -> Iterator[None]:
        """While a batch of this process is taken in: read, placed or
        waiting for its turn."""
        with self._counting:
            self._batches += 1
        try:
            yield
        finally:
            with self._counting:
                self._batches -= 1

    def beside_another(self) -> bool:
        """Whether the caller's batch is taken in beside another of this
        process's, and this process can read."""
        return self._batches > 1 and self.can_read()

    def can_read(self) -> bool:
        """False once it stopped."""
        return not self._failed

    @contextmanager
    def reading(self, texts: Sequence[str]) -> Iterator[Callable[[], list[Reading] | None]]:
        """Send the texts here and work on meanwhile: the block gets a
        function that waits for their readings, None when they cannot be
        read here (the caller reads them itself). This process reads one
        caller's texts at a time, from sending them until their readings
        are taken, which the block's end does in any case, so that the
        next texts sent get theirs."""
        self._asking.acquire()
        waiting = False
        try:
            waiting = self._send(texts)
        finally:
            if not waiting:
                self._asking.release()
        answer: list[Reading] | None = None

        def readings() -> list[Reading] | None:
            nonlocal waiting, answer
            if waiting:
                waiting = False
                try:
                    answer = self._receive()
                finally:
                    self._asking.release()
            return answer

        try:
            yield readings
        finally:
            readings()

    def read_many(self, texts: Sequence[str]) -> list[Reading] | None:
        """The texts' readings, read in this process; None when it cannot
        read them (the caller reads them itself)."""
        with self.reading(texts) as readings:
            return readings()

    def _send(self, texts: Sequence[str]) -> bool:
        if self._failed:
            return False
        try:
            self._started().send(list(texts))
            return True
        except (EOFError, OSError) as error:
            self._stopped(error)
            return False

    def _receive(self) -> list[Reading] | None:
        try:
            read, readings = self._connection.recv()
        except (EOFError, OSError) as error:
            self._stopped(error)
            return None
        except BaseException:
            self._failed = True  # what is left of the answer in the pipe is not known
            raise
        return readings if read else None

    def _stopped(self, error: Exception) -> None:
        self._failed = True
        log.warning("the process that reads posts' texts stopped (%s); the worker reads them itself from "
                    "now on, one batch at a time: restart it to read beside the batches again",
                    error or type(error).__name__)

    def close(self) -> None:
        """Close its end of the pipe, which ends the process."""
        with self._asking:
            if self._connection is None:
                return
            self._connection.close()
            self._process.join(CLOSE_SECONDS)
            if self._process.is_alive():
                self._process.terminate()
