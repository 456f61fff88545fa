"""The query planner's statistics, gathered again where the server's
autovacuum is off.

PostgreSQL plans each query from statistics that only ANALYZE gathers, and
autovacuum runs ANALYZE on a table once enough of its rows have changed.
A server with autovacuum off keeps whatever the migrations left: tables
with no statistics, or those of empty tables. Planned that way, intake's
lookups read every row of a platform to find a page's hundred (a page's
check of which posts are known took 18 ms at 5,000 posts and grew with
the store). Intake calls `analyze_stale_tables` after every few hundred
posts it stores: it does ANALYZE's share of autovacuum's job, and nothing
at all where autovacuum is on. A table is analyzed again once its rows changed by as many as it
had when last analyzed (and by 1,000 at least): the plans need the
statistics' shape, which a table's growth hardly moves, and analyzing at
each tenth of growth, as autovacuum does from a process of its own, took
an eighth of intake's time at 10,000 posts."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Taken for the rest of the transaction by the intake that analyzes, so
# that other workers' intakes go on rather than wait to analyze the same
# tables.
ANALYZE_LOCK = 0x616E6C7A  # "anlz"

FEWEST_CHANGED_ROWS = 1000
LOCK_NOT_AVAILABLE = "55P03"

# The tables whose rows changed since they were last analyzed by as many as
# they had then.
STALE_TABLES = text("""
    SELECT s.relname
    FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
    WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze >= greatest(c.reltuples, :fewest)
    ORDER BY s.relname
""")


def autovacuum_is_off(session: Session) -> bool:
    return session.execute(text("SHOW autovacuum")).scalar() == "off"


def stale_tables(session: Session) -> list[str]:
    """The tables due to be analyzed again (PostgreSQL only)."""
    return list(session.execute(STALE_TABLES, {"fewest": FEWEST_CHANGED_ROWS}).scalars())


def analyze_stale_tables(session: Session) -> list[str]:
    """ANALYZE the tables due to be analyzed again, and return their names;
    on SQLite, or with autovacuum on, none. It never waits: when another
    worker is analyzing, or a table is being vacuumed (which would hold
    intake's page until it ended), it leaves them for a later page."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return []
    # The tables first: most pages find none due, and need ask nothing else.
    stale = stale_tables(session)
    if not stale or not autovacuum_is_off(session) or not session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ANALYZE_LOCK}).scalar():
        return []
    names = [dialect.identifier_preparer.quote(name) for name in stale]
    try:
        with session.begin_nested():
            for name in names:
                session.execute(text(f"LOCK TABLE {name} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT"))
            session.execute(text(f"ANALYZE {', '.join(names)}"))
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            log.warning("could not gather the planner's statistics (%s); intake goes on without them",
                        str(error.orig).strip().splitlines()[0])
        return []
    return stale
