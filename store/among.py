"""A column among a list of values, the list bound as one value: on
PostgreSQL an array, `column = ANY(%s)`; on SQLite JSON text,
`column IN (SELECT value FROM json_each(?))`. An IN of many bound values
is a statement text of its own for every length: on PostgreSQL parsed
again by the driver at each execution and never prepared (for a hundred
values about a millisecond of this process's time, three times the rest
of the query); on SQLite spelt out value by value by the Core at every
execution, and prepared again by SQLite for every new length. SQLite
searches the column's index for each value of the list as it does for an
IN of bound values. Other databases get the usual IN.

A statement run at every page is built once, its lists named
(`among_bound`) and given when it runs: building a statement, and
finding it among the compiled ones, took more of this process's time than
running it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Boolean, ColumnElement, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class Among(ColumnElement[bool]):
    """`column` is one of `values` (on SQLite strings or integers, which
    JSON carries as they are). Every form is built up front, so a
    statement cached after its first use takes each use's values."""

    inherit_cache = True
    type = Boolean()
    # A condition in itself, as a comparison is: a WHERE renders it as it
    # is, rather than compared with true (which no index serves).
    _is_implicitly_boolean = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("listed", InternalTraversal.dp_clauseelement),
                           ("array", InternalTraversal.dp_clauseelement),
                           ("json", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement, values: Iterable[Any] | None = None, name: str | None = None):
        self.column = column
        if name is None:
            values = list(values)
            self.listed = column.in_(values)
            self.array = bindparam(None, values, type_=ARRAY(column.type), unique=True)
            self.json = bindparam(None, values, type_=JSON(), unique=True)
        else:
            self.listed = column.in_(bindparam(name, type_=column.type, expanding=True))
            self.array = bindparam(name, type_=ARRAY(column.type))
            self.json = bindparam(name, type_=JSON())


def among(column: ColumnElement, values: Iterable[Any]) -> Among:
    return Among(column, values)


def among_bound(column: ColumnElement, name: str) -> Among:
    """`column` is one of the list given as parameter `name` when the
    statement runs."""
    return Among(column, name=name)


@compiles(Among)
def _in(element: Among, compiler, **kw) -> str:
    return compiler.process(element.listed, **kw)


@compiles(Among, "sqlite")
def _json_each(element: Among, compiler, **kw) -> str:
    listed = compiler.process(element.json, **kw)
    return f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each({listed}))"


@compiles(Among, "postgresql")
def _any_array(element: Among, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.array, **kw)})"
