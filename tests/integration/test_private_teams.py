"""Teams: tickets go to the team whose rule takes them, are routed to that
team's agents, and a private team's tickets are hidden from other teams'
agents (not from managers)."""

import pytest
from sqlalchemy import update

from config import load_settings
from listener.assignment import route
from store.accounts import create_agent
from store.models import Agent, Customer, Ticket
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
    return set(client.get("/inbox/rows?view=all").get_json()["ids"])


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


def api_of(world, team, name, email, role="agent"):
    """An API client and its token header for a new person of `team`."""
    agent_in(world, team, name, email, role=role)
    client = world.client()
    return client, {"Authorization": f"Bearer {world.token(client, email)}"}


def test_an_incident_shows_another_teams_agent_only_the_tickets_they_may_see(world, tickets):
    care, billing = tickets
    manager, manager_auth = api_of(world, "care", "Grace", "grace@example.com", role="manager")
    incident = manager.post("/api/v1/incidents", headers=manager_auth, json={"title": "payments down"}).get_json()
    manager.post(f"/api/v1/incidents/{incident['id']}/tickets", headers=manager_auth, json={"tickets": [care, billing]})
    ada, auth = api_of(world, "care", "Ada", "ada@example.com")

    shown = ada.get(f"/api/v1/incidents/{incident['id']}", headers=auth).get_json()
    assert [t["id"] for t in shown["tickets"]] == [care]
    assert (shown["linked_tickets"], shown["customers"]) == (1, 1)
    assert [i["linked_tickets"] for i in ada.get("/api/v1/incidents", headers=auth).get_json()["incidents"]] == [1]
    world.sign_in(ada, "ada@example.com")
    page = ada.get(f"/incidents/{incident['id']}").get_data(as_text=True)
    assert "Pat Jones" in page and "Bill Jones" not in page and f"/tickets/{billing}\"" not in page
    everything = manager.get(f"/api/v1/incidents/{incident['id']}", headers=manager_auth).get_json()
    assert [t["id"] for t in everything["tickets"]] == [care, billing]


def test_the_dashboard_shows_a_senior_only_the_late_tickets_they_may_see(world):
    care = world.ticket("parcel late", handle="pat", due_in=-5)
    billing = world.ticket("charged twice", handle="bill", due_in=-5)
    with world.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == billing).values(team="billing"))
    senior, auth = api_of(world, "care", "Sam", "sam@example.com", role="senior")

    late = senior.get("/api/v1/reports/now", headers=auth).get_json()["at_risk_and_breached"]
    assert [item["ticket_id"] for item in late] == [care]
    world.sign_in(senior, "sam@example.com")
    page = senior.get("/dashboard").get_data(as_text=True)
    assert "Pat Jones" in page and "Bill Jones" not in page
    manager, manager_auth = api_of(world, "care", "Grace", "grace@example.com", role="manager")
    everything = manager.get("/api/v1/reports/now", headers=manager_auth).get_json()["at_risk_and_breached"]
    assert {item["ticket_id"] for item in everything} == {care, billing}


def test_a_customer_seen_only_on_private_tickets_cannot_be_changed_or_linked(world, tickets):
    care, billing = tickets
    ada, auth = api_of(world, "care", "Ada", "ada@example.com")
    hidden, shown = world.customer_of(billing), world.customer_of(care)

    refused = ada.patch(f"/api/v1/customers/{hidden}", headers=auth, json={"tier": "vip"})
    assert refused.status_code == 404 and "Bill" not in refused.get_data(as_text=True)
    assert ada.post(f"/api/v1/customers/{shown}/link", headers=auth, json={"customer": hidden}).status_code == 404
    assert ada.post(f"/api/v1/customers/{hidden}/link", headers=auth, json={"customer": shown}).status_code == 404
    assert ada.patch(f"/api/v1/customers/{shown}", headers=auth, json={"tier": "vip"}).status_code == 200
    world.sign_in(ada, "ada@example.com")
    ada.post(f"/tickets/{care}/customer", data={"tier": "vip", "link": str(hidden)})
    with world.db.sessions() as session:
        assert session.get(Customer, hidden).tier == "standard"
        assert {i.customer_id for i in session.get(Customer, shown).identities} == {shown}
    bella, bella_auth = api_of(world, "billing", "Bella", "bella@example.com")
    assert bella.patch(f"/api/v1/customers/{hidden}", headers=bella_auth, json={"tier": "vip"}).status_code == 200


