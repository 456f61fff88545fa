"""store.tickets: each change of a ticket records its event in the same
call, and a refused change leaves the ticket as it was, with no event."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from store import tickets
from store.accounts import create_agent
from store.errors import Refused
from store.models import Correction, Customer, Event, Identity, Incident, Mention, Reply, Ticket
from store.sla import SlaClock
from store.tickets import FollowupPlan

SKIP = FollowupPlan(why_not="follow-ups are off")
_ids = count(1)


class Desk:
    """One session, a customer who writes, an agent and a senior."""

    def __init__(self, session, settings, clock):
        self.session, self.clock, self.sla = session, clock, SlaClock(settings)
        self.agent = create_agent(session, name="Alex Agent", email="alex@example.com", password="pw",
                                  role="agent", presence="online", now=clock.now())
        self.senior = create_agent(session, name="Sam Senior", email="sam@example.com", password="pw",
                                   role="senior", presence="online", now=clock.now())
        customer = Customer(display_name="Maria", created_at=clock.now())
        self.identity = Identity(customer=customer, platform="x", platform_user_id="maria", handle="maria")
        session.add(self.identity)

    @property
    def now(self):
        return self.clock.now()

    def post(self, needs_response=True, priority="normal", text="My parcel is lost."):
        mention = Mention(platform="x", external_id=f"p{next(_ids)}", kind="post", identity=self.identity, text=text,
                          created_at=self.now, received_at=self.now, raw={}, sentiment="negative", polarity=-0.5,
                          urgency=0.5, needs_response=needs_response, priority=priority if needs_response else None,
                          topic="delivery", reasons=["complaint"])
        self.session.add(mention)
        return mention

    def ticket(self, priority="normal"):
        ticket = tickets.raise_ticket(self.session, self.post(priority=priority), "care", self.sla, self.now)
        self.session.flush()
        return ticket

    def resolved(self):
        ticket = self.ticket()
        tickets.resolve(self.session, ticket, self.agent.email, SKIP, self.now)
        return ticket

    def reply(self, ticket, status="queued", purpose="answer"):
        reply = Reply(ticket=ticket, mention=ticket.mentions[-1], agent=self.agent if purpose == "answer" else None,
                      purpose=purpose, body="Sorry!", status=status, created_at=self.now, next_attempt_at=self.now)
        self.session.add(reply)
        self.session.flush()
        return reply

    def awaiting_answer(self):
        """Resolved, with its follow-up sent to the customer."""
        ticket = self.ticket()
        tickets.resolve(self.session, ticket, self.agent.email,
                        FollowupPlan(due_at=self.now - timedelta(minutes=1)), self.now)
        self.session.flush()
        tickets.claim_due_followup(self.session, ticket.id, timedelta(hours=72), self.now)
        self.reply(ticket, status="sent", purpose="followup")
        return ticket

    def incident(self, status="open"):
        incident = Incident(title="outage", status=status, opened_by="m@example.com", opened_at=self.now)
        self.session.add(incident)
        self.session.flush()
        return incident


@pytest.fixture
def desk(db, settings, clock):
    with db.transaction() as session:
        yield Desk(session, settings, clock)


def events_of(ticket):
    return [event.kind for event in ticket.events]


def new_events(desk, change):
    """The kinds of the events `change` recorded."""
    desk.session.flush()
    seen = desk.session.scalar(select(func.max(Event.id))) or 0
    change()
    desk.session.flush()
    return list(desk.session.scalars(select(Event.kind).where(Event.id > seen).order_by(Event.id)))


def test_raising_a_ticket_records_it_with_its_targets(desk):
    ticket = desk.ticket(priority="high")
    assert (ticket.status, ticket.priority, ticket.team) == ("new", "high", "care")
    assert ticket.first_response_due_at == desk.now + timedelta(minutes=60)
    assert events_of(ticket) == ["raised"]


def test_a_new_post_joins_the_ticket_and_a_more_urgent_one_raises_its_priority(desk):
    ticket = desk.ticket()
    tickets.snooze(desk.session, ticket, desk.now + timedelta(hours=1), desk.agent.email, desk.now)
    kinds = new_events(desk, lambda: tickets.customer_wrote(desk.session, ticket, desk.post(priority="urgent"),
                                                            desk.sla, desk.now))
    assert kinds == ["customer_wrote", "reprioritized"]
    assert (ticket.priority, ticket.snoozed_until, len(ticket.mentions)) == ("urgent", None, 2)


def test_a_post_that_needs_an_answer_reopens_a_resolved_ticket(desk):
    ticket = desk.resolved()
    kinds = new_events(desk, lambda: tickets.customer_wrote(desk.session, ticket, desk.post(), desk.sla, desk.now))
    assert kinds == ["reopened", "customer_wrote"]
    assert ticket.status == "open"


def test_a_satisfied_answer_to_the_follow_up_closes_the_ticket(desk):
    ticket = desk.awaiting_answer()
    kinds = new_events(desk, lambda: tickets.followup_answered(desk.session, ticket, desk.post(), "satisfied",
                                                               desk.sla, desk.now))
    assert kinds == ["customer_wrote", "followup_answered"]
    assert (ticket.status, ticket.followup_state) == ("closed", "satisfied")


def test_an_unsatisfied_answer_reopens_the_ticket_at_high_priority(desk):
    ticket = desk.awaiting_answer()
    kinds = new_events(desk, lambda: tickets.followup_answered(desk.session, ticket, desk.post(), "unsatisfied",
                                                               desk.sla, desk.now))
    assert kinds == ["customer_wrote", "followup_answered", "reopened", "reprioritized"]
    assert (ticket.status, ticket.followup_state, ticket.priority) == ("open", "unsatisfied", "high")


@pytest.mark.parametrize("change, kinds", [
    (lambda d, t: tickets.assign(d.session, t, d.agent, "least loaded", d.now), ["assigned"]),
    (lambda d, t: tickets.leave_queued(d.session, t, "nobody online", d.now), ["queued"]),
    (lambda d, t: tickets.assign_by_hand(d.session, t, d.agent, d.senior, d.now), ["assigned"]),
    (lambda d, t: tickets.assign_by_hand(d.session, t, None, d.senior, d.now), ["unassigned"]),
    (lambda d, t: tickets.answered_elsewhere(d.session, t, "replied on the site", d.agent.email, d.now),
     ["answered_elsewhere"]),
    (lambda d, t: tickets.snooze(d.session, t, d.now + timedelta(hours=2), d.agent.email, d.now), ["snoozed"]),
    (lambda d, t: tickets.snooze(d.session, t, None, d.agent.email, d.now), ["woken"]),
    (lambda d, t: tickets.wait_on_customer(d.session, t, d.agent.email, d.now), ["pending"]),
    (lambda d, t: tickets.change_priority(d.session, t, "urgent", "VIP", d.agent, d.sla, d.now), ["reprioritized"]),
    (lambda d, t: tickets.change_topic(d.session, t, "billing", ("billing",), d.agent, d.now), ["topic_changed"]),
    (lambda d, t: tickets.add_note(d.session, t, "Called them.", d.agent.email, d.now), ["note"]),
    (lambda d, t: tickets.resolve(d.session, t, d.agent.email, SKIP, d.now), ["resolved", "followup_skipped"]),
    (lambda d, t: tickets.resolve(d.session, t, d.agent.email, FollowupPlan(due_at=d.now), d.now),
     ["resolved", "followup_scheduled"]),
    (lambda d, t: tickets.no_response_needed(d.session, t, d.agent, d.now),
     ["no_response_needed", "followup_skipped"]),
    (lambda d, t: tickets.link_to_incident(d.session, t, d.incident(), d.agent.email, "by hand", d.now),
     ["incident_linked"]),
    (lambda d, t: tickets.announce_at_risk(d.session, t, d.sla.running(t), d.now), ["at_risk"]),
    (lambda d, t: tickets.announce_breach(d.session, t, "first_response", t.first_response_due_at, d.now),
     ["breached"]),
    (lambda d, t: tickets.escalate(d.session, t, ("senior", "manager"), d.now), ["escalated"]),
    (lambda d, t: tickets.reply_queued(d.session, d.reply(t), d.now), ["reply_queued"]),
    (lambda d, t: tickets.reply_sent(d.session, d.reply(t, status="sent"), d.now), ["replied"]),
    (lambda d, t: tickets.reply_failed(d.session, d.reply(t, status="failed"), d.now), ["reply_failed"]),
    (lambda d, t: tickets.reply_retried(d.session, d.reply(t), d.agent.email, timedelta(hours=1), d.now),
     ["reply_retried"]),
])
def test_each_change_of_an_open_ticket_records_its_event(desk, change, kinds):
    ticket = desk.ticket()
    assert new_events(desk, lambda: change(desk, ticket)) == kinds


def test_an_answer_sent_meets_the_first_response_target(desk):
    ticket = desk.ticket()
    tickets.reply_sent(desk.session, desk.reply(ticket, status="sent"), desk.now)
    assert (ticket.status, ticket.first_response_at, ticket.due_at()) == ("open", desk.now, None)


@pytest.mark.parametrize("answered, corrections", [(False, 1), (True, 0)])
def test_no_response_needed_corrects_the_scorer_only_when_nobody_answered(desk, answered, corrections):
    ticket = desk.ticket()
    if answered:
        tickets.reply_sent(desk.session, desk.reply(ticket, status="sent"), desk.now)
    tickets.no_response_needed(desk.session, ticket, desk.agent, desk.now)
    desk.session.flush()
    assert desk.session.scalar(select(func.count()).select_from(Correction)) == corrections


def test_a_follow_up_goes_out_once_and_closes_the_ticket_unanswered(desk):
    ticket = desk.ticket()
    tickets.resolve(desk.session, ticket, desk.agent.email, FollowupPlan(due_at=desk.now), desk.now)
    desk.session.flush()
    assert tickets.claim_due_followup(desk.session, ticket.id, timedelta(hours=72), desk.now) is ticket
    assert tickets.claim_due_followup(desk.session, ticket.id, timedelta(hours=72), desk.now) is None
    assert (ticket.followup_state, ticket.followup_due_at) == ("sent", desk.now + timedelta(hours=72))
    desk.clock.advance(hours=73)
    kinds = new_events(desk, lambda: tickets.followup_unanswered(desk.session, ticket.id, "no answer", desk.now))
    assert kinds == ["followup_unconfirmed"]
    assert (ticket.status, ticket.followup_state) == ("closed", "unconfirmed")


@pytest.mark.parametrize("change, kind", [
    (lambda d, t: tickets.cancel_followup(d.session, t, "the customer wrote again", d.now), "followup_cancelled"),
    (lambda d, t: tickets.followup_failed(d.session, t, "too long", d.now), "followup_failed"),
])
def test_a_follow_up_taken_can_be_cancelled_or_fail(desk, change, kind):
    ticket = desk.ticket()
    tickets.resolve(desk.session, ticket, desk.agent.email, FollowupPlan(due_at=desk.now), desk.now)
    desk.session.flush()
    tickets.claim_due_followup(desk.session, ticket.id, timedelta(hours=72), desk.now)
    assert new_events(desk, lambda: change(desk, ticket)) == [kind]
    assert (ticket.followup_state, ticket.followup_due_at) == (kind.removeprefix("followup_"), None)


def test_a_thank_you_gets_a_closed_ticket_of_its_own(desk):
    ticket = tickets.open_thanks_ticket(desk.session, desk.post(needs_response=False), "care", True, desk.now)
    assert (ticket.status, ticket.sla_policy) == ("closed", "thanks")
    assert events_of(ticket) == ["thanked"]


def _state(ticket):
    return {attr.key: getattr(ticket, attr.key) for attr in Ticket.__mapper__.column_attrs}


@pytest.mark.parametrize("setup, change, status", [
    ("resolved", lambda d, t: tickets.resolve(d.session, t, d.agent.email, SKIP, d.now), 409),
    ("resolved", lambda d, t: tickets.no_response_needed(d.session, t, d.agent, d.now), 409),
    ("resolved", lambda d, t: tickets.snooze(d.session, t, None, d.agent.email, d.now), 409),
    ("open", lambda d, t: tickets.snooze(d.session, t, d.now + timedelta(days=31), d.agent.email, d.now), 400),
    ("resolved", lambda d, t: tickets.wait_on_customer(d.session, t, d.agent.email, d.now), 409),
    ("open", lambda d, t: tickets.change_priority(d.session, t, "whenever", "why", d.agent, d.sla, d.now), 400),
    ("open", lambda d, t: tickets.change_priority(d.session, t, "urgent", " ", d.agent, d.sla, d.now), 400),
    ("resolved", lambda d, t: tickets.change_priority(d.session, t, "urgent", "VIP", d.agent, d.sla, d.now), 409),
    ("open", lambda d, t: tickets.change_topic(d.session, t, "weather", ("billing",), d.agent, d.now), 400),
    ("open", lambda d, t: tickets.add_note(d.session, t, "  ", d.agent.email, d.now), 400),
    ("open", lambda d, t: tickets.assign_by_hand(d.session, t, d.senior, d.agent, d.now), 403),
    ("resolved", lambda d, t: tickets.assign_by_hand(d.session, t, d.agent, d.agent, d.now), 409),
    ("resolved", lambda d, t: tickets.assign(d.session, t, d.agent, "least loaded", d.now), 409),
    ("open", lambda d, t: tickets.hand_back(d.session, t, d.agent, d.now), 409),
    ("open", lambda d, t: tickets.answered_elsewhere(d.session, t, "", d.agent.email, d.now), 400),
    ("open", lambda d, t: tickets.answered_elsewhere(d.session, t, "x" * 501, d.agent.email, d.now), 422),
    ("resolved", lambda d, t: tickets.answered_elsewhere(d.session, t, "on the site", d.agent.email, d.now), 409),
    ("open", lambda d, t: tickets.link_to_incident(d.session, t, d.incident("fixed"), "m", "by hand", d.now), 409),
    ("resolved", lambda d, t: tickets.followup_answered(d.session, t, d.post(), "satisfied", d.sla, d.now), 409),
    ("open", lambda d, t: tickets.cancel_followup(d.session, t, "why", d.now), 409),
    ("open", lambda d, t: tickets.followup_failed(d.session, t, "too long", d.now), 409),
    ("open", lambda d, t: tickets.reply_sent(d.session, d.reply(t), d.now), 409),
    ("open", lambda d, t: tickets.raise_ticket(d.session, t.mentions[0], "care", d.sla, d.now), 409),
])
def test_a_refused_change_changes_nothing_and_records_nothing(desk, setup, change, status):
    ticket = desk.resolved() if setup == "resolved" else desk.ticket()
    desk.session.flush()
    before, events = _state(ticket), events_of(ticket)
    with pytest.raises(Refused) as refused:
        change(desk, ticket)
    assert refused.value.status == status
    assert (_state(ticket), events_of(ticket)) == (before, events)
    assert not [o for o in desk.session.new if isinstance(o, Event)]


def test_an_announcement_is_made_once_per_due_time(desk):
    ticket = desk.ticket()
    running = desk.sla.running(ticket)
    tickets.announce_at_risk(desk.session, ticket, running, desk.now)
    tickets.announce_breach(desk.session, ticket, running.name, running.due_at, desk.now)
    before = events_of(ticket)
    with pytest.raises(Refused):
        tickets.announce_at_risk(desk.session, ticket, running, desk.now)
    with pytest.raises(Refused):
        tickets.announce_breach(desk.session, ticket, running.name, running.due_at, desk.now)
    assert events_of(ticket) == before


def test_a_ticket_already_in_an_incident_is_not_linked_to_another(desk):
    ticket = desk.ticket()
    first = desk.incident()
    tickets.link_to_incident(desk.session, ticket, first, "m", "by hand", desk.now)
    desk.session.flush()
    assert tickets.link_to_incident(desk.session, ticket, first, "m", "by hand", desk.now) is False
    with pytest.raises(Refused, match=f"already in incident {first.id}"):
        tickets.link_to_incident(desk.session, ticket, desk.incident(), "m", "by hand", desk.now)
