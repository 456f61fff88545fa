"""Outgoing webhooks: ticket events POSTed as signed JSON to each configured
endpoint, so a CRM can follow along.

Delivery follows the events table in id order, at least once: an endpoint's
cursor passes an event only once the endpoint answered it with a 2xx (or
does not subscribe to its kind). After a timeout, a crash or a second sender
the same event may arrive again; receivers drop repeats by the
X-Closeloop-Delivery header, which is the event id. A failing endpoint backs
off on its own cursor and does not hold up the others.

A new endpoint starts from the newest event at the time it is first seen: it
does not replay history. A disabled endpoint keeps its cursor and, enabled
again, catches up from there.

X-Closeloop-Signature is "sha256=" and the hex HMAC-SHA256, under the
endpoint's secret, of "<X-Closeloop-Timestamp>.<raw body>"."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload

from config.clock import Clock
from config.secrets import resolve_secret
from config.settings import ConfigError, Settings, WebhookSettings
from responder.alert_channels import retry_after_seconds
from store.db import Database
from store.models import Event, Ticket, WebhookCursor

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# Backoff doubles from BACKOFF_SECONDS up to MAX_BACKOFF_SECONDS. No jitter:
# one sender posts to each endpoint, one request at a time.
BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 3600
MAX_RETRY_AFTER_SECONDS = 86400
# A sender claims an endpoint for this long and renews the claim after each
# delivery, so it only has to outlast one request.
MIN_CLAIM_SECONDS = 60
CLAIM_TIMEOUTS = 3
# How long to wait for transactions still writing events (see _settled_deliveries).
GAP_LOCK_TIMEOUT = "500ms"
ERROR_BODY_CHARS = 200


@dataclass(frozen=True)
class Delivery:
    event_id: int
    kind: str
    body: bytes


class DeliveryFailed(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class WebhookSender:
    """Run `send_due` as a singleton job; a second sender at the same time
    finds the endpoints claimed and, should a claim run out, at worst sends
    some events twice."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, session: requests.Session | None = None):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.http = session or requests.Session()
        self.timeout = settings.alerts.timeout_seconds
        self.claim = timedelta(seconds=max(MIN_CLAIM_SECONDS, CLAIM_TIMEOUTS * self.timeout))

    def send_due(self, limit: int = BATCH_SIZE) -> int:
        """Send each due endpoint up to `limit` new events; returns how many
        arrived. Never raises: it runs in the scheduler."""
        delivered = 0
        for endpoint in self.settings.webhooks:
            if not endpoint.enabled:
                continue
            try:
                delivered += self._send_to(endpoint, limit)
            except Exception:
                log.exception("webhook %s: sending failed unexpectedly", endpoint.name)
        return delivered

    def _send_to(self, endpoint: WebhookSettings, limit: int) -> int:
        position = self._claim(endpoint.name)
        if position is None:
            return 0
        try:
            secret = resolve_secret(endpoint.secret, key=f"webhooks.{endpoint.name}.secret")
        except ConfigError as error:
            self._record_failure(endpoint.name, position, position, DeliveryFailed(str(error)))
            return 0
        delivered = 0
        passed = position  # every event up to here was delivered or is of a kind not subscribed to
        for delivery in self._deliveries_after(position, limit):
            if delivery.kind in endpoint.events:
                try:
                    self._post(endpoint, secret, delivery)
                except DeliveryFailed as error:
                    self._record_failure(endpoint.name, position, passed, error)
                    return delivered
                delivered += 1
                if not self._advance(endpoint.name, position, delivery.event_id):
                    log.info("webhook %s: another sender moved the cursor; stopping here", endpoint.name)
                    return delivered
                position = delivery.event_id
            passed = delivery.event_id
        self._release(endpoint.name, position, passed)
        return delivered

    def _claim(self, name: str) -> int | None:
        """The cursor's position when there are new events and the endpoint
        is due; it is then claimed (next_attempt_at is when the claim runs
        out). A new endpoint's cursor starts at the newest event."""
        now = self.clock.now()
        try:
            with self.db.transaction() as session:
                cursor = session.get(WebhookCursor, name, with_for_update=True)
                newest = session.scalar(select(func.max(Event.id))) or 0
                if cursor is None:
                    session.add(WebhookCursor(endpoint=name, last_event_id=newest, failures=0))
                    return None
                if newest <= cursor.last_event_id or not (cursor.next_attempt_at is None
                                                          or cursor.next_attempt_at <= now):
                    return None
                cursor.next_attempt_at = now + self.claim
                return cursor.last_event_id
        except IntegrityError:  # another sender created the cursor first
            return None

    def _advance(self, name: str, expected: int, event_id: int) -> bool:
        """Move the cursor to a delivered event and renew the claim, unless
        another sender moved it meanwhile."""
        now = self.clock.now()
        values = {"last_event_id": event_id, "failures": 0, "last_error": None, "last_sent_at": now,
                  "next_attempt_at": now + self.claim}
        return self._move(name, expected, values)

    def _release(self, name: str, expected: int, passed: int) -> None:
        self._move(name, expected, {"last_event_id": passed, "failures": 0, "last_error": None,
                                    "next_attempt_at": None})

    def _move(self, name: str, expected: int, values: dict) -> bool:
        with self.db.transaction() as session:
            return session.execute(
                update(WebhookCursor)
                .where(WebhookCursor.endpoint == name, WebhookCursor.last_event_id == expected)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount == 1

    def _record_failure(self, name: str, expected: int, passed: int, error: DeliveryFailed) -> None:
        """Back off; the next attempt starts again at the event that failed."""
        now = self.clock.now()
        with self.db.transaction() as session:
            cursor = session.get(WebhookCursor, name, with_for_update=True)
            if cursor is None or cursor.last_event_id != expected:
                return
            cursor.failures += 1
            delay = backoff_seconds(cursor.failures) if error.retry_after is None else error.retry_after
            cursor.last_event_id = passed
            cursor.next_attempt_at = now + timedelta(seconds=delay)
            cursor.last_error = error.message
        log.warning("webhook %s: %s; next attempt in %.0f s", name, error.message, delay)

    def _deliveries_after(self, position: int, limit: int) -> list[Delivery]:
        with self.db.transaction() as session:
            deliveries = read_deliveries(session, position, limit)
        prefix = contiguous_prefix(position, deliveries)
        if len(prefix) == len(deliveries) or not self.db.is_postgresql:
            return deliveries
        settled = self._settled_deliveries(position, limit)
        return prefix if settled is None else settled

    def _settled_deliveries(self, position: int, limit: int) -> list[Delivery] | None:
        """On PostgreSQL ids come from a sequence and commit in any order: a
        gap may be an event still being written, which a cursor passing it
        would skip for ever. Under a SHARE lock no transaction is writing
        events, so what is visible is final and a gap is a rolled-back id.
        None when the writers do not finish within GAP_LOCK_TIMEOUT."""
        try:
            with self.db.transaction() as session:
                session.execute(text(f"SET LOCAL lock_timeout = '{GAP_LOCK_TIMEOUT}'"))
                session.execute(text(f"LOCK TABLE {Event.__tablename__} IN SHARE MODE"))
                return read_deliveries(session, position, limit)
        except OperationalError:
            return None

    def _post(self, endpoint: WebhookSettings, secret: str, delivery: Delivery) -> None:
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Closeloop-Event": delivery.kind,
            "X-Closeloop-Delivery": str(delivery.event_id),
            "X-Closeloop-Timestamp": timestamp,
            "X-Closeloop-Signature": signature(secret, timestamp, delivery.body),
        }
        where = origin(endpoint.url)
        try:
            response = self.http.post(endpoint.url, data=delivery.body, headers=headers, timeout=self.timeout,
                                      allow_redirects=False)
        except requests.Timeout:
            raise DeliveryFailed(f"{where} did not answer within {self.timeout:g} s") from None
        except requests.RequestException as error:
            raise DeliveryFailed(f"cannot reach {where} ({type(error).__name__})") from None
        if not 200 <= response.status_code < 300:
            answer = " ".join(response.text.split())[:ERROR_BODY_CHARS]
            retry_after = retry_after_seconds(response.headers) if response.status_code == 429 else None
            raise DeliveryFailed(f"{where} answered {response.status_code} {answer}".rstrip(),
                                 None if retry_after is None else min(retry_after, MAX_RETRY_AFTER_SECONDS))


