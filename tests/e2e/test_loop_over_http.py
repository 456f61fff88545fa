"""The whole loop over HTTP: a customer posts on the emulator, a ticket shows
up in the API, an agent replies through the API, and the reply appears on
the emulator under the customer's post."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import wait_for


@pytest.fixture
def service(db, emulator, start_service):
    return start_service(db, emulator)


def test_a_customer_post_is_answered_on_the_platform_under_that_post(service, emulator):
    api = requests.Session()
    token = api.post(f"{service}/api/v1/tokens", json={"email": "agent@example.com", "password": "pw"}, timeout=5)
    assert token.status_code == 201
    api.headers["Authorization"] = f"Bearer {token.json()['token']}"

    created = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "maria_k", "name": "Maria K.", "followers": 310},
        "text": "My order still hasn't arrived after two weeks. Terrible service."})
    assert created.status_code == 201
    post_id = created.json()["id"]

    def ticket_for_the_post():
        """a ticket for the customer's post"""
        for ticket in api.get(f"{service}/api/v1/tickets", timeout=5).json()["tickets"]:
            detail = api.get(f"{service}/api/v1/tickets/{ticket['id']}", timeout=5).json()
            if any(m["external_id"] == post_id for m in detail["mentions"]):
                return detail
        return None

    ticket = wait_for(ticket_for_the_post)
    assert ticket["assignee"]["email"] == "agent@example.com"
    assert ticket["assignment_reason"] == "least loaded"
    assert ticket["mentions"][0]["sentiment"] == "negative"
    assert ticket["mentions"][0]["reasons"]

    body = "Sorry Maria! Your parcel is on its way and arrives tomorrow. We have refunded the shipping."
    queued = api.post(f"{service}/api/v1/tickets/{ticket['id']}/replies", json={"body": body}, timeout=5)
    assert queued.status_code == 202
    reply_id = queued.json()["id"]

    def sent_reply():
        """the reply to be sent"""
        reply = api.get(f"{service}/api/v1/replies/{reply_id}", timeout=5).json()
        return reply if reply["status"] == "sent" else None

    reply = wait_for(sent_reply)
    posts = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
    ours = [p for p in posts if p["by_brand"]]
    assert [(p["in_reply_to"], p["text"]) for p in ours] == [(post_id, body)]
    assert reply["platform_reply_id"] == ours[0]["id"]

    resolved = api.post(f"{service}/api/v1/tickets/{ticket['id']}/resolve", timeout=5)
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["first_response_at"] is not None


    def follow_up():
        """the follow-up under the customer's post"""
        posts = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
        return next((p for p in posts if p["by_brand"] and p["id"] != reply["platform_reply_id"]), None)

    followup = wait_for(follow_up)
    assert followup["in_reply_to"] == post_id
    assert followup["text"].startswith("Hi Maria, did our fix sort out your")

    answer = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "maria_k", "name": "Maria K.", "followers": 310},
        "text": "@acme no, still broken", "in_reply_to": followup["id"]})
    assert answer.status_code == 201

    def reopened():
        """the ticket reopened by the customer's answer"""
        detail = api.get(f"{service}/api/v1/tickets/{ticket['id']}", timeout=5).json()
        return detail if detail["status"] == "open" else None

    detail = wait_for(reopened)
    assert detail["followup_state"] == "unsatisfied"
    assert detail["assignee"]["email"] == "agent@example.com"
    assert detail["priority"] in ("urgent", "high")
    assert [r["purpose"] for r in detail["replies"]] == ["answer", "followup"]
