"""Some jobs must run in one process at a time, however many workers run:
assigning waiting tickets, the response-time and spike watches, follow-ups,
thank-yous, outgoing webhooks, and keeping the sources table in step with
the config. On PostgreSQL they run in the worker holding an advisory lock
on a connection of its own; when that worker dies, the lock goes with its
connection and another takes over. SQLite is one process, which always
holds it. (Polling is not among them: every worker polls, each source
under a lease of its own, see listener/source_leases.py.)"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection

from store.db import Database

log = logging.getLogger(__name__)

LEADER_LOCK = 0x636C6F73  # "clos"
LEADER_LOG = "this process now runs the once-only jobs"


class LeaderLease:
    def __init__(self, db: Database, key: int = LEADER_LOCK):
        self.db = db
        self.key = key
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def hold(self) -> bool:
        """Whether this process runs the once-only jobs now: keeps the lock
        it has, or tries to take it."""
        if not self.db.is_postgresql:
            return True
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT 1"))
                    return True
                except Exception as error:
                    log.warning("lost the lock of the once-only jobs with its connection: %s", error)
                    self._drop()
            connection = self.db.engine.connect()
            try:
                taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
                connection.commit()
            except Exception:
                connection.close()
                raise
            if not taken:
                connection.close()
                return False
            self._connection = connection
            log.info(LEADER_LOG)
            return True

    def release(self) -> None:
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                    self._connection.commit()
                finally:
                    self._drop()

    def _drop(self) -> None:
        try:
            self._connection.invalidate()
            self._connection.close()
        finally:
            self._connection = None
