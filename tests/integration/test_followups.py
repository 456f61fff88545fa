"""Checking back after resolution: the policy, the follow-up through the
outbox, and the customer's answer closing or reopening the ticket."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connectors.base import ConnectorError
from responder.answers import queue_answer
from responder.followups import resolve_ticket
from responder.outbox import retry_reply
from store.customers import set_contact_opt_out
from store.models import Alert, Event, Reply, Ticket
from store.outcomes import outcomes_report
from tests.integration.followup_helpers import COMPLAINT, Loop


@pytest.fixture
def loop(db, settings, clock):
    return Loop(db, settings, clock)


def test_a_resolved_complaint_gets_a_follow_up_in_its_thread_after_the_delay(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    assert loop.ticket(ticket_id).followup_state == "scheduled"
    assert loop.ticket(ticket_id).followup_due_at == loop.clock.now() + timedelta(minutes=60)

    loop.clock.advance(minutes=59)
    assert loop.followups.run().queued == []
    loop.clock.advance(minutes=2)
    assert loop.followups.run().queued == [ticket_id]
    loop.outbox.send_due()

    reply_id, in_reply_to, body = loop.platform.posted[-1]
    with loop.db.transaction() as session:
        first_post = session.get(Ticket, ticket_id).mentions[0].external_id
    assert in_reply_to == first_post
    assert body.startswith("Hi Maria, did our fix sort out your ") and "Alex at Acme" in body
    [followup] = loop.followup_replies(ticket_id)
    assert (followup.status, followup.platform_reply_id) == ("sent", reply_id)
    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state) == ("resolved", "sent")
    assert ticket.followup_due_at == loop.clock.now() + timedelta(hours=loop.settings.followups.answer_window_hours)
    assert loop.events(ticket_id, "followup_sent")


def test_a_ticket_resolved_without_an_answer_gets_no_follow_up(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    with loop.db.transaction() as session:
        resolve_ticket(session, session.get(Ticket, ticket_id), "alex@example.com", loop.settings, loop.clock.now())
    assert loop.ticket(ticket_id).followup_state is None
    assert loop.events(ticket_id, "followup_skipped")[0]["reason"] == "nobody answered the customer"
    loop.clock.advance(minutes=61)
    assert loop.followups.run().queued == []


def test_a_ticket_resolved_while_its_answer_waits_in_the_outbox_gets_its_follow_up(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    with loop.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        queue_answer(session, ticket, "Sorry Maria, a new one is on its way.", ticket.assignee, loop.clock.now(),
                     loop.settings)
        resolve_ticket(session, ticket, "alex@example.com", loop.settings, loop.clock.now())
    assert loop.ticket(ticket_id).followup_state == "scheduled"


def test_no_still_broken_reopens_the_ticket_to_the_same_agent_at_high_priority(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    before = loop.ticket(ticket_id)
    loop.answer_and_resolve(ticket_id)
    followup_id, _, _ = loop.follow_up_sent(ticket_id)

    loop.clock.advance(minutes=5)
    assert loop.customer_posts("@acme no, still broken", in_reply_to=followup_id) is None

    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state) == ("open", "unsatisfied")
    assert ticket.assignee_id == before.assignee_id == loop.agent_id
    assert ticket.priority in ("urgent", "high")
    assert ticket.next_response_due_at is not None
    assert ticket.followup_answer == "@acme no, still broken"
    assert loop.events(ticket_id, "reopened")[-1]["reason"] == "the customer says the fix did not work"
    with loop.db.transaction() as session:
        alert = session.scalar(select(Alert).where(Alert.ticket_id == ticket_id, Alert.kind == "reopened"))
        assert (alert.channel, alert.agent_id) == ("web", loop.agent_id)


def test_a_yes_closes_the_ticket_as_satisfied(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    followup_id, _, _ = loop.follow_up_sent(ticket_id)
    loop.customer_posts("@acme yes, all sorted now. Thanks!", in_reply_to=followup_id)
    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state) == ("closed", "satisfied")
    assert loop.events(ticket_id, "followup_answered")[-1]["outcome"] == "satisfied"


def test_no_answer_within_the_window_closes_it_as_unconfirmed(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    loop.follow_up_sent(ticket_id)
    loop.clock.advance(hours=loop.settings.followups.answer_window_hours - 1)
    assert loop.followups.run().unconfirmed == []
    loop.clock.advance(hours=2)
    assert loop.followups.run().unconfirmed == [ticket_id]
    ticket = loop.ticket(ticket_id)
    assert (ticket.status, ticket.followup_state) == ("closed", "unconfirmed")
    assert loop.followups.run().unconfirmed == []


def test_a_ticket_that_started_positive_gets_none_by_default(loop):
    ticket_id = loop.customer_posts("Love the new AcmeBox! How do I change the colour of the lid?")
    loop.answer_and_resolve(ticket_id)
    ticket = loop.ticket(ticket_id)
    assert ticket.followup_state is None
    assert "the policy follows up negative" in loop.events(ticket_id, "followup_skipped")[0]["reason"]


def test_policies_by_priority_topic_and_platform(db, settings, clock):
    loop = Loop(db, settings, clock, platforms=("facebook",))
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    assert loop.events(ticket_id, "followup_skipped")[0]["reason"] == "x is not followed up"


def test_an_opted_out_customer_gets_none_and_a_scheduled_one_is_cancelled(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    with loop.db.transaction() as session:
        set_contact_opt_out(session, session.get(Ticket, ticket_id).customer, True, "alex@example.com",
                            loop.clock.now())
    assert loop.ticket(ticket_id).followup_state == "cancelled"
    loop.clock.advance(hours=2)
    assert loop.followups.run().queued == []
    assert loop.followup_replies(ticket_id) == []

    other = loop.customer_posts("Second box broken too. Terrible.", handle="maria")
    loop.answer_and_resolve(other)
    assert loop.events(other, "followup_skipped")[0]["reason"] == "the customer asked not to be contacted"


def test_never_a_second_follow_up_to_a_customer_within_the_window(loop):
    first = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(first)
    loop.follow_up_sent(first)
    loop.clock.advance(days=1)
    second = loop.customer_posts("Now the charger is broken. Awful.", handle="maria")
    assert second != first
    loop.answer_and_resolve(second)
    assert loop.events(second, "followup_skipped")[0]["reason"] == "the customer had a follow-up within 30 days"


def test_a_customer_who_wrote_again_gets_no_follow_up(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    loop.clock.advance(minutes=10)
    loop.customer_posts("Also, love the new colours", handle="maria")
    loop.clock.advance(minutes=60)
    assert loop.followups.run().cancelled == [ticket_id]
    assert loop.events(ticket_id, "followup_cancelled")[0]["reason"] == (
        "the customer wrote again after the ticket was resolved")
    assert loop.followup_replies(ticket_id) == []


def test_two_workers_at_once_queue_one_follow_up(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    loop.clock.advance(minutes=61)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(loop.followups.run().queued)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], [ticket_id]]
    assert len(loop.followup_replies(ticket_id)) == 1
    loop.outbox.send_due()
    loop.outbox.send_due()
    assert len(loop.platform.posted) == 2


def test_a_follow_up_to_a_deleted_post_fails_with_the_platforms_reason_and_can_be_retried(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    loop.clock.advance(minutes=61)
    loop.followups.run()
    loop.platform.post_errors.append(ConnectorError("the post you are replying to was deleted", permanent=True))
    loop.outbox.send_due()
    [failed] = loop.followup_replies(ticket_id)
    assert (failed.status, failed.last_error) == ("failed", "the post you are replying to was deleted")
    assert loop.ticket(ticket_id).followup_state == "failed"

    with loop.db.transaction() as session:
        retry_reply(session, session.get(Reply, failed.id), None, loop.clock.now(), timedelta(hours=72))
    loop.outbox.send_due()
    assert loop.followup_replies(ticket_id)[0].status == "sent"
    assert loop.ticket(ticket_id).followup_state == "sent"


def test_a_follow_up_longer_than_the_platform_allows_fails_with_the_reason(db, settings, clock):
    loop = Loop(db, settings, clock, templates={"default": "Hi {first_name}! " + "x" * 300})
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    loop.clock.advance(minutes=61)
    loop.followups.run()
    assert loop.ticket(ticket_id).followup_state == "failed"
    assert "X allows 280" in loop.events(ticket_id, "followup_failed")[0]["error"]
    assert loop.followup_replies(ticket_id) == []


def test_stop_in_answer_records_the_opt_out(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    followup_id, _, _ = loop.follow_up_sent(ticket_id)
    loop.customer_posts("@acme stop", in_reply_to=followup_id)
    assert loop.ticket(ticket_id).customer.contact_opt_out_at == loop.clock.now()


def test_follow_ups_do_not_count_as_first_responses(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.answer_and_resolve(ticket_id)
    loop.follow_up_sent(ticket_id)
    with loop.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.ticket_id == ticket_id, Event.kind == "replied")) == 1


def test_outcomes_count_answers_satisfaction_reopens_and_customers_turned_around(loop):
    start = loop.clock.now()
    tickets = {name: loop.customer_posts(COMPLAINT, handle=name) for name in ("ann", "ben", "cat")}
    praise = loop.customer_posts("Love the new AcmeBox! How do I change the colour of the lid?", handle="dee")
    for ticket_id in [*tickets.values(), praise]:
        loop.answer_and_resolve(ticket_id)
    loop.clock.advance(minutes=61)
    loop.followups.run()
    loop.outbox.send_due()
    sent = {parent: reply_id for reply_id, parent, _ in loop.platform.posted}
    with loop.db.transaction() as session:
        first_posts = {name: session.get(Ticket, t).mentions[0].external_id for name, t in tickets.items()}
    loop.customer_posts("@acme yes, works now", handle="ann", in_reply_to=sent[first_posts["ann"]])
    loop.customer_posts("@acme no, still broken", handle="ben", in_reply_to=sent[first_posts["ben"]])

    [by_platform] = outcomes_report_for(loop, start, "platform")
    assert by_platform == {
        "key": "x", "followups_sent": 3, "answered": 2, "answer_rate": 0.6667, "satisfied": 1, "unsatisfied": 1,
        "resolved": 4, "reopened": 1, "reopen_rate": 0.25, "negative_to_positive_customers": 1}
    assert [g["key"] for g in outcomes_report_for(loop, start, "agent")] == ["alex@example.com"]
    assert outcomes_report_for(loop, start + timedelta(days=1), "topic") == []


def outcomes_report_for(loop, start, group_by):
    with loop.db.transaction() as session:
        now = loop.clock.now()
        return outcomes_report(session, start, now + timedelta(seconds=1), group_by, now=now)


def test_the_follow_up_speaks_the_language_of_the_customers_post(db, settings, clock):
    loop = Loop(db, settings, clock, templates={"default": "Hi {first_name}, sorted?",
                                                "es": "Hola {first_name}, ¿está resuelto?"})
    spanish = loop.customer_posts("Mi pedido llegó roto y nadie responde. Terrible.", handle="lucia", language="es")
    english = loop.customer_posts(COMPLAINT, handle="maria")
    for ticket_id in (spanish, english):
        loop.answer_and_resolve(ticket_id)
    loop.clock.advance(minutes=61)
    loop.followups.run()
    loop.outbox.send_due()
    assert sorted(body for _, _, body in loop.platform.posted if "?" in body) == [
        "Hi Maria, sorted?", "Hola Lucia, ¿está resuelto?"]