def test_a_private_teams_ticket_is_never_assigned_to_someone_who_cannot_see_it(world, tickets):
    care, billing = tickets
    admin, auth = api_of(world, "care", "Ann Admin", "ann@example.com", role="admin")
    _, _ = api_of(world, "care", "Carl", "carl@example.com")
    _, _ = api_of(world, "billing", "Bella", "bella@example.com")
    with world.db.sessions() as session:
        carl, bella = (session.query(Agent.id).filter(Agent.email == email).scalar()
                       for email in ("carl@example.com", "bella@example.com"))

    refused = admin.post(f"/api/v1/tickets/{billing}/assign", headers=auth, json={"agent": carl})
    assert refused.status_code == 422
    assert "Carl is not in team billing, whose tickets are private to it" in refused.get_json()["error"]["message"]
    assert admin.post(f"/api/v1/tickets/{billing}/assign", headers=auth, json={"agent": bella}).status_code == 200
    assert admin.post(f"/api/v1/tickets/{care}/assign", headers=auth, json={"agent": bella}).status_code == 200
    with world.db.sessions() as session:
        assert session.get(Ticket, billing).assignee_id == bella


def test_a_customer_is_not_merged_by_email_into_one_on_tickets_the_agent_may_not_see(world, tickets):
    care, billing = tickets
    hidden, shown = world.customer_of(billing), world.customer_of(care)
    manager, manager_auth = api_of(world, "care", "Max", "max@example.com", role="manager")
    assert manager.patch(f"/api/v1/customers/{hidden}", headers=manager_auth,
                         json={"email": "bill@example.com", "crm_id": "CRM-BILL"}).status_code == 200
    ada, auth = api_of(world, "care", "Ada", "ada@example.com")

    for field, value in (("email", "Bill@example.com"), ("crm_id", "CRM-BILL")):
        refused = ada.patch(f"/api/v1/customers/{shown}", headers=auth, json={field: value})
        assert refused.status_code == 409 and "CRM-BILL" not in refused.get_data(as_text=True)
        assert "a manager can link the two" in refused.get_json()["error"]["message"]
    with world.db.sessions() as session:
        assert (session.get(Customer, shown).email, session.get(Customer, shown).crm_id) == (None, None)
        assert {i.customer_id for i in session.get(Customer, shown).identities} == {shown}
    assert manager.patch(f"/api/v1/customers/{shown}", headers=manager_auth,
                         json={"email": "bill@example.com"}).get_json()["id"] == min(hidden, shown)


def test_an_agent_moved_out_of_a_private_team_hands_its_tickets_back(world, tickets):
    care, billing = tickets
    admin, auth = api_of(world, "care", "Ann Admin", "ann@example.com", role="admin")
    api_of(world, "billing", "Bella", "bella@example.com")
    with world.db.sessions() as session:
        bella = session.query(Agent.id).filter(Agent.email == "bella@example.com").scalar()
    for ticket in (billing, care):
        assert admin.post(f"/api/v1/tickets/{ticket}/assign", headers=auth, json={"agent": bella}).status_code == 200

    moved = admin.patch(f"/api/v1/admin/users/{bella}", headers=auth, json={"team": "care"})

    assert moved.status_code == 200 and moved.get_json()["handed_back"] == [billing]
    with world.db.sessions() as session:
        assert [session.get(Ticket, t).assignee_id for t in (billing, care)] == [None, bella]


def test_a_ticket_says_which_team_it_belongs_to(world, tickets):
    care, billing = tickets
    manager, auth = api_of(world, "care", "Max", "max@example.com", role="manager")
    listed_teams = {t["id"]: t["team"] for t in manager.get("/api/v1/tickets", headers=auth).get_json()["tickets"]}
    assert listed_teams == {care: "care", billing: "billing"}
    assert manager.get(f"/api/v1/tickets/{billing}", headers=auth).get_json()["team"] == "billing"
