"""A loop of intake, outbox and follow-ups for the follow-up tests."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from listener.intake import Intake
from responder.answers import queue_answer
from responder.followups import FollowUps, resolve_ticket
from responder.outbox import Outbox
from store.accounts import create_agent
from store.models import Event, Reply, Ticket
from tests.integration.loop_helpers import ScriptedConnector, direct_message, post

COMPLAINT = "My AcmeBox arrived broken and nobody answers. Really disappointed."


class Loop:
    """Intake, outbox and follow-ups over one database, one platform (a
    scripted one unless a connector is given) and a movable clock."""

    def __init__(self, db, settings, clock, connector=None, **followups):
        self.settings = settings.model_copy(update={
            "followups": settings.followups.model_copy(update={"delay_minutes": 60, **followups})})
        self.db, self.clock = db, clock
        self.intake = Intake(self.settings)
        self.platform = connector or ScriptedConnector()
        self.outbox = Outbox(db, self.settings.outbox, clock, lambda account, platform: self.platform)
        self.followups = FollowUps(db, self.settings, clock)
        with db.transaction() as session:
            self.agent_id = create_agent(session, name="Alex Agent", email="alex@example.com", password="pw",
                                         role="agent", presence="online", now=clock.now()).id

    def customer_posts(self, text, handle="maria", in_reply_to=None, language=None, platform="x"):
        posted = replace(post(text, handle, in_reply_to=in_reply_to), language=language, platform=platform)
        report = self.take_in([posted])
        return report.ticket_ids[0] if report.ticket_ids else None

    def customer_messages(self, text, handle="maria", conversation_id=None):
        """The customer writes to the brand by direct message."""
        report = self.take_in([direct_message(text, handle, conversation_id)])
        return report.ticket_ids[0] if report.ticket_ids else None

    def take_in(self, posts):
        with self.db.transaction() as session:
            return self.intake.ingest(session, posts, self.clock.now())

    def answer_and_resolve(self, ticket_id):
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            agent = ticket.assignee
            queue_answer(session, ticket, "Sorry Maria, a new one is on its way.", agent, self.clock.now(),
                         self.settings)
        self.outbox.send_due()
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            resolve_ticket(session, ticket, ticket.assignee.email, self.settings, self.clock.now())

    def ticket(self, ticket_id):
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            session.refresh(ticket, ["assignee", "customer", "replies", "events"])
            return ticket

    def followup_replies(self, ticket_id):
        with self.db.transaction() as session:
            return session.scalars(select(Reply).where(Reply.ticket_id == ticket_id, Reply.purpose == "followup")
                                   ).all()

    def events(self, ticket_id, kind):
        with self.db.transaction() as session:
            return [e.detail for e in session.scalars(
                select(Event).where(Event.ticket_id == ticket_id, Event.kind == kind).order_by(Event.id))]

    def follow_up_sent(self, ticket_id):
        """Advance past the delay, queue the follow-up and send it."""
        self.clock.advance(minutes=61)
        assert self.followups.run().queued == [ticket_id]
        self.outbox.send_due()
        return self.platform.posted[-1]
