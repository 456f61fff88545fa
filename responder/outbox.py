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

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import OutboxSettings
from connectors.base import Connector, ConnectorError, PostedReply
from responder.channels import ReplyChannel, latest_mention
from store import tickets
from store.db import Database
from store.errors import Refused
from store.models import Agent, Mention, Reply, Ticket

log = logging.getLogger(__name__)


def queue_reply(session: Session, ticket: Ticket, body: str, agent: Agent | None, now: datetime,
                idempotency_key: str | None = None, channel: ReplyChannel | None = None) -> Reply:
    """Put a reply to the ticket's latest customer post in the outbox, by
    the channel that post is answered in unless `channel` says. The same
    idempotency key returns the reply queued the first time."""
    mention = latest_mention(session, ticket)
    channel = channel or _answering(ticket, mention)
    if idempotency_key:
        existing = session.scalar(select(Reply).where(Reply.idempotency_key == idempotency_key))
        if existing is not None:
            if existing.ticket_id != ticket.id:
                raise Refused("this idempotency key was used for another ticket", status=409)
            return existing
    body = (body or "").strip()
    if not body:
        raise Refused("the reply is empty", status=400)
    if not channel.can_reply:
        raise Refused(channel.why_not)
    if len(body) > channel.limit:
        raise Refused(f"the reply has {len(body)} characters; {channel.allows}")
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


def queue_system_reply(session: Session, ticket: Ticket, body: str, purpose: str, idempotency_key: str,
                       now: datetime, channel: ReplyChannel | None = None, **detail) -> Reply:
    """Queue a message closeloop sends itself (a follow-up, an incident's
    update) to the customer's latest post, whatever the ticket's status, by
    the channel that post is answered in unless `channel` says; `detail`
    goes on the event. The key makes it once per occasion."""
    existing = session.scalar(select(Reply).where(Reply.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    mention = latest_mention(session, ticket)
    channel = channel or _answering(ticket, mention)
    reply = Reply(ticket=ticket, mention=mention, agent=None, purpose=purpose, body=body, status="queued",
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
    customer's user id on the platform); `in_reply_to` is the post it answers."""

    reply_id: int
    body: str
    in_reply_to: str
    platform: str
    account: str | None
    outcome_unknown: bool
    channel: str = "thread"
    recipient: str | None = None


class Outbox:
    def __init__(self, db: Database, settings: OutboxSettings, clock: Clock,
                 connector_for: Callable[[str | None, str], Connector]):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.connector_for = connector_for

    def send_due(self, limit: int = 20) -> int:
        """Send up to `limit` due replies; returns how many were handled."""
        handled = 0
        for reply_id in self._due_reply_ids(limit):
            claim = self._claim(reply_id)
            if claim is not None:
                self._deliver(claim)
                handled += 1
        return handled

    def _due_reply_ids(self, limit: int) -> list[int]:
        now = self.clock.now()
        stale = now - timedelta(seconds=self.settings.stale_send_seconds)
        return self.db.ids_to_claim(
            select(Reply.id)
            .where(or_(
                (Reply.status == "queued") & (Reply.next_attempt_at <= now),
                (Reply.status == "sending") & (Reply.claimed_at < stale),
            ))
            .order_by(Reply.next_attempt_at, Reply.id)
            .limit(limit)
        )

    def _claim(self, reply_id: int) -> Claim | None:
        """Mark the reply as being sent, if no other worker did first."""
        now = self.clock.now()
        stale = now - timedelta(seconds=self.settings.stale_send_seconds)
        with self.db.transaction() as session:
            reply = session.get(Reply, reply_id)
            if reply is None:
                return None
            outcome_unknown = reply.status == "sending" or reply.attempts > 0
            won = session.execute(
                update(Reply)
                .where(Reply.id == reply_id)
                .where(or_(
                    (Reply.status == "queued") & (Reply.next_attempt_at <= now),
                    (Reply.status == "sending") & (Reply.claimed_at < stale),
                ))
                .where(Reply.attempts == reply.attempts)
                .values(status="sending", claimed_at=now, attempts=Reply.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount == 1
            if not won:
                return None
            mention = reply.mention
            account = mention.source.credentials_ref if mention.source else None
            return Claim(reply.id, reply.body, mention.external_id, mention.platform, account, outcome_unknown,
                         reply.channel, mention.identity.platform_user_id)

    def _deliver(self, claim: Claim) -> None:
        try:
            connector = self.connector_for(claim.account, claim.platform)
            posted = None
            if claim.outcome_unknown:
                posted = _find(connector, claim)
                if posted is not None:
                    log.info("reply %s was already on %s as %s; not sending again",
                             claim.reply_id, claim.platform, posted.external_id)
            if posted is None:
                posted = _send(connector, claim)
        except ConnectorError as error:
            self._record_failure(claim, error)
            return
        except Exception as error:  # a bug must not stop the outbox
            log.exception("sending reply %s failed unexpectedly", claim.reply_id)
            self._record_failure(claim, ConnectorError(f"unexpected error: {error}"))
            return
        self._record_sent(claim, posted)

    def _record_sent(self, claim: Claim, posted: PostedReply) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            reply = session.get(Reply, claim.reply_id)
            reply.status = "sent"
            reply.platform_reply_id = posted.external_id
            reply.url = posted.url
            reply.conversation_ref = posted.conversation_id
            reply.sent_at = now
            reply.last_error = None
            reply.next_attempt_at = None
            tickets.reply_sent(session, reply, now)

    def _record_failure(self, claim: Claim, error: ConnectorError) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            reply = session.get(Reply, claim.reply_id)
            reply.last_error = error.message
            if error.permanent or reply.attempts >= self.settings.max_attempts:
                reply.status = "failed"
                reply.next_attempt_at = None
                tickets.reply_failed(session, reply, now)
                log.warning("reply %s failed: %s", reply.id, error.message)
                return
            delay = min(self.settings.max_backoff_seconds, self.settings.backoff_seconds * 2 ** (reply.attempts - 1))
            if error.retry_after:
                delay = max(delay, error.retry_after)
            reply.status = "queued"
            reply.next_attempt_at = now + timedelta(seconds=delay)
            log.info("reply %s will be retried in %.0f s: %s", reply.id, delay, error.message)


def _find(connector: Connector, claim: Claim) -> PostedReply | None:
    if claim.channel == "direct_message":
        return connector.find_message(claim.recipient, claim.body, since_id=claim.in_reply_to)
    return connector.find_reply(claim.in_reply_to, claim.body)


def _send(connector: Connector, claim: Claim) -> PostedReply:
    if claim.channel == "direct_message":
        return connector.send_message(claim.recipient, claim.body)
    return connector.post_reply(claim.in_reply_to, claim.body)


def retry_reply(session: Session, reply: Reply, agent: Agent | None, now: datetime,
                answer_window: timedelta) -> None:
    """Queue a failed reply again (an agent fixed the cause). A follow-up
    waits `answer_window` for the customer's answer from now."""
    if reply.status != "failed":
        raise Refused(f"reply {reply.id} is {reply.status}, only a failed reply can be retried", status=409)
    reply.status = "queued"
    reply.next_attempt_at = now
    tickets.reply_retried(session, reply, agent.email if agent else "system", answer_window, now)
