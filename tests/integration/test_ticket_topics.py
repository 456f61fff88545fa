"""A ticket's topic follows its posts: the topic of its most severe post
still waiting for an answer, changed by the system with an event that
names the post, until a person sets the topic by hand."""

from __future__ import annotations

from itertools import count

import pytest
from sqlalchemy import select

from listener.intake import Intake
from store import tickets
from store.accounts import create_agent
from store.models import Correction, Customer, Event, Identity, Mention, Reply, Ticket
from store.sla import SlaClock
from tests.integration.loop_helpers import post

_ids = count(1)


class Desk:
    def __init__(self, session, settings, clock):
        self.session, self.clock, self.sla = session, clock, SlaClock(settings)
        self.agent = create_agent(session, name="Alex Agent", email="alex@example.com", password="pw",
                                  role="agent", presence="online", now=clock.now())
        customer = Customer(display_name="Maria", created_at=clock.now())
        self.identity = Identity(customer=customer, platform="x", platform_user_id="maria", handle="maria")
        session.add(self.identity)

    def post(self, topic, priority="normal", urgency=0.5, needs_response=True):
        mention = Mention(platform="x", external_id=f"p{next(_ids)}", kind="post", identity=self.identity,
                          text=f"about {topic}", created_at=self.clock.now(), received_at=self.clock.now(), raw={},
                          sentiment="negative", polarity=-0.5, urgency=urgency, needs_response=needs_response,
                          priority=priority if needs_response else None, topic=topic, reasons=["complaint"])
        self.session.add(mention)
        return mention

    def ticket(self, topic, priority="normal"):
        ticket = tickets.raise_ticket(self.session, self.post(topic, priority), "care", self.sla, self.clock.now())
        self.session.flush()
        return ticket

    def writes(self, ticket, topic, priority="normal", urgency=0.5, needs_response=True):
        self.clock.advance(minutes=1)
        mention = self.post(topic, priority, urgency, needs_response)
        tickets.customer_wrote(self.session, ticket, mention, self.sla, self.clock.now())
        self.session.flush()
        return mention

    def answer(self, ticket, mention):
        self.session.add(Reply(ticket=ticket, mention=mention, agent=self.agent, body="Sorry!", status="sent",
                               created_at=self.clock.now(), next_attempt_at=self.clock.now()))
        self.session.flush()

    def topic_events(self, ticket):
        return [(e.actor, e.detail["before"], e.detail["after"], e.mention_id) for e in self.session.scalars(
            select(Event).where(Event.ticket_id == ticket.id, Event.kind == "topic_changed").order_by(Event.id))]


@pytest.fixture
def desk(db, settings, clock):
    with db.transaction() as session:
        yield Desk(session, settings, clock)


def test_a_complaint_with_a_topic_gives_a_ticket_without_one_its_topic(desk):
    ticket = desk.ticket(None)
    refund = desk.writes(ticket, "billing_or_refund")
    assert ticket.topic == "billing_or_refund"
    assert desk.topic_events(ticket) == [("system", None, "billing_or_refund", refund.id)]


def test_a_more_severe_post_sets_the_topic_and_a_milder_one_leaves_it(desk):
    ticket = desk.ticket("delay")
    desk.writes(ticket, "billing_or_refund", priority="low")
    desk.writes(ticket, "website_or_app", urgency=0.4)
    assert ticket.topic == "delay"
    lost = desk.writes(ticket, "lost_or_damaged", priority="high")
    assert ticket.topic == "lost_or_damaged"
    desk.writes(ticket, "cancellation", priority="high", urgency=0.5)
    assert ticket.topic == "lost_or_damaged"
    assert desk.topic_events(ticket) == [("system", "delay", "lost_or_damaged", lost.id)]


def test_a_post_without_a_topic_or_needing_no_answer_leaves_the_topic(desk):
    ticket = desk.ticket("delay")
    desk.writes(ticket, None, priority="urgent")
    desk.writes(ticket, "billing_or_refund", needs_response=False)
    assert ticket.topic == "delay" and desk.topic_events(ticket) == []


def test_an_answered_post_no_longer_holds_the_topic(desk):
    ticket = desk.ticket("delay", priority="high")
    desk.answer(ticket, ticket.mentions[0])
    desk.writes(ticket, "billing_or_refund", priority="low")
    assert ticket.topic == "billing_or_refund"


def test_a_topic_set_by_hand_holds_whatever_the_customer_writes(desk):
    ticket = desk.ticket("delay")
    tickets.change_topic(desk.session, ticket, "staff_or_service", ("delay", "staff_or_service"), desk.agent,
                         desk.clock.now())
    desk.writes(ticket, "billing_or_refund", priority="urgent", urgency=1.0)
    assert ticket.topic == "staff_or_service"
    assert desk.topic_events(ticket) == [("alex@example.com", "delay", "staff_or_service", None)]


def test_a_topic_changed_by_hand_corrects_the_post_the_ticket_had_it_from(desk):
    ticket = desk.ticket(None)
    refund = desk.writes(ticket, "billing_or_refund", priority="high")
    tickets.change_topic(desk.session, ticket, "delivery", ("delivery", "billing_or_refund"), desk.agent,
                         desk.clock.now())
    desk.session.flush()
    [correction] = desk.session.scalars(select(Correction)).all()
    assert (correction.mention_id, correction.original, correction.corrected) == (
        refund.id, "billing_or_refund", "delivery")


def test_the_listener_moves_the_topic_as_the_customer_writes(db, settings, clock):
    intake = Intake(settings)
    texts = ["@acme this is getting ridiculous, second week of this and still nothing",
             "@acme and I want a refund for the two weeks I could not use it"]
    for text in texts:
        with db.transaction() as session:
            intake.ingest(session, [post(text)], clock.now())
        clock.advance(minutes=5)
    with db.transaction() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.topic == "billing_or_refund"
        [event] = [e for e in ticket.events if e.kind == "topic_changed"]
        assert (event.actor, event.detail["before"], event.mention.text) == ("system", None, texts[1])
