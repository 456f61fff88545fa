"""Poll one source: lease it, fetch what is new since its cursor, take it
in, and advance the cursor and give the lease back in the same
transaction, on the condition that the lease is still this worker's. A
failing source backs off on its own; the others go on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.clock import Clock
from config.errors import ConfigError
from config.live import Live
from config.settings import ListenerSettings, Settings
from connectors.backoff import Backoff
from connectors.base import Batch, Connector, ConnectorError, storable
from connectors.budget import RequestBudget, spending
from listener.assignment import route_waiting_tickets
from listener.in_force import InForce
from listener.intake import IngestReport
from listener.quarantine import quarantine_item, reason_of
from listener.source_leases import LEASE_TICKS, Leased, LeaseLost, SourceLeases
from store.db import Database
from store.models import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    source: str
    status: str
    report: IngestReport | None = None
    error: str | None = None
    next_poll_at: datetime | None = None


class Poller:
    """Polls with the settings and the intake in force at each poll."""

    def __init__(self, db: Database, live: Live[InForce], clock: Clock,
                 connector_for: Callable[[str | None, str], Connector], leases: SourceLeases | None = None):
        self.db = db
        self.live = live
        self.clock = clock
        self.connector_for = connector_for
        self.leases = leases or SourceLeases(db, LEASE_TICKS * live.settings.listener.tick_seconds)
        self._budgets: dict[str, RequestBudget] = {}

    def poll(self, source_id: int, force: bool = False) -> PollOutcome:
        """Lease the source and poll it, unless it is disabled, paused, not
        due (`force` polls it all the same) or another worker is polling it."""
        now = self.clock.now()
        with self.db.transaction() as session:
            source = session.get(Source, source_id)
            if source is None or not source.enabled:
                return PollOutcome(source.name if source else str(source_id), "disabled")
            if source.paused_at is not None:
                return PollOutcome(source.name, "paused")
            if not force and source.next_poll_at is not None and source.next_poll_at > now:
                return PollOutcome(source.name, "not due", next_poll_at=source.next_poll_at)
            if not self.leases.take(session, source_id, now):
                return PollOutcome(source.name, "polled elsewhere")
            leased = Leased(source.id, source.name, source.platform, source.kind, source.target, source.query,
                            source.credentials_ref, source.cursor)
        return self.poll_leased(leased, now)

    def poll_leased(self, source: Leased, leased_at: datetime) -> PollOutcome:
        """Poll a source this worker leased at `leased_at`; its next poll is
        due poll_seconds after that."""
        source_id, name, cursor = source.id, source.name, source.cursor
        try:
            with spending(self._budget(name)):
                batch = self.connector_for(source.account, source.platform).fetch(
                    source.kind, source.target, cursor, source.query)
        except ConnectorError as error:
            return self._record_failure(source_id, name, error)
        except (ConfigError, KeyError) as error:
            return self._record_failure(source_id, name, ConnectorError(str(error).strip("'\""), permanent=True))
        except Exception as error:  # a bug in one source must not stop the others
            log.exception("polling %s failed unexpectedly", name)
            return self._record_failure(source_id, name, ConnectorError(f"unexpected error: {error!r}"))
        try:
            return self._record_batch(source_id, cursor, batch, leased_at)
        except LeaseLost:
            return _taken_over(name)
        except Exception as error:  # nothing of the batch is kept and the cursor stays: it is fetched again
            log.exception("source %s: storing the batch failed", name)
            return self._record_failure(source_id, name,
                                        ConnectorError(f"storing the batch failed: {reason_of(error)}"))

    def _budget(self, source_name: str) -> RequestBudget | None:
        """The source's request budget, kept across polls while its limits stay the same."""
        spec = next((s for s in self.live.settings.sources if s.name == source_name), None)
        if spec is None or spec.request_budget is None:
            self._budgets.pop(source_name, None)
            return None
        budget = self._budgets.get(source_name)
        if budget is None or (budget.limit, budget.window) != (spec.request_budget, spec.budget_window_seconds):
            budget = self._budgets[source_name] = RequestBudget(
                f"source {source_name}", spec.request_budget, spec.budget_window_seconds)
        return budget

    def _record_batch(self, source_id: int, started_from: str | None, batch: Batch,
                      leased_at: datetime) -> PollOutcome:
        """Store the batch, quarantine what cannot be stored, move the
        cursor on and give the lease back, in one transaction that writes
        nothing unless the lease is still this worker's. The cursor moves
        only from where this poll started: if it was reset meanwhile (the
        source's target changed), the reset stays, so a cursor never goes
        back."""
        now = self.clock.now()
        with self.db.transaction() as session:
            source = self.leases.hold_for_commit(session, source_id)
            report = self.live.now.intake.ingest(session, batch.posts, now, source_id=source.id)
            for item in batch.skipped:
                log.warning("source %s: quarantined a malformed %s item: %s", source.name, source.platform,
                            item.reason)
                report.quarantined += quarantine_item(session, source.platform, item, source.id, now)
            moved = session.execute(
                update(Source).where(Source.id == source_id, Source.cursor.is_not_distinct_from(started_from))
                .values(cursor=batch.cursor).execution_options(synchronize_session=False)).rowcount == 1
            if not moved:
                log.info("source %s: its cursor was reset meanwhile (its target changed); it stays reset",
                         source.name)
            source.status = "ok"
            source.failures = 0
            source.last_error = _what_went_wrong(batch, report)
            source.last_polled_at = now
            source.next_poll_at = max(now, leased_at + timedelta(seconds=source.poll_seconds))
            self.leases.give_back(source)
            outcome = PollOutcome(source.name, "ok", report=report, next_poll_at=source.next_poll_at)
        if batch.acknowledge is not None:
            try:
                batch.acknowledge()
            except Exception as error:  # the posts are stored; an unacknowledged item is fetched again, once
                log.warning("source %s: could not acknowledge the batch: %s", outcome.source, error)
        if report.stored:
            log.info("source %s: %d new post(s), %d ticket(s) raised, %d threaded", outcome.source,
                     report.stored, report.tickets_raised, report.threaded)
        return outcome

    def _record_failure(self, source_id: int, name: str, error: ConnectorError) -> PollOutcome:
        now = self.clock.now()
        try:
            with self.db.transaction() as session:
                source = self.leases.hold_for_commit(session, source_id)
                outcome = self._failed(source, error, now)
        except LeaseLost:
            return _taken_over(name)
        log.warning("source %s is %s until %s: %s", outcome.source, outcome.status,
                    outcome.next_poll_at.isoformat(timespec="seconds"), error.message)
        return outcome

    def _failed(self, source: Source, error: ConnectorError, now: datetime) -> PollOutcome:
        """Write a failed poll, back off and give the lease back."""
        source.failures += 1
        source.last_polled_at = now
        source.last_error = error.message
        source.status = "broken" if error.permanent else "backing_off"
        delay = backoff_seconds(error, source.failures, source.poll_seconds, self.live.settings.listener)
        source.next_poll_at = now + timedelta(seconds=delay)
        self.leases.give_back(source)
        return PollOutcome(source.name, source.status, error=error.message, next_poll_at=source.next_poll_at)

    def route_waiting(self) -> int:
        with self.db.transaction() as session:
            return route_waiting_tickets(session, self.live.settings.routing, self.clock.now())


