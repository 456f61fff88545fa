"""The alert outbox: Slack and email alerts to staff, queued by
`store.alerts.queue_alerts`, are delivered by a job that claims each one
with a compare-and-set, as the reply outbox does, and records the outcome.

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

from config.clock import Clock
from config.secrets import resolve_secret
from config.settings import AlertSettings, TeamSettings
from responder.alert_channels import DeliveryError, EmailChannel, Message, SlackChannel, WebChannel
from store.db import Database
from store.models import Alert

log = logging.getLogger(__name__)

# How long a claim holds at least; a slow mail server can take about ten
# round trips of timeout_seconds each, so the lease grows with the timeout.
MIN_LEASE_SECONDS = 300
LEASE_TIMEOUTS = 10


@dataclass(frozen=True)
class Claim:
    alert_id: int
    channel: str
    attempts: int
    message: Message


class AlertOutbox:
    def __init__(self, db: Database, settings: AlertSettings, clock: Clock,
                 slack_url_for: Callable[[str], str]):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.lease = timedelta(seconds=max(MIN_LEASE_SECONDS, LEASE_TIMEOUTS * settings.timeout_seconds))
        self.channels = {
            "web": WebChannel(),
            "slack": SlackChannel(slack_url_for, settings.timeout_seconds),
            "email": EmailChannel(settings, clock),
        }

    def send_due(self, limit: int = 50) -> int:
        """Deliver up to `limit` due alerts; returns how many were handled.
        Never raises: it runs in the scheduler, so whatever goes wrong is
        logged and, where it can be, recorded on the alert."""
        try:
            alert_ids = self._due_alert_ids(limit)
        except Exception:
            log.exception("cannot look for alerts to send")
            return 0
        handled = 0
        for alert_id in alert_ids:
            try:
                claim = self._claim(alert_id)
                if claim is not None:
                    self._deliver(claim)
                    handled += 1
            except Exception:
                log.exception("alert %s could not be handled", alert_id)
        return handled

    def _due_alert_ids(self, limit: int) -> list[int]:
        return self.db.ids_to_claim(
            select(Alert.id).where(due(self.clock.now())).order_by(Alert.next_attempt_at, Alert.id).limit(limit))

    def _claim(self, alert_id: int) -> Claim | None:
        """Mark the alert as being sent until the lease runs out, if no
        other worker claimed it first. While it is `sending`, its
        next_attempt_at is when the lease runs out."""
        now = self.clock.now()
        with self.db.transaction() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                return None
            won = session.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .where(due(now))
                .where(Alert.status == alert.status)
                .where(Alert.attempts == alert.attempts)
                .values(status="sending", attempts=Alert.attempts + 1, next_attempt_at=now + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount == 1
            if not won:
                return None
            message = Message(alert.id, alert.recipient, alert.subject, alert.body,
                              absolute_link(self.settings.base_url, alert.link), alert.created_at)
            return Claim(alert.id, alert.channel, alert.attempts + 1, message)

    def _deliver(self, claim: Claim) -> None:
        try:
            channel = self.channels.get(claim.channel)
            if channel is None:
                raise DeliveryError(f"unknown channel {claim.channel!r}", permanent=True)
            channel.send(claim.message)
        except DeliveryError as error:
            self._record_failure(claim, error)
            return
        except Exception as error:  # a bug must not stop the outbox
            log.exception("sending alert %s failed unexpectedly", claim.alert_id)
            self._record_failure(claim, DeliveryError(f"unexpected error: {error}"))
            return
        self._record_sent(claim)

    def _record_sent(self, claim: Claim) -> None:
        """Recorded whoever holds the claim now: the alert did arrive."""
        with self.db.transaction() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == claim.alert_id)
                .values(status="sent", sent_at=self.clock.now(), next_attempt_at=None, last_error=None)
                .execution_options(synchronize_session=False)
            )

    def _record_failure(self, claim: Claim, error: DeliveryError) -> None:
        """Recorded only by the attempt that still holds the claim."""
        now = self.clock.now()
        with self.db.transaction() as session:
            alert = session.get(Alert, claim.alert_id)
            if alert is None or alert.status != "sending" or alert.attempts != claim.attempts:
                log.info("alert %s: attempt %d failed after its claim ran out: %s",
                         claim.alert_id, claim.attempts, error.message)
                return
            alert.last_error = error.message
            if error.permanent or alert.attempts >= self.settings.max_attempts:
                alert.status = "failed"
                alert.next_attempt_at = None
                log.warning("alert %s to %s %s failed: %s", alert.id, alert.channel, alert.recipient,
                            error.message)
                return
            delay = self.settings.backoff_seconds * 2 ** (alert.attempts - 1)
            if error.retry_after:
                delay = max(delay, error.retry_after)
            alert.status = "queued"
            alert.next_attempt_at = now + timedelta(seconds=delay)
            log.info("alert %s will be retried in %.0f s: %s", alert.id, delay, error.message)


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
