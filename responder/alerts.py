"""The alert outbox: Slack and email alerts to staff, queued by
`store.alerts.queue_alerts`, are delivered by the delivery machine, which
claims each one with a compare-and-set, as for replies, and records the
outcome.

Unlike a reply, an alert may at worst be sent twice. The claim is a lease:
an alert left `sending` (the process died mid-send, or the outcome could not
be recorded) is claimed again once its lease runs out, and neither Slack nor
a mail server can be asked whether it already got it. A second message to
staff is a nuisance; a lost breach alert is worse."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from config.clock import Clock
from config.secrets import resolve_secret
from config.settings import AlertSettings, TeamSettings
from connectors.backoff import Backoff
from responder.alert_channels import EmailChannel, Message, SlackChannel, WebChannel
from responder.delivery import Attempt, DeliveryError, DeliveryMachine, Outcome, Sender, won
from store.db import Database
from store.alerts import BATCH_WINDOW, batch_heading, batchable
from store.models import Alert

log = logging.getLogger(__name__)

# How long a claim holds at least; a slow mail server can take about ten
# round trips of timeout_seconds each, so the lease grows with the timeout.
MIN_LEASE_SECONDS = 300
LEASE_TIMEOUTS = 10
# The wait between attempts doubles from backoff_seconds up to this.
MAX_BACKOFF_SECONDS = 3600


@dataclass(frozen=True)
class Claim:
    """One message for the alerts `alert_ids` (more than one when batched)."""

    alert_ids: tuple[int, ...]
    channel: str
    message: Message


class AlertOutbox:
    """The staff alerts' outbox: one alert a claim, sent by the delivery machine."""

    def __init__(self, db: Database, settings: AlertSettings, clock: Clock,
                 slack_url_for: Callable[[str], str]):
        lease = timedelta(seconds=max(MIN_LEASE_SECONDS, LEASE_TIMEOUTS * settings.timeout_seconds))
        self.machine = DeliveryMachine("alert", AlertQueue(db, settings.base_url, lease),
                                       AlertSender(settings, clock, slack_url_for),
                                       Backoff(settings.backoff_seconds, MAX_BACKOFF_SECONDS), clock,
                                       max_attempts=settings.max_attempts)

    def send_due(self, limit: int = 50) -> int:
        """Deliver up to `limit` due alerts; returns how many were handled.
        Never raises: it runs in the scheduler, so whatever goes wrong is
        logged and, where it can be, recorded on the alert."""
        return self.machine.send_due(limit).tried


