"""A column that SQLite reads on the rows found by another condition rather
than looking rows up through its own index: `+column` on SQLite, the
column itself elsewhere. SQLite keeps no statistics: given a list of ids
and an equality on a column with an index of its own (an event's kind),
it looks up every row of the table with that value, however many, rather
than the few rows of the ids."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class Unindexed(ColumnElement):
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement):
        self.column = column
        self.type = column.type


def unindexed(column: ColumnElement) -> Unindexed:
    return Unindexed(column)


@compiles(Unindexed)
def _column(element: Unindexed, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _plus(element: Unindexed, compiler, **kw) -> str:
    return f"+{compiler.process(element.column, **kw)}"
