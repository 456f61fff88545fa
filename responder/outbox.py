"""The outbox: replies are queued by agents and sent by a job, each at most
once, under the customer's post or by direct message to them. A reply is
claimed with a compare-and-set before it is sent; a send whose outcome is
unknown (the process died, the call timed out) is checked against the
platform before it is tried again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import OutboxSettings
from connectors.backoff import Backoff
from connectors.base import Connector, PostedReply
from responder.channels import ReplyChannel
from responder.delivery import Attempt, DeliveryMachine, Outcome, Sender, claim_row, connector_errors
from store import tickets
from store.answers import default_target, post_states
from store.db import Database
from store.errors import Refused
from store.models import Agent, Mention, Reply, Ticket

log = logging.getLogger(__name__)


def queue_reply(session: Session, ticket: Ticket, body: str, agent: Agent | None, now: datetime,
                idempotency_key: str | None = None, channel: ReplyChannel | None = None,
                post: Mention | None = None) -> Reply:
    """Put a reply to `post` (by default the post store.answers'
    default_target picks) in the outbox, by the channel that post is
    answered in unless `channel` says. The same idempotency key returns the
    reply queued the first time."""
    mention = post or default_target(post_states(ticket))
    channel = channel or _answering(ticket, mention)
    existing = queued_before(session, ticket, idempotency_key, body)
    if existing is not None:
        return existing
    body = (body or "").strip()
    if not body:
        raise Refused("the reply is empty", status=400)
    if not channel.can_reply:
        raise Refused(channel.why_not)
    too_long = channel.too_long(body, "the reply")
    if too_long:
        raise Refused(too_long)
    if not ticket.is_open:
        raise Refused(f"ticket {ticket.id} is {ticket.status}; reopen it to reply", status=409)
    if mention is None:
        raise Refused(f"ticket {ticket.id} has no customer post to answer", status=409)
    reply = Reply(ticket=ticket, mention=mention, agent=agent, body=body, status="queued", attempts=0,
                  channel=channel.kind, idempotency_key=idempotency_key or None, created_at=now,
                  next_attempt_at=now)
    session.add(reply)
    session.flush()
    tickets.reply_queued(session, reply, now)
    return reply


def queued_before(session: Session, ticket: Ticket, idempotency_key: str | None, body: str) -> Reply | None:
    """The reply queued earlier with this idempotency key, if any; refused
    when it was for another ticket or another text (a client's mistake
    that answering with the first reply would hide)."""
    if not idempotency_key:
        return None
    existing = session.scalar(select(Reply).where(Reply.idempotency_key == idempotency_key))
    if existing is not None and existing.ticket_id != ticket.id:
        raise Refused("this idempotency key was used for another ticket", status=409)
    if existing is not None and existing.body != (body or "").strip():
        raise Refused(f"this idempotency key was used for another reply (reply {existing.id})", status=409)
    return existing


def queue_system_reply(session: Session, ticket: Ticket, post: Mention | None, body: str, purpose: str,
                       idempotency_key: str, now: datetime, channel: ReplyChannel | None = None,
                       **detail) -> Reply:
    """Queue a message closeloop sends itself (a follow-up, an incident's
    update, a thank-you) under `post`, whatever the ticket's status, by
    the channel that post is answered in unless `channel` says; `detail`
    goes on the event. The key makes it once per occasion."""
    existing = session.scalar(select(Reply).where(Reply.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    if post is None:
        raise Refused(f"ticket {ticket.id} has no customer post to answer", status=409)
    channel = channel or _answering(ticket, post)
    reply = Reply(ticket=ticket, mention=post, agent=None, purpose=purpose, body=body, status="queued",
                  attempts=0, channel=channel.kind, created_at=now, next_attempt_at=now,
                  idempotency_key=idempotency_key)
    session.add(reply)
    session.flush()
    tickets.reply_queued(session, reply, now, **detail)
    return reply


def _answering(ticket: Ticket, mention: Mention | None) -> ReplyChannel:
    return ReplyChannel.answering(mention) if mention is not None else ReplyChannel.of(ticket.platform)


@dataclass(frozen=True)
class Claim:
    """A reply this worker won. A direct message goes to `recipient` (the
    customer's user id on the platform); `in_reply_to` is the post it
    answers. `recorded`: the platform ids of the customer's other replies
    there, which a look-up for this one must not take for it."""

    reply_id: int
    body: str
    in_reply_to: str
    platform: str
    account: str | None
    channel: str = "thread"
    recipient: str | None = None
    recorded: frozenset[str] = frozenset()


class Outbox:
    """The replies' outbox: one reply a claim, sent by the delivery machine."""

    def __init__(self, db: Database, settings: OutboxSettings, clock: Clock,
                 connector_for: Callable[[str | None, str], Connector]):
        self.machine = DeliveryMachine("reply", ReplyQueue(db, settings), ReplySender(connector_for),
                                       Backoff(settings.backoff_seconds, settings.max_backoff_seconds), clock,
                                       max_attempts=settings.max_attempts)

    def send_due(self, limit: int = 20) -> int:
        """Send up to `limit` due replies; returns how many were handled."""
        return self.machine.send_due(limit).tried


class ReplyQueue:
    """A reply is due once queued and its next attempt has come, or when it
    was left `sending` for stale_send_seconds (its sender died or hangs)."""

    def __init__(self, db: Database, settings: OutboxSettings):
        self.db = db
        self.stale = timedelta(seconds=settings.stale_send_seconds)

    def _due(self, now: datetime):
        return or_((Reply.status == "queued") & (Reply.next_attempt_at <= now),
                   (Reply.status == "sending") & (Reply.claimed_at < now - self.stale))

    def due(self, now: datetime, limit: int) -> list[int]:
        return self.db.ids_to_claim(
            select(Reply.id).where(self._due(now)).order_by(Reply.next_attempt_at, Reply.id).limit(limit))

    def claim(self, reply_id: int, now: datetime, limit: int) -> list[Attempt[Claim]]:
        """Mark the reply as being sent, if no other worker did first
        (`claim_row`). A reply left `sending`, or whose last attempt may
        have arrived, is looked up first; one that failed for certain is not."""
        with self.db.transaction() as session:
            claimed = claim_row(session, Reply, reply_id, self._due(now), now)
            if claimed is None:
                return []
            reply, attempts, outcome_unknown = claimed
            mention = reply.mention
            account = mention.source.credentials_ref if mention.source else None
            claim = Claim(reply.id, reply.body, mention.external_id, mention.platform, account, reply.channel,
                          mention.identity.platform_user_id,
                          _recorded_besides(session, reply) if outcome_unknown else frozenset())
            return [Attempt(claim, attempts, outcome_unknown)]

    def record(self, attempt: Attempt[Claim], outcome: Outcome[PostedReply], now: datetime) -> bool:
        """Written only while the reply is still this attempt's: a worker
        whose claim went stale and was taken over changes nothing, but for
        a reply that did arrive while it is still being sent."""
        with self.db.transaction() as session:
            reply = session.get(Reply, attempt.work.reply_id, with_for_update=True)
            held = reply is not None and reply.status == "sending" and reply.attempts == attempt.failures + 1
            if outcome.status == "sent" and reply is not None and reply.status == "sending":
                _record_sent(session, reply, outcome.result, now)
            elif not held:
                log.info("reply %s: attempt %d ended (%s) after another worker took it over",
                         attempt.work.reply_id, attempt.failures + 1, outcome.status)
                return False
            elif outcome.status == "failed":
                _record_failed(session, reply, outcome.error, outcome.unknown, now)
            else:
                reply.status = "queued"
                reply.last_error = outcome.error
                reply.next_attempt_at = outcome.next_attempt_at
                reply.outcome_unknown = outcome.unknown
        return held


def _recorded_besides(session: Session, reply: Reply) -> frozenset[str]:
    """The platform ids of the customer's other replies on the platform."""
    ticket = reply.ticket
    return frozenset(session.scalars(
        select(Reply.platform_reply_id).join(Ticket)
        .where(Ticket.customer_id == ticket.customer_id, Ticket.platform == ticket.platform, Reply.id != reply.id,
               Reply.platform_reply_id.is_not(None))))


def _record_sent(session: Session, reply: Reply, posted: PostedReply, now: datetime) -> None:
    reply.status = "sent"
    reply.outcome_unknown = False
    reply.platform_reply_id = posted.external_id
    reply.url = posted.url
    reply.conversation_ref = posted.conversation_id
    reply.sent_at = now
    reply.last_error = None
    reply.next_attempt_at = None
    tickets.reply_sent(session, reply, now)


def _record_failed(session: Session, reply: Reply, error: str, unknown: bool, now: datetime) -> None:
    reply.status = "failed"
    reply.outcome_unknown = unknown
    reply.last_error = error
    reply.next_attempt_at = None
    tickets.reply_failed(session, reply, now)


class ReplySender(Sender[Claim, PostedReply]):
    """Posts under the customer's post or by direct message, through the
    account's connector; looks a reply up on the platform when an earlier
    attempt may have posted it."""

    def __init__(self, connector_for: Callable[[str | None, str], Connector]):
        self.connector_for = connector_for

    def send(self, claim: Claim) -> PostedReply:
        with connector_errors():
            connector = self.connector_for(claim.account, claim.platform)
            if claim.channel == "direct_message":
                return connector.send_message(claim.recipient, claim.body)
            return connector.post_reply(claim.in_reply_to, claim.body)

    def find(self, claim: Claim) -> PostedReply | None:
        """A look-up finds the newest reply with this text; when that is
        another reply already recorded (the same words sent earlier), this
        one was not posted after it."""
        with connector_errors():
            connector = self.connector_for(claim.account, claim.platform)
            if claim.channel == "direct_message":
                found = connector.find_message(claim.recipient, claim.body, since_id=claim.in_reply_to)
            else:
                found = connector.find_reply(claim.in_reply_to, claim.body)
        return None if found is None or found.external_id in claim.recorded else found


def retry_reply(session: Session, reply: Reply, agent: Agent | None, now: datetime,
                answer_window: timedelta) -> None:
    """Queue a failed reply again (an agent fixed the cause). A follow-up
    waits `answer_window` for the customer's answer from now."""
    if reply.status != "failed":
        raise Refused(f"reply {reply.id} is {reply.status}, only a failed reply can be retried", status=409)
    reply.status = "queued"
    reply.next_attempt_at = now
    tickets.reply_retried(session, reply, agent.email if agent else "system", answer_window, now)
