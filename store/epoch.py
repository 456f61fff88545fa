"""Seconds since 1970 of a stored UTC time, in SQL, so that arithmetic on
due times (such as a share of a target's span) runs in the database the
same way on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement):  # noqa: N801 - used as an SQL function
    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"
