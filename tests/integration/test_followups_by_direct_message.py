"""Follow-ups by direct message: the policy picks the channel (X by direct
message, other platforms in the thread with the reason), the outbox sends
it at most once, and the customer's direct message answers it."""

from datetime import timedelta

import pytest
import requests

from connectors.base import ConnectorError
from connectors.x.connector import XConnector
from responder.outbox import retry_reply
from store.models import Reply, Ticket
from tests.integration.followup_helpers import COMPLAINT, Loop
from tests.integration.loop_helpers import ProcessDied

BY_MESSAGE = {"channel": "direct_message"}


@pytest.fixture
def loop(db, settings, clock):
    return Loop(db, settings, clock, **BY_MESSAGE)


def resolved_complaint(loop, **where):
    ticket_id = loop.customer_posts(COMPLAINT, **where)
    loop.answer_and_resolve(ticket_id)
    return ticket_id


def follow_up_queued(loop, ticket_id):
    loop.clock.advance(minutes=61)
    assert loop.followups.run().queued == [ticket_id]


def test_an_x_ticket_gets_its_follow_up_by_direct_message_and_none_in_the_thread(loop):
    ticket_id = resolved_complaint(loop)
    assert loop.events(ticket_id, "followup_scheduled")[0]["channel"] == "direct_message"

    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    [(message_id, recipient, body)] = loop.platform.messages
    assert recipient == "u-maria"
    assert body.startswith("Hi Maria, did our fix sort out your ")
    assert [text for _, _, text in loop.platform.posted] == ["Sorry Maria, a new one is on its way."]
    [followup] = loop.followup_replies(ticket_id)
    assert (followup.channel, followup.status, followup.platform_reply_id, followup.conversation_ref) == (
        "direct_message", "sent", message_id, "acme-maria")
    assert loop.events(ticket_id, "followup_sent")[0]["channel"] == "direct_message"
    assert loop.ticket(ticket_id).followup_state == "sent"


@pytest.mark.parametrize("platform, reason", [
    ("reddit", "reddit: no direct messages; sent in the thread"),
    ("facebook", "facebook: direct messages only answer a customer's own recent one; sent in the thread")])
def test_a_platform_without_direct_messages_gets_it_in_the_thread_with_the_reason(loop, platform, reason):
    ticket_id = resolved_complaint(loop, platform=platform)
    scheduled = loop.events(ticket_id, "followup_scheduled")[0]
    assert (scheduled["channel"], scheduled["channel_reason"]) == ("thread", reason)

    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    assert loop.platform.messages == []
    with loop.db.transaction() as session:
        first_post = session.get(Ticket, ticket_id).mentions[0].external_id
    assert loop.platform.posted[-1][1] == first_post
    assert loop.followup_replies(ticket_id)[0].channel == "thread"
    assert loop.events(ticket_id, "followup_queued")[0]["channel_reason"] == reason


def test_the_thread_stays_the_default(db, settings, clock):
    loop = Loop(db, settings, clock)
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()
    assert loop.platform.messages == []
    assert loop.followup_replies(ticket_id)[0].channel == "thread"
    assert "channel_reason" not in loop.events(ticket_id, "followup_scheduled")[0]


def test_the_customers_no_still_broken_by_direct_message_reopens_it_to_the_same_agent_at_high_priority(loop):
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    loop.clock.advance(minutes=5)
    assert loop.customer_messages("no, still broken", conversation_id="acme-maria") is None

    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state) == ("open", "unsatisfied")
    assert ticket.assignee_id == loop.agent_id
    assert ticket.priority in ("urgent", "high")
    assert ticket.followup_answer == "no, still broken"
    assert loop.events(ticket_id, "reopened")[-1]["reason"] == "the customer says the fix did not work"


def test_the_customers_yes_thanks_by_direct_message_closes_it_satisfied(loop):
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    loop.customer_messages("yes thanks", conversation_id="acme-maria")

    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state) == ("closed", "satisfied")
    assert loop.events(ticket_id, "followup_answered")[-1]["outcome"] == "satisfied"


def test_an_answer_outside_the_follow_ups_conversation_still_finds_the_customers_ticket(loop):
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    loop.customer_messages("yes, all sorted", conversation_id="a-conversation-we-never-saw")

    assert loop.ticket(ticket_id).followup_state == "satisfied"


def test_a_direct_message_whose_outcome_was_unknown_is_found_and_not_sent_twice(loop):
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    loop.platform.crash_after_posting = True
    with pytest.raises(ProcessDied):
        loop.outbox.send_due()
    loop.platform.crash_after_posting = False
    assert loop.followup_replies(ticket_id)[0].status == "sending"

    loop.clock.advance(seconds=loop.settings.outbox.stale_send_seconds + 1)
    assert loop.outbox.send_due() == 1

    assert len(loop.platform.messages) == 1
    [followup] = loop.followup_replies(ticket_id)
    assert (followup.status, followup.platform_reply_id, followup.conversation_ref) == ("sent", "dm1", "acme-maria")


