"""APScheduler jobs for polling, in every worker: each tick, renew the
leases of the polls running here and lease as many due sources as there
are free poll threads (`listener.poll_threads`); a finished poll leases
the next at once. Beside them the once-only jobs, run only while this
process holds the leader lease."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config.live import Live
from listener.in_force import InForce
from listener.lease import LeaderLease
from listener.polling import Poller, sync_sources
from listener.source_leases import Leased
from telemetry.metrics import POLL_SECONDS, POLLS

log = logging.getLogger(__name__)

class DuePolls:
    """This worker's polls: due sources leased and polled in a pool of
    `threads` threads; a finished poll makes room for the next. Polls
    mostly wait on the platforms, so a worker keeps several going, and it
    never holds more leases than it has threads: more workers poll more."""

    def __init__(self, poller: Poller, threads: int):
        self.poller = poller
        self.threads = threads
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._taking = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def tick(self) -> None:
        try:
            with self._lock:
                running = set(self._running)
            self.poller.leases.renew(running, self.poller.clock.now())
        except Exception as error:
            log.warning("cannot reach the database to renew the sources' leases: %s", error)
        self.take_due()

    def take_due(self) -> None:
        """Lease due sources for the free threads and start polling them,
        until the threads are busy or nothing is due. One taker at a time:
        the room a poll leaves while another takes is filled by that one."""
        if not self._taking.acquire(blocking=False):
            return
        try:
            while True:
                with self._lock:
                    free, pool, polling = self.threads - len(self._running), self._pool, set(self._running)
                if free <= 0 or pool is None:
                    return
                now = self.poller.clock.now()
                leased = self.poller.leases.take_due(now, free, polling)
                if not leased:
                    return
                with self._lock:
                    self._running.update(source.id for source in leased)
                for source in leased:
                    try:
                        pool.submit(self._poll, source, now)
                    except RuntimeError:  # stopping: stop() gives the lease back, or it runs out
                        log.info("not polling source %s: this worker is stopping", source.name)
                        return
        except Exception as error:
            log.warning("cannot reach the database to lease due sources: %s", error)
        finally:
            self._taking.release()

    @property
    def busy(self) -> int:
        """How many polls are running here."""
        with self._lock:
            return len(self._running)

    def _poll(self, source: Leased, leased_at: datetime) -> None:
        started = time.perf_counter()
        try:
            outcome = self.poller.poll_leased(source, leased_at)
            POLL_SECONDS.labels(outcome.source).observe(time.perf_counter() - started)
            POLLS.labels(outcome.source, outcome.status).inc()
        except Exception:  # the poller records what it can; the lease runs out and the source is polled again
            log.exception("polling source %s failed", source.name)
        finally:
            with self._lock:
                self._running.discard(source.id)
        self.take_due()

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="poll")

    def stop(self) -> None:
        """Finish the polls under way, then give back the leases of sources
        leased but not yet polled, and this worker's presence."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            with self._lock:  # the polls cancelled before they started
                self._running.clear()
            try:
                self.poller.leases.leave()
            except Exception as error:
                log.warning("could not give back the sources' leases (they expire by themselves): %s", error)


class PollingJobs:
    """Polling in every process, plus `singletons` (id, function, seconds),
    the jobs that must run in one process at a time, such as assigning
    waiting tickets and watching response-time targets. The process that
    runs them also keeps the sources table in step with the config."""

    def __init__(self, scheduler: BaseScheduler, poller: Poller, live: Live[InForce], lease: LeaderLease,
                 singletons: list[tuple[str, Callable[[], object], float]] = ()):
        self.scheduler = scheduler
        self.poller = poller
        self.live = live
        self.lease = lease
        self.singletons = list(singletons)
        self.polls = DuePolls(poller, live.settings.listener.poll_threads)
        self.job_ids: list[str] = []
        # Whether this process runs the once-only jobs.
        self.active = False

    def install(self) -> None:
        """Poll due sources every tick, and check the leader lease now and
        every tick: another worker takes over the once-only jobs within a
        tick of their process going away."""
        self.check()
        self.polls.start()
        tick = IntervalTrigger(seconds=self.live.settings.listener.tick_seconds)
        self.scheduler.add_job(self.polls.tick, tick, id="poll-due", name="renew leases and poll due sources",
                               replace_existing=True, max_instances=1, coalesce=True,
                               next_run_time=self.poller.clock.now())
        self.scheduler.add_job(self.check, tick, id="leader-lease", name="hold or wait for the leader lease",
                               replace_existing=True, max_instances=1, coalesce=True)

    def check(self) -> None:
        try:
            holding = self.lease.hold()
        except Exception as error:
            log.warning("cannot reach the database for the leader lease: %s", error)
            holding = False
        if holding and not self.active:
            self._start()
        elif not holding and self.active:
            self._stop()

    def sync(self) -> None:
        """After a change of the settings in force: sources added, paused,
        removed or with a new interval are written to the sources table,
        which every worker polls from."""
        if self.active:
            self._sync_sources()

    def stop(self) -> None:
        self.polls.stop()

    def _start(self) -> None:
        self._sync_sources()
        self.active = True
        for job_id, function, seconds in self.singletons:
            self.scheduler.add_job(function, IntervalTrigger(seconds=seconds), id=job_id, name=job_id,
                                   replace_existing=True, max_instances=1, coalesce=True)
            self.job_ids.append(job_id)

    def _sync_sources(self) -> None:
        with self.poller.db.transaction() as session:
            sync_sources(session, self.live.settings, self.poller.clock.now())

    def _stop(self) -> None:
        log.warning("this process no longer holds the leader lease; the once-only jobs stop here")
        for job_id in self.job_ids:
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
        self.job_ids = []
        self.active = False
