"""How a ticket can be answered: under the customer's post or by direct
message, the length limit of that channel, and whether its account can
post replies at all (some review feeds cannot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from connectors.registry import account_can_reply, can_message, message_limit, reply_limit
from store.events import record_event
from store.models import Agent, Mention, Source, Ticket

MAX_HOW_ANSWERED = 500


class ReplyRefused(ValueError):
    """The reply cannot be queued; nothing was stored or sent."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ReplyChannel:
    platform: str
    limit: int
    can_reply: bool = True
    # "thread" (under the customer's post) or "direct_message" (to the customer).
    kind: str = "thread"

    @classmethod
    def of(cls, platform: str, can_reply: bool = True) -> ReplyChannel:
        return cls(platform, reply_limit(platform), can_reply)

    @classmethod
    def direct(cls, platform: str) -> ReplyChannel:
        return cls(platform, message_limit(platform), True, "direct_message")

    @classmethod
    def answering(cls, mention: Mention, can_reply: bool = True) -> ReplyChannel:
        """Where an answer to this post goes: by direct message when the
        customer wrote by one on a platform where the brand sends them
        itself (X), else under it (Reddit answers a private message in
        its thread)."""
        if mention.kind == "direct_message" and can_message(mention.platform):
            return cls.direct(mention.platform)
        return cls.of(mention.platform, can_reply)

    @property
    def allows(self) -> str:
        """The limit as a person reads it: "x allows 280"."""
        where = " in a direct message" if self.kind == "direct_message" else ""
        return f"{self.platform} allows {self.limit}{where}"

    @property
    def why_not(self) -> str:
        return (f"this {self.platform} source has no reply API: answer on the site, then record how you "
                "answered")


def reply_channel(session: Session, settings: Settings, ticket: Ticket) -> ReplyChannel:
    """The channel of the ticket's latest post, through the account it came in by."""
    latest = latest_mention(session, ticket)
    account_name = session.scalar(
        select(Source.credentials_ref).join(Mention, Mention.source_id == Source.id)
        .where(Mention.ticket_id == ticket.id).order_by(Mention.created_at.desc(), Mention.id.desc()).limit(1))
    account = settings.accounts.get(account_name) if account_name else next(
        (a for a in settings.accounts.values() if a.platform == ticket.platform), None)
    can_reply = account_can_reply(account) if account is not None else True
    if latest is None:
        return ReplyChannel.of(ticket.platform, can_reply)
    return ReplyChannel.answering(latest, can_reply)


def latest_mention(session: Session, ticket: Ticket) -> Mention | None:
    """The customer's latest post on the ticket: the one a reply answers."""
    return session.scalar(
        select(Mention).where(Mention.ticket_id == ticket.id).order_by(Mention.created_at.desc(), Mention.id.desc())
    )


def followup_channel(session: Session, settings: Settings, ticket: Ticket) -> tuple[ReplyChannel, str | None]:
    """Where the ticket's follow-up goes, and why it goes in the thread
    when the policy asked for a direct message."""
    channel = reply_channel(session, settings, ticket)
    if settings.followups.channel != "direct_message" or channel.kind == "direct_message":
        return channel, None
    if can_message(ticket.platform):
        return ReplyChannel.direct(ticket.platform), None
    return channel, f"{ticket.platform}: no direct messages; sent in the thread"


def record_answered_elsewhere(session: Session, ticket: Ticket, how: str, agent: Agent, now: datetime) -> None:
    """The agent answered outside closeloop (the site has no reply API): the
    answer counts as the response, and how it was given is kept."""
    how = (how or "").strip()
    if not how:
        raise ReplyRefused("say how you answered, for example 'replied on the review site'", status=400)
    if len(how) > MAX_HOW_ANSWERED:
        raise ReplyRefused(f"keep it under {MAX_HOW_ANSWERED} characters", status=422)
    if not ticket.is_open:
        raise ReplyRefused(f"ticket {ticket.id} is {ticket.status}", status=409)
    ticket.record_response(now)
    record_event(session, ticket, "answered_elsewhere", now, actor=agent.email, how=how)
