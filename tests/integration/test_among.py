"""A column among a list bound as one value (store.among): the rows an IN
of the values finds, one statement text whatever the list's length, and
on SQLite the column's own index searched for each value."""

import pytest
from sqlalchemy import bindparam, event, select

from config import FrozenClock
from store.among import among_bound
from store.models import Customer

BY_ID = select(Customer.id).where(among_bound(Customer.id, "ids")).order_by(Customer.id)
BY_NAME = (select(Customer.id).where(Customer.tier == bindparam("tier"), among_bound(Customer.display_name, "names"))
           .order_by(Customer.id))
NAMES = ["Ana", "Bo", "Ćiro ✓", "it's \"quoted\"", "12", ""]


@pytest.fixture
def customers(db):
    now = FrozenClock().now()
    with db.transaction() as session:
        session.add_all(Customer(display_name=name, tier="standard", created_at=now) for name in NAMES)
    with db.transaction() as session:
        return {customer.display_name: customer.id for customer in session.scalars(select(Customer))}


@pytest.mark.parametrize("names", [[], ["Ana"], ["Bo", "Bo", "nobody"], ["12", "it's \"quoted\"", "Ćiro ✓"], NAMES])
def test_it_finds_the_rows_an_in_of_the_values_finds(db, customers, names):
    with db.transaction() as session:
        found = session.scalars(BY_NAME, {"tier": "standard", "names": names}).all()
        ids = session.scalars(BY_ID, {"ids": [customers[name] for name in names if name in customers]}).all()
    assert found == ids == sorted({customers[name] for name in names if name in customers})


def test_a_statement_is_one_text_whatever_the_lists_length(db, customers):
    sent = []

    def selecting(_connection, _cursor, statement, *_args):
        if statement.startswith("SELECT"):
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", selecting)
    with db.transaction() as session:
        for count in (1, 2, 6):
            session.scalars(BY_ID, {"ids": list(customers.values())[:count]}).all()
    event.remove(db.engine, "before_cursor_execute", selecting)
    assert len(sent) == 3 and len(set(sent)) == 1, sent


def test_sqlite_searches_the_columns_index_for_each_value(sqlite_db):
    with sqlite_db.engine.connect() as connection:
        statement = str(BY_ID.compile(connection))
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", ("[1, 2]",)))
    assert "SEARCH customers USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
