"""Follow-up outcomes on the dashboard and under /api/v1/reports/outcomes."""

import pytest

from store.events import record_event
from store.models import Ticket


@pytest.fixture
def manager_auth(world):
    world.agent("Grace Hopper", "grace@example.com", role="manager")
    return {"Authorization": f"Bearer {world.token(world.client(), 'grace@example.com')}"}


def followed_up(world, answer):
    ticket_id = world.ticket("Parcel lost again", handle=f"c{answer}")
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.topic = "delivery"
        for kind, detail in (("resolved", {}), ("followup_sent", {}), ("followup_answered", {"outcome": answer})):
            record_event(session, ticket, kind, world.clock.now(), **detail)
        if answer == "unsatisfied":
            record_event(session, ticket, "reopened", world.clock.now())
    return ticket_id


def test_the_api_reports_outcomes_by_platform(world, manager_auth):
    followed_up(world, "satisfied")
    followed_up(world, "unsatisfied")
    world.clock.advance(minutes=1)
    response = world.client().get("/api/v1/reports/outcomes?group_by=platform", headers=manager_auth)
    assert response.status_code == 200
    [group] = response.get_json()["groups"]
    assert (group["key"], group["followups_sent"], group["answered"], group["satisfied"], group["unsatisfied"],
            group["reopen_rate"], group["negative_to_positive_customers"]) == ("x", 2, 2, 1, 1, 0.5, 1)


def test_bad_grouping_and_agents_are_refused(world, ada, manager_auth):
    bad = world.client().get("/api/v1/reports/outcomes?group_by=priority", headers=manager_auth)
    assert bad.status_code == 400 and "'group_by' must be one of agent" in bad.get_json()["error"]["message"]
    agent = {"Authorization": f"Bearer {world.token(world.client())}"}
    assert world.client().get("/api/v1/reports/outcomes", headers=agent).status_code == 403


def test_the_dashboard_shows_the_outcomes(world, manager_auth):
    followed_up(world, "satisfied")
    world.clock.advance(minutes=1)
    client = world.client()
    world.sign_in(client, "grace@example.com")
    page = client.get("/dashboard?outcomes_by=topic").get_data(as_text=True)
    assert page.count('<h2 id="outcomes-title">Follow-up outcomes</h2>') == 1
    assert page.count('<h2 id="corrections-title">') == page.count('<h2 id="trends-title">') == 1
    assert '<th scope="row">delivery</th>' in page
