"""Checking back with customers once their ticket is resolved: which tickets
get a follow-up (the policy), its message, and the job that puts due
follow-ups in the outbox and closes tickets whose customer never answered.

A follow-up is an outbox reply like any other (sent at most once, retried
safely), in the thread or, where the policy says and the platform allows,
by direct message; the listener reads the customer's answer to it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import FollowupSettings, Settings
from responder.answers import followup_target
from responder.channels import ReplyChannel, direct_message_refusal, followup_channel, reply_channel
from responder.outbox import queue_system_reply
from responder.templates import fill_template
from store import tickets
from store.db import Database
from store.models import Identity, Mention, Reply, Ticket
from store.tickets import FollowupPlan

log = logging.getLogger(__name__)


def resolve_ticket(session: Session, ticket: Ticket, actor: str, settings: Settings, now: datetime,
                   force: bool = False) -> None:
    """Resolve the ticket with the follow-up the policy picks for it; every
    resolve, by an agent, in bulk or by an incident's fix, comes here.
    Posts still waiting for an answer are left so only with `force`."""
    tickets.resolve(session, ticket, actor, followup_plan(session, ticket, settings, now), now, force)


def followup_plan(session: Session, ticket: Ticket, settings: Settings, now: datetime) -> FollowupPlan:
    """The policy's decision for a ticket being resolved now."""
    why_not = why_no_followup(session, ticket, settings, now)
    if why_not is not None:
        return FollowupPlan(why_not=why_not)
    channel, why_thread = followup_channel(settings, ticket, followup_target(ticket))
    return FollowupPlan(due_at=now + timedelta(minutes=settings.followups.delay_minutes), channel=channel.kind,
                        channel_reason=why_thread)


def why_no_followup(session: Session, ticket: Ticket, settings: Settings, now: datetime) -> str | None:
    """The policy: None when the ticket should get a follow-up now, else why not."""
    policy = settings.followups
    first = ticket.mentions[0] if ticket.mentions else None
    checks = (
        (not policy.enabled, "follow-ups are off"),
        (first is None, "the ticket has no customer post"),
        (not _was_answered(session, ticket), "nobody answered the customer"),
        (bool(policy.sentiments) and first is not None and first.sentiment not in policy.sentiments,
         f"it started {first.sentiment if first else ''}; the policy follows up {', '.join(policy.sentiments)}"),
        (bool(policy.priorities) and ticket.priority not in policy.priorities,
         f"priority {ticket.priority} is not followed up"),
        (bool(policy.topics) and ticket.topic not in policy.topics,
         f"topic {ticket.topic or 'none'} is not followed up"),
        (bool(policy.platforms) and ticket.platform not in policy.platforms,
         f"{ticket.platform} is not followed up"),
        (ticket.customer.contact_opt_out_at is not None, "the customer asked not to be contacted"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    target = followup_target(ticket)
    channel = reply_channel(settings, ticket, target)
    if not channel.can_reply:
        return channel.why_not
    closed = direct_message_refusal(session, channel, target, now) if target is not None else None
    if closed is not None:
        return closed
    if _followed_up_recently(session, ticket, policy, now):
        return f"the customer had a follow-up within {policy.per_customer_days} days"
    return None


def _was_answered(session: Session, ticket: Ticket) -> bool:
    """An answer reached the customer or is on its way: an agent's, one
    given outside closeloop, or an incident's update. A follow-up asks
    whether our fix worked, which means nothing to a customer nobody
    answered."""
    return ticket.first_response_at is not None or session.scalar(select(exists().where(
        Reply.ticket_id == ticket.id, Reply.purpose.in_(("answer", "broadcast")), Reply.status != "failed"))) or False


def _followed_up_recently(session: Session, ticket: Ticket, policy: FollowupSettings, now: datetime) -> bool:
    since = now - timedelta(days=policy.per_customer_days)
    return session.scalar(select(exists().where(
        Reply.purpose == "followup", Reply.ticket_id == Ticket.id, Ticket.customer_id == ticket.customer_id,
        Ticket.id != ticket.id, Reply.created_at >= since, Reply.status != "failed"))) or False


def _wrote_since(session: Session, customer_id: int, since: datetime) -> bool:
    return session.scalar(select(exists().where(
        Mention.identity_id == Identity.id, Identity.customer_id == customer_id, Mention.received_at > since))) or False


@dataclass
class FollowupReport:
    queued: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)


class FollowUps:
    """The job: queue follow-ups that are due, close tickets whose customer
    did not answer in time. Each ticket changes in its own transaction,
    with a compare-and-set on its state, so a follow-up is queued once."""

    def __init__(self, db: Database, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock

    def run(self) -> FollowupReport:
        report = FollowupReport()
        now = self.clock.now()
        for ticket_id in self._due("scheduled", now):
            outcome = self._send(ticket_id)
            if outcome == "queued":
                report.queued.append(ticket_id)
            elif outcome == "cancelled":
                report.cancelled.append(ticket_id)
        for ticket_id in self._due("sent", now):
            if self._close_unconfirmed(ticket_id):
                report.unconfirmed.append(ticket_id)
        return report

    def _due(self, state: str, now: datetime) -> list[int]:
        with self.db.transaction() as session:
            return list(session.scalars(
                select(Ticket.id).where(Ticket.followup_state == state, Ticket.followup_due_at <= now)
                .order_by(Ticket.followup_due_at, Ticket.id).limit(100)))

    def _send(self, ticket_id: int) -> str | None:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = tickets.claim_due_followup(
                session, ticket_id, timedelta(hours=self.settings.followups.answer_window_hours), now)
            if ticket is None:
                return None
            why_not = self._why_not_now(session, ticket, now)
            if why_not is not None:
                tickets.cancel_followup(session, ticket, why_not, now)
                return "cancelled"
            target = followup_target(ticket)
            channel, why_thread = followup_channel(self.settings, ticket, target)
            language = latest_language(ticket)
            body = fill_template(self.settings.followups.template_for(ticket.platform, language), ticket,
                                 ticket.assignee.name if ticket.assignee else None, self.settings.brand.name)
            problem = _too_long(body, channel)
            if problem is not None:
                tickets.followup_failed(session, ticket, problem, now)
                return None
            queue_system_reply(session, ticket, target, body, "followup",
                               f"followup:{ticket.id}:{ticket.resolved_at.isoformat()}", now, channel,
                               **_channel_reason(why_thread))
            return "queued"

    def _why_not_now(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        if ticket.status != "resolved":
            return f"the ticket is {ticket.status}"
        if _wrote_since(session, ticket.customer_id, ticket.resolved_at):
            return "the customer wrote again after the ticket was resolved"
        return why_no_followup(session, ticket, self.settings, now)

    def _close_unconfirmed(self, ticket_id: int) -> bool:
        now = self.clock.now()
        with self.db.transaction() as session:
            return tickets.followup_unanswered(
                session, ticket_id, f"no answer within {self.settings.followups.answer_window_hours:g} hours",
                now) is not None


def latest_language(ticket: Ticket) -> str | None:
    """The language of the customer's latest post that has one."""
    return next((m.language for m in reversed(ticket.mentions) if m.language), None)


def _too_long(body: str, channel: ReplyChannel) -> str | None:
    return channel.too_long(body, "the follow-up")


def _channel_reason(why_thread: str | None) -> dict[str, str]:
    """An event's detail saying why a follow-up goes in the thread, when the
    policy asked for a direct message."""
    return {"channel_reason": why_thread} if why_thread else {}
