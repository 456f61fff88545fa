"""A page of posts is written at once: one statement per table whatever
its size, new tickets inserted once with their assignee, every event
written, and the same guarantees as post by post (a post twice in a page
stored once, a post joining the ticket raised for an earlier one of the
same page, two intakes of the same page storing it once)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select, text

from listener.intake import Intake
from store.accounts import create_agent
from store.models import Event, Mention, Ticket
from tests.integration.loop_helpers import post

COMPLAINT = "My order never arrived and nobody answers, awful service."


class Statements:
    """The SQL statements sent while the block runs, and the flushes."""

    def __init__(self, db):
        self.db = db
        self.sent: list[str] = []

    def __enter__(self):
        event.listen(self.db.engine, "before_cursor_execute", self._sent)
        return self

    def __exit__(self, *_exc):
        event.remove(self.db.engine, "before_cursor_execute", self._sent)

    def _sent(self, _conn, _cursor, statement, *_args):
        self.sent.append(" ".join(statement.split()))

    def starting(self, prefix: str) -> list[str]:
        return [s for s in self.sent if s.startswith(prefix)]

    def inserting(self, table: str) -> list[str]:
        """The statements inserting into `table`: INSERTs, or on PostgreSQL COPYs."""
        return self.starting(f"INSERT INTO {table} ") + self.starting(f"COPY {table} ")


def page(size: int, authors: int, start: int = 0) -> list:
    return [post(f"{COMPLAINT} (order {n})", f"customer{n % authors}", external_id=f"p{n}")
            for n in range(start, start + size)]


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def agent(db, clock, email="robin@example.com"):
    with db.transaction() as session:
        return create_agent(session, name="Robin", email=email, password="pw", role="agent", presence="online",
                            capacity=1000, now=clock.now()).id


def test_a_page_takes_as_many_statements_whatever_its_size(db, settings, clock, monkeypatch):
    # Where autovacuum is off, a page may also gather the planner's
    # statistics, by what earlier tests changed (tests/integration/test_planner_statistics.py).
    monkeypatch.setattr("store.planner_statistics.analyze_stale_tables", lambda session: [])
    agent(db, clock)
    intake = Intake(settings)
    sent = []
    for size, start in ((10, 0), (60, 100)):
        with db.transaction() as session:
            intake.ingest(session, page(size, authors=size // 2, start=start), clock.now())
        with db.transaction() as session, Statements(db) as statements:
            report = intake.ingest(session, page(size, authors=size // 2, start=start + 1000), clock.now())
        assert report.stored == size and report.threaded == size
        sent.append(len(statements.sent))
    assert sent[0] == sent[1]


def test_new_tickets_are_inserted_once_with_their_assignee_and_their_events(db, settings, clock):
    robin = agent(db, clock)
    with db.transaction() as session, Statements(db) as statements:
        report = Intake(settings).ingest(session, page(6, authors=3), clock.now())

    assert (report.stored, report.tickets_raised, report.threaded) == (6, 3, 3)
    assert len(statements.inserting("tickets")) == 1
    assert statements.starting("UPDATE tickets") == []
    assert len(statements.inserting("mentions")) == 1
    assert len(statements.inserting("events")) == 1
    with db.transaction() as session:
        tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        assert [t.id for t in tickets] == report.ticket_ids
        assert [t.assignee_id for t in tickets] == [robin] * 3
        assert all(t.next_due_at == t.first_response_due_at is not None for t in tickets)
        for ticket in tickets:
            assert [m.external_id for m in ticket.mentions] == sorted(m.external_id for m in ticket.mentions)
            assert len(ticket.mentions) == 2
            kinds = [e.kind for e in ticket.events]
            assert kinds[:2] == ["raised", "assigned"] and kinds.count("customer_wrote") == 1
            assert [e.mention_id for e in ticket.events if e.kind == "raised"] == [ticket.mentions[0].id]


def test_a_post_twice_in_one_page_is_stored_once(db, settings, clock):
    twice = post(COMPLAINT, "ann", external_id="same")
    with db.transaction() as session:
        report = Intake(settings).ingest(session, [twice, post("Still waiting.", "ann"), twice], clock.now())
    assert (report.stored, report.duplicates) == (2, 1)
    assert count(db, Mention, Mention.external_id == "same") == 1


def test_the_tickets_a_page_joins_are_read_again_afterwards(db, settings, clock):
    intake = Intake(settings)
    with db.transaction() as session:
        intake.ingest(session, [post(COMPLAINT, "ann")], clock.now())
    with db.transaction() as session:
        ticket = session.scalar(select(Ticket))
        assert len(ticket.mentions) == 1
        intake.ingest(session, [post("Still nothing, third week.", "ann")], clock.now())
        assert len(ticket.mentions) == 2
        assert [e.kind for e in ticket.events].count("customer_wrote") == 1
        assert ticket not in session.dirty


def waiting_for_first(db) -> None:
    """Until another transaction waits for a lock (at most ten seconds)."""
    with db.engine.connect() as connection:
        for _ in range(200):
            if connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND wait_event_type = 'Lock'")).scalar():
                return
            time.sleep(0.05)


@pytest.mark.postgres
def test_a_page_racing_another_intake_of_the_same_posts_is_stored_once(postgres_db, settings, clock):
    """The second intake waits on the first's uncommitted posts, then finds
    them stored: nothing is doubled, nothing lost, no event written twice."""
    agent(postgres_db, clock)
    intake = Intake(settings)
    with postgres_db.transaction() as session:
        intake.ingest(session, page(4, authors=4), clock.now())
    first, second = page(20, authors=8, start=10), page(20, authors=8, start=20)
    reports = {}

    def take_second():
        with postgres_db.transaction() as session:
            reports["second"] = intake.ingest(session, second, clock.now())

    with postgres_db.transaction() as session:
        reports["first"] = intake.ingest(session, first, clock.now())
        racer = threading.Thread(target=take_second)
        racer.start()
        waiting_for_first(postgres_db)
    racer.join(30)

    assert not racer.is_alive()
    assert reports["first"].stored == 20
    assert reports["second"].stored + reports["second"].duplicates == 20
    assert reports["second"].quarantined == 0
    assert count(postgres_db, Mention) == 4 + 30
    with postgres_db.transaction() as session:
        written = session.execute(select(Event.mention_id, func.count()).where(Event.kind.in_(
            ("raised", "customer_wrote"))).group_by(Event.mention_id)).all()
    assert len(written) == 4 + 30 and all(n == 1 for _mention, n in written)


def test_sqlite_reads_the_events_of_the_tickets_a_page_joins_through_the_tickets_index(sqlite_db, settings, clock):
    """Not through the index on the events' kinds, which would read every
    event of those kinds, however many tickets there are."""
    agent(sqlite_db, clock)
    intake = Intake(settings)
    with sqlite_db.transaction() as session:
        intake.ingest(session, page(10, authors=5), clock.now())
    read = []

    def reading_events(_conn, _cursor, statement, parameters, *_args):
        if statement.startswith("SELECT events."):
            read.append((statement, parameters))

    event.listen(sqlite_db.engine, "before_cursor_execute", reading_events)
    try:
        with sqlite_db.transaction() as session:
            intake.ingest(session, page(10, authors=5, start=100), clock.now())
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", reading_events)
    [(statement, parameters)] = read
    with sqlite_db.engine.connect() as connection:
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "ix_events_ticket_id" in plan and "ix_events_kind_at" not in plan, plan
