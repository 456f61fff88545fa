"""Every page and API route, walked as an agent and as a senior of another
team, shows nothing of a private team's ticket: not its id, its
customer's name or handle, its post or its reply, even when asked for by
id; and nothing asked of it by id changes it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from store.incidents import link_tickets, open_incident
from store.models import Agent, Customer, Identity, Mention, Reply, Ticket
from tests.integration.web_helpers import make_world

TEAMS = {"care": {}, "billing": {"topics": ["billing_or_refund"], "private": True}}
CUSTOMER, IDENTITY, TICKET, MENTION, REPLY = 90001, 90002, 90003, 90004, 90005
SECRETS = ("Wilhelmina Secretary", "wilhelmina_s", "charged twice for order 7741", "refund of 7741 is on its way")
IDS_SHOWN_AS = ('"id":{}', '"ticket_id":{}', '"customer_id":{}', '"mention_id":{}', '"reply_id":{}',
                '"in_reply_to":{}', '/tickets/{}"', "#{}<", "#{} ")
BY_ARGUMENT = {"ticket_id": TICKET, "customer_id": CUSTOMER, "mention_id": MENTION, "reply_id": REPLY}
LEFT_OUT = {"static", "auth.logout"}


@pytest.fixture
def world(db, clock):
    world = make_world(db, clock, teams=TEAMS)
    world.ticket("parcel late", handle="pat", due_in=-5)
    world.agent("Grace Hopper", "grace@example.com", role="manager")
    now = clock.now()
    with db.transaction() as session:
        customer = Customer(id=CUSTOMER, display_name=SECRETS[0], created_at=now)
        identity = Identity(id=IDENTITY, customer=customer, platform="x", platform_user_id="secret-user",
                            handle=SECRETS[1], name=SECRETS[0])
        ticket = Ticket(id=TICKET, customer=customer, platform="x", status="new", priority="high", team="billing",
                        first_response_due_at=now - timedelta(minutes=5), resolution_due_at=now + timedelta(days=3),
                        created_at=now, updated_at=now)
        mention = Mention(id=MENTION, platform="x", external_id="secret-post", kind="post", identity=identity,
                          text=SECRETS[2], url="https://x.example/w/1", created_at=now, received_at=now,
                          sentiment="negative", polarity=-0.6, urgency=0.5, needs_response=True, priority="high",
                          topic="billing_or_refund", reasons=["negative sentiment"], ticket=ticket)
        session.add_all([Reply(id=REPLY, ticket=ticket, mention=mention, body=SECRETS[3], status="failed",
                               attempts=3, last_error="X said no", created_at=now)])
        session.flush()
        manager = session.scalar(select(Agent).where(Agent.email == "grace@example.com"))
        incident = open_incident(session, title="payments down", topic=None, keywords=[], since=None,
                                 actor=manager.email, now=now)
        link_tickets(session, incident, list(session.scalars(select(Ticket))), manager.email, now, why="by hand")
        world.incident_id = incident.id
    return world


def leaks(text: str) -> list[str]:
    found = [secret for secret in SECRETS if secret.lower() in text.lower()]
    for record in (CUSTOMER, TICKET, MENTION, REPLY):
        found += [form.format(record) for form in IDS_SHOWN_AS if form.format(record) in text]
    return found


def address(rule, world) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "UnicodeConverter":
            values[name] = "acme"
        elif type(converter).__name__ == "AnyConverter":
            values[name] = min(converter.items)
        else:
            values[name] = BY_ARGUMENT.get(name, world.incident_id if name == "incident_id" else 999_999)
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("role", ["agent", "senior"])
def test_no_route_shows_or_changes_a_private_teams_ticket(world, role):
    world.agent("Carl", "carl@example.com", role=role)
    client = world.client()
    world.sign_in(client, "carl@example.com")
    token = {"Authorization": f"Bearer {world.token(world.client(), 'carl@example.com')}"}
    rules = sorted((r for r in world.app.url_map.iter_rules() if r.endpoint not in LEFT_OUT),
                   key=lambda r: ("GET" not in r.methods, r.rule))
    walked, found = 0, {}
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = address(rule, world)
            headers = token if path.startswith("/api/") else {}
            body = {"json": {}} if path.startswith("/api/") and method != "GET" else {}
            response = client.open(path, method=method, headers=headers, follow_redirects=True, **body)
            assert response.status_code < 500, (method, path, response.status_code)
            walked += 1
            if leaked := leaks(response.get_data(as_text=True)):
                found[f"{method} {path}"] = leaked
    assert walked > 80
    assert found == {}
    with world.db.sessions() as session:
        ticket = session.get(Ticket, TICKET)
        assert (ticket.status, ticket.assignee_id, ticket.priority, ticket.incident_id) == (
            "new", None, "high", world.incident_id)
        assert session.get(Customer, CUSTOMER).tier == "standard"
        assert session.get(Reply, REPLY).status == "failed"
