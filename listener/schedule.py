"""APScheduler jobs for polling: one per enabled source, plus the other
single-process jobs, run only while this process holds the polling lease."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config.live import Live
from listener.in_force import InForce
from listener.lease import PollingLease
from listener.polling import Poller, sync_sources
from telemetry.metrics import POLL_SECONDS, POLLS

log = logging.getLogger(__name__)


class PollingJobs:
    """The jobs that must run in one process at a time: a poll per source,
    plus `singletons` (id, function, seconds), such as assigning waiting
    tickets and watching response-time targets."""

    def __init__(self, scheduler: BaseScheduler, poller: Poller, live: Live[InForce], lease: PollingLease,
                 singletons: list[tuple[str, Callable[[], object], float]] = ()):
        self.scheduler = scheduler
        self.poller = poller
        self.live = live
        self.lease = lease
        self.singletons = list(singletons)
        self.job_ids: list[str] = []

    @property
    def active(self) -> bool:
        return bool(self.job_ids)

    def install(self) -> None:
        """Check the lease now and then every tick; a standby takes over
        within a tick of the polling process going away."""
        self.check()
        self.scheduler.add_job(self.check, IntervalTrigger(seconds=self.live.settings.listener.tick_seconds),
                               id="polling-lease", name="hold or wait for the polling lease",
                               replace_existing=True, max_instances=1, coalesce=True)

    def check(self) -> None:
        try:
            holding = self.lease.hold()
        except Exception as error:
            log.warning("cannot reach the database for the polling lease: %s", error)
            holding = False
        if holding and not self.active:
            self._start()
        elif not holding and self.active:
            self._stop()

    def sync(self) -> None:
        """After a change of the settings in force: sources added, paused,
        removed or with a new interval get their jobs added, removed or
        rescheduled."""
        if self.active:
            self._sync_source_jobs()

    def _start(self) -> None:
        self._sync_source_jobs()
        for job_id, function, seconds in self.singletons:
            self.scheduler.add_job(function, IntervalTrigger(seconds=seconds), id=job_id, name=job_id,
                                   replace_existing=True, max_instances=1, coalesce=True)
            self.job_ids.append(job_id)

    def _sync_source_jobs(self) -> None:
        """One job per enabled source, matching the config."""
        with self.poller.db.transaction() as session:
            wanted = {f"poll:{s.name}": (s.id, s.poll_seconds)
                      for s in sync_sources(session, self.live.settings) if s.enabled}
        for job_id in [j for j in self.job_ids if j.startswith("poll:") and j not in wanted]:
            self.scheduler.remove_job(job_id)
            self.job_ids.remove(job_id)
            log.info("stopped polling %s", job_id.removeprefix("poll:"))
        now = self.poller.clock.now()
        for job_id, (source_id, poll_seconds) in wanted.items():
            trigger = IntervalTrigger(seconds=poll_seconds)
            job = self.scheduler.get_job(job_id)
            if job is None:
                self.scheduler.add_job(_poll, trigger, args=(self.scheduler, self.poller, source_id, job_id),
                                       id=job_id, name=f"poll {job_id.removeprefix('poll:')}", next_run_time=now,
                                       max_instances=1, coalesce=True, misfire_grace_time=None)
                self.job_ids.append(job_id)
            elif job.trigger.interval.total_seconds() != poll_seconds:
                self.scheduler.reschedule_job(job_id, trigger=trigger)

    def _stop(self) -> None:
        log.warning("this process no longer holds the polling lease; polling stops here")
        for job_id in self.job_ids:
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
        self.job_ids = []


def _poll(scheduler: BaseScheduler, poller: Poller, source_id: int, job_id: str) -> None:
    """Poll, then when the source backs off, move its next run to the time
    the platform said it would accept calls again."""
    started = time.perf_counter()
    outcome = poller.poll(source_id)
    POLL_SECONDS.labels(outcome.source).observe(time.perf_counter() - started)
    POLLS.labels(outcome.source, outcome.status).inc()
    if outcome.status in ("backing_off", "broken") and outcome.next_poll_at is not None:
        scheduler.modify_job(job_id, next_run_time=outcome.next_poll_at)
