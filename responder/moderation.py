"""Moderation of comments under the brand's own posts: asking for an
action (checked against the person's role, what the platform offers and
whether the post is the brand's to moderate, then queued), and the
moderation outbox that sends each action at most once through the
account's connector. An action whose outcome is unknown (the process
died mid-send, the call timed out) is checked against the platform (is
the comment hidden, liked, still there?) before it is sent again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, aliased

from config.clock import Clock
from config.settings import AccountSettings, Settings
from connectors.backoff import Backoff
from connectors.base import Connector
from connectors.moderation import StoredPost
from connectors.registry import moderation_actions, why_not_moderated
from responder.delivery import Attempt, DeliveryMachine, Outcome, Sender, claim_row, connector_errors
from store.db import Database
from store.errors import Refused
from store.models import Agent, Mention, ModerationAction
from store.moderation import PENDING, Moderation, queue_moderation, record_moderation, undo_moderation

log = logging.getLogger(__name__)


def account_of(settings: Settings, mention: Mention) -> AccountSettings | None:
    """The account the post was read with, else the platform's first."""
    name = mention.source.credentials_ref if mention.source else None
    if name in settings.accounts:
        return settings.accounts[name]
    return next((a for a in settings.accounts.values() if a.platform == mention.platform), None)


def platform_moderation(settings: Settings, mention: Mention) -> Moderation:
    """What the platform lets closeloop do to this post, from its
    connector's declared facts and the stored post alone."""
    offered = moderation_actions(mention.platform)
    account = account_of(settings, mention)
    if account is None:
        return Moderation(offered, f"no {mention.platform} account is configured")
    post = StoredPost(mention.kind, mention.external_id, mention.conversation_ref, mention.in_reply_to,
                      mention.raw or {})
    return Moderation(offered, why_not_moderated(account, post))


def request_moderation(session: Session, settings: Settings, mention: Mention, action: str, by: Agent | None,
                       reason: str, now: datetime, confirmed: bool = False) -> ModerationAction:
    return queue_moderation(session, mention, action, settings=settings.moderation,
                            moderation=platform_moderation(settings, mention), by=by, reason=reason, now=now,
                            confirmed=confirmed)


def undo(session: Session, settings: Settings, action_id: int, by: Agent | None, reason: str,
         now: datetime) -> ModerationAction:
    done = session.get(ModerationAction, action_id)
    if done is None:
        raise Refused(f"moderation action {action_id} does not exist", status=404)
    return undo_moderation(session, done, settings=settings.moderation,
                           moderation=platform_moderation(settings, done.mention), by=by, reason=reason, now=now)


@dataclass(frozen=True)
class Claim:
    action_id: int
    action: str
    comment_id: str
    platform: str
    account: str | None


class ModerationOutbox:
    """The moderation actions' outbox: one action a claim, sent by the delivery machine."""

    def __init__(self, db: Database, settings: Settings, clock: Clock,
                 connector_for: Callable[[str | None, str], Connector]):
        moderation = settings.moderation
        self.machine = DeliveryMachine(
            "moderation", ModerationQueue(db, timedelta(seconds=settings.outbox.stale_send_seconds)),
            ModerationSender(connector_for), Backoff(moderation.backoff_seconds, moderation.max_backoff_seconds),
            clock, max_attempts=moderation.max_attempts)

    def send_due(self, limit: int = 20) -> int:
        """Send up to `limit` due actions; returns how many were handled."""
        return self.machine.send_due(limit).tried


class ModerationQueue:
    """An action is due once queued and its next attempt has come, or when
    it was left `sending` for `stale` (its sender died or hangs), and no
    earlier action on the same comment is still on its way: a hide and
    its undo go out in the order they were asked."""

    def __init__(self, db: Database, stale: timedelta):
        self.db = db
        self.stale = stale

    def _due(self, now: datetime):
        return or_((ModerationAction.status == "queued") & (ModerationAction.next_attempt_at <= now),
                   (ModerationAction.status == "sending") & (ModerationAction.claimed_at < now - self.stale))

    def due(self, now: datetime, limit: int) -> list[int]:
        earlier = aliased(ModerationAction)
        waiting = exists().where(earlier.mention_id == ModerationAction.mention_id, earlier.id < ModerationAction.id,
                                 earlier.status.in_(PENDING))
        return self.db.ids_to_claim(select(ModerationAction.id).where(self._due(now), ~waiting)
                                    .order_by(ModerationAction.next_attempt_at, ModerationAction.id).limit(limit))

    def claim(self, action_id: int, now: datetime, limit: int) -> list[Attempt[Claim]]:
        """Mark the action as being sent, if no other worker did first. One
        left `sending`, or whose last attempt may have arrived, is looked
        up on the platform first."""
        with self.db.transaction() as session:
            claimed = claim_row(session, ModerationAction, action_id, self._due(now), now)
            if claimed is None:
                return []
            row, attempts, unknown = claimed
            mention = row.mention
            account = mention.source.credentials_ref if mention.source else None
            return [Attempt(Claim(row.id, row.action, mention.external_id, mention.platform, account),
                            attempts, unknown)]

    def record(self, attempt: Attempt[Claim], outcome: Outcome[bool], now: datetime) -> bool:
        """Written only while the action is still this attempt's, but for
        one that was done while it is still being sent."""
        with self.db.transaction() as session:
            row = session.get(ModerationAction, attempt.work.action_id, with_for_update=True)
            held = row is not None and row.status == "sending" and row.attempts == attempt.failures + 1
            if outcome.status == "sent" and row is not None and row.status == "sending":
                row.status, row.done_at, row.outcome_unknown = "done", now, False
                row.last_error = row.next_attempt_at = None
                record_moderation(session, row, "moderated", now)
            elif not held:
                log.info("moderation %s: attempt %d ended (%s) after another worker took it over",
                         attempt.work.action_id, attempt.failures + 1, outcome.status)
                return False
            elif outcome.status == "failed":
                row.status, row.outcome_unknown, row.last_error = "failed", outcome.unknown, outcome.error
                row.next_attempt_at = None
                record_moderation(session, row, "moderation_failed", now, error=outcome.error)
            else:
                row.status, row.last_error = "queued", outcome.error
                row.next_attempt_at, row.outcome_unknown = outcome.next_attempt_at, outcome.unknown
        return held


class ModerationSender(Sender[Claim, bool]):
    """Does the action through the account's connector; an earlier attempt
    that may have arrived is looked for in what the platform shows of the
    comment."""

    def __init__(self, connector_for: Callable[[str | None, str], Connector]):
        self.connector_for = connector_for

    def send(self, claim: Claim) -> bool:
        with connector_errors():
            self.connector_for(claim.account, claim.platform).moderate(claim.action, claim.comment_id)
        return True

    def find(self, claim: Claim) -> bool | None:
        with connector_errors():
            state = self.connector_for(claim.account, claim.platform).comment_state(claim.comment_id)
        return True if state is not None and state.shows_done(claim.action) else None
