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


class AdvisoryLock:
    """A PostgreSQL advisory lock held on a connection of its own, so that
    it lasts exactly as long as this process does: when the process dies,
    PostgreSQL ends its connection and the lock with it. `try_lock` is the
    statement that tries to take it, true when it did; `what` names the
    lock in the log. On SQLite (one process) it is always held."""

    def __init__(self, db: Database, what: str, try_lock: str, unlock: str, params: dict):
        self.db = db
        self.what = what
        self.try_lock = try_lock
        self.unlock = unlock
        self.params = params
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def hold(self) -> bool:
        """Whether this process holds the lock now: keeps it, or tries to
        take it."""
        if not self.db.is_postgresql:
            return True
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT 1"))
                    return True
                except Exception as error:
                    log.warning("lost the lock of %s with its connection: %s", self.what, error)
                    self._drop()
            # Outside transactions, so that it never holds back vacuum; never
            # handed back to the pool with the lock: closed with this object
            # at the latest.
            connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            connection.detach()
            try:
                taken = connection.execute(text(self.try_lock), self.params).scalar()
            except Exception:
                connection.close()
                raise
            if not taken:
                connection.close()
                return False
            self._connection = connection
            self.taken()
            return True

    @property
    def held(self) -> bool:
        """Whether this process took the lock and has not found it lost
        since (hold() looks)."""
        return self._connection is not None or not self.db.is_postgresql

    def taken(self) -> None:
        """Called once each time the lock is taken."""

    def release(self) -> None:
        """Let the lock go; a connection already lost took it with it."""
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute(text(self.unlock), self.params)
                except Exception as error:
                    log.info("the lock of %s went with its connection: %s", self.what, error)
                finally:
                    self._drop()

    def _drop(self) -> None:
        try:
            self._connection.invalidate()
            self._connection.close()
        finally:
            self._connection = None


class LeaderLease(AdvisoryLock):
    """Held by the one process that runs the once-only jobs."""

    def __init__(self, db: Database, key: int = LEADER_LOCK):
        super().__init__(db, "the once-only jobs", "SELECT pg_try_advisory_lock(:key)",
                         "SELECT pg_advisory_unlock(:key)", {"key": key})

    def taken(self) -> None:
        log.info(LEADER_LOG)
