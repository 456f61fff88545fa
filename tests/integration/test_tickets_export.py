"""GET /api/v1/tickets.csv: the inbox's filters, streamed, fetched in chunks."""

import csv
import io

from sqlalchemy import event, insert

from store.models import Customer, Ticket


def test_ten_thousand_tickets_stream_in_chunks(world, ada, db, clock):
    now = clock.now()
    with db.transaction() as session:
        customer = Customer(display_name="=Maria", created_at=now)
        session.add(customer)
        session.flush()
        session.execute(insert(Ticket), [
            dict(customer_id=customer.id, platform="x" if n % 2 else "facebook", status="open", priority="normal",
                 team="care", escalation_level=0, created_at=now, updated_at=now) for n in range(10_000)])
    client = world.client()
    auth = {"Authorization": f"Bearer {world.token(client)}"}
    selects = []
    listener = lambda conn, cursor, statement, *args: selects.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get("/api/v1/tickets.csv?platform=x", headers={**auth, "Accept-Encoding": "gzip"})
        assert response.is_streamed
        text = response.get_data(as_text=True)
        response.close()
        assert db.engine.pool.checkedout() == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5000
    assert {r["platform"] for r in rows} == {"x"}
    assert rows[0]["customer"] == "'=Maria"
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(set(ids))
    assert sum("FROM tickets" in s for s in selects) == 1


def test_the_query_is_read_a_chunk_at_a_time():
    from store.queries import TicketFilter, all_tickets

    class Session:
        def scalars(self, query):
            self.options = query.get_execution_options()
            return iter(())

    session = Session()
    list(all_tickets(session, TicketFilter(), chunk=500))
    assert session.options["yield_per"] == 500
