"""New records written many at a time: ids taken up front, so records made
in memory can point to each other before any is stored, then one INSERT
per table for all of them. The caller owns the transaction."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, Table, bindparam, func, inspect, literal, select, union_all
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE

from store.models import Base


def take_ids(session: Session, model: type[Base], count: int) -> list[int]:
    """`count` ids for new rows of `model`'s table, none of which another
    transaction can take: from the table's sequence on PostgreSQL; on
    SQLite, which lets one transaction write at a time (BEGIN IMMEDIATE),
    those after the highest id stored."""
    return take_ids_for(session, {model: count})[model]


def take_ids_for(session: Session, counts: dict[type[Base], int]) -> dict[type[Base], list[int]]:
    """As take_ids, for several tables at once, with one statement."""
    wanted = [(model, count) for model, count in counts.items() if count > 0]
    ids: dict[type[Base], list[int]] = {model: [] for model in counts}
    if not wanted:
        return ids
    models = tuple(model for model, _count in wanted)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        counted = {f"n{n}": count for n, (_model, count) in enumerate(wanted)}
        for n, taken_id in connection.execute(_sequences_taking(models), counted):
            ids[wanted[n][0]].append(taken_id)
        return ids
    highest = connection.execute(_highest_ids(models)).one()
    for (model, count), top in zip(wanted, highest):
        ids[model] = list(range((top or 0) + 1, (top or 0) + count + 1))
    return ids


@cache
def _sequences_taking(models: tuple[type[Base], ...]) -> Select:
    """Ids from the tables' sequences, as many as the parameters n0, n1, ...
    say, each labelled with its table's place in `models`; built once. Each
    sequence is looked up once, not for every id taken."""
    return union_all(*(
        select(literal(n).label("n"),
               func.nextval(select(func.pg_get_serial_sequence(model.__table__.name, "id")).scalar_subquery()))
        .select_from(func.generate_series(1, bindparam(f"n{n}", type_=Integer))) for n, model in enumerate(models)))


@cache
def _highest_ids(models: tuple[type[Base], ...]) -> Select:
    """The tables' highest ids, in one row; built once."""
    return select(*(select(func.max(model.__table__.c.id)).scalar_subquery() for model in models))


def made(model: type[Base], **values) -> Base:
    """A record made in memory for insert_records, its attributes given
    as they are, without the change events that setting them one by one
    fires (they matter only to a session's flush, which never sees it).
    A record pointed to is given by its relationship (`identity=...`), as
    row_of reads it; nothing is added to that record's collections."""
    record = model._sa_class_manager.new_instance()
    record.__dict__.update(values)
    return record


@cache
def _layout(mapper: Mapper) -> tuple[tuple[str, ...], tuple[tuple[str, Any, tuple], ...]]:
    """How a record of `mapper` becomes a row: its columns' keys, and for
    each, where its value comes from: (key, default, the many-to-one
    relationships whose record's id it is, as (relationship key, remote key)).
    A default is a callable's or a scalar's, None when the column has none."""
    sources = []
    for column_attr in mapper.column_attrs:
        column = column_attr.columns[0]
        default = column.default
        pointers = tuple((relationship.key, remote.key) for relationship in mapper.relationships
                         if relationship.direction is MANYTOONE
                         for local, remote in relationship.local_remote_pairs if local is column)
        sources.append((column_attr.key, default, pointers))
    return tuple(key for key, _default, _pointers in sources), tuple(sources)


def row_of(record: Base, mapper: Mapper | None = None) -> tuple:
    """A record made in memory (never added to a session) as a row, in the
    order of _layout's keys: its columns, column defaults for those never
    set, and the ids of the records it points to. `mapper`: the model's,
    for a plain object holding a record's attributes the same way."""
    values = record.__dict__
    row = []
    for key, default, pointers in _layout(mapper or record.__mapper__)[1]:
        value = values[key] if key in values else (
            None if default is None else default.arg(None) if default.is_callable else default.arg)
        for relationship, remote in pointers:
            if relationship in values:
                target = values[relationship]
                value = None if target is None else getattr(target, remote)
        row.append(value)
    return tuple(row)


