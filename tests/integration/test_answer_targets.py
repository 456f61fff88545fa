"""The post closeloop's own messages go under: a follow-up under the post
the agent's latest answer went to, an incident's update under the post
about the incident; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from responder.answers import queue_answer
from responder.broadcast import broadcast_fix
from responder.followups import resolve_ticket
from store.incidents import link_tickets, open_incident
from store.models import Reply, Ticket
from tests.integration.followup_helpers import COMPLAINT, Loop

REFUND = "Also I was charged twice for it and I want my refund now."
PRAISE = "Love the new colours though, nice work team"


@pytest.fixture
def loop(db, settings, clock):
    return Loop(db, settings, clock)


def external_ids(loop, ticket_id) -> dict[str, str]:
    with loop.db.transaction() as session:
        return {m.text: m.external_id for m in session.get(Ticket, ticket_id).mentions}


def answer(loop, ticket_id, text, body):
    with loop.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        post = next(m for m in ticket.mentions if m.text == text)
        queue_answer(session, ticket, body, ticket.assignee, loop.clock.now(), loop.settings, in_reply_to=post.id)


def test_the_follow_up_goes_under_the_post_the_latest_answer_went_to(loop):
    ticket_id = loop.customer_posts(COMPLAINT)
    loop.customer_posts(REFUND)
    answer(loop, ticket_id, REFUND, "Refunded: you will see it in 3 days.")
    answer(loop, ticket_id, COMPLAINT, "Sorry Maria, a new one is on its way.")
    loop.outbox.send_due()
    with loop.db.transaction() as session:
        resolve_ticket(session, session.get(Ticket, ticket_id), "alex@example.com", loop.settings, loop.clock.now())

    _, in_reply_to, _ = loop.follow_up_sent(ticket_id)

    assert in_reply_to == external_ids(loop, ticket_id)[COMPLAINT]


def test_an_incidents_update_goes_under_the_post_about_it(loop):
    payment = "My card payment failed three times at checkout, what is going on?"
    ticket_id = loop.customer_posts(payment)
    loop.customer_posts(PRAISE)
    with loop.db.transaction() as session:
        incident = open_incident(session, title="payment outage", topic=None, keywords=["payment"], since=None,
                                 actor="manager@example.com", now=loop.clock.now())
        link_tickets(session, incident, [session.get(Ticket, ticket_id)], "manager@example.com", loop.clock.now(),
                     why="by hand")
        broadcast_fix(session, incident, "Payments work again, sorry!", "manager@example.com", loop.settings,
                      loop.clock.now())

    with loop.db.transaction() as session:
        [update] = session.scalars(select(Reply).where(Reply.purpose == "broadcast"))
        assert update.mention.text == payment
        assert session.get(Ticket, ticket_id).status == "resolved"
