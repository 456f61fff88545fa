"""Incidents in the web and under /api/v1/incidents: managers open, link and
fix; everyone can see them; agents cannot change them."""

import re

import pytest
from sqlalchemy import select

from store.models import Incident, Reply

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def manager(world):
    return world.agent("Grace Hopper", "grace@example.com", role="manager")


@pytest.fixture
def api(world, manager):
    client = world.client()
    return client, {"Authorization": f"Bearer {world.token(client, 'grace@example.com')}"}


def test_a_manager_opens_an_incident_and_matching_open_tickets_join(world, api):
    client, auth = api
    matching = [world.ticket("Payment failed at checkout", handle=f"p{n}") for n in range(2)]
    world.ticket("Parcel is late", handle="other")

    response = client.post("/api/v1/incidents", headers=auth, json={"title": "payment outage 14:00",
                                                                  "keywords": ["payment"]})
    assert response.status_code == 201
    created = response.get_json()
    assert [t["id"] for t in created["tickets"]] == matching
    assert (created["linked_tickets"], created["customers"], created["platforms"]) == (2, 2, {"x": 2})

    listed = client.get("/api/v1/incidents", headers=auth).get_json()["incidents"]
    assert [(i["id"], i["title"], i["status"], i["linked_tickets"]) for i in listed] == [
        (created["id"], "payment outage 14:00", "open", 2)]
    assert client.get("/api/v1/incidents?status=fixed", headers=auth).get_json() == {"incidents": []}


def test_linking_by_hand_and_fixing_through_the_api(world, api):
    client, auth = api
    first, second = world.ticket("Nothing works", handle="a"), world.ticket("Still nothing", handle="b")
    incident = client.post("/api/v1/incidents", headers=auth, json={"title": "app down"}).get_json()

    linked = client.post(f"/api/v1/incidents/{incident['id']}/tickets", headers=auth, json={"tickets": [first, second]})
    assert linked.status_code == 200 and linked.get_json()["linked"] == [first, second]

    fixed = client.post(f"/api/v1/incidents/{incident['id']}/fix", headers=auth,
                        json={"message": "The app is back. Sorry for the trouble!"})
    assert fixed.status_code == 200
    assert fixed.get_json()["queued"] == fixed.get_json()["resolved"] == [first, second]
    assert fixed.get_json()["incident"]["status"] == "fixed"
    assert [(r.ticket_id, r.purpose, r.status) for r in world.replies()] == [
        (first, "broadcast", "queued"), (second, "broadcast", "queued")]
    assert world.ticket_status(first) == world.ticket_status(second) == "resolved"

    again = client.post(f"/api/v1/incidents/{incident['id']}/fix", headers=auth, json={"message": "again"})
    assert again.status_code == 409
    assert len(world.replies()) == 2
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth).get_json()
    assert [t["update"]["status"] for t in detail["tickets"]] == ["queued", "queued"]


def test_a_failed_update_is_retried_for_that_customer_alone(world, api):
    client, auth = api
    first, second = world.ticket("Nothing works", handle="a"), world.ticket("Still nothing", handle="b")
    incident = client.post("/api/v1/incidents", headers=auth, json={"title": "app down"}).get_json()
    client.post(f"/api/v1/incidents/{incident['id']}/tickets", headers=auth, json={"tickets": [first, second]})
    client.post(f"/api/v1/incidents/{incident['id']}/fix", headers=auth, json={"message": "Fixed now."})
    with world.db.transaction() as session:
        failed = session.scalar(select(Reply).where(Reply.ticket_id == second))
        failed.status, failed.last_error = "failed", "the post was deleted"

    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth).get_json()
    assert [(t["id"], t["update"]["status"], t["update"]["last_error"]) for t in detail["tickets"]] == [
        (first, "queued", None), (second, "failed", "the post was deleted")]
    retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth)
    assert retried.get_json() == {"retried": [second]}
    assert [r.status for r in world.replies()] == ["queued", "queued"]


@pytest.mark.parametrize("body, status, message", [
    ({"title": ""}, 422, "give the incident a title"),
    ({"title": "x", "keywords": "payment"}, 400, "'keywords' must be a list of strings"),
    ({"title": "x", "since": "yesterday"}, 400, "'since' must be an ISO 8601 date-time"),
    ({"title": 5}, 400, "'title' and 'topic' must be strings"),
])
def test_bad_input_is_refused_with_a_json_error_and_changes_nothing(world, api, body, status, message):
    client, auth = api
    response = client.post("/api/v1/incidents", headers=auth, json=body)
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]
    with world.db.transaction() as session:
        assert session.scalars(select(Incident)).all() == []


def test_agents_can_see_incidents_but_not_change_them(world, ada, api, client):
    manager_client, auth = api
    incident = manager_client.post("/api/v1/incidents", headers=auth, json={"title": "app down"}).get_json()
    agent_auth = {"Authorization": f"Bearer {world.token(world.client())}"}
    agent_api = world.client()

    assert agent_api.get("/api/v1/incidents", headers=agent_auth).status_code == 200
    assert agent_api.post("/api/v1/incidents", headers=agent_auth, json={"title": "x"}).status_code == 403
    assert agent_api.post(f"/api/v1/incidents/{incident['id']}/fix", headers=agent_auth,
                          json={"message": "x"}).status_code == 403
    assert client.get(f"/incidents/{incident['id']}").status_code == 200
    assert client.post("/incidents", data={"title": "mine"}).status_code == 403
    assert client.post(f"/incidents/{incident['id']}/fix", data={"message": "x"}).status_code == 403


def test_the_pages_show_incidents_with_customer_text_escaped(world, manager):
    client = world.client()
    world.sign_in(client, "grace@example.com")
    ticket = world.ticket(f"Payment broken {HOSTILE}", handle="mallory")
    created = client.post("/incidents", data={"title": f"outage {HOSTILE}", "keywords": "payment"})
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "outage &lt;script&gt;" in page and HOSTILE not in page
    assert f"#{ticket}" in page and "1 customer, 1 ticket" in page

    fixed = client.post(created.headers["Location"] + "/fix", data={"message": "All fixed, sorry!"},
                        follow_redirects=True)
    assert "Update queued for 1 customer(s)" in fixed.get_data(as_text=True)
    listing = client.get("/incidents").get_data(as_text=True)
    assert "fixed" in listing and HOSTILE not in listing


def test_the_list_names_platforms_as_people_read_them_and_keeps_each_time_on_one_line(world, manager):
    client = world.client()
    world.sign_in(client, "grace@example.com")
    world.ticket("Payment broken", handle="mallory", platform="facebook")
    client.post("/incidents", data={"title": "outage", "keywords": "payment"})

    listing = client.get("/incidents").get_data(as_text=True)

    assert "<td>Facebook 1</td>" in listing
    assert re.search(r'<td class="when">\d{4}-\d\d-\d\d \d\d:\d\d\xa0UTC</td>', listing)
