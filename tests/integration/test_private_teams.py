"""Teams: tickets go to the team whose rule takes them, are routed to that
team's agents, and a private team's tickets are hidden from other teams'
agents (not from managers)."""

import pytest
from sqlalchemy import update

from config import load_settings
from listener.assignment import route
from store.accounts import create_agent
from store.models import Agent, Ticket
from tests.integration.web_helpers import make_world

TEAMS = {"care": {}, "billing": {"topics": ["billing_or_refund"], "private": True}}


@pytest.fixture
def world(db, clock):
    return make_world(db, clock, teams=TEAMS)


@pytest.fixture
def tickets(world):
    care = world.ticket("parcel late", handle="pat")
    billing = world.ticket("charged twice", handle="bill")
    with world.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == billing).values(team="billing"))
    return care, billing


def agent_in(world, team, name, email, role="agent"):
    agent_id = world.agent(name, email, role=role)
    with world.db.transaction() as session:
        session.execute(update(Agent).where(Agent.id == agent_id).values(team=team))
    client = world.client()
    world.sign_in(client, email)
    return client


def listed(client) -> set[str]:
    return set(client.get("/inbox/rows").get_json()["ids"])


def test_a_private_teams_tickets_are_hidden_from_other_teams_agents(world, tickets):
    care, billing = tickets
    ada = agent_in(world, "care", "Ada", "ada@example.com")
    assert listed(ada) == {care}
    assert ada.get(f"/tickets/{billing}").status_code == 404
    assert ada.post(f"/tickets/{billing}/resolve").status_code == 404
    page = ada.post("/inbox/bulk", data={"action": "resolve", "tickets": [billing]}, follow_redirects=True)
    assert f"ticket {billing} does not exist" in page.get_data(as_text=True)
    assert world.ticket_status(billing) == "new"
    token = {"Authorization": f"Bearer {world.token(world.client())}"}
    api = world.client()
    assert api.post(f"/api/v1/tickets/{billing}/no-response-needed", headers=token).status_code == 404
    assert api.get(f"/api/v1/tickets/{billing}", headers=token).status_code == 404
    assert api.post(f"/api/v1/tickets/{billing}/resolve", headers=token).status_code == 404
    assert [t["id"] for t in api.get("/api/v1/tickets", headers=token).get_json()["tickets"]] == [care]


def test_the_private_team_and_managers_see_everything_they_may(world, tickets):
    care, billing = tickets
    bella = agent_in(world, "billing", "Bella", "bella@example.com")
    grace = agent_in(world, "care", "Grace", "grace@example.com", role="manager")
    assert listed(bella) == {care, billing}
    assert listed(grace) == {care, billing}
    assert grace.get(f"/tickets/{billing}").status_code == 200


def test_a_ticket_goes_to_the_team_whose_rule_takes_it():
    settings = load_settings(env={}, overrides={"teams": {
        "care": {}, "billing": {"topics": ["billing_or_refund"]}, "social": {"platforms": ["reddit"]}}})
    assert settings.team_for("x", "billing_or_refund") == "billing"
    assert settings.team_for("reddit", "delivery") == "social"
    assert settings.team_for("x", "delivery") == "care"
    assert settings.private_teams() == ()


def test_routing_keeps_to_the_tickets_team(world, db, clock, tickets):
    _, billing = tickets
    with db.transaction() as session:
        create_agent(session, name="Idle care agent", email="c@example.com", password="pw", role="agent",
                     presence="online", now=clock.now())
        biller = create_agent(session, name="Busy biller", email="b@example.com", password="pw", role="agent",
                              presence="online", now=clock.now())
        biller.team = "billing"
        session.flush()
        ticket = session.get(Ticket, billing)
        route(session, ticket, load_settings(env={}).routing, clock.now())
        assert ticket.assignee_id == biller.id
