"""Engine and session set-up, and migrations to the newest schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Select, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.json_text import json_text

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs) -> Engine:
    """SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL checks
    connections before use. JSON is written as json.dumps writes it, by
    store.json_text."""
    kwargs.setdefault("json_serializer", json_text)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # The driver's own transaction handling starts no transaction before a
    # SAVEPOINT, so a savepoint's release would commit by itself: turn it off
    # and begin transactions in _sqlite_begin instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The journals of savepoints and statements, which only roll back within
    # a transaction, kept in memory rather than in files of their own: a
    # page of intake wrote each page of the store it changed to one as well
    # as to the WAL.
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Up to 16 MB of the store's pages kept by each connection, against
    # SQLite's 2 MB: a page of intake reads and changes pages all over the
    # indexes, and read each of them again from the file once the store
    # outgrew the cache (a thousand reads a page at 20,000 posts).
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """IMMEDIATE takes the write lock up front: a transaction that reads and
    then writes waits for the lock instead of failing as busy."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def ids_to_claim(self, query: Select) -> list[int]:
        """The ids a worker may try to claim; on PostgreSQL, rows another
        worker holds are skipped (the claim itself is a compare-and-set)."""
        if self.is_postgresql:
            query = query.with_for_update(skip_locked=True)
        with self.transaction() as session:
            return list(session.scalars(query))

    def migrate(self) -> None:
        """Upgrade to the newest schema. On SQLite, foreign keys are off while
        migrating, because changing a table there means copying it and
        dropping the old one, which rows in other tables refer to; the keys
        are checked before the migration commits."""
        with self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    config = alembic_config(self.url)
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise RuntimeError("the migration left rows that refer to missing rows; nothing was changed")
            finally:
                if sqlite:
                    connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")

    def schema_is_current(self) -> bool:
        """Whether every migration has been applied (`closeloop migrate`)."""
        with self.engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
        return applied == set(ScriptDirectory.from_config(alembic_config(self.url)).get_heads())

    def applied_revisions(self) -> list[str]:
        """The schema revisions applied to the database; none on a new one."""
        with self.engine.connect() as connection:
            return sorted(MigrationContext.configure(connection).get_current_heads())

    def unknown_revisions(self) -> list[str]:
        """Schema revisions applied to the database that this code has no
        migration for: a newer closeloop migrated it."""
        with self.engine.connect() as connection:
            applied = MigrationContext.configure(connection).get_current_heads()
        script = ScriptDirectory.from_config(alembic_config(self.url))
        known = {revision.revision for revision in script.walk_revisions()}
        return sorted(set(applied) - known)

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