def test_a_refused_direct_message_fails_the_follow_up_with_xs_reason_and_can_be_retried(loop):
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    refused = "X refused sending a direct message (403 Forbidden): You cannot send messages to this user."
    loop.platform.post_errors.append(ConnectorError(refused, permanent=True, status=403))
    loop.outbox.send_due()

    [failed] = loop.followup_replies(ticket_id)
    assert (failed.status, failed.last_error) == ("failed", refused)
    assert loop.ticket(ticket_id).followup_state == "failed"

    with loop.db.transaction() as session:
        retry_reply(session, session.get(Reply, failed.id), None, loop.clock.now(), timedelta(hours=72))
    loop.outbox.send_due()
    assert loop.followup_replies(ticket_id)[0].status == "sent"
    assert loop.ticket(ticket_id).followup_state == "sent"
    assert len(loop.platform.messages) == 1


def test_a_follow_up_by_direct_message_may_be_longer_than_a_post(db, settings, clock):
    loop = Loop(db, settings, clock, templates={"default": "Hi {first_name}! " + "x" * 300}, **BY_MESSAGE)
    ticket_id = resolved_complaint(loop)
    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()
    assert loop.followup_replies(ticket_id)[0].status == "sent"


def test_a_follow_up_longer_than_a_direct_message_allows_fails_with_the_reason(db, settings, clock):
    loop = Loop(db, settings, clock, templates={"default": "x" * 10001}, **BY_MESSAGE)
    ticket_id = resolved_complaint(loop)
    loop.clock.advance(minutes=61)
    loop.followups.run()
    assert loop.ticket(ticket_id).followup_state == "failed"
    assert "X allows 10000 in a direct message" in loop.events(ticket_id, "followup_failed")[0]["error"]
    assert loop.followup_replies(ticket_id) == []


def test_a_ticket_raised_by_direct_message_is_answered_and_followed_up_by_direct_message(db, settings, clock):
    loop = Loop(db, settings, clock)
    ticket_id = loop.customer_messages(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    assert [(to, text) for _, to, text in loop.platform.messages] == [
        ("u-maria", "Sorry Maria, a new one is on its way.")]

    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    assert loop.platform.posted == []
    assert loop.followup_replies(ticket_id)[0].channel == "direct_message"
    loop.customer_messages("yes, works now")
    assert loop.ticket(ticket_id).followup_state == "satisfied"


def test_a_later_direct_message_about_something_else_raises_a_new_ticket(db, settings, clock):
    loop = Loop(db, settings, clock)
    first = loop.customer_messages(COMPLAINT)
    loop.answer_and_resolve(first)
    follow_up_queued(loop, first)
    loop.outbox.send_due()
    loop.customer_messages("yes, works now")
    assert loop.ticket(first).status == "closed"

    loop.clock.advance(days=40)
    second = loop.customer_messages("Now the charger is broken too. Awful, I want a refund.")

    assert second is not None and second != first
    assert loop.ticket(first).status == "closed"


def test_on_x_the_follow_up_is_a_direct_message_and_the_customers_answer_reopens_the_ticket(
        db, settings, clock, emulator):
    connector = XConnector(consumer_key="key", consumer_secret="secret", access_token="token",
                           access_token_secret="token-secret", handle="acme", base_url=emulator.url, timeout=5.0)
    loop = Loop(db, settings, clock, connector, **BY_MESSAGE)
    requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5,
                  json={"author": {"handle": "maple_rider", "name": "Maple Rider"}, "text": COMPLAINT})
    [ticket_id] = loop.take_in(connector.fetch("mentions", "", None).posts).ticket_ids
    loop.answer_and_resolve(ticket_id)
    follow_up_queued(loop, ticket_id)
    loop.outbox.send_due()

    [message] = requests.get(f"{emulator.url}/_emulator/x/direct_messages", timeout=5).json()["direct_messages"]
    assert (message["sender"]["handle"], message["recipient"]["handle"]) == ("acme", "maple_rider")
    assert message["text"].startswith("Hi Maple, did our fix sort out your ")
    posts = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
    assert [p["text"] for p in posts if p["by_brand"]] == ["Sorry Maria, a new one is on its way."]

    requests.post(f"{emulator.url}/_emulator/x/direct_messages", timeout=5,
                  json={"author": {"handle": "maple_rider", "name": "Maple Rider"}, "text": "no, still broken"})
    report = loop.take_in(connector.fetch("direct_messages", "", None).posts)

    assert (report.own_posts, report.threaded) == (1, 1)
    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state, ticket.assignee_id) == ("open", "unsatisfied", loop.agent_id)
    assert ticket.priority in ("urgent", "high")
