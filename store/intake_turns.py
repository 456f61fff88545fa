"""Batches of posts from one platform take their turn: on PostgreSQL an
intake transaction waits for the other intakes of its platform to end
before it places its posts, and holds its turn until it ends.

Two batches placed at once, by a worker's poll threads, two workers or a
webhook beside a poll, wait for each other's rows in any case (the
tickets they join, the agents they route to). What they cannot wait for
is an author new to both: each stores it, one fails as it writes, and its
batch is taken again post by post, each post in a savepoint of its own,
or the two deadlock (docs/performance.md, "Batches that take turns").
SQLite's transactions already run one at a time (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

# The space of two-key advisory locks that intake's turns take, beside
# sign-in's (store.accounts.SIGN_IN_LOCK_SPACE) and the workers' presence
# (listener.source_leases.PRESENCE_LOCKS).
INTAKE_LOCK_SPACE = 2


def take_turn(session: Session, platform: str, before_waiting: Callable[[], object] = lambda: None) -> None:
    """Wait until no other transaction is taking in posts of `platform`,
    then hold the platform until this one ends. `before_waiting` runs
    when the turn is not free at once, before waiting for it."""
    if session.get_bind().dialect.name == "postgresql":
        turn = {"space": INTAKE_LOCK_SPACE, "platform": platform}
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:platform))"), turn):
            before_waiting()
            session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:platform))"), turn)
