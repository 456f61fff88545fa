"""`closeloop backup`: a consistent copy of a SQLite database taken while
closeloop runs, through SQLite's online backup API. Restoring is copying
the file back with closeloop stopped. PostgreSQL has pg_dump for this."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

PG_DUMP = ("PostgreSQL databases are backed up with pg_dump: "
           "pg_dump --format=custom --file=closeloop.dump DATABASE, restored into an empty database with "
           "createdb and pg_restore --dbname=DATABASE --no-owner (see docs/production.md)")


class BackupRefused(Exception):
    """Why no backup was written."""


def back_up(database_url: str, target: Path) -> Path:
    """Copy the SQLite database at `database_url` to `target`, page by page
    while others may write; an existing target is refused."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(PG_DUMP)
    source = Path(url.database or "")
    if not source.is_file():
        raise BackupRefused(f"there is no SQLite database at {source}: check database.url")
    if target.exists():
        raise BackupRefused(f"{target} exists already: choose a new file, backups are never overwritten")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader, \
            closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)
    return target
