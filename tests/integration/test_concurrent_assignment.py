"""Capacity holds when two workers assign at once (PostgreSQL, where they
really run in parallel)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from listener.assignment import Roster, route_waiting_tickets
from store.accounts import create_agent
from store.db import Database
from store.models import Customer, Ticket


def test_two_workers_assigning_at_once_never_exceed_an_agents_capacity(postgres_db, postgres_url, settings, clock,
                                                                      monkeypatch):
    db = postgres_db
    now = clock.now()
    with db.transaction() as session:
        agent = create_agent(session, name="Robin", email="robin@example.com", password="pw", role="agent",
                             presence="online", capacity=3, now=now)
        for n in range(10):
            session.add(Ticket(customer=Customer(display_name=f"C{n}", created_at=now), platform="x", status="new",
                               priority="normal", team="care", first_response_due_at=now, created_at=now,
                               updated_at=now))
    both_read = threading.Barrier(2, timeout=2)
    read_roster = Roster.__init__

    def slow_roster(self, session):
        read_roster(self, session)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(Roster, "__init__", slow_roster)
    results, errors = [], []

    def worker():
        worker_db = Database(postgres_url)
        try:
            with worker_db.transaction() as session:
                results.append(route_waiting_tickets(session, settings.routing, now))
        except Exception as error:
            errors.append(error)
        finally:
            worker_db.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.assignee_id == agent.id)) == 3
    assert sorted(results) == [0, 3]
