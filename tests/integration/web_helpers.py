"""A web app over a test database (the `db` or `sqlite_db` fixtures of
tests/conftest.py), and records to show in it."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config import FrozenClock, load_settings
from store.accounts import create_agent
from store.db import Database
from store.models import Customer, Event, Identity, Mention, Reply, Ticket
from tests import TEST_SECRET_KEY
from web import create_app

PASSWORD = "correct horse battery"


@dataclass
class World:
    app: Flask
    db: Database
    clock: FrozenClock
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def agent(self, name: str = "Ada Lovelace", email: str = "ada@example.com", role: str = "agent") -> int:
        with self.db.transaction() as session:
            return create_agent(session, name=name, email=email, password=PASSWORD, role=role,
                                now=self.clock.now()).id

    def ticket(self, text: str = "My order never arrived", *, due_in: float | None = 60, status: str = "new",
               priority: str = "normal", platform: str = "x", assignee_id: int | None = None,
               customer_id: int | None = None, handle: str = "sam", url: str = "https://x.example/sam/1",
               opened_minutes_ago: float = 0, reasons: tuple[str, ...] = ("negative sentiment",),
               kind: str = "post") -> int:
        """A ticket with one customer post; `due_in` minutes until the first answer is due."""
        n = next(self._ids)
        now = self.clock.now()
        opened = now - timedelta(minutes=opened_minutes_ago)
        with self.db.transaction() as session:
            if customer_id is None:
                customer = Customer(display_name=f"{handle.title()} Jones", created_at=opened)
                identity = Identity(customer=customer, platform=platform, platform_user_id=f"u{n}",
                                    handle=handle, name=f"{handle.title()} Jones", followers=120)
            else:
                customer = session.get(Customer, customer_id)
                identity = customer.identities[0]
            ticket = Ticket(customer=customer, platform=platform, status=status, priority=priority,
                            first_response_due_at=None if due_in is None else now + timedelta(minutes=due_in),
                            resolution_due_at=now + timedelta(days=3), assignee_id=assignee_id,
                            assignment_reason="least busy agent" if assignee_id else None,
                            resolved_at=now if status == "resolved" else None,
                            created_at=opened, updated_at=opened)
            session.add(Mention(platform=platform, external_id=f"m{n}", kind=kind, identity=identity, text=text,
                                url=url, created_at=opened, received_at=opened, sentiment="negative",
                                polarity=-0.6, urgency=0.45, needs_response=True, priority=priority,
                                topic="delivery", reasons=list(reasons), ticket=ticket))
            session.flush()
            return ticket.id

    def failed_reply(self, ticket_id: int, error: str = "X said: duplicate content") -> int:
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            reply = Reply(ticket=ticket, mention=ticket.mentions[-1], body="Sorry about that!", status="failed",
                          attempts=3, last_error=error, created_at=self.clock.now())
            session.add(reply)
            session.flush()
            return reply.id

    def replies(self) -> list[Reply]:
        with self.db.sessions() as session:
            return list(session.scalars(select(Reply).order_by(Reply.id)))

    def events(self, ticket_id: int, kind: str) -> list[Event]:
        with self.db.sessions() as session:
            return list(session.scalars(select(Event).where(Event.ticket_id == ticket_id, Event.kind == kind)))

    def customer_of(self, ticket_id: int) -> int:
        with self.db.sessions() as session:
            return session.get(Ticket, ticket_id).customer_id

    def ticket_status(self, ticket_id: int) -> str:
        with self.db.sessions() as session:
            return session.get(Ticket, ticket_id).status

    def sign_in(self, client: FlaskClient, email: str = "ada@example.com"):
        return client.post("/login", data={"email": email, "password": PASSWORD})

    def token(self, client: FlaskClient, email: str = "ada@example.com") -> str:
        response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]


def make_world(db: Database, clock: FrozenClock, *, csrf: bool = False, timezone: str = "UTC",
               scheduler_status=None, accounts: dict | None = None, teams: dict | None = None,
               web: dict | None = None, alerts: dict | None = None) -> World:
    """The app over a migrated database; CSRF checks are off unless asked for."""
    settings = load_settings(env={}, overrides={
        "database": {"url": db.url},
        "web": {"secret_key": TEST_SECRET_KEY, "timezone": timezone, **(web or {})},
        "accounts": accounts or {},
        **({"alerts": alerts} if alerts else {}),
        **({"teams": teams} if teams else {}),
    })
    app = create_app(settings, db=db, clock=clock, scheduler_status=scheduler_status)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=csrf)
    return World(app, db, clock)


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)
