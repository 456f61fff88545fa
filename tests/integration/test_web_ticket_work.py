"""Taking a ticket, changing its priority, waiting on the customer, and presence."""

from datetime import timedelta

from sqlalchemy import select

from store.models import Correction, Ticket


def api(world, client, email="ada@example.com"):
    return {"Authorization": f"Bearer {world.token(client, email)}"}


def test_an_agent_takes_a_ticket_and_the_reason_says_so(world, client, ada):
    ticket_id = world.ticket()
    client.post(f"/tickets/{ticket_id}/assign")
    [event] = world.events(ticket_id, "assigned")
    assert (event.detail["agent_id"], event.detail["reason"]) == (ada, "manual by Ada Lovelace")


def test_an_agent_cannot_give_a_ticket_to_someone_else(world, client, ada):
    other = world.agent("Bo Chen", "bo@example.com")
    ticket_id = world.ticket()
    response = client.post(f"/api/v1/tickets/{ticket_id}/assign", json={"agent": other}, headers=api(world, client))
    assert response.status_code == 403
    assert world.events(ticket_id, "assigned") == []


def test_a_senior_can_give_a_ticket_to_anyone(world, ada):
    world.agent("Sam Senior", "sam@example.com", role="senior")
    client = world.client()
    ticket_id = world.ticket()
    response = client.post(f"/api/v1/tickets/{ticket_id}/assign", json={"agent": ada},
                           headers=api(world, client, "sam@example.com"))
    assert response.status_code == 200
    assert response.get_json()["assignee"]["id"] == ada
    assert response.get_json()["assignment_reason"] == "manual by Sam Senior"


def test_changing_the_priority_recomputes_the_due_time_and_records_why(world, client, ada):
    ticket_id = world.ticket(priority="low")
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.sla_started_at = ticket.created_at
    response = client.post(f"/api/v1/tickets/{ticket_id}/priority",
                           json={"priority": "urgent", "reason": "customer mentions a fire"}, headers=api(world, client))
    assert response.status_code == 200
    body = response.get_json()
    assert body["priority"] == "urgent"
    assert body["first_response_due_at"].startswith((world.clock.now() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    [event] = world.events(ticket_id, "reprioritized")
    assert (event.detail["before"], event.detail["after"], event.detail["reason"]) == (
        "low", "urgent", "customer mentions a fire")


def test_a_priority_change_needs_a_known_priority_and_a_reason(world, client, ada):
    ticket_id = world.ticket(priority="low")
    headers = api(world, client)
    assert client.post(f"/api/v1/tickets/{ticket_id}/priority", json={"priority": "asap", "reason": "x"},
                       headers=headers).status_code == 400
    assert client.post(f"/api/v1/tickets/{ticket_id}/priority", json={"priority": "high", "reason": " "},
                       headers=headers).status_code == 400
    assert world.events(ticket_id, "reprioritized") == []


def test_waiting_on_the_customer_stops_the_clock(world, client, ada):
    ticket_id = world.ticket()
    response = client.post(f"/api/v1/tickets/{ticket_id}/pending", headers=api(world, client))
    assert response.get_json()["status"] == "pending"
    assert response.get_json()["time_left_seconds"] is None


def test_going_offline_hands_unanswered_tickets_back(world, client, ada):
    mine = world.ticket(assignee_id=ada)
    response = client.put("/api/v1/agents/me/presence", json={"presence": "offline"}, headers=api(world, client))
    assert response.get_json() == {"presence": "offline", "handed_back": [mine]}
    with world.db.transaction() as session:
        ticket = session.get(Ticket, mine)
        assert ticket.assignee_id is None
        assert ticket.assignment_reason == "handed back: Ada Lovelace went offline"


def test_an_unknown_presence_is_refused(world, client, ada):
    response = client.put("/api/v1/agents/me/presence", json={"presence": "lunch"}, headers=api(world, client))
    assert response.status_code == 400
    assert "online, away, offline" in response.get_json()["error"]["message"]


def test_the_ticket_page_offers_the_work_actions(world, client, ada):
    ticket_id = world.ticket()
    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Assign to me" in html and "Waiting on customer" in html and 'name="priority"' in html
    client.post(f"/tickets/{ticket_id}/priority", data={"priority": "high", "reason": "VIP"})
    assert "Ticket %d is reprioritized." % ticket_id in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_a_priority_change_is_recorded_as_a_correction_of_the_scorer(world, client, ada):
    ticket_id = world.ticket(priority="low")
    client.post(f"/api/v1/tickets/{ticket_id}/priority", json={"priority": "high", "reason": "legal threat"},
                headers=api(world, client))
    with world.db.transaction() as session:
        correction = session.scalar(select(Correction))
        assert (correction.field, correction.original, correction.corrected) == ("priority", "low", "high")
        assert correction.original_scores["sentiment"] == "negative"
        assert correction.agent_id == ada
