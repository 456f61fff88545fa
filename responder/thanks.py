"""Thank-yous: praise that needs no answer can get one, and promoters the
team's invitation instead, through the outbox like any reply. Off by
default.

Each thank-you gets a small ticket of its own, closed from the start and
marked with the THANKS_POLICY, so that the reply has a thread to belong to
and the customer's answer, if any, finds it; response-time reports leave
these tickets out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import Settings
from connectors.registry import account_can_reply
from responder.channels import ReplyChannel
from responder.outbox import queue_system_reply
from responder.templates import fill_template
from store import tickets
from store.db import Database
from store.models import Identity, Mention, Reply, Ticket

# Praise older than this when first seen (after a restart, say) is left alone.
LOOKBACK = timedelta(hours=24)
BATCH = 200


class ThankYous:
    """The job. It remembers the last post it looked at; after a restart it
    looks again at the last day's praise, and what was thanked already is
    passed over."""

    def __init__(self, db: Database, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.after_id = 0

    def run(self) -> list[int]:
        """Thank the new praise; returns the ids of the posts thanked."""
        if not self.settings.followups.thanks.enabled:
            return []
        now = self.clock.now()
        with self.db.transaction() as session:
            praise = list(session.scalars(
                select(Mention.id).where(Mention.id > self.after_id, Mention.ticket_id.is_(None),
                                         Mention.sentiment == "positive", Mention.needs_response.is_(False),
                                         Mention.received_at >= now - LOOKBACK)
                .order_by(Mention.id).limit(BATCH)))
        thanked = [mention_id for mention_id in praise if self._thank(mention_id, now)]
        if praise:
            self.after_id = praise[-1]
        return thanked

    def _thank(self, mention_id: int, now: datetime) -> bool:
        try:
            with self.db.transaction() as session:
                mention = session.get(Mention, mention_id)
                if mention.ticket_id is not None or not self._may_thank(session, mention, now):
                    return False
                promoter = self._is_promoter(session, mention)
                ticket = tickets.open_thanks_ticket(
                    session, mention, self.settings.team_for(mention.platform, mention.topic), promoter, now)
                thanks = self.settings.followups.thanks
                body = fill_template(thanks.promoter_template if promoter else thanks.template, ticket, None,
                                     self.settings.brand.name)
                queue_system_reply(session, ticket, mention, body, "thanks", f"thanks:{mention.id}", now)
                return True
        except IntegrityError:
            return False

    def _may_thank(self, session: Session, mention: Mention, now: datetime) -> bool:
        """Not an opted-out customer, not one contacted by a thank-you or
        follow-up within the follow-up window, and only where we can reply."""
        customer = mention.identity.customer
        if customer.contact_opt_out_at is not None:
            return False
        account_name = mention.source.credentials_ref if mention.source else None
        account = self.settings.accounts.get(account_name) if account_name else None
        if not ReplyChannel.of(mention.platform, account_can_reply(account) if account else True).can_reply:
            return False
        since = now - timedelta(days=self.settings.followups.per_customer_days)
        return not session.scalar(select(exists().where(
            Reply.ticket_id == Ticket.id, Ticket.customer_id == customer.id,
            Reply.purpose.in_(("thanks", "followup")), Reply.created_at >= since)))

    def _is_promoter(self, session: Session, mention: Mention) -> bool:
        if mention.identity.followers >= self.settings.followups.thanks.promoter_followers:
            return True
        return bool(session.scalar(select(exists().where(
            Ticket.customer_id == Identity.customer_id, Identity.id == mention.identity_id,
            Ticket.followup_state == "satisfied"))))
