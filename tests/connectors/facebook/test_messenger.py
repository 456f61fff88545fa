"""Messenger through the Facebook connector against the emulator: the
page's conversations, answers within 24 hours, the HUMAN_AGENT tag within
7 days where the account allows it, refusals outside the window, and the
`messaging` events of page webhooks."""

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config.settings import AccountSettings
from connectors.base import ConnectorError, Media
from connectors.facebook.connector import FacebookConnector
from connectors.facebook.messages import parse_message
from connectors.facebook.messenger import outside_window
from connectors.facebook.webhook import parse_webhook
from tests.connectors.emulated import api_calls, control, listed
from tests.connectors.facebook.test_connector import PAGE_ID, TOKEN, connector_for

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "facebook" / "fixtures"
RECORDED_PAGE = "108800000000001"
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


def writes(server, text: str, name: str = "Marta Lindqvist", **extra) -> dict:
    return control(server, "facebook/messages", {"author": {"name": name}, "text": text, **extra})


def hours_ago(hours: float) -> int:
    return int(time.time() - hours * 3600)


def test_it_reads_the_messages_of_every_conversation_both_ways(emulator):
    first = [writes(emulator, f"question {n}", name=f"Customer {n}") for n in range(5)]
    connector = connector_for(emulator, page_size=2)
    answer = connector.send_message(first[0]["user_id"], "Hello Customer 0!")

    batch = connector.fetch("messages", "", None)

    assert [p.external_id for p in batch.posts] == [m["id"] for m in first] + [answer.external_id]
    customer, ours = batch.posts[0], batch.posts[-1]
    assert (customer.kind, customer.platform, customer.author.name, customer.by_brand) == (
        "direct_message", "facebook", "Customer 0", False)
    assert (ours.by_brand, ours.conversation_id) == (True, first[0]["user_id"])
    listings = [c for c in api_calls(emulator, "facebook", "/1010/conversations") if "user_id" not in c["params"]]
    assert len(listings) == 3


def test_a_customer_has_one_id_for_comments_and_messages(emulator):
    post = control(emulator, "facebook/posts", {"kind": "post", "author": {"id": PAGE_ID}, "text": "Sale!"})["id"]
    control(emulator, "facebook/posts", {"kind": "comment", "author": {"name": "Marta Lindqvist"},
                                         "text": "mine never came", "in_reply_to": post})
    writes(emulator, "here is my order number: 1234")
    connector = connector_for(emulator)

    [commented] = connector.fetch("comments", PAGE_ID, None).posts
    [wrote] = connector.fetch("messages", "", None).posts

    assert commented.author.platform_user_id == wrote.author.platform_user_id


def test_an_answer_within_24_hours_is_sent_as_a_response(emulator):
    customer = writes(emulator, "can I change the address?", created_time=hours_ago(20))

    sent = connector_for(emulator).send_message(customer["user_id"], "Of course, what is it?")

    [call] = api_calls(emulator, "facebook", "/1010/messages", method="POST")
    assert call["params"]["messaging_type"] == "RESPONSE"
    assert json.loads(call["params"]["recipient"]) == {"id": customer["user_id"]}
    assert listed(emulator, "facebook", "messages")[-1]["text"] == "Of course, what is it?"
    assert sent.conversation_id == customer["user_id"]


def test_an_answer_after_24_hours_is_refused_and_nothing_is_sent(emulator):
    customer = writes(emulator, "anyone?", created_time=hours_ago(49))

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).send_message(customer["user_id"], "Sorry for the wait")

    assert caught.value.permanent
    assert caught.value.message.startswith(
        "Messenger lets a business answer a direct message only within 24 hours of the customer's last message; "
        "the customer last wrote 2 days ago")
    assert api_calls(emulator, "facebook", "/1010/messages", method="POST") == []


def test_a_person_answers_within_7_days_with_the_human_agent_tag_where_the_account_allows_it(emulator):
    customer = writes(emulator, "anyone?", created_time=hours_ago(72))
    connector = connector_for(emulator, human_agent=True)

    connector.send_message(customer["user_id"], "Sorry for the wait, Marta")

    [call] = api_calls(emulator, "facebook", "/1010/messages", method="POST")
    assert (call["params"]["messaging_type"], call["params"]["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    too_old = writes(emulator, "hello?", name="Dave R.", created_time=hours_ago(8 * 24))
    with pytest.raises(ConnectorError, match="and a person on the team within 7 days of it"):
        connector.send_message(too_old["user_id"], "Sorry!")


def test_the_human_agent_tag_is_an_account_setting_for_messenger_only():
    tagged = AccountSettings(platform="facebook", page_id=PAGE_ID, page_access_token=TOKEN, human_agent_tag=True)
    plain = AccountSettings(platform="facebook", page_id=PAGE_ID, page_access_token=TOKEN)

    assert FacebookConnector.from_account(tagged, timeout=5).human_agent is True
    assert FacebookConnector.from_account(plain, timeout=5).human_agent is False
    assert FacebookConnector.window_refusal(tagged, NOW - timedelta(days=3), NOW) is None
    assert FacebookConnector.window_refusal(plain, NOW - timedelta(days=3), NOW).startswith("Messenger lets")


def test_the_window_is_counted_from_the_customers_last_message():
    assert outside_window("Instagram", False, NOW - timedelta(hours=23, minutes=59), NOW) is None
    assert outside_window("Instagram", False, None, NOW) == (
        "Instagram lets a business answer a direct message only within 24 hours of the customer's last message; "
        "the customer has not written to the brand by direct message. Answer in a comment on their post instead, "
        "or wait until the customer writes again.")
    assert "(2026-01-09 11:00 UTC)" in outside_window("Instagram", False, NOW - timedelta(hours=25), NOW)


def test_a_message_too_long_for_messenger_is_refused_before_sending(emulator):
    customer = writes(emulator, "hi")

    with pytest.raises(ConnectorError, match="at most 2000 characters; this one has 2001"):
        connector_for(emulator).send_message(customer["user_id"], "x" * 2001)

    assert api_calls(emulator, "facebook", method="POST") == []


def test_recorded_messages_read_with_names_and_the_pages_own_marked():
    raw = json.loads((FIXTURES / "messenger_messages.json").read_text(encoding="utf-8"))["data"]

    customer, ours = (parse_message(item, "facebook", RECORDED_PAGE) for item in raw)

    assert (customer.author.name, customer.conversation_id, customer.by_brand) == (
        "Marta Lindqvist", "7003000000000301", False)
    assert (ours.by_brand, ours.conversation_id) == (True, "7003000000000301")
    assert customer.url == "https://www.facebook.com/messages/t/7003000000000301"


def test_a_page_delivery_of_messages_gives_each_message_once_and_skips_what_it_cannot_read():
    delivery = json.loads((FIXTURES / "webhook_messages.json").read_text(encoding="utf-8"))

    posts, skipped = parse_webhook(delivery, RECORDED_PAGE)

    [post] = posts
    assert (post.kind, post.text, post.author.platform_user_id) == (
        "direct_message", "The parcel came open, photo attached", "7003000000000301")
    assert post.media == (Media(url="https://scontent.xx.fbcdn.net/v/t1.15752-9/parcel_n.jpg", kind="image"),)
    assert [s.reason for s in skipped] == ["a messaging event has a message without a mid"]
