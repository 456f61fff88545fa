"""Stored UTC times as numbers, in SQL, the same way on SQLite and
PostgreSQL: seconds since 1970, so that arithmetic on due times (such as a
share of a target's span) runs in the database, and quarter hours, so that
reports count per time bucket in the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MICROSECOND = timedelta(microseconds=1)


class epoch_seconds(FunctionElement):  # noqa: N801 - used as an SQL function
    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


class quarter_hour(FunctionElement):  # noqa: N801 - used as an SQL function
    """The number of whole quarter hours from 1970 to a stored UTC time:
    counts grouped by it fold exactly into local hours and days, since
    every time zone's offset is a whole number of quarter hours."""

    type = Integer()
    inherit_cache = True


@compiles(quarter_hour, "postgresql")
def _quarter_postgresql(element, compiler, **kw) -> str:
    return f"CAST(floor(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 900) AS BIGINT)"


@compiles(quarter_hour, "sqlite")
def _quarter_sqlite(element, compiler, **kw) -> str:
    # Whole seconds only: strftime would round a fraction up into the next quarter.
    return f"(CAST(strftime('%s', substr({compiler.process(element.clauses, **kw)}, 1, 19)) AS INTEGER) / 900)"


def quarter_start(quarter: int) -> datetime:
    """The UTC moment a `quarter_hour` number starts at."""
    return datetime.fromtimestamp(quarter * 900, timezone.utc)


def microseconds_since_epoch(moment: datetime) -> int:
    """Whole microseconds from 1970 to a UTC moment, as `epoch_microseconds`
    counts a stored one."""
    return (moment - EPOCH) // _ONE_MICROSECOND


class epoch_microseconds(FunctionElement):  # noqa: N801 - used as an SQL function
    """Whole microseconds from 1970 to a stored UTC time, exactly: the
    difference of two is the timedelta between them, to the microsecond."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_microseconds, "postgresql")
def _microseconds_postgresql(element, compiler, **kw) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_microseconds, "sqlite")
def _microseconds_sqlite(element, compiler, **kw) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then the six digits.
    moment = compiler.process(element.clauses, **kw)
    return (f"(CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({moment} || '.000000', 21, 6) AS INTEGER))")
