"""The JSON API under /api/v1, on SQLite and PostgreSQL."""

import pytest

from tests.integration.web_helpers import PASSWORD


@pytest.fixture
def client(world, ada):
    return world.client()


@pytest.fixture
def auth(world, client):
    return {"Authorization": f"Bearer {world.token(client)}"}


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_it_issues_a_token_for_the_right_password(client):
    response = client.post("/api/v1/tokens", json={"email": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 201
    token = response.get_json()["token"]
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_it_refuses_a_token_for_a_wrong_password(client):
    response = client.post("/api/v1/tokens", json={"email": "ada@example.com", "password": "nope"})

    assert response.status_code == 401
    assert response.get_json() == {"error": {"status": 401, "message": "wrong email or password"}}


@pytest.mark.parametrize("request_body", [{"data": "email=ada@example.com"}, {"json": {"email": "ada@example.com"}},
                                          {"json": ["ada@example.com", PASSWORD]}])
def test_it_refuses_a_token_request_without_email_and_password_in_json(client, request_body):
    response = client.post("/api/v1/tokens", **request_body)

    assert response.status_code == 400
    assert error_of(response)["status"] == 400


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWRhOng="}])
def test_it_answers_401_without_a_valid_token(client, headers):
    response = client.get("/api/v1/tickets", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_it_lists_open_tickets_soonest_due_first_with_a_total(world, client, auth):
    later = world.ticket("later", due_in=90)
    pending = world.ticket("pending", status="pending")
    sooner = world.ticket("sooner", due_in=10)
    world.ticket("done", status="resolved")

    body = client.get("/api/v1/tickets", headers=auth).get_json()

    assert [t["id"] for t in body["tickets"]] == [sooner, later, pending]
    assert body["total"] == 3


def test_it_gives_each_ticket_its_due_times_in_utc_and_time_left(world, client, auth, ada):
    ticket_id = world.ticket(due_in=-5, priority="urgent", assignee_id=ada)

    [ticket] = client.get("/api/v1/tickets", headers=auth).get_json()["tickets"]

    assert ticket["id"] == ticket_id
    assert ticket["first_response_due_at"] == "2026-01-05T08:55:00Z"
    assert ticket["created_at"] == "2026-01-05T09:00:00Z"
    assert ticket["breached"] is True
    assert ticket["time_left_seconds"] == -300
    assert ticket["assignee"] == {"id": ada, "email": "ada@example.com", "name": "Ada Lovelace"}
    assert ticket["assignment_reason"] == "least busy agent"
    assert ticket["customer"]["display_name"] == "Sam Jones"


def test_it_filters_tickets_by_status_priority_platform_and_assignee(world, client, auth, ada):
    mine = world.ticket("mine", priority="urgent", assignee_id=ada)
    unassigned = world.ticket("unassigned", priority="urgent")
    on_reddit = world.ticket("reddit", platform="reddit", status="open")
    resolved = world.ticket("resolved", status="resolved", priority="low")

    def ids(query):
        response = client.get(f"/api/v1/tickets?{query}", headers=auth)
        assert response.status_code == 200, response.get_json()
        return sorted(t["id"] for t in response.get_json()["tickets"])

    assert ids("assignee=me") == [mine]
    assert ids(f"assignee={ada}") == [mine]
    assert ids("assignee=none&priority=urgent") == [unassigned]
    assert ids("platform=reddit") == [on_reddit]
    assert ids("status=resolved,open") == sorted([on_reddit, resolved])
    assert ids("status=resolved&status=open") == sorted([on_reddit, resolved])
    assert ids("status=resolved&priority=urgent") == []


@pytest.mark.parametrize("query, message", [
    ("status=bogus", "status: 'bogus' is not allowed; use one or more of new, open, pending, resolved, closed"),
    ("priority=asap", "priority: 'asap' is not allowed; use one or more of urgent, high, normal, low"),
    ("platform=myspace", "platform: 'myspace' is not allowed; use one or more of x, facebook, reddit, reviews, instagram"),
    ("assignee=bob", "assignee: 'bob' is not allowed; use an agent id, 'me' or 'none'"),
    ("limit=500", "limit: 500 is not allowed; use a whole number from 1 to 200"),
    ("offset=-1", "offset: '-1' is not allowed; use a whole number from 0 to 1000"),
    ("status=", "status: give one value or several separated by commas"),
])
def test_it_refuses_a_bad_filter_naming_the_parameter_and_what_it_allows(client, auth, query, message):
    response = client.get(f"/api/v1/tickets?{query}", headers=auth)

    assert response.status_code == 400
    assert response.get_json() == {"error": {"status": 400, "message": message}}


def test_it_pages_through_tickets_with_limit_and_offset(world, client, auth):
    ids = [world.ticket(f"t{n}", due_in=10 + n) for n in range(5)]

    body = client.get("/api/v1/tickets?limit=2&offset=2", headers=auth).get_json()

    assert [t["id"] for t in body["tickets"]] == ids[2:4]
    assert body["total"] == 5


def test_it_shows_a_ticket_with_its_posts_replies_events_and_customer(world, client, auth, ada):
    ticket_id = world.ticket("Charged twice!", assignee_id=ada, reasons=("keyword: charged twice",))
    client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Refunding now."}, headers=auth)

    ticket = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()

    assert ticket["assignee"] == {"id": ada, "email": "ada@example.com", "name": "Ada Lovelace"}
    [mention] = ticket["mentions"]
    assert mention["text"] == "Charged twice!"
    assert mention["author"] == {"handle": "sam", "name": "Sam Jones", "followers": 120}
    assert mention["reasons"] == ["keyword: charged twice"]
    assert {"sentiment", "polarity", "urgency", "needs_response", "priority", "topic", "url", "kind",
            "external_id", "platform", "created_at", "id"} <= set(mention)
    [reply] = ticket["replies"]
    assert (reply["body"], reply["status"], reply["attempts"]) == ("Refunding now.", "queued", 0)
    assert reply["sent_at"] is None
    [event] = ticket["events"]
    assert (event["kind"], event["actor"], event["at"]) == ("reply_queued", "ada@example.com", "2026-01-05T09:00:00Z")
    assert event["detail"]["reply_id"] == reply["id"]
    assert ticket["customer"]["tier"] == "standard"
    assert ticket["customer"]["identities"][0]["handle"] == "sam"


def test_it_answers_404_in_json_for_an_unknown_ticket(client, auth):
    response = client.get("/api/v1/tickets/999", headers=auth)

    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": "ticket 999 does not exist"}}


def test_it_answers_404_and_405_in_json_for_unknown_routes_and_methods(client, auth):
    unknown = client.get("/api/v1/nothing-here", headers=auth)
    wrong_method = client.delete("/api/v1/tickets", headers=auth)

    assert unknown.status_code == 404 and error_of(unknown)["status"] == 404
    assert wrong_method.status_code == 405 and error_of(wrong_method)["status"] == 405
    assert "GET" in wrong_method.headers["Allow"]


def test_it_queues_a_reply_and_reports_its_state(world, client, auth):
    ticket_id = world.ticket()

    response = client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "We are on it."}, headers=auth)

    assert response.status_code == 202
    queued = response.get_json()
    assert (queued["status"], queued["ticket_id"]) == ("queued", ticket_id)
    reply = client.get(f"/api/v1/replies/{queued['id']}", headers=auth).get_json()
    assert (reply["id"], reply["ticket_id"], reply["body"], reply["status"]) == (queued["id"], ticket_id,
                                                                               "We are on it.", "queued")
    assert reply["created_at"] == "2026-01-05T09:00:00Z"


def test_it_queues_once_per_idempotency_key(world, client, auth):
    ticket_id = world.ticket()
    headers = {**auth, "Idempotency-Key": "retry-safe-1"}

    first = client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Hi"}, headers=headers)
    second = client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Hi"}, headers=headers)

    assert first.get_json()["id"] == second.get_json()["id"]
    assert len(world.replies()) == 1

    other = client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Something else"}, headers=headers)
    assert other.status_code == 409
    assert other.get_json()["error"]["message"] == (
        f"this idempotency key was used for another reply (reply {first.get_json()['id']})")
    assert [r.body for r in world.replies()] == ["Hi"]


@pytest.mark.parametrize("status, payload, expected", [
    ("new", {"body": "x" * 281}, (422, "the reply counts 281 characters, 1 too many; X allows 280")),
    ("new", {"body": ""}, (400, "the reply is empty")),
    ("new", {"text": "wrong field"}, (400, "send a JSON object with the reply text as 'body'")),
    ("resolved", {"body": "Hello?"}, (409, "ticket {id} is resolved; reopen it to reply")),
])
def test_it_refuses_a_bad_reply_and_queues_nothing(world, client, auth, status, payload, expected):
    ticket_id = world.ticket(status=status)

    response = client.post(f"/api/v1/tickets/{ticket_id}/replies", json=payload, headers=auth)

    code, message = expected
    assert (response.status_code, error_of(response)["message"]) == (code, message.format(id=ticket_id))
    assert world.replies() == []


def test_it_answers_404_for_a_reply_to_an_unknown_ticket(world, client, auth):
    response = client.post("/api/v1/tickets/999/replies", json={"body": "Hello"}, headers=auth)

    assert response.status_code == 404
    assert world.replies() == []


def test_it_answers_404_for_an_unknown_reply(client, auth):
    assert client.get("/api/v1/replies/999", headers=auth).status_code == 404


def test_it_resolves_once_and_answers_409_the_second_time(world, client, auth):
    ticket_id = world.ticket()

    first = client.post(f"/api/v1/tickets/{ticket_id}/resolve", headers=auth)
    second = client.post(f"/api/v1/tickets/{ticket_id}/resolve", headers=auth)

    assert first.status_code == 200
    assert (first.get_json()["status"], first.get_json()["resolved_at"]) == ("resolved", "2026-01-05T09:00:00Z")
    assert first.get_json()["time_left_seconds"] is None
    assert second.status_code == 409
    assert error_of(second)["message"] == f"ticket {ticket_id} is already resolved"
    [event] = world.events(ticket_id, "resolved")
    assert event.actor == "ada@example.com"


def test_an_id_or_offset_too_large_for_the_database_is_refused_not_an_error(client, auth):
    assert client.get(f"/api/v1/tickets/{2**40}", headers=auth).status_code == 404
    assert client.delete(f"/api/v1/canned-responses/{2**31}", headers=auth).status_code == 404
    too_far = client.get(f"/api/v1/tickets?offset={2**40}", headers=auth)
    assert too_far.status_code == 400 and "offset" in too_far.get_json()["error"]["message"]