class AlertQueue:
    def __init__(self, db: Database, base_url: str, lease: timedelta):
        self.db = db
        self.base_url = base_url
        self.lease = lease

    def due(self, now: datetime, limit: int) -> list[int]:
        return self.db.ids_to_claim(
            select(Alert.id).where(due(now)).order_by(Alert.next_attempt_at, Alert.id).limit(limit))

    def claim(self, alert_id: int, now: datetime, limit: int) -> list[Attempt[Claim]]:
        """Mark the alert, and the at-risk alerts batched with it, as being
        sent until the lease runs out, if no other worker claimed them
        first. While an alert is `sending`, its next_attempt_at is when the
        lease runs out."""
        with self.db.transaction() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                return []
            status, attempts = alert.status, alert.attempts
            claimed = dict(status="sending", attempts=attempts + 1, next_attempt_at=now + self.lease)
            if not won(session, update(Alert)
                       .where(Alert.id == alert_id, due(now), Alert.status == status, Alert.attempts == attempts)
                       .values(**claimed)):
                return []
            batch = [alert] + self._batch_mates(session, alert, claimed)
            to_send = [a for a in batch if not skipped(a)]
            if not to_send:
                return []
            message = self._message(to_send, now)
            ids = tuple(a.id for a in to_send)
            return [Attempt(Claim(ids, alert.channel, message), attempts, outcome_unknown=status == "sending")]

    def _batch_mates(self, session: Session, alert: Alert, claimed: dict) -> list[Alert]:
        """The ticket alerts queued for the same person, channel and kind
        within the batch window after `alert`, claimed with it."""
        if not batchable(alert) or alert.channel == "web":
            return []
        ids = session.scalars(
            update(Alert)
            .where(Alert.id != alert.id, Alert.status == "queued", Alert.kind == alert.kind,
                   Alert.ticket_id.is_not(None),
                   Alert.channel == alert.channel, Alert.recipient == alert.recipient,
                   Alert.created_at >= alert.created_at, Alert.created_at < alert.created_at + BATCH_WINDOW)
            .values(**claimed).returning(Alert.id).execution_options(synchronize_session=False)).all()
        if not ids:
            return []
        return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.created_at, Alert.id)
                                    .execution_options(populate_existing=True)))

    def _message(self, alerts: list[Alert], now: datetime) -> Message:
        first = alerts[0]
        if len(alerts) == 1:
            return Message(first.id, first.recipient, first.subject, first.body,
                           absolute_link(self.base_url, first.link), first.created_at)
        lines = "\n".join(f"{a.subject}: {absolute_link(self.base_url, a.link)}" for a in alerts)
        return Message(first.id, first.recipient, batch_heading(alerts, now), lines,
                       absolute_link(self.base_url, "/inbox"), first.created_at)

    def record(self, attempt: Attempt[Claim], outcome: Outcome[None], now: datetime) -> bool:
        """A sent alert is recorded whoever holds the claim now: it did
        arrive. A failure only by the attempt that still holds the claim."""
        ids = attempt.work.alert_ids
        with self.db.transaction() as session:
            if outcome.status == "sent":
                session.execute(update(Alert).where(Alert.id.in_(ids))
                                .values(status="sent", sent_at=now, next_attempt_at=None, last_error=None)
                                .execution_options(synchronize_session=False))
                return True
            held = session.execute(
                update(Alert).where(Alert.id.in_(ids), Alert.status == "sending", Alert.attempts == outcome.failures)
                .values(status=outcome.status, last_error=outcome.error, next_attempt_at=outcome.next_attempt_at)
                .execution_options(synchronize_session=False)).rowcount
            if not held:
                log.info("alert %s: attempt %d failed after its claim ran out: %s",
                         ids[0], outcome.failures, outcome.error)
            return held > 0


class AlertSender(Sender[Claim, None]):
    def __init__(self, settings: AlertSettings, clock: Clock, slack_url_for: Callable[[str], str]):
        self.channels = {
            "web": WebChannel(),
            "slack": SlackChannel(slack_url_for, settings.timeout_seconds),
            "email": EmailChannel(settings, clock),
        }

    def send(self, claim: Claim) -> None:
        """Neither Slack nor a mail server can be asked whether an alert
        arrived: one whose outcome is unknown is sent again."""
        channel = self.channels.get(claim.channel)
        if channel is None:
            raise DeliveryError(f"unknown channel {claim.channel!r}", permanent=True)
        channel.send(claim.message)


def skipped(alert: Alert) -> bool:
    """Mark the claimed alert skipped when its ticket no longer needs it."""
    ticket = alert.ticket
    if ticket is None:
        return False
    if ticket.status in ("resolved", "closed"):
        reason = f"ticket #{ticket.id} was {ticket.status} before delivery"
    elif alert.kind == "at_risk" and ticket.first_response_at is not None and ticket.next_response_due_at is None:
        reason = f"ticket #{ticket.id} was answered before delivery"
    else:
        return False
    alert.status, alert.last_error, alert.next_attempt_at = "failed", f"skipped: {reason}", None
    log.info("alert %s not sent: %s", alert.id, reason)
    return True


def due(now: datetime):
    """Queued and due, or `sending` with its lease run out."""
    return Alert.status.in_(("queued", "sending")) & or_(Alert.next_attempt_at.is_(None),
                                                         Alert.next_attempt_at <= now)


def absolute_link(base_url: str, link: str | None) -> str | None:
    """Links are stored as paths of the web app ("/tickets/7") or whole URLs."""
    if not link:
        return None
    if urlsplit(link).scheme:
        return link
    return f"{base_url.rstrip('/')}/{link.lstrip('/')}"


def slack_webhook_for(teams: Mapping[str, TeamSettings], team: str) -> str:
    """The URL of a team's Slack webhook, its secret reference resolved
    (a `slack_url_for` is `functools.partial(slack_webhook_for, teams)`).
    LookupError when the team has none: its Slack alerts fail at once."""
    settings = teams.get(team)
    if settings is None or not settings.slack_webhook:
        raise LookupError(f"team {team!r} has no slack_webhook")
    return resolve_secret(settings.slack_webhook, key=f"teams.{team}.slack_webhook")