def read_deliveries(session: Session, position: int, limit: int) -> list[Delivery]:
    events = session.scalars(
        select(Event).where(Event.id > position).order_by(Event.id).limit(limit)
        .options(joinedload(Event.ticket).joinedload(Ticket.assignee))
    )
    return [Delivery(event.id, event.kind, payload(event)) for event in events]


def payload(event: Event) -> bytes:
    """The event, and its ticket as it is when the event is sent."""
    ticket = event.ticket
    return json.dumps({
        "id": event.id,
        "event": event.kind,
        "at": iso_utc(event.at),
        "ticket": {"id": ticket.id, "status": ticket.status, "priority": ticket.priority,
                   "platform": ticket.platform, "topic": ticket.topic,
                   "assignee": ticket.assignee.email if ticket.assignee else None,
                   "customer_id": ticket.customer_id},
        "detail": event.detail,
    }, separators=(",", ":")).encode()


def contiguous_prefix(position: int, deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries that follow `position` with no id missing."""
    prefix: list[Delivery] = []
    for delivery in deliveries:
        if delivery.event_id != position + len(prefix) + 1:
            break
        prefix.append(delivery)
    return prefix


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def backoff_seconds(failures: int) -> float:
    return min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** min(failures - 1, 20))


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def origin(url: str) -> str:
    """Scheme, host and port only: a URL's path, query or user part may hold
    a token, and errors are stored and logged."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
