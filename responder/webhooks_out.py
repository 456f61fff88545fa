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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload

from config.clock import Clock
from config.secrets import resolve_secret
from config.settings import ConfigError, Settings, WebhookSettings
from connectors.backoff import Backoff
from responder.delivery import (Attempt, DeliveryError, DeliveryMachine, Outcome, Sender, retry_after_seconds,
                                won)
from store.db import Database
from store.models import Event, Ticket, WebhookCursor

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# The wait after a failure doubles from BACKOFF_SECONDS up to MAX_BACKOFF_SECONDS.
BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 3600
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


@dataclass(frozen=True)
class Post:
    """One event for one endpoint, as claimed. While it is sent the cursor
    stands at `expected`; it moves to `on_success` once the event arrived
    and to `on_failure` (past the unsubscribed events before it) when it
    did not. The claim ends with the `last` post of a batch."""

    endpoint: WebhookSettings
    delivery: Delivery
    expected: int
    on_failure: int
    on_success: int
    last: bool = False


class WebhookSender:
    """Run `send_due` as a singleton job; a second sender at the same time
    finds the endpoints claimed and, should a claim run out, at worst sends
    some events twice."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, session: requests.Session | None = None):
        timeout = settings.alerts.timeout_seconds
        self.cursors = EndpointCursors(db, timedelta(seconds=max(MIN_CLAIM_SECONDS, CLAIM_TIMEOUTS * timeout)),
                                       settings.webhooks)
        poster = WebhookPoster(session or requests.Session(), timeout, clock)
        self.machine = DeliveryMachine("webhook", self.cursors, poster, Backoff(BACKOFF_SECONDS, MAX_BACKOFF_SECONDS),
                                       clock)

    def send_due(self, limit: int = BATCH_SIZE) -> int:
        """Send each due endpoint up to `limit` new events; returns how many
        arrived. Never raises: it runs in the scheduler."""
        return self.machine.send_due(limit).sent


class EndpointCursors:
    """The work of each enabled endpoint is the events after its cursor, in
    order; the first that fails ends the batch and the endpoint backs off
    on its own, without holding up the others. It is never given up on:
    only an admin disabling the endpoint stops it."""

    def __init__(self, db: Database, lease: timedelta, endpoints: Iterable[WebhookSettings]):
        self.db = db
        self.lease = lease
        self.endpoints = {endpoint.name: endpoint for endpoint in endpoints}

    def due(self, now: datetime, limit: int) -> list[str]:
        return [name for name, endpoint in self.endpoints.items() if endpoint.enabled]

    def claim(self, name: str, now: datetime, limit: int) -> list[Attempt[Post]]:
        claimed = self._claim(name, now)
        if claimed is None:
            return []
        position, failures = claimed
        posts, passed = plan(self.endpoints[name], position, self._deliveries_after(position, limit))
        if not posts:
            self._move(name, position, {"last_event_id": passed, "failures": 0, "last_error": None,
                                        "next_attempt_at": None})
        return [Attempt(post, failures if n == 0 else 0) for n, post in enumerate(posts)]

    def _claim(self, name: str, now: datetime) -> tuple[int, int] | None:
        """The cursor's position and failures in a row, when there are new
        events and the endpoint is due; it is then claimed (next_attempt_at
        is when the claim runs out). A new endpoint's cursor starts at the
        newest event."""
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
                cursor.next_attempt_at = now + self.lease
                return cursor.last_event_id, cursor.failures
        except IntegrityError:  # another sender created the cursor first
            return None

    def record(self, attempt: Attempt[Post], outcome: Outcome[None], now: datetime) -> bool:
        """Move the cursor past a delivered event and renew the claim (or
        end it, after the last), unless another sender moved the cursor
        meanwhile; after a failure, back off and start again at the event
        that failed."""
        post = attempt.work
        name = post.endpoint.name
        if outcome.status == "sent":
            values = {"last_event_id": post.on_success, "failures": 0, "last_error": None, "last_sent_at": now,
                      "next_attempt_at": None if post.last else now + self.lease}
            if self._move(name, post.expected, values):
                return True
            log.info("webhook %s: another sender moved the cursor; stopping here", name)
            return False
        with self.db.transaction() as session:
            cursor = session.get(WebhookCursor, name, with_for_update=True)
            if cursor is None or cursor.last_event_id != post.expected:
                return False
            cursor.failures = outcome.failures
            cursor.last_event_id = post.on_failure
            cursor.next_attempt_at = outcome.next_attempt_at
            cursor.last_error = outcome.error
            return True

    def _move(self, name: str, expected: int, values: dict) -> bool:
        with self.db.transaction() as session:
            return won(session, update(WebhookCursor)
                       .where(WebhookCursor.endpoint == name, WebhookCursor.last_event_id == expected)
                       .values(**values))

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


def plan(endpoint: WebhookSettings, position: int, deliveries: list[Delivery]) -> tuple[list[Post], int]:
    """The posts of the subscribed events after `position`, and where the
    cursor ends once they all arrived (past every event read)."""
    posts: list[Post] = []
    held = passed = position  # every event up to `passed` was delivered or is not subscribed to
    for delivery in deliveries:
        if delivery.kind in endpoint.events:
            posts.append(Post(endpoint, delivery, expected=held, on_failure=passed, on_success=delivery.event_id))
            held = delivery.event_id
        passed = delivery.event_id
    if posts:
        posts[-1] = replace(posts[-1], on_success=passed, last=True)
    return posts, passed


class WebhookPoster(Sender[Post, None]):
    """Every failure is worth trying again: a receiver that refuses today
    may be fixed tomorrow."""

    def __init__(self, http: requests.Session, timeout: float, clock: Clock):
        self.http = http
        self.timeout = timeout
        self.clock = clock

    def send(self, post: Post) -> None:
        endpoint, delivery = post.endpoint, post.delivery
        try:
            secret = resolve_secret(endpoint.secret, key=f"webhooks.{endpoint.name}.secret")
        except ConfigError as error:
            raise DeliveryError(str(error)) from None
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
            raise DeliveryError(f"{where} did not answer within {self.timeout:g} s") from None
        except requests.RequestException as error:
            raise DeliveryError(f"cannot reach {where} ({type(error).__name__})") from None
        if not 200 <= response.status_code < 300:
            answer = " ".join(response.text.split())[:ERROR_BODY_CHARS]
            raise DeliveryError(f"{where} answered {response.status_code} {answer}".rstrip(),
                                retry_after=retry_after_seconds(response.headers)
                                if response.status_code == 429 else None)


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
                   "platform": ticket.platform, "topic": ticket.topic, "team": ticket.team,
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


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def origin(url: str) -> str:
    """Scheme, host and port only: a URL's path, query or user part may hold
    a token, and errors are stored and logged."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
