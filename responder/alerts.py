"""The alert outbox: Slack and email alerts to staff, queued by
`store.alerts.queue_alerts`, are delivered by the delivery machine, which
claims each one with a compare-and-set, as for replies, and records the
outcome. A Slack message about one ticket goes in the thread of the first
message that told that channel of it; alerts held in quiet hours go out as
one message when the hours end.

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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config.clock import Clock
from config.secrets import resolve_secret
from config.settings import AlertSettings, Settings, TeamSettings
from connectors.backoff import Backoff
from responder.alert_channels import EmailChannel, Message, SlackChannel, SlackPost, SlackTarget, WebChannel
from responder.delivery import Attempt, DeliveryError, DeliveryMachine, Outcome, Sender, won
from store.db import Database
from store.alerts import BATCH_WINDOW, batch_heading, batchable, held_heading
from store.models import Alert, SlackThread

log = logging.getLogger(__name__)

# How long a claim holds at least; a slow mail server can take about ten
# round trips of timeout_seconds each, so the lease grows with the timeout.
MIN_LEASE_SECONDS = 300
LEASE_TIMEOUTS = 10
# The wait between attempts doubles from backoff_seconds up to this.
MAX_BACKOFF_SECONDS = 3600
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class Claim:
    """One message for the alerts `alert_ids` (more than one when batched)."""

    alert_ids: tuple[int, ...]
    channel: str
    message: Message
    ticket_ids: tuple[int, ...] = ()


class AlertOutbox:
    """The staff alerts' outbox: one alert a claim, sent by the delivery machine."""

    def __init__(self, db: Database, settings: AlertSettings, clock: Clock,
                 slack_target_for: Callable[[str], str | SlackTarget]):
        lease = timedelta(seconds=max(MIN_LEASE_SECONDS, LEASE_TIMEOUTS * settings.timeout_seconds))
        self.machine = DeliveryMachine("alert", AlertQueue(db, settings.base_url, lease),
                                       AlertSender(settings, clock, slack_target_for),
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
            tickets = tuple(dict.fromkeys(a.ticket_id for a in to_send if a.ticket_id is not None))
            thread = self._thread(session, alert, tickets)
            message = self._message(to_send, now, thread)
            ids = tuple(a.id for a in to_send)
            return [Attempt(Claim(ids, alert.channel, message, tickets), attempts,
                            outcome_unknown=status == "sending")]

    @staticmethod
    def _thread(session: Session, alert: Alert, tickets: tuple[int, ...]) -> SlackPost | None:
        """The Slack thread a message about one ticket goes in, if that
        channel was told of the ticket before."""
        if alert.channel != "slack" or len(tickets) != 1:
            return None
        found = session.get(SlackThread, (tickets[0], alert.recipient))
        return SlackPost(found.channel, found.ts) if found is not None else None

    def _batch_mates(self, session: Session, alert: Alert, claimed: dict) -> list[Alert]:
        """The ticket alerts queued for the same person, channel and kind
        within the batch window after `alert`, claimed with it."""
        if alert.channel == "web":
            return []
        if alert.held_until is not None:
            mates = [Alert.held_until == alert.held_until]
        elif batchable(alert):
            mates = [Alert.held_until.is_(None), Alert.kind == alert.kind, Alert.ticket_id.is_not(None),
                     Alert.created_at >= alert.created_at, Alert.created_at < alert.created_at + BATCH_WINDOW]
        else:
            return []
        ids = session.scalars(
            update(Alert)
            .where(Alert.id != alert.id, Alert.status == "queued", Alert.channel == alert.channel,
                   Alert.recipient == alert.recipient, *mates)
            .values(**claimed).returning(Alert.id).execution_options(synchronize_session=False)).all()
        if not ids:
            return []
        return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.created_at, Alert.id)
                                    .execution_options(populate_existing=True)))

    def _message(self, alerts: list[Alert], now: datetime, thread: SlackPost | None) -> Message:
        first = alerts[0]
        if len(alerts) == 1:
            return Message(first.id, first.recipient, first.subject, first.body,
                           absolute_link(self.base_url, first.link), first.created_at, thread)
        lines = "\n".join(f"{a.subject}: {absolute_link(self.base_url, a.link)}" if a.link else a.subject
                          for a in alerts)
        heading = held_heading(alerts) if first.held_until is not None else batch_heading(alerts, now)
        return Message(first.id, first.recipient, heading, lines,
                       absolute_link(self.base_url, "/alerts" if first.held_until else "/inbox"),
                       first.created_at, thread)

    def record(self, attempt: Attempt[Claim], outcome: Outcome[SlackPost], now: datetime) -> bool:
        """A sent alert is recorded whoever holds the claim now: it did
        arrive. A failure only by the attempt that still holds the claim.
        A Slack message becomes the thread of the tickets it is the first
        word on in its channel."""
        ids = attempt.work.alert_ids
        with self.db.transaction() as session:
            if outcome.status == "sent":
                session.execute(update(Alert).where(Alert.id.in_(ids))
                                .values(status="sent", sent_at=now, next_attempt_at=None, last_error=None)
                                .execution_options(synchronize_session=False))
                if outcome.result is not None and outcome.result.starts_thread and attempt.work.ticket_ids:
                    self._start_threads(session, attempt.work, outcome.result, now)
                return True
            held = session.execute(
                update(Alert).where(Alert.id.in_(ids), Alert.status == "sending", Alert.attempts == outcome.failures)
                .values(status=outcome.status, last_error=outcome.error, next_attempt_at=outcome.next_attempt_at)
                .execution_options(synchronize_session=False)).rowcount
            if not held:
                log.info("alert %s: attempt %d failed after its claim ran out: %s",
                         ids[0], outcome.failures, outcome.error)
            return held > 0

    @staticmethod
    def _start_threads(session: Session, claim: Claim, post: SlackPost, now: datetime) -> None:
        """A message in no thread starts one for the tickets that have none,
        or whose thread it replaces (its first message was deleted)."""
        insert = INSERTS[session.get_bind().dialect.name]
        rows = [dict(ticket_id=ticket_id, recipient=claim.message.recipient, channel=post.channel, ts=post.ts,
                     created_at=now) for ticket_id in claim.ticket_ids]
        statement = insert(SlackThread).values(rows)
        keys = ["ticket_id", "recipient"]
        session.execute(statement.on_conflict_do_nothing(index_elements=keys) if claim.message.thread is None else
                        statement.on_conflict_do_update(index_elements=keys, set_=dict(
                            channel=statement.excluded.channel, ts=statement.excluded.ts,
                            created_at=statement.excluded.created_at)))


