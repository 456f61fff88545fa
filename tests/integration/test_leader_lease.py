"""The once-only jobs run in one process; another takes over when it goes
away. Every process polls."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from closeloop.runtime import Runtime
from listener.lease import AdvisoryLock, LeaderLease
from store.db import Database


@pytest.fixture
def two_processes(postgres_url):
    """Two engines on one PostgreSQL database, as two processes would have."""
    first, second = Database(postgres_url), Database(postgres_url)
    yield first, second
    first.dispose()
    second.dispose()


def kill_connection(lease: AdvisoryLock, db: Database) -> None:
    """End the lease's connection as a crash would, and wait until it is gone."""
    backend = lease._connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with db.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        for _ in range(100):
            alive = admin.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                  {"pid": backend}).scalar()
            admin.rollback()  # a transaction keeps one snapshot of pg_stat_activity
            if not alive:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {backend} did not end")


def test_only_one_process_holds_the_leader_lease(two_processes):
    a, b = (LeaderLease(db) for db in two_processes)
    assert a.hold() is True
    assert b.hold() is False
    assert a.hold() is True
    a.release()
    assert b.hold() is True
    b.release()


def test_another_process_takes_over_when_the_leader_loses_its_connection(two_processes):
    a, b = (LeaderLease(db) for db in two_processes)
    assert a.hold()
    kill_connection(a, two_processes[1])
    assert b.hold() is True
    assert a.hold() is False
    b.release()


def test_the_lock_is_held_outside_any_transaction(two_processes):
    """A connection idle in a transaction would hold back vacuum for as
    long as the process runs."""
    lease = LeaderLease(two_processes[0])
    assert lease.hold() and lease.hold()
    backend = lease._connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with two_processes[1].engine.connect() as other:
        state = other.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}).scalar()
    lease.release()
    assert state == "idle"


def test_a_single_sqlite_process_always_leads(sqlite_db):
    assert LeaderLease(sqlite_db).hold() is True


def test_once_only_jobs_run_in_one_worker_and_move_to_another_while_both_poll(postgres_db, postgres_url,
                                                                             settings):
    settings = settings.model_copy(update={"database": settings.database.model_copy(update={"url": postgres_url})})
    leader, standby = Runtime(settings), Runtime(settings)
    try:
        leader.polling.install()
        standby.polling.install()
        assert leader.polling.active and not standby.polling.active
        assert leader.polling.polls.threads == settings.listener.poll_threads
        assert standby.scheduler.get_job("route-waiting") is None
        assert leader.scheduler.get_job("poll-due") is not None and standby.scheduler.get_job("poll-due") is not None
        kill_connection(leader.lease, standby.db)
        standby.polling.check()
        leader.polling.check()
        assert standby.polling.active and not leader.polling.active
        assert leader.scheduler.get_job("route-waiting") is None
        assert standby.scheduler.get_job("route-waiting") is not None
    finally:
        leader.stop()
        standby.stop()
