"""What the databases cannot store is refused before it reaches them: a
NUL character in a query, form or JSON body, and a whole number beyond
their integers (400, naming where); an unknown or foreign saved view is
not deleted (404); HEAD on the sign-in page is not a failed sign-in."""

import pytest
from sqlalchemy import func, select

from store.models import AuditEntry, LoginFailure, SavedView

TOO_BIG = 2**63


@pytest.fixture
def auth(world, ada):
    return {"Authorization": f"Bearer {world.token(world.client())}"}


@pytest.fixture
def manager_auth(world):
    world.agent("Grace Hopper", "grace@example.com", role="manager")
    return {"Authorization": f"Bearer {world.token(world.client(), 'grace@example.com')}"}


def refusal(response) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    return response.get_json()["error"]["message"]


def test_a_nul_character_in_a_text_filter_is_refused(world, auth):
    world.ticket("parcel late")
    assert refusal(world.client().get("/api/v1/tickets?q=%00", headers=auth)) == "q: a NUL character is not allowed"
    assert refusal(world.client().get("/api/v1/audit?actor=a%00b", headers=auth)).startswith("actor:")
    assert world.client().get("/api/v1/tickets?q=late", headers=auth).get_json()["total"] == 1


def test_a_nul_character_in_a_body_or_form_is_refused_and_changes_nothing(world, auth, client):
    ticket = world.ticket()
    refused = world.client().post(f"/api/v1/tickets/{ticket}/replies", headers=auth, json={"body": "sorry\x00"})
    assert refusal(refused) == "body.body: a NUL character is not allowed"
    assert client.post(f"/tickets/{ticket}/reply", data={"body": "sorry\x00"}).status_code == 400
    assert world.replies() == []


@pytest.mark.parametrize("path, body", [
    ("/api/v1/customers/{customer}/link", {"customer": TOO_BIG}),
    ("/api/v1/incidents/{incident}/tickets", {"tickets": [TOO_BIG]}),
    ("/api/v1/tickets/bulk", {"action": "resolve", "tickets": [TOO_BIG]}),
    ("/api/v1/tickets/{ticket}/assign", {"agent": TOO_BIG}),
    ("/api/v1/tickets/{ticket}/replies", {"body": "Sorry!", "in_reply_to": -TOO_BIG}),
])
def test_a_whole_number_beyond_the_databases_integers_is_refused(world, auth, manager_auth, path, body):
    ticket = world.ticket()
    incident = world.client().post("/api/v1/incidents", headers=manager_auth, json={"title": "outage"}).get_json()
    url = path.format(ticket=ticket, customer=world.customer_of(ticket), incident=incident["id"])
    message = refusal(world.client().post(url, headers=manager_auth, json=body))
    assert message.endswith("use a whole number from -2147483648 to 2147483647")
    assert world.ticket_status(ticket) == "new"


def test_a_filter_for_an_agent_id_beyond_the_databases_integers_is_refused(world, auth):
    message = refusal(world.client().get(f"/api/v1/tickets?assignee={TOO_BIG}", headers=auth))
    assert message.startswith("assignee:")


def test_deleting_a_missing_or_someone_elses_view_answers_404_and_keeps_it(world, auth):
    world.agent("Bob", "bob@example.com")
    bob = {"Authorization": f"Bearer {world.token(world.client(), 'bob@example.com')}"}
    view = world.client().post("/api/v1/views", headers=bob, json={"name": "mine", "query": "status=new"}).get_json()

    assert world.client().delete(f"/api/v1/views/{view['id']}", headers=auth).status_code == 404
    assert world.client().delete(f"/api/v1/views/{view['id'] + 1}", headers=auth).status_code == 404
    assert world.client().delete(f"/api/v1/views/{2**31}", headers=auth).status_code == 404
    with world.db.sessions() as session:
        assert session.scalar(select(func.count(SavedView.id))) == 1
    assert world.client().delete(f"/api/v1/views/{view['id']}", headers=bob).status_code == 204


def test_head_on_the_sign_in_page_is_not_a_failed_sign_in(world, ada):
    for _ in range(10):
        assert world.client().head("/login").status_code == 200
    with world.db.sessions() as session:
        assert session.scalars(select(AuditEntry.action)).all() == []
        assert session.scalar(select(func.count(LoginFailure.id))) == 0
    assert world.sign_in(world.client()).status_code == 302
