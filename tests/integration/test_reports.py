"""The managers' reports of the moment (at risk, load, volume), on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from store.models import Agent, Customer, Event, Identity, Mention, Ticket
from store.reports import agent_load, at_risk_and_breached, volume_by_platform
from store.sla import SlaClock


class Book:
    """Tickets with the events the listener and the outbox would record."""

    def __init__(self, db, clock):
        self.db, self.clock = db, clock

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def agent(self, name: str, email: str, *, capacity: int = 10, presence: str = "online",
              active: bool = True) -> int:
        with self.db.transaction() as session:
            agent = Agent(name=name, email=email, password_hash="-", role="agent", capacity=capacity,
                          presence=presence, active=active, created_at=self.now)
            session.add(agent)
            session.flush()
            return agent.id

    def ticket(self, minutes_ago: float = 60, *, platform: str = "x", team: str = "care", priority: str = "normal",
               due_after: float = 30, answered_after: float | None = None,
               status: str = "open", assignee_id: int | None = None) -> int:
        """A ticket raised `minutes_ago`, its first answer due `due_after`
        minutes later, answered `answered_after` minutes after it was raised."""
        raised = self.now - timedelta(minutes=minutes_ago)
        due = raised + timedelta(minutes=due_after)
        with self.db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=raised), platform=platform,
                            status=status, priority=priority, team=team, assignee_id=assignee_id,
                            first_response_due_at=due,
                            created_at=raised, updated_at=raised)
            session.add(ticket)
            session.add(Event(ticket=ticket, kind="raised", at=raised, detail={}))
            if answered_after is not None:
                answered = raised + timedelta(minutes=answered_after)
                ticket.first_response_at = answered
                session.add(Event(ticket=ticket, kind="replied", actor="ada@example.com", at=answered))
            session.flush()
            return ticket.id



@pytest.fixture
def book(db, clock):
    return Book(db, clock)


def test_it_lists_breached_and_at_risk_tickets_with_their_assignee_and_minutes(book, settings):
    ada = book.agent("Ada Lovelace", "ada@example.com")
    breached = book.ticket(minutes_ago=90, due_after=65, status="new", assignee_id=ada)
    at_risk = book.ticket(minutes_ago=50, due_after=60, status="new")
    book.ticket(minutes_ago=10, due_after=60, status="new")
    book.ticket(minutes_ago=90, due_after=30, status="resolved")
    paused = book.ticket(minutes_ago=90, due_after=30, status="pending")
    late_again = book.ticket(minutes_ago=200, due_after=30, answered_after=20)
    book.ticket(minutes_ago=200, due_after=30, answered_after=20)
    with book.db.transaction() as session:
        session.get(Ticket, paused).paused_at = book.now - timedelta(minutes=70)
        ticket = session.get(Ticket, late_again)
        ticket.sla_started_at = book.now - timedelta(minutes=65)
        ticket.next_response_due_at = book.now - timedelta(minutes=5)

    with book.db.sessions() as session:
        found = at_risk_and_breached(session, book.now, settings.sla.at_risk_share, SlaClock(settings)).items

    assert [(f["ticket_id"], f["state"], f["target"], f["minutes_over"], f["minutes_left"], f["assignee"])
            for f in found] == [
        (breached, "breached", "first_response", 25, None, "Ada Lovelace"),
        (late_again, "breached", "next_response", 5, None, None),
        (at_risk, "at_risk", "first_response", None, 10, None),
    ]


def test_a_ticket_is_not_at_risk_before_its_share_of_the_target_has_passed(book, settings):
    book.ticket(minutes_ago=44, due_after=60, status="new")

    with book.db.sessions() as session:
        assert at_risk_and_breached(session, book.now, 0.75, SlaClock(settings)).items == []


def test_agent_load_counts_each_active_agents_open_tickets_against_capacity(book):
    ada = book.agent("Ada Lovelace", "ada@example.com", capacity=2)
    book.agent("Bob Ross", "bob@example.com", capacity=5, presence="away")
    cy = book.agent("Cy Young", "cy@example.com", active=False)
    for status in ("new", "open", "pending", "resolved"):
        book.ticket(status=status, assignee_id=ada)
    book.ticket(assignee_id=cy)

    with book.db.sessions() as session:
        load = agent_load(session)

    assert [(a["name"], a["open"], a["capacity"], a["over_capacity"], a["presence"]) for a in load] == [
        ("Ada Lovelace", 3, 2, True, "online"), ("Bob Ross", 0, 5, False, "away")]


def test_volume_counts_tickets_and_mentions_per_platform_and_local_hour_over_a_day(book):
    paris = ZoneInfo("Europe/Paris")
    now = book.now
    assert now.astimezone(paris).hour == 10
    book.ticket(minutes_ago=30, platform="x")
    book.ticket(minutes_ago=50, platform="x")
    book.ticket(minutes_ago=10 * 60, platform="facebook")
    book.ticket(minutes_ago=25 * 60, platform="facebook")
    with book.db.transaction() as session:
        identity = Identity(customer=Customer(display_name="Maria", created_at=now), platform="x",
                            platform_user_id="u1")
        for n, minutes_ago in enumerate((5, 40, 70)):
            at = now - timedelta(minutes=minutes_ago)
            session.add(Mention(platform="x", external_id=f"m{n}", kind="post", identity=identity, text="hello",
                                created_at=at, received_at=now, sentiment="neutral", polarity=0.0, urgency=0.1,
                                needs_response=True))

    with book.db.sessions() as session:
        volume = volume_by_platform(session, now - timedelta(hours=24), now, paris, now=now)

    by_platform = {row["platform"]: row for row in volume["platforms"]}
    assert volume["bucket"] == "hour" and len(volume["buckets"]) == 24
    assert (volume["buckets"][0], volume["buckets"][14], volume["buckets"][23]) == (
        "01-04 10:00", "01-05 00:00", "01-05 09:00")
    assert list(by_platform) == ["facebook", "x"]
    assert by_platform["x"]["tickets"][23] == 2 and sum(by_platform["x"]["tickets"]) == 2
    assert by_platform["x"]["mentions"][23] == 2 and by_platform["x"]["mentions"][22] == 1
    assert by_platform["facebook"]["tickets"][14] == 1 and sum(by_platform["facebook"]["tickets"]) == 1
    assert sum(by_platform["facebook"]["mentions"]) == 0
