"""Sources are leased one by one, so that several workers poll at once and
no source is polled by two. A worker takes a due source's lease (on
PostgreSQL the due rows other workers are taking are skipped with
`FOR UPDATE SKIP LOCKED`; on any database the taking is a conditional
UPDATE), renews it while its poll lasts, and gives it back in the
transaction that writes the poll's outcome. A lease that is not renewed
expires, and the source is due to any worker again: a dead worker's
sources are taken over. A worker whose lease was taken writes nothing:
the outcome's transaction first locks the source's row on the condition
that the lease is still this worker's (`hold_for_commit`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.db import Database
from store.models import Source

# Who this process is in `sources.leased_by`.
THIS_WORKER = f"{socket.gethostname()}:{os.getpid()}"
# A lease lasts this many ticks; the worker renews it every tick.
LEASE_TICKS = 3


class LeaseLost(Exception):
    """Another worker took the source while this one was polling it."""


class SourceLeases:
    def __init__(self, db: Database, seconds: float, holder: str = THIS_WORKER):
        self.db = db
        self.length = timedelta(seconds=seconds)
        self.holder = holder

    @staticmethod
    def free(now: datetime):
        """Not leased, or leased by a worker that stopped renewing it."""
        return or_(Source.leased_by.is_(None), Source.lease_expires_at.is_(None), Source.lease_expires_at <= now)

    def take_due(self, now: datetime, limit: int, polling: Iterable[int] = ()) -> list[int]:
        """Lease up to `limit` sources that are due and free, longest due
        first, but none of those this worker is `polling` still (a lease of
        its own that ran out while a tick was late)."""
        if limit <= 0:
            return []
        due = (select(Source.id)
               .where(Source.enabled.is_(True), Source.paused_at.is_(None), Source.id.not_in(list(polling)),
                      or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now), self.free(now))
               .order_by(Source.next_poll_at.nulls_first(), Source.id).limit(limit))
        with self.db.transaction() as session:
            if self.db.is_postgresql:
                due = due.with_for_update(skip_locked=True)
            ids = list(session.scalars(due))
            return self._lease(session, ids, now) if ids else []

    def take(self, session: Session, source_id: int, now: datetime) -> bool:
        """Lease one source, due or not, unless another worker holds it."""
        return bool(self._lease(session, [source_id], now))

    def _lease(self, session: Session, ids: list[int], now: datetime) -> list[int]:
        """The compare-and-set: a lease is taken only where it is free."""
        taken = session.scalars(
            update(Source).where(Source.id.in_(ids), self.free(now))
            .values(leased_by=self.holder, lease_expires_at=now + self.length)
            .returning(Source.id).execution_options(synchronize_session=False))
        return sorted(taken)

    def renew(self, ids: Iterable[int], now: datetime) -> None:
        """Extend the leases this worker still holds among `ids`. A row
        locked by a poll writing its outcome is passed over (its lease is
        being given back), so renewing never waits for a commit."""
        ids = list(ids)
        if not ids:
            return
        held = select(Source.id).where(Source.id.in_(ids), Source.leased_by == self.holder)
        with self.db.transaction() as session:
            if self.db.is_postgresql:
                held = held.with_for_update(skip_locked=True)
            renewable = list(session.scalars(held))
            if renewable:
                session.execute(update(Source).where(Source.id.in_(renewable))
                                .values(lease_expires_at=now + self.length)
                                .execution_options(synchronize_session=False))

    def hold_for_commit(self, session: Session, source_id: int) -> Source:
        """The source, its row locked until `session` commits, while the
        lease is still this worker's (expired or not: nobody took it);
        else LeaseLost. Called first in the transaction that writes a
        poll's outcome, so no other worker can take the source before it
        commits."""
        source = session.scalar(select(Source).where(Source.id == source_id, Source.leased_by == self.holder)
                                .with_for_update())
        if source is None:
            raise LeaseLost(f"source {source_id} was taken over by another worker")
        return source

    @staticmethod
    def give_back(source: Source) -> None:
        """Let the source go, in the transaction that writes its outcome."""
        source.leased_by = None
        source.lease_expires_at = None

    def give_back_all(self) -> None:
        """Let go of every source this worker holds (it stops)."""
        with self.db.transaction() as session:
            session.execute(update(Source).where(Source.leased_by == self.holder)
                            .values(leased_by=None, lease_expires_at=None)
                            .execution_options(synchronize_session=False))