def column_names(model: type[Base]) -> list[str]:
    """The names of the columns of row_of's rows, in their order."""
    mapper = model.__mapper__
    return [mapper.columns[key].name for key in _layout(mapper)[0]]


def insert_records(session: Session, model: type[Base], records: Iterable[Base],
                   order_by: tuple[str, ...] = ()) -> None:
    """Insert records made in memory, whose ids are set, with one statement.
    `order_by` names the columns of a unique key: rows go in in that order,
    so two transactions inserting some of the same keys wait for each other
    in the same order rather than deadlock."""
    records = list(records)
    if not records:
        return
    _before(session, "before_insert", records)
    keys = _layout(model.__mapper__)[0]
    rows = [row_of(record) for record in records]
    if order_by:
        at = [keys.index(key) for key in order_by]
        rows.sort(key=lambda row: tuple(row[n] for n in at))
    insert_rows(session, model.__table__, column_names(model), rows)


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows given as tuples of `columns`' values with one statement
    executed for many rows, in their order."""
    _execute_many(session, table, "insert", tuple(columns), rows)


def update_rows(session: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Set `columns` of the rows with one statement executed for many rows,
    in their order; each row is a tuple of the columns' values and its id."""
    _execute_many(session, table, "update", tuple(columns), rows)


def update_held_rows(session: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """As update_rows, for rows this transaction has locked already, so
    that the order they are written in cannot matter: on PostgreSQL with
    one statement for them all rather than one for each, which also fires
    the table's statement triggers once (a page's tickets fired them a
    score of times, each marking the figures to count again)."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or len(rows) < 2:
        update_rows(session, table, columns, rows)
        return
    columns = tuple(columns)
    converters = _converters(table, columns + ("id",), dialect)
    if any(converters):
        rows = _converted(rows, converters)
    per_statement = MOST_PARAMETERS // (len(columns) + 1)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        sql = _update_from_values(table, columns, len(chunk), dialect)
        session.connection().exec_driver_sql(sql, tuple(value for row in chunk for value in row))


# PostgreSQL's protocol numbers a statement's parameters in 16 bits.
MOST_PARAMETERS = 65_535
# A type's length or precision: "(20)" of VARCHAR(20), "(10, 2)" of NUMERIC(10, 2).
_LENGTH = re.compile(r"\(\d+(?:,\s*\d+)?\)")


@cache
def _update_from_values(table: Table, columns: tuple[str, ...], count: int, dialect: Dialect) -> str:
    """UPDATE ... FROM (VALUES ...), each value cast to its column's type
    without a length: a cast to VARCHAR(20) would cut a longer value short,
    where storing it fails as it should."""
    quote = dialect.identifier_preparer
    names = columns + ("id",)
    row = "(" + ", ".join(f"%s::{_LENGTH.sub('', table.c[name].type.compile(dialect=dialect))}" for name in names) + ")"
    settings = ", ".join(f"{quote.quote(name)} = v.{quote.quote(name)}" for name in columns)
    return (f"UPDATE {quote.format_table(table)} SET {settings} FROM (VALUES {', '.join([row] * count)}) "
            f"AS v({', '.join(quote.quote(name) for name in names)}) "
            f"WHERE {quote.format_table(table)}.{quote.quote('id')} = v.{quote.quote('id')}")


def _execute_many(session: Session, table: Table, verb: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """The statement handed to the driver with the rows as they bind: each
    value is converted as its column's type binds it, here rather than by
    the Core's per-row parameter handling, and a time recurring in the rows
    (a page's `now`) is converted once."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    converters = _converters(table, columns + (("id",) if verb == "update" else ()), dialect)
    if any(converters):
        rows = _converted(rows, converters)
    if verb == "insert" and dialect.name == "postgresql":
        quote = dialect.identifier_preparer
        sql = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in columns)}) FROM STDIN"
        with _driver_cursor(connection, sql, rows) as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    elif dialect.name == "sqlite":
        sql = _sql(table, verb, columns, dialect)
        with _driver_cursor(connection, sql, rows) as cursor:
            cursor.executemany(sql, rows)
    else:
        connection.exec_driver_sql(_sql(table, verb, columns, dialect), rows)


