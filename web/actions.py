"""The changes agents make, shared by the pages and the JSON API.
The caller commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.settings import Settings
from listener.assignment import assign_by_hand
from responder.channels import ReplyChannel, ReplyRefused, record_answered_elsewhere
from responder.followups import resolve_ticket
from responder.outbox import queue_reply
from store.events import record_event
from store.models import PRIORITIES, Agent, Correction, Mention, Reply, Ticket, TicketStateError
from store.sla import SlaClock

MAX_IDEMPOTENCY_KEY = 100
MAX_SNOOZE = timedelta(days=30)


def reply_to(session: Session, ticket: Ticket, body: str, agent: Agent, now: datetime,
             idempotency_key: str | None, channel: ReplyChannel) -> Reply:
    """Queue a reply once per idempotency key, also when two submits race:
    the loser's insert hits the unique key and it returns the winner's reply."""
    if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ReplyRefused(f"the idempotency key is longer than {MAX_IDEMPOTENCY_KEY} characters", status=400)
    try:
        return queue_reply(session, ticket, body, agent, now, idempotency_key=idempotency_key, channel=channel)
    except IntegrityError:
        if not idempotency_key:
            raise
        session.rollback()
        return queue_reply(session, ticket, body, agent, now, idempotency_key=idempotency_key, channel=channel)


def answered_elsewhere(session: Session, ticket: Ticket, how: str, agent: Agent, now: datetime) -> None:
    """Record how the agent answered where closeloop cannot post."""
    record_answered_elsewhere(session, ticket, how, agent, now)


def resolve(session: Session, ticket: Ticket, agent: Agent, now: datetime, settings: Settings) -> None:
    """Resolve the ticket, and schedule its follow-up when the policy picks
    it; raises TicketStateError when it is not open."""
    resolve_ticket(session, ticket, agent.email, settings, now)


def no_response_needed(session: Session, ticket: Ticket, by: Agent, now: datetime) -> None:
    """The scorer raised a ticket nobody needs to answer: it is resolved
    without a follow-up, and the correction is kept for retraining."""
    ticket.resolve(now)
    record_event(session, ticket, "no_response_needed", now, actor=by.email)
    record_event(session, ticket, "followup_skipped", now, reason="no response was needed")
    if ticket.mentions:
        record_correction(session, ticket.mentions[0], "needs_response", "False", by, now)


def snooze(session: Session, ticket: Ticket, until: datetime | None, by: Agent, now: datetime) -> None:
    """Out of the inbox until `until` (None wakes it now); the customer
    writing again brings it back sooner. The response-time clock runs on."""
    if not ticket.is_open:
        raise TicketStateError(f"ticket {ticket.id} is {ticket.status}")
    if until is not None and not now < until <= now + MAX_SNOOZE:
        raise ValueError(f"snooze until a time in the next {MAX_SNOOZE.days} days")
    ticket.snoozed_until = until
    ticket.updated_at = now
    record_event(session, ticket, "snoozed" if until else "woken", now, actor=by.email,
                 until=until.isoformat() if until else None)


def assign(session: Session, ticket: Ticket, agent: Agent | None, by: Agent, now: datetime) -> None:
    """Agents may take a ticket themselves; seniors and up may give it to anyone."""
    if by.role == "agent" and (agent is None or agent.id != by.id):
        raise PermissionError("agents can assign tickets to themselves only")
    assign_by_hand(session, ticket, agent, by, now)


def change_priority(session: Session, ticket: Ticket, priority: str, reason: str, by: Agent, now: datetime,
                    settings: Settings) -> None:
    """A new priority recomputes the due times; the reason is recorded."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    if not reason.strip():
        raise ValueError("say why the priority changes")
    if not ticket.is_open:
        raise TicketStateError(f"ticket {ticket.id} is {ticket.status}")
    before = ticket.priority
    SlaClock(settings).reprioritize(ticket, priority, ticket.customer.tier or "standard", now)
    record_event(session, ticket, "reprioritized", now, actor=by.email, before=before, after=priority,
                 reason=reason.strip(), first_response_due_at=_iso(ticket.first_response_due_at))
    if ticket.mentions:
        record_correction(session, ticket.mentions[0], "priority", priority, by, now)


def change_topic(session: Session, ticket: Ticket, topic: str, by: Agent, now: datetime, settings: Settings) -> None:
    """The agent puts the ticket under another topic (or none, with ""); the
    scorer's topic is kept as a correction."""
    if topic and topic not in settings.scoring.topics:
        raise ValueError(f"topic must be one of {', '.join(settings.scoring.topics)}, or empty for none")
    before = ticket.topic
    if (topic or None) == before:
        return
    ticket.topic = topic or None
    ticket.updated_at = now
    record_event(session, ticket, "topic_changed", now, actor=by.email, before=before, after=ticket.topic)
    if ticket.mentions:
        record_correction(session, ticket.mentions[0], "topic", topic or "none", by, now)


MAX_NOTE = 2000


def add_note(session: Session, ticket: Ticket, text: str, by: Agent, now: datetime) -> None:
    """An internal note for the team: kept on the ticket, never posted."""
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise ValueError(f"write a note of 1 to {MAX_NOTE} characters")
    record_event(session, ticket, "note", now, actor=by.email, text=text)


def wait_on_customer(session: Session, ticket: Ticket, by: Agent, now: datetime, settings: Settings) -> None:
    """The ticket waits on the customer: its clock stops until they write."""
    if not ticket.is_open:
        raise TicketStateError(f"ticket {ticket.id} is {ticket.status}")
    SlaClock(settings).pause(ticket, now)
    record_event(session, ticket, "pending", now, actor=by.email)


def record_correction(session: Session, mention: Mention, field: str, corrected: str, by: Agent,
                      now: datetime) -> None:
    """An agent overruled the scorer on a post: kept with what it said, for
    retraining and for counting how often it errs."""
    original = getattr(mention, field)
    if str(original) == corrected:
        return
    session.add(Correction(
        mention=mention, ticket_id=mention.ticket_id, agent_id=by.id, platform=mention.platform, field=field,
        original=None if original is None else str(original), corrected=corrected, created_at=now,
        original_scores={"sentiment": mention.sentiment, "polarity": mention.polarity, "urgency": mention.urgency,
                         "needs_response": mention.needs_response, "priority": mention.priority,
                         "topic": mention.topic, "reasons": mention.reasons}))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