def _taken_over(name: str) -> PollOutcome:
    log.info("source %s was taken over by another worker while this one polled it; this poll wrote nothing",
             name)
    return PollOutcome(name, "taken over")


def _what_went_wrong(batch: Batch, report: IngestReport) -> str | None:
    """What a poll that stored its batch has to say: the posts it had to
    quarantine, and the errors the platform reported beside its data."""
    notes = []
    if report.quarantined:
        reason = batch.skipped[0].reason if batch.skipped else "see the quarantine"
        notes.append(f"quarantined {report.quarantined} post(s) that could not be stored: {reason}")
    if batch.errors:
        notes.append(f"the platform reported {len(batch.errors)} error(s) beside its data: {batch.errors[0]}")
    return storable("; ".join(notes)) if notes else None


def backoff_seconds(error: ConnectorError, failures: int, poll_seconds: int, settings: ListenerSettings) -> float:
    """The platform's reset time when it gave one; else doubling from the
    poll interval. Broken sources are retried at the slowest rate, so a
    fixed credential is picked up."""
    if error.permanent:
        return settings.max_backoff_seconds
    return Backoff(poll_seconds, settings.max_backoff_seconds).seconds(failures, error.retry_after)


def sync_sources(session: Session, settings: Settings, now: datetime) -> list[Source]:
    """Make the sources table match the config: add new sources, update
    changed ones, disable those no longer configured. Cursors are kept. A
    source added or enabled again is listened to from `now`."""
    existing = {s.name: s for s in session.scalars(select(Source))}
    configured = set()
    for spec in settings.sources:
        configured.add(spec.name)
        source = existing.get(spec.name)
        if source is None:
            source = Source(name=spec.name, status="new", failures=0)
            session.add(source)
        account = settings.accounts[spec.account]
        if source.platform is not None and (source.platform, source.kind, source.target, source.query) != (
                account.platform, spec.kind, spec.target, spec.query):
            source.cursor = None
        source.platform = account.platform
        source.kind = spec.kind
        source.target = spec.target
        source.query = spec.query
        source.credentials_ref = spec.account
        source.poll_seconds = settings.poll_seconds(spec)
        if spec.enabled and (source.listening_since is None or not source.enabled):
            source.listening_since = now
        source.enabled = spec.enabled
    for name, source in existing.items():
        if name not in configured:
            source.enabled = False
    session.flush()
    return list(session.scalars(select(Source).order_by(Source.id)))