@contextmanager
def _driver_cursor(connection: Connection, sql: str, rows: list[tuple]) -> Iterator[Any]:
    """A cursor of the driver's own, for a statement handed to it directly:
    PostgreSQL's COPY, which takes rows in far less of this process's time
    than an INSERT executed for each, and on SQLite any statement executed
    for many rows, without the Core's work around each execution. Listeners
    of the engine's statements hear of it as of any other, and the driver's
    errors are raised as the Core raises them (a row already there is an
    IntegrityError)."""
    dialect = connection.dialect
    cursor = connection.connection.driver_connection.cursor()
    connection.dispatch.before_cursor_execute(connection, cursor, sql, rows, None, True)
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error) from error
    finally:
        cursor.close()
    connection.dispatch.after_cursor_execute(connection, cursor, sql, rows, None, True)


@cache
def _sql(table: Table, verb: str, columns: tuple[str, ...], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    if verb == "update":
        settings = ", ".join(f"{quote.quote(name)} = {marker}" for name in columns)
        return f"UPDATE {quote.format_table(table)} SET {settings} WHERE {quote.quote('id')} = {marker}"
    return (f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(name) for name in columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))})")


@cache
def _converters(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[Callable | None, ...]:
    return tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns)


def _converted(rows: list[tuple], converters: tuple[Callable | None, ...]) -> list[tuple]:
    """The rows with their values converted; a None that its column's
    converter keeps as None (every type's but JSON's) is left as it is, as
    are most of a ticket's times."""
    times: dict[datetime, Any] = {}
    at = [(n, convert, convert(None) is None) for n, convert in enumerate(converters) if convert is not None]
    converted = []
    for row in rows:
        row = list(row)
        for n, convert, keeps_none in at:
            value = row[n]
            if value is None and keeps_none:
                continue
            if type(value) is datetime:
                if value not in times:
                    times[value] = convert(value)
                row[n] = times[value]
            else:
                row[n] = convert(value)
        converted.append(tuple(row))
    return converted


def write_changes(session: Session, records: Iterable[Base]) -> None:
    """Write what changed in stored records of one model with one UPDATE
    (executed for many rows): each row gets every column changed in any of
    them, so one statement serves all; rows go in the order of their ids, so
    two transactions wait for each other rather than deadlock. What is
    written is then clean, as after a flush; anything else that changed (a
    record pointed to) is left for the flush."""
    changed = [(record, inspect(record)) for record in records]
    changed = sorted(((record, state) for record, state in changed if state.persistent and state.modified),
                     key=lambda pair: pair[0].id)
    if not changed:
        return
    _before(session, "before_update", [record for record, _state in changed])
    mapper = changed[0][1].mapper
    columns = {attr.key for attr in mapper.column_attrs}
    keys = sorted(set().union(*(columns - state.unmodified for _record, state in changed)))
    if not keys:
        return
    update_rows(session, mapper.local_table, [mapper.columns[key].name for key in keys],
                [(*(getattr(record, key) for key in keys), record.id) for record, _state in changed])
    written = set(keys)
    every = set(mapper.attrs.keys())
    for record, state in changed:
        if not (every - state.unmodified) - written:
            # All it changed is written: expiring it leaves nothing for the
            # flush, and it is read afresh if asked for again.
            session.expire(record)
        else:
            for key in keys:
                set_committed_value(record, key, getattr(record, key))


def _before(session: Session, hook: str, records: list[Base]) -> None:
    """The model's own before_insert or before_update listeners, which a
    flush would run, run for records written here too (a ticket keeps its
    inbox order, for one)."""
    mapper = records[0].__mapper__
    listeners = getattr(mapper.dispatch, hook)
    if listeners:
        connection = session.connection()
        for record in records:
            listeners(mapper, connection, inspect(record))