class AlertSender(Sender[Claim, SlackPost]):
    def __init__(self, settings: AlertSettings, clock: Clock,
                 slack_target_for: Callable[[str], str | SlackTarget]):
        self.channels = {
            "web": WebChannel(),
            "slack": SlackChannel(slack_target_for, settings.timeout_seconds),
            "email": EmailChannel(settings, clock),
        }

    def send(self, claim: Claim) -> SlackPost | None:
        """Neither Slack nor a mail server can be asked whether an alert
        arrived: one whose outcome is unknown is sent again."""
        channel = self.channels.get(claim.channel)
        if channel is None:
            raise DeliveryError(f"unknown channel {claim.channel!r}", permanent=True)
        return channel.send(claim.message)


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


def slack_target_for(settings: Settings, name: str) -> str | SlackTarget:
    """Where a Slack alert to `name` goes: "@" and a member ID is that
    person, through the app's token; a team posts to its slack_channel
    through the token, or else to its webhook."""
    alerts = settings.alerts
    member = name.removeprefix("@") if name.startswith("@") else None
    channel = member or (settings.teams[name].slack_channel if name in settings.teams else None)
    if channel is None:
        return slack_webhook_for(settings.teams, name)
    if not alerts.slack_token:
        raise DeliveryError("alerts.slack_token is not set: Slack alerts to a channel ID or a person need the "
                            "Slack app's bot token", permanent=True)
    token = resolve_secret(alerts.slack_token, key="alerts.slack_token")
    return SlackTarget(channel, token, alerts.slack_api_url)


def slack_webhook_for(teams: Mapping[str, TeamSettings], team: str) -> str:
    """The URL of a team's Slack webhook, its secret reference resolved
    (a `slack_url_for` is `functools.partial(slack_webhook_for, teams)`).
    LookupError when the team has none: its Slack alerts fail at once."""
    settings = teams.get(team)
    if settings is None or not settings.slack_webhook:
        raise LookupError(f"team {team!r} has no slack_webhook")
    return resolve_secret(settings.slack_webhook, key=f"teams.{team}.slack_webhook")
