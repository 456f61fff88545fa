"""The emulator's X direct messages and their control endpoints, spoken to
over plain HTTP."""

import pytest
import requests

from tests.connectors.x.test_emulator import BEARER, BRAND_ID, OAUTH, api

EVENTS = "/2/dm_events"
ALL_FIELDS = {"dm_event.fields": "created_at,dm_conversation_id,sender_id", "expansions": "sender_id",
              "user.fields": "public_metrics", "event_types": "MessageCreate"}


def customer_writes(server, text="is my refund coming?", handle="maple_rider", **author):
    body = {"author": {"handle": handle, "name": "Maple Rider", "followers": 312, **author}, "text": text}
    response = requests.post(f"{server.url}/_emulator/x/direct_messages", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def send(server, participant_id, body, headers=OAUTH):
    return requests.post(f"{server.url}/2/dm_conversations/with/{participant_id}/messages", json=body,
                         headers=headers, timeout=5)


def user_id_of(server, handle="maple_rider"):
    messages = requests.get(f"{server.url}/_emulator/x/direct_messages", timeout=5).json()["direct_messages"]
    return next(m["sender"]["id"] for m in messages if m["sender"]["handle"] == handle)


def test_a_customer_writes_to_the_brand_and_the_brand_answers_in_the_same_conversation(emulator):
    written = customer_writes(emulator)
    customer = user_id_of(emulator)

    response = send(emulator, customer, {"text": "It went out today."})

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["dm_conversation_id"] == written["conversation_id"] == f"{BRAND_ID}-{customer}"
    assert int(data["dm_event_id"]) > int(written["id"])
    listing = requests.get(f"{emulator.url}/_emulator/x/direct_messages", timeout=5).json()["direct_messages"]
    assert [(m["text"], m["by_brand"]) for m in listing] == [("is my refund coming?", False),
                                                             ("It went out today.", True)]


def test_it_lists_events_newest_first_with_only_the_fields_asked_for(emulator):
    first = customer_writes(emulator, "one")["id"]
    second = customer_writes(emulator, "two", handle="tinkerjune")["id"]

    plain = api(emulator, EVENTS, headers=OAUTH).json()
    full = api(emulator, EVENTS, headers=OAUTH, **ALL_FIELDS).json()

    assert plain == {"data": [{"id": second, "event_type": "MessageCreate", "text": "two"},
                              {"id": first, "event_type": "MessageCreate", "text": "one"}],
                     "meta": {"result_count": 2}}
    event = full["data"][1]
    assert set(event) == {"id", "event_type", "text", "created_at", "dm_conversation_id", "sender_id"}
    users = {u["id"]: u for u in full["includes"]["users"]}
    assert users[event["sender_id"]]["username"] == "maple_rider"
    assert users[event["sender_id"]]["public_metrics"]["followers_count"] == 312


def test_it_pages_events_with_a_token(emulator):
    ids = [customer_writes(emulator, f"message {n}")["id"] for n in range(7)]

    first = api(emulator, EVENTS, headers=OAUTH, max_results=5).json()
    second = api(emulator, EVENTS, headers=OAUTH, max_results=5,
                 pagination_token=first["meta"]["next_token"]).json()

    assert [e["id"] for e in first["data"] + second["data"]] == ids[::-1]
    assert "next_token" not in second["meta"]


def test_a_conversations_events_are_only_those_with_that_user(emulator):
    customer_writes(emulator, "mine")
    customer_writes(emulator, "someone else's", handle="tinkerjune")
    customer = user_id_of(emulator)
    send(emulator, customer, {"text": "ours"})

    body = api(emulator, f"/2/dm_conversations/with/{customer}/dm_events", headers=OAUTH).json()

    assert [e["text"] for e in body["data"]] == ["ours", "mine"]


def test_an_empty_inbox_answers_with_only_a_count(emulator):
    assert api(emulator, EVENTS, headers=OAUTH).json() == {"meta": {"result_count": 0}}


@pytest.mark.parametrize("params", [
    {"max_results": 0}, {"max_results": 101}, {"pagination_token": "not-a-token"}, {"since_id": "1"},
    {"dm_event.fields": "id,mood"}, {"event_types": "MessageDelete"}, {"expansions": "author_id"},
])
def test_it_refuses_bad_query_parameters(emulator, params):
    response = api(emulator, EVENTS, headers=OAUTH, **params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("path", [EVENTS, f"/2/dm_conversations/with/{BRAND_ID}/dm_events"])
def test_reading_messages_needs_user_context(emulator, path):
    assert api(emulator, path, headers=BEARER).status_code == 403
    assert requests.get(f"{emulator.url}{path}", timeout=5).status_code == 401


def test_sending_needs_user_context(emulator):
    customer_writes(emulator)

    response = send(emulator, user_id_of(emulator), {"text": "hello"}, headers=BEARER)

    assert response.status_code == 403
    assert "Application-Only is forbidden" in response.json()["detail"]


def test_a_user_who_does_not_accept_messages_refuses_them_with_xs_reason(emulator):
    customer_writes(emulator, accepts_direct_messages=False)

    response = send(emulator, user_id_of(emulator), {"text": "hello"})

    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot send messages to this user."
    senders = api(emulator, EVENTS, headers=OAUTH, expansions="sender_id",
                  **{"user.fields": "receives_your_dm"}).json()["includes"]["users"]
    assert senders[0]["receives_your_dm"] is False


@pytest.mark.parametrize("participant, body, message", [
    ("maple", {"text": "hi"}, "participant_id"),
    ("1600000000000000999", {"text": "hi"}, "not a user"),
    (BRAND_ID, {"text": "hi"}, "yourself"),
    (None, {"text": ""}, "text"),
    (None, {"text": "x" * 10001}, "at most 10000"),
    (None, {"text": "hi", "mood": "happy"}, "mood"),
    (None, ["hi"], "JSON object"),
])
def test_it_refuses_a_bad_message(emulator, participant, body, message):
    customer_writes(emulator)

    response = send(emulator, participant or user_id_of(emulator), body)

    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("body, message", [
    ({"text": "no author"}, "author"),
    ({"author": {"handle": "acme"}, "text": "hi"}, "brand"),
    ({"author": {"handle": "jo"}, "text": " "}, "text"),
    ({"author": {"handle": "jo", "accepts_direct_messages": "no"}, "text": "hi"}, "accepts_direct_messages"),
    ({"author": {"handle": "jo"}, "text": "x" * 10001}, "10000"),
])
def test_it_refuses_a_bad_control_message(emulator, body, message):
    response = requests.post(f"{emulator.url}/_emulator/x/direct_messages", json=body, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_failure_can_be_injected_into_sending(emulator):
    customer_writes(emulator)
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "x", "status": 503}, timeout=5)

    assert send(emulator, user_id_of(emulator), {"text": "hello"}).status_code == 503
    assert send(emulator, user_id_of(emulator), {"text": "hello"}).status_code == 201
