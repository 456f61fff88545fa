"""How a ticket can be answered: the platform's length limit, and whether
its account can post replies at all (some review feeds cannot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from connectors.registry import account_can_reply, reply_limit
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

    @classmethod
    def of(cls, platform: str, can_reply: bool = True) -> ReplyChannel:
        return cls(platform, reply_limit(platform), can_reply)

    @property
    def why_not(self) -> str:
        return (f"this {self.platform} source has no reply API: answer on the site, then record how you "
                "answered")


def reply_channel(session: Session, settings: Settings, ticket: Ticket) -> ReplyChannel:
    """The channel of the account the ticket's latest post came through."""
    account_name = session.scalar(
        select(Source.credentials_ref).join(Mention, Mention.source_id == Source.id)
        .where(Mention.ticket_id == ticket.id).order_by(Mention.created_at.desc(), Mention.id.desc()).limit(1))
    account = settings.accounts.get(account_name) if account_name else next(
        (a for a in settings.accounts.values() if a.platform == ticket.platform), None)
    return ReplyChannel.of(ticket.platform, account_can_reply(account) if account is not None else True)


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
