"""The X connector's direct messages through tweepy against the emulator:
sending, finding a message already sent, a refused message, and reading
the brand's messages as a source."""

import pytest

from connectors.base import ConnectorError
from connectors.emulator import EmulatorServer
from connectors.x.connector import XConnector
from tests.connectors.emulated import add_fault, api_calls, control, listed
from tests.connectors.x.test_connector import BRAND_ID, add_post, connector_for


def customer_id(server: EmulatorServer, handle: str = "maple_rider", **author) -> str:
    """The X user id of a customer who posted once."""
    author = {"handle": handle, "name": handle.title(), **author}
    control(server, "x/posts", {"author": author, "text": "my order is late"})
    return next(p["author"]["id"] for p in listed(server, "x") if p["author"]["handle"] == handle)


def customer_writes(server: EmulatorServer, text: str, handle: str = "maple_rider") -> str:
    body = {"author": {"handle": handle, "name": handle.title(), "followers": 12}, "text": text}
    return control(server, "x/direct_messages", body)["id"]


def messages(server: EmulatorServer) -> list[dict]:
    return listed(server, "x", "direct_messages")


def test_it_sends_a_direct_message_to_the_customer(emulator):
    customer = customer_id(emulator)

    sent = connector_for(emulator).send_message(customer, "Did the new box arrive? Reply yes or no.")

    [message] = messages(emulator)
    assert message["id"] == sent.external_id
    assert (message["sender"]["id"], message["recipient"]["id"]) == (BRAND_ID, customer)
    assert message["text"] == "Did the new box arrive? Reply yes or no."
    assert sent.conversation_id == message["conversation_id"] == f"{BRAND_ID}-{customer}"
    assert sent.url == f"https://x.com/messages/{sent.conversation_id}"
    [call] = api_calls(emulator, "x", "/messages")
    assert call["path"] == f"/2/dm_conversations/with/{customer}/messages"


def test_it_finds_a_direct_message_it_already_sent(emulator):
    customer = customer_id(emulator)
    connector = connector_for(emulator)
    connector.send_message(customer_id(emulator, "tinkerjune"), "Sorted & shipped.")
    sent = connector.send_message(customer, "Sorted & shipped.")
    customer_writes(emulator, "Sorted & shipped.")

    found = connector.find_message(customer, "Sorted  &  shipped.\n")

    assert found is not None
    assert (found.external_id, found.conversation_id) == (sent.external_id, sent.conversation_id)


def test_it_finds_no_direct_message_with_another_text_or_before_the_post_it_answers(emulator):
    customer = customer_id(emulator)
    connector = connector_for(emulator)
    connector.send_message(customer, "Thanks!")
    later_post = add_post(emulator, "still waiting", handle="maple_rider")

    assert connector.find_message(customer, "Thanks, bye") is None
    assert connector.find_message(customer, "Thanks!", since_id=later_post) is None
    assert connector.find_message(customer, "Thanks!") is not None


def test_it_reports_a_refused_direct_message_as_permanent_with_xs_reason(emulator):
    customer = customer_id(emulator, accepts_direct_messages=False)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).send_message(customer, "Is it sorted?")

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "You cannot send messages to this user." in caught.value.message
    assert messages(emulator) == []


def test_it_cannot_send_direct_messages_with_only_a_bearer_token(emulator):
    customer = customer_id(emulator)
    connector = XConnector(bearer_token="app-only", user_id=BRAND_ID, base_url=emulator.url)

    with pytest.raises(ConnectorError) as caught:
        connector.send_message(customer, "Hi there!")

    assert caught.value.permanent is True
    assert "OAuth 1.0a" in caught.value.message
    assert api_calls(emulator, "x", "/messages") == []


def test_it_refuses_a_direct_message_longer_than_x_allows_without_calling_x(emulator):
    customer = customer_id(emulator)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).send_message(customer, "x" * 10001)

    assert caught.value.permanent is True
    assert "at most 10000 characters" in caught.value.message
    assert api_calls(emulator, "x", "/messages") == []


def test_it_reads_the_brands_direct_messages_oldest_first_across_pages(emulator):
    written = [customer_writes(emulator, f"message {n}", handle=f"customer{n % 3}") for n in range(23)]
    connector = connector_for(emulator, page_size=10)
    answer = connector.send_message(customer_id(emulator, "customer0", followers=12), "We are on it.")

    batch = connector.fetch("direct_messages", "", None)

    assert [p.external_id for p in batch.posts] == [*written, answer.external_id]
    assert batch.cursor == answer.external_id
    assert [p.by_brand for p in batch.posts] == [False] * 23 + [True]
    first = batch.posts[0]
    assert (first.kind, first.text, first.author.handle, first.author.followers) == (
        "direct_message", "message 0", "customer0", 12)
    assert first.conversation_id == messages(emulator)[0]["conversation_id"]
    assert len(api_calls(emulator, "x", "/2/dm_events")) == 3


def test_it_reads_only_messages_newer_than_the_cursor_and_stops_paging_there(emulator):
    for n in range(25):
        customer_writes(emulator, f"early {n}")
    connector = connector_for(emulator, page_size=10)
    first = connector.fetch("direct_messages", "", None)
    newer = [customer_writes(emulator, f"later {n}") for n in range(12)]
    calls_before = len(api_calls(emulator, "x", "/2/dm_events"))

    second = connector.fetch("direct_messages", "", first.cursor)

    assert [p.external_id for p in second.posts] == newer
    assert second.cursor == newer[-1]
    assert len(api_calls(emulator, "x", "/2/dm_events")) - calls_before == 2
    third = connector.fetch("direct_messages", "", second.cursor)
    assert (third.posts, third.cursor) == ([], second.cursor)


def test_reading_direct_messages_needs_user_context(emulator):
    connector = XConnector(bearer_token="app-only", user_id=BRAND_ID, base_url=emulator.url)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("direct_messages", "", None)

    assert caught.value.permanent is True
    assert "OAuth 1.0a" in caught.value.message


def test_a_rate_limited_read_of_direct_messages_waits_for_the_reset(emulator):
    add_fault(emulator, "x", status=429, retry_after=90)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, user_id=BRAND_ID).fetch("direct_messages", "", None)

    assert caught.value.status == 429
    assert 85 <= caught.value.retry_after <= 92
