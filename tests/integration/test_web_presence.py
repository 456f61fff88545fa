"""An agent says from any page whether they are online, away or offline,
and signing out takes them offline: routing gives tickets only to agents
online."""

import pytest
from sqlalchemy import select

from store.models import Agent, Ticket
from tests.integration.web_helpers import make_world


@pytest.fixture
def world(sqlite_db, clock):
    world = make_world(sqlite_db, clock)
    world.agent()
    return world


def presence_of(world, email="ada@example.com"):
    with world.db.sessions() as session:
        return session.scalar(select(Agent.presence).where(Agent.email == email))


def test_every_page_shows_the_agents_presence_and_lets_them_change_it(world):
    client = world.client()
    world.sign_in(client)
    page = client.get("/inbox").get_data(as_text=True)
    assert 'action="/account/presence"' in page and '<option value="offline" selected>' in page

    response = client.post("/account/presence", data={"presence": "online", "next": "/mentions?platform=x"})

    assert response.headers["Location"] == "/mentions?platform=x"
    assert presence_of(world) == "online"
    assert "You are online: new tickets come to you." in client.get("/inbox").get_data(as_text=True)


def test_an_unknown_presence_is_refused_and_nothing_changes(world):
    client = world.client()
    world.sign_in(client)
    page = client.post("/account/presence", data={"presence": "busy"}, follow_redirects=True).get_data(as_text=True)
    assert "Not changed: presence must be one of online, away, offline, not &#39;busy&#39;." in page
    assert presence_of(world) == "offline"


def test_a_next_address_elsewhere_is_not_followed(world):
    client = world.client()
    world.sign_in(client)
    response = client.post("/account/presence", data={"presence": "away", "next": "https://evil.example/x"})
    assert response.headers["Location"] == "/inbox"
    assert presence_of(world) == "away"


def test_going_offline_hands_unanswered_tickets_back_and_says_so(world):
    with world.db.sessions() as session:
        ada = session.scalar(select(Agent.id).where(Agent.email == "ada@example.com"))
    ticket_id = world.ticket(assignee_id=ada)
    client = world.client()
    world.sign_in(client)
    client.post("/account/presence", data={"presence": "online"})

    page = client.post("/account/presence", data={"presence": "offline"}, follow_redirects=True).get_data(as_text=True)

    assert "You are offline: no new tickets come to you. 1 unanswered ticket(s) went back to the team queue." in page
    with world.db.sessions() as session:
        assert session.get(Ticket, ticket_id).assignee_id is None


def test_signing_out_takes_the_agent_offline(world):
    client = world.client()
    world.sign_in(client)
    client.post("/account/presence", data={"presence": "online"})

    client.post("/logout")

    assert presence_of(world) == "offline"
