"""Rows a transaction holds locked are written with one UPDATE for them all
on PostgreSQL, each value as its column stores it: a value too long for its
column fails rather than being cut short, and a missing value is NULL."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError

from store.bulk import update_held_rows
from store.models import Customer, Identity

IDENTITIES = Identity.__table__


def authors(db, clock, count: int) -> list[int]:
    with db.transaction() as session:
        customers = [Customer(display_name=f"Customer {n}", created_at=clock.now()) for n in range(count)]
        identities = [Identity(customer=customer, platform="x", platform_user_id=str(n), handle=f"c{n}",
                               name=f"Customer {n}", followers=n) for n, customer in enumerate(customers)]
        session.add_all(identities)
        session.flush()
        return [identity.id for identity in identities]


def profiles(db) -> dict[int, tuple]:
    with db.transaction() as session:
        return {row.id: (row.handle, row.name, row.followers, row.verified)
                for row in session.execute(select(Identity.id, Identity.handle, Identity.name, Identity.followers,
                                                  Identity.verified))}


def test_each_row_gets_its_own_values(db, clock):
    ids = authors(db, clock, 3)
    with db.transaction() as session:
        update_held_rows(session, IDENTITIES, ("handle", "followers", "verified"),
                         [("first", 10, True, ids[0]), ("third", 30, False, ids[2])])
    assert profiles(db) == {ids[0]: ("first", "Customer 0", 10, True), ids[1]: ("c1", "Customer 1", 1, False),
                            ids[2]: ("third", "Customer 2", 30, False)}


@pytest.mark.postgres
def test_one_statement_for_all_the_rows_on_postgresql(postgres_db, clock):
    ids = authors(postgres_db, clock, 120)
    sent = []
    listener = lambda _conn, _cursor, statement, *_args: sent.append(statement)  # noqa: E731
    event.listen(postgres_db.engine, "before_cursor_execute", listener)
    try:
        with postgres_db.transaction() as session:
            update_held_rows(session, IDENTITIES, ("name", "followers"),
                             [(f"Renamed {n}", 1000 + n, identity_id) for n, identity_id in enumerate(ids)])
    finally:
        event.remove(postgres_db.engine, "before_cursor_execute", listener)
    assert len([s for s in sent if s.startswith("UPDATE identities")]) == 1
    assert {name for _handle, name, _followers, _verified in profiles(postgres_db).values()} == {
        f"Renamed {n}" for n in range(120)}


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_fails_and_changes_nothing(postgres_db, clock):
    ids = authors(postgres_db, clock, 2)
    before = profiles(postgres_db)
    with pytest.raises(DBAPIError, match="too long"):
        with postgres_db.transaction() as session:
            update_held_rows(session, IDENTITIES, ("handle",), [("h" * 201, ids[0]), ("fine", ids[1])])
    assert profiles(postgres_db) == before


@pytest.mark.postgres
def test_a_missing_value_is_null(postgres_db, clock):
    with postgres_db.transaction() as session:
        customers = [Customer(display_name=f"C{n}", email=f"c{n}@example.com", created_at=clock.now())
                     for n in range(2)]
        session.add_all(customers)
        session.flush()
        ids = [customer.id for customer in customers]
    with postgres_db.transaction() as session:
        update_held_rows(session, Customer.__table__, ("email", "contact_opt_out_at"),
                         [(None, clock.now(), ids[0]), ("new@example.com", None, ids[1])])
    with postgres_db.transaction() as session:
        rows = {row.id: (row.email, row.contact_opt_out_at) for row in session.execute(
            select(Customer.id, Customer.email, Customer.contact_opt_out_at))}
    assert rows == {ids[0]: (None, clock.now()), ids[1]: ("new@example.com", None)}
