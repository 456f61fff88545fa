"""Sources are leased one by one, so that several workers poll at once and
no source is polled by two. A worker takes due sources' leases in one
UPDATE whose condition (due and free) is checked on each row it locks (on
PostgreSQL the due rows other workers are taking are skipped with
`FOR UPDATE SKIP LOCKED`), renews them while its polls last, and gives each
back in the transaction that writes the poll's outcome. A lease that is
not renewed expires, and the source is due to any worker again. On
PostgreSQL a dead worker's sources are free at once: while a worker
leases, it holds an advisory lock named after it on a connection of its
own (its presence), which PostgreSQL drops with the connection when the
worker dies, and a lease whose holder has no presence is free. A worker
that hangs keeps its presence, and its leases run out. A worker whose
lease was taken writes nothing: the outcome's transaction first locks the
source's row on the condition that the lease is still this worker's
(`hold_for_commit`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, cast, column, func, literal, or_, select, table, update
from sqlalchemy.dialects.postgresql import OID
from sqlalchemy.orm import Session

from listener.lease import AdvisoryLock
from store.db import Database
from store.models import Source

# Who this process is in `sources.leased_by`.
THIS_WORKER = f"{socket.gethostname()}:{os.getpid()}"
# A lease lasts this many ticks; the worker renews it every tick.
LEASE_TICKS = 3
# A worker's presence is the advisory lock (PRESENCE_LOCKS, hashtext(holder)).
PRESENCE_LOCKS = 0x636C6F74  # "clot"

_pg_locks = table("pg_locks", column("locktype"), column("database"), column("classid"), column("objid"),
                  column("objsubid"), column("granted"))
_pg_database = table("pg_database", column("oid"), column("datname"))


@dataclass(frozen=True)
class Leased:
    """A source this worker leased, with what its poll needs."""

    id: int
    name: str
    platform: str
    kind: str
    target: str
    query: str
    account: str | None
    cursor: str | None


LEASED_FIELDS = (Source.id, Source.name, Source.platform, Source.kind, Source.target, Source.query,
                 Source.credentials_ref, Source.cursor)


class LeaseLost(Exception):
    """Another worker took the source while this one was polling it."""


class WorkerPresence(AdvisoryLock):
    """Held while this worker leases sources. Another connection holding
    the same name's lock (a second poller of this process) shows it too."""

    def __init__(self, db: Database, holder: str):
        super().__init__(db, f"the presence of {holder}", "SELECT pg_try_advisory_lock(:space, hashtext(:holder))",
                         "SELECT pg_advisory_unlock(:space, hashtext(:holder))",
                         {"space": PRESENCE_LOCKS, "holder": holder})


def present_holders() -> ColumnElement:
    """The hashes of the holders whose presence is held in this database."""
    this_database = select(_pg_database.c.oid).where(_pg_database.c.datname == func.current_database())
    return (select(_pg_locks.c.objid)
            .where(_pg_locks.c.locktype == "advisory", _pg_locks.c.granted.is_(True), _pg_locks.c.objsubid == 2,
                   _pg_locks.c.classid == literal(PRESENCE_LOCKS, OID),
                   _pg_locks.c.database == this_database.scalar_subquery()))


class SourceLeases:
    def __init__(self, db: Database, seconds: float, holder: str = THIS_WORKER):
        self.db = db
        self.length = timedelta(seconds=seconds)
        self.holder = holder
        self.presence = WorkerPresence(db, holder)

    def free(self, now: datetime) -> ColumnElement[bool]:
        """Not leased, leased by a worker that stopped renewing it, or, on
        PostgreSQL, by a worker that is gone."""
        free = or_(Source.leased_by.is_(None), Source.lease_expires_at.is_(None), Source.lease_expires_at <= now)
        if self.db.is_postgresql:
            free = or_(free, cast(func.hashtext(Source.leased_by), OID).not_in(present_holders()))
        return free

    def take_due(self, now: datetime, limit: int, polling: Iterable[int] = ()) -> list[Leased]:
        """Lease up to `limit` sources that are due and free, longest due
        first, but none of those this worker is `polling` still (a lease of
        its own that ran out while a tick was late). One statement: on
        PostgreSQL the due rows other workers are taking are skipped."""
        if limit <= 0:
            return []
        if not self.presence.held:  # what it leases stays this worker's while it runs
            self.presence.hold()
        due = (select(Source.id)
               .where(Source.enabled.is_(True), Source.paused_at.is_(None), Source.id.not_in(list(polling)),
                      or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now), self.free(now))
               .order_by(Source.next_poll_at.nulls_first(), Source.id).limit(limit))
        if self.db.is_postgresql:
            # Chosen once, in a CTE of its own: as a subquery the planner
            # may run it again for each row, and each run passes over the
            # rows just leased for the next free ones, leasing them too.
            due = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
            taken = Source.id == due.c.id
        else:
            taken = Source.id.in_(due)
        with self.db.transaction() as session:
            rows = session.execute(
                update(Source).where(taken)
                .values(leased_by=self.holder, lease_expires_at=now + self.length)
                .returning(*LEASED_FIELDS).execution_options(synchronize_session=False))
            return sorted((Leased(*row) for row in rows), key=lambda source: source.id)

    def take(self, session: Session, source_id: int, now: datetime) -> bool:
        """Lease one source, due or not, unless another worker holds it (a
        compare-and-set: it is taken only where it is free)."""
        self.presence.hold()
        return session.execute(
            update(Source).where(Source.id == source_id, self.free(now))
            .values(leased_by=self.holder, lease_expires_at=now + self.length)
            .execution_options(synchronize_session=False)).rowcount == 1

    def renew(self, ids: Iterable[int], now: datetime) -> None:
        """Extend the leases this worker still holds among `ids`, after
        looking that its presence holds (taken again if its connection was
        lost). A row locked by a poll writing its outcome is passed over
        (its lease is being given back), so renewing never waits for a
        commit."""
        self.presence.hold()
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

    def leave(self) -> None:
        """Let go of every source this worker holds, and of its presence
        (it stops)."""
        try:
            with self.db.transaction() as session:
                session.execute(update(Source).where(Source.leased_by == self.holder)
                                .values(leased_by=None, lease_expires_at=None)
                                .execution_options(synchronize_session=False))
        finally:
            self.presence.release()
