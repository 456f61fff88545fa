"""A review site without a reply API: the agent answers there and records how."""

import pytest

from tests.integration.web_helpers import make_world


@pytest.fixture
def world(sqlite_db, clock):
    return make_world(sqlite_db, clock, accounts={
        "shop_reviews": {"platform": "reviews"},
        "app_reviews": {"platform": "reviews", "reply_url": "https://reviews.example/{review_id}/replies"},
    })


@pytest.fixture
def review(world):
    return world.ticket("Two stars: the lid broke in a week", platform="reviews")


def test_the_ticket_says_there_is_no_reply_api_and_offers_to_record_the_answer(world, client, review):
    html = client.get(f"/tickets/{review}").get_data(as_text=True)
    assert "This source has no reply API" in html
    assert 'name="how"' in html
    assert 'name="body"' not in html


def test_a_reply_through_the_api_is_refused_with_the_reason(world, client, review):
    headers = {"Authorization": f"Bearer {world.token(client)}"}
    response = client.post(f"/api/v1/tickets/{review}/replies", json={"body": "Sorry!"}, headers=headers)
    assert response.status_code == 422
    assert "has no reply API" in response.get_json()["error"]["message"]
    assert world.replies() == []


def test_recording_how_the_agent_answered_counts_as_the_response(world, client, review):
    response = client.post(f"/tickets/{review}/answered-elsewhere", data={"how": "replied on the shop's site"})
    assert response.status_code == 302
    [event] = world.events(review, "answered_elsewhere")
    assert event.detail == {"how": "replied on the shop's site"}
    assert event.actor == "ada@example.com"
    headers = {"Authorization": f"Bearer {world.token(client)}"}
    ticket = client.get(f"/api/v1/tickets/{review}", headers=headers).get_json()
    assert ticket["first_response_at"] is not None
    assert ticket["time_left_seconds"] is None


def test_an_empty_answer_record_is_refused_and_changes_nothing(world, client, review):
    headers = {"Authorization": f"Bearer {world.token(client)}"}
    response = client.post(f"/api/v1/tickets/{review}/answered-elsewhere", json={"how": "  "}, headers=headers)
    assert response.status_code == 400
    assert world.events(review, "answered_elsewhere") == []
