"""Stored times read as TypeDecorator would read them: the DateTime's own
reading, then UTC attached; on SQLite by a faster way for the text it
writes, the same values and the same failures for any other text."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.types import TypeDecorator

from store.types import UTCDateTime

SQLITE_TEXTS = [None, "2026-01-05 09:00:00.000000", "2026-01-05 09:00:00.123456", "2026-01-05 09:00:00",
                "2026-01-05 09:00:00.5", "2026-01-05 09:00", "2026-01-05", "2026-01-05T09:00:00",
                "2026-01-05 09:00:00+02:00", "2026-01-05 09:00:00Z", "0001-01-01 00:00:00.000000",
                "9999-12-31 23:59:59.999999", "2026-02-30 09:00:00", "not a time", "", 12345]


def read(dialect, value, fast: bool):
    utc_type = UTCDateTime().dialect_impl(dialect)
    reading = utc_type.result_processor(dialect, None) if fast else TypeDecorator.result_processor(
        utc_type, dialect, None)
    try:
        return repr(reading(value))
    except Exception as error:
        return type(error).__name__


@pytest.mark.parametrize("value", SQLITE_TEXTS, ids=repr)
def test_sqlite_text_reads_as_before(value):
    assert read(sqlite.dialect(), value, fast=True) == read(sqlite.dialect(), value, fast=False)


def test_sqlite_times_as_written_read_as_before():
    start = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    write = UTCDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    for step in range(2000):
        text = write(start + timedelta(seconds=step * 3917, microseconds=step * 7919))
        assert read(sqlite.dialect(), text, fast=True) == read(sqlite.dialect(), text, fast=False)
        assert read(sqlite.dialect(), text, fast=True).endswith("tzinfo=datetime.timezone.utc)")


@pytest.mark.parametrize("value", [None, datetime(2026, 1, 5, 9, 0, 0, 5), datetime(2026, 1, 5),
                                   datetime(2026, 10, 25, 1, 30, fold=1), datetime.min, datetime.max], ids=repr)
def test_postgresql_times_read_as_before(value):
    assert read(psycopg.dialect(), value, fast=True) == read(psycopg.dialect(), value, fast=False)
