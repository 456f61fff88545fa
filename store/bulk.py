"""New records written many at a time: ids taken up front, so records made
in memory can point to each other before any is stored, then one INSERT
per table for all of them. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, insert, inspect, literal, select, union_all, update
from sqlalchemy.orm import Session
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
    if session.get_bind().dialect.name == "postgresql":
        taken = union_all(*(
            select(literal(n).label("n"), func.nextval(func.pg_get_serial_sequence(model.__table__.name, "id")))
            .select_from(func.generate_series(1, count)) for n, (model, count) in enumerate(wanted)))
        for n, taken_id in session.execute(taken):
            ids[wanted[n][0]].append(taken_id)
        return ids
    highest = session.execute(select(*(select(func.max(model.__table__.c.id)).scalar_subquery()
                                       for model, _count in wanted))).one()
    for (model, count), top in zip(wanted, highest):
        ids[model] = list(range((top or 0) + 1, (top or 0) + count + 1))
    return ids


def made(model: type[Base], **values) -> Base:
    """A record made in memory for insert_records, its attributes given
    as they are, without the change events that setting them one by one
    fires (they matter only to a session's flush, which never sees it).
    A record pointed to is given by its relationship (`identity=...`), as
    row_of reads it; nothing is added to that record's collections."""
    record = model._sa_class_manager.new_instance()
    record.__dict__.update(values)
    return record


def row_of(record: Base) -> dict:
    """A record made in memory (never added to a session) as a row: its
    columns, column defaults for those never set, and the ids of the records
    it points to."""
    mapper = record.__mapper__
    values = record.__dict__
    row = {}
    for column_attr in mapper.column_attrs:
        key = column_attr.key
        if key in values:
            row[key] = values[key]
        else:
            default = column_attr.columns[0].default
            row[key] = None if default is None else default.arg(None) if default.is_callable else default.arg
    for relationship in mapper.relationships:
        if relationship.direction is MANYTOONE and relationship.key in values:
            target = values[relationship.key]
            for local, remote in relationship.local_remote_pairs:
                row[local.key] = None if target is None else getattr(target, remote.key)
    return row


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
    rows = [row_of(record) for record in records]
    if order_by:
        rows.sort(key=lambda row: tuple(row[key] for key in order_by))
    session.execute(insert(model.__table__), rows)


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
    table = mapper.local_table
    session.execute(
        update(table).where(table.c.id == bindparam("_id")).values({key: bindparam(key) for key in keys}),
        [{"_id": record.id, **{key: getattr(record, key) for key in keys}} for record, _state in changed])
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
