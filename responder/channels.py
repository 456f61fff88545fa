"""How a ticket can be answered: under the customer's post or by direct
message, the length limit of that channel, and whether its account can
post replies at all (some review feeds cannot)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.platforms import LABELS
from config.settings import AccountSettings, Settings
from connectors.registry import (account_can_reply, can_message, connector_class, message_limit, reply_length,
                                 reply_limit, weighs_characters)
from store.answers import default_target, post_states
from store.models import Mention, Source, Ticket


def has_message_window(platform: str) -> bool:
    """Whether the platform lets the brand answer a direct message only for
    a while after the customer's last one (Meta's 24 hours): its connector
    class says why not with `window_refusal`."""
    return hasattr(connector_class(platform), "window_refusal")


@dataclass(frozen=True)
class ReplyChannel:
    platform: str
    limit: int
    can_reply: bool = True
    # "thread" (under the customer's post) or "direct_message" (to the customer).
    kind: str = "thread"
    # The account the answer goes out through, where one is known.
    account: AccountSettings | None = field(default=None, compare=False)

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
    def weighs_characters(self) -> bool:
        """Whether the platform counts some characters as more than one (X's posts)."""
        return self.kind == "thread" and weighs_characters(self.platform)

    def length(self, text: str) -> int:
        """The text's length as the platform counts it against `limit`: X
        weighs a post's characters, a direct message's it counts."""
        return reply_length(self.platform, text) if self.kind == "thread" else len(text)

    def too_long(self, text: str, what: str) -> str | None:
        """Why `what` (the reply, the update) is too long here, if it is."""
        length = self.length(text)
        if length <= self.limit:
            return None
        return f"{what} counts {length} characters, {length - self.limit} too many; {self.allows}"

    @property
    def allows(self) -> str:
        """The limit as a person reads it: "X allows 280"."""
        where = " in a direct message" if self.kind == "direct_message" else ""
        return f"{LABELS.get(self.platform, self.platform)} allows {self.limit}{where}"

    @property
    def why_not(self) -> str:
        return (f"this {self.platform} source has no reply API: answer on the site, then record how you "
                "answered")


def reply_channel(settings: Settings, ticket: Ticket, post: Mention | None = None) -> ReplyChannel:
    """The channel of an answer to `post` (by default the post
    store.answers' default_target picks), through the account it came in
    by (else the account of the ticket's latest post that has one). Reads
    the ticket's posts, so a page asking for each post's channel reads
    them once."""
    post = post or default_target(post_states(ticket))
    came_by = post.source if post is not None and post.source else _latest_source(ticket)
    account_name = came_by.credentials_ref if came_by else None
    account = settings.accounts.get(account_name) if account_name else next(
        (a for a in settings.accounts.values() if a.platform == ticket.platform), None)
    can_reply = account_can_reply(account) if account is not None else True
    if post is None:
        channel = ReplyChannel.of(ticket.platform, can_reply)
    else:
        channel = ReplyChannel.answering(post, can_reply)
    return ReplyChannel(channel.platform, channel.limit, channel.can_reply, channel.kind, account)


def _latest_source(ticket: Ticket) -> Source | None:
    sourced = [m for m in ticket.mentions if m.source is not None]
    return max(sourced, key=lambda m: (m.created_at, m.id)).source if sourced else None


def direct_message_refusal(session: Session, channel: ReplyChannel, post: Mention, now: datetime) -> str | None:
    """Why a direct message answering `post` would be refused now: on
    platforms with a messaging window, by the customer's last direct
    message to the brand that closeloop stored. None when it may go."""
    if channel.kind != "direct_message" or not has_message_window(channel.platform):
        return None
    last = session.scalar(select(func.max(Mention.created_at)).where(
        Mention.platform == channel.platform, Mention.kind == "direct_message",
        Mention.identity_id == post.identity_id))
    return connector_class(channel.platform).window_refusal(channel.account, last, now)


def followup_channel(settings: Settings, ticket: Ticket, post: Mention | None) -> tuple[ReplyChannel, str | None]:
    """Where the ticket's follow-up to `post` goes, and why it goes in the
    thread when the policy asked for a direct message."""
    channel = reply_channel(settings, ticket, post)
    if settings.followups.channel != "direct_message" or channel.kind == "direct_message":
        return channel, None
    if can_message(ticket.platform) and not has_message_window(ticket.platform):
        return ReplyChannel.direct(ticket.platform), None
    if can_message(ticket.platform):
        return channel, (f"{ticket.platform}: direct messages only answer a customer's own recent one; sent in the "
                         "thread")
    return channel, f"{ticket.platform}: no direct messages; sent in the thread"
