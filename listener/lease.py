"""Only one process polls at a time. On PostgreSQL it is the one holding an
advisory lock on a connection of its own; when that process dies, the
lock goes with its connection and a standby takes over. SQLite is one
process, which always polls."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection

from store.db import Database

log = logging.getLogger(__name__)

POLLING_LOCK = 0x636C6F73  # "clos"


class PollingLease:
    def __init__(self, db: Database, key: int = POLLING_LOCK):
        self.db = db
        self.key = key
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def hold(self) -> bool:
        """Whether this process may poll now: keeps the lock it has, or
        tries to take it."""
        if not self.db.is_postgresql:
            return True
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT 1"))
                    return True
                except Exception as error:
                    log.warning("lost the polling lock with its connection: %s", error)
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
            log.info("this process now polls the sources")
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
